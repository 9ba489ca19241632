"""`rotkeras train`: the reference CNN, trained the recommended way."""

from __future__ import annotations

import os
import time
from typing import Any

import keras
import numpy as np

from rotkeras import _validation as check
from rotkeras.cli import _preflight
from rotkeras.datasets.mnist import load_mnist, to_float_images
from rotkeras.models.mnist_cnn import mnist_cnn
from rotkeras.training import fit_classifier, resolve_precision


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
    precision: str = "auto",
) -> dict[str, Any]:
    """Trains `mnist_cnn` with the tutorial's recipe the way `rotkeras reproduce` does.

    The model is built in `precision` (`"auto"`: `rotkeras.training.
    recommended_dtype_policy()`) after seeding Keras with `seed`, and trained with
    `rotkeras.training.fit_classifier` (Adam, `epochs`, `batch_size`, one seeded shuffle
    per epoch), then evaluated on the MNIST test set.

    Returns:
        A dict with `test_accuracy`, `test_loss`, `seconds_per_epoch` (mean over epochs
        after the first, which includes compilation, when there are several), `epoch_seconds`,
        the resolved `precision` and the trained `model`.
    """
    if save is not None:
        _preflight.output_file(save, "save", (".keras", ".h5"))
    _preflight.mnist_file(data, "data")
    if limit is not None:
        check.check_positive_int(limit, "limit")
    precision = resolve_precision(precision)
    (x_train, y_train), (x_test, y_test) = load_mnist(data)
    if limit is not None:
        x_train, y_train = x_train[:limit], y_train[:limit]
    x_train, x_test = to_float_images(x_train), to_float_images(x_test)
    keras.utils.set_random_seed(seed)
    model = mnist_cnn(dtype=precision)
    timer = EpochTimer()
    fit_classifier(model, x_train, y_train.astype("int32"), epochs=epochs,
                   batch_size=batch_size, seed=seed, callbacks=[timer], verbose=verbose)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=1024, verbose=0)
    if save is not None:
        model.save(save)
    steady = timer.seconds[1:] if len(timer.seconds) > 1 else timer.seconds
    return {
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        "seconds_per_epoch": float(np.mean(steady)),
        "epoch_seconds": timer.seconds,
        "precision": precision,
        "model": model,
    }
