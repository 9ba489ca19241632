"""Training batches turned by random right angles, labelled with their turns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from rotkeras import _validation as check
from rotkeras.datasets.rotated import turn_quarters

#: The tutorial's mix of turns: upright half of the time, 90, 180 and 270 degrees a
#: sixth each (the mix of the standard "combined" test set).
TUTORIAL_TURNS = (0.5, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0)


class TurnedBatches(keras.utils.PyDataset):
    """Batches of images turned by random right angles, with the turns as labels.

    For training a model that reads turned images and says how they were turned, such
    as `rotkeras.models.rotation_robust_cnn()` (joint head): every epoch each image is
    turned by `k` quarter turns counter-clockwise (exactly, `np.rot90`), `k` drawn
    with `probabilities`, and the batches are `(images, (labels, k))`. The order and
    the turns of epoch `e` depend only on `(seed, e)`, so a training resumed at epoch
    `e` sees what an uninterrupted one would (`set_epoch`, which
    `rotkeras.training.fit_classifier` calls with its `initial_epoch`).

    Works with `model.fit` on every backend (a `keras.utils.PyDataset`).

    Args:
        x: Images `(N, H, W)` or `(N, H, W, C)`, square if odd turns can be drawn.
        y: Labels `(N,)`.
        batch_size: Batch size (the last batch of an epoch may be smaller).
        probabilities: Probabilities of 0, 1, 2 and 3 quarter turns. Default: the
            tutorial's mix (upright half of the time).
        seed: Seed of the order and the turns.
        shuffle: Whether to shuffle the images every epoch.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`, ...).

    Examples:
        >>> import numpy as np
        >>> from rotkeras.datasets import TurnedBatches
        >>> x = np.random.rand(10, 8, 8, 1).astype("float32")
        >>> batches = TurnedBatches(x, np.arange(10), batch_size=4, seed=0)
        >>> images, (labels, turns) = batches[0]
        >>> len(batches), images.shape, turns.shape
        (3, (4, 8, 8, 1), (4,))
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        batch_size: int = 64,
        probabilities: Sequence[float] = TUTORIAL_TURNS,
        seed: int = 0,
        shuffle: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.x = check.check_image_array(x, "x")
        self.y = check.check_labels(y, self.x.shape[0])
        if self.y is None:
            raise check.ArgumentTypeError("`y` must be an array of labels; received y=None")
        self.batch_size = check.check_positive_int(batch_size, "batch_size")
        probs = np.asarray(
            check.check_probabilities(probabilities, 4, "probabilities", of="turns"), np.float64
        )
        if (probs[1] > 0 or probs[3] > 0) and self.x.shape[1] != self.x.shape[2]:
            raise ValueError(
                "Turning by 90 or 270 degrees needs square images (height == width); "
                f"received images of shape {self.x.shape}"
            )
        self.probabilities = tuple(probs.tolist())
        self._odd_turns = bool(probs[1] > 0 or probs[3] > 0)
        self.seed = check.check_seed(seed, allow_none=False)
        self.shuffle = check.check_bool(shuffle, "shuffle")
        self.epoch = 0
        self._draw()

    def _draw(self) -> None:
        rng = np.random.default_rng([self.seed, self.epoch])
        n = self.x.shape[0]
        self._order = rng.permutation(n) if self.shuffle else np.arange(n)
        self._turns = rng.choice(4, size=n, p=np.asarray(self.probabilities)).astype(np.int32)

    def __len__(self) -> int:
        return math.ceil(self.x.shape[0] / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        if not 0 <= index < len(self):
            raise IndexError(f"batch index {index} out of range for {len(self)} batches")
        chosen = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        turns = self._turns[chosen]
        return turn_quarters(self.x[chosen], turns, self._odd_turns), (self.y[chosen], turns)

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._draw()

    def set_epoch(self, epoch: int) -> None:
        """Makes the next batches those of epoch `epoch` (e.g. to resume a training).

        `rotkeras.training.fit_classifier` calls it with its `initial_epoch`.

        Args:
            epoch: A non-negative epoch number.
        """
        self.epoch = check.check_int(epoch, "epoch", minimum=0)
        self._draw()
