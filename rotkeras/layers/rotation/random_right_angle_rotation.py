"""Exact per-sample rotation by right angles, for data augmentation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from rotkeras import _backend
from rotkeras import _validation as check
from rotkeras import ops as rotation_ops
from rotkeras.layers.rotation._base import BaseRandomImageRotation


@keras.saving.register_keras_serializable(package="rotkeras")
class RandomRightAngleRotation(BaseRandomImageRotation):
    """Rotates each image of a batch by a random multiple of 90 degrees during training.

    Every sample independently gets one of `angles` (degrees, counter-clockwise, like
    `np.rot90`), uniformly or with the given `probabilities`. The rotation is exact:
    pixels are permuted, never interpolated, so a rotated MNIST digit is still an
    MNIST digit. The layer is inactive (the identity) when `training=False`, e.g. in
    `model.predict` and `model.evaluate`; called directly it augments, like Keras'
    own augmentation layers.

    Unlike `keras.layers.RandomRotation`, the layer compiles with the rest of the train
    step (XLA/jit on every backend): it is a transpose and two flips, each selected per
    sample (`rotkeras.ops.rotate_quarter_turns`). It works inside a model on the TensorFlow, JAX and
    PyTorch backends and inside `tf.data.Dataset.map` under any backend.

    Besides an image tensor, the layer accepts a dict with `"images"` and optional
    `"labels"`, `"segmentation_masks"` and `"bounding_boxes"` (a dict with `"boxes"`
    and `"labels"`, in `bounding_box_format`), like Keras' image preprocessing layers:
    masks and boxes are rotated with their image, labels pass through unchanged.

    Units: rotkeras layers take angles in degrees (`RightAngleRotation(angle=90)`, this
    layer's `angles`); the one exception is `RandomAnyAngleRotation(factor=...)`, which
    keeps the meaning `factor` has in `keras.layers.RandomRotation` (fractions of a full
    turn), so that a Keras user's `factor` draws the same angles there.

    Args:
        angles: Right angles to draw from, in degrees (multiples of 90, negative
            allowed: the tutorial uses `(90, -90, 180)`). Duplicates weigh more.
        probabilities: Optional probabilities of the `angles`, same length, summing
            to 1. Defaults to uniform.
        seed: Integer seed for reproducible rotations.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        **kwargs: Base layer keyword arguments, such as `name`, `dtype` and
            `bounding_box_format` (the format of `bounding_boxes`, e.g. `"xyxy"`, needed
            only when boxes are passed).

    Input shape:
        3D (unbatched) `(height, width, channels)` or 4D `(batch, height, width,
        channels)` tensor (channels first with `data_format="channels_first"`), any
        numeric dtype. Height and width must be equal if 90 or 270 degrees can be drawn;
        180 degrees works for any shape.

    Output shape:
        Same shape and dtype as the input.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import RandomRightAngleRotation
        >>> layer = RandomRightAngleRotation(angles=(90, -90, 180), seed=0)
        >>> images = np.random.rand(8, 28, 28, 1).astype("float32")
        >>> tuple(layer(images).shape)  # each image turned by 90, -90 or 180 degrees
        (8, 28, 28, 1)
        >>> bool(np.all(layer(images, training=False) == images))
        True

        As on-the-fly augmentation inside a model (the tutorial's Solution 2):

        >>> import rotkeras
        >>> model = rotkeras.models.mnist_cnn(preprocessing=RandomRightAngleRotation(seed=0))
    """

    def __init__(
        self,
        angles: Sequence[int] = (0, 90, 180, 270),
        probabilities: Sequence[float] | None = None,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self._ks = check.right_angles_to_ks(angles, "angles")
        self.angles = tuple(int(a) for a in angles)
        self.probabilities = check.check_probabilities(probabilities, len(self.angles))
        self.requires_square = any(k % 2 for k in self._ks)

    def draw_transformation(self, batch_size: Any, seed: Any) -> dict[str, Any]:
        """Draws the quarter turns of every sample."""
        xp = self.ops
        table = xp.convert_to_tensor(self._ks, dtype="int32")
        if len(self._ks) == 1:
            k = xp.zeros((batch_size,), dtype="int32") + table[0]
        else:

            def draw(count: Any) -> Any:
                if self.probabilities is None:
                    return xp.random.randint(
                        (count,), 0, len(self._ks), dtype="int32", seed=seed
                    )
                logits = xp.log(xp.convert_to_tensor(self.probabilities, dtype="float32"))
                logits = xp.broadcast_to(logits[None], (count, len(self._ks)))
                return xp.reshape(
                    xp.random.categorical(logits, 1, dtype="int32", seed=seed), (-1,)
                )

            # Under tf.distribute every replica draws its own samples' turns (see
            # `rotkeras._backend.draw_per_sample`), not a copy of the first replica's.
            k = xp.take(table, _backend.draw_per_sample(draw, batch_size), axis=0)
        return {"k": k, "angles": 90.0 * xp.cast(k, "float32")}

    def transform_images(
        self, images: Any, transformation: dict[str, Any], training: bool = True
    ) -> Any:
        return rotation_ops.rotate_quarter_turns_checked(
            images, transformation["k"], self.data_format, odd_turns=self.requires_square,
            xp=self.ops,
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "angles": list(self.angles),
                "probabilities": None if self.probabilities is None else list(self.probabilities),
            }
        )
        return config
