"""Training the reference CNN with the tutorial's recipe (the first main job)."""

from __future__ import annotations

import os
import time
from typing import Any

import keras
import numpy as np

from rotkeras.datasets.mnist import load_mnist, to_float_images
from rotkeras.models.mnist_cnn import mnist_cnn


class EpochTimer(keras.callbacks.Callback):
    """Records the wall time of every epoch in `self.seconds`."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def train_reference(
    data: str | os.PathLike[str] | None = None,
    epochs: int = 10,
    batch_size: int = 64,
    seed: int = 0,
    limit: int | None = None,
    save: str | os.PathLike[str] | None = None,
    verbose: int | str = "auto",
) -> dict[str, Any]:
    """Trains `mnist_cnn` like the tutorial (Adam, `epochs`, `batch_size`) and evaluates it.

    Returns:
        A dict with `test_accuracy`, `test_loss`, `seconds_per_epoch` (mean over epochs
        after the first, which includes compilation, when there are several), `epoch_seconds`
        and the trained `model`.
    """
    keras.utils.set_random_seed(seed)
    (x_train, y_train), (x_test, y_test) = load_mnist(data)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_train, x_test = to_float_images(x_train), to_float_images(x_test)
    model = mnist_cnn()
    timer = EpochTimer()
    model.fit(
        x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=verbose, callbacks=[timer]
    )
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)
    if save is not None:
        model.save(save)
    steady = timer.seconds[1:] if len(timer.seconds) > 1 else timer.seconds
    return {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "seconds_per_epoch": float(np.mean(steady)),
        "epoch_seconds": timer.seconds,
        "model": model,
    }
