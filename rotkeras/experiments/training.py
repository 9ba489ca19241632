"""The recommended way to train rotkeras models (used by `rotkeras reproduce`)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np


def fit_classifier(
    model: keras.Model,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int = 10,
    batch_size: int = 64,
    seed: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    initial_epoch: int = 0,
    verbose: int | str = "auto",
) -> keras.callbacks.History:
    """Trains a compiled classifier on in-memory arrays, shuffling every epoch.

    Args:
        model: A compiled Keras model (augmentation layers, if any, inside it).
        x: Training inputs, float32 `(N, H, W, C)`.
        y: Integer labels `(N,)` (or one-hot, matching the model's loss).
        epochs: Number of epochs to train up to.
        batch_size: Batch size.
        seed: Seed for shuffling.
        callbacks: Keras callbacks (e.g. `keras.callbacks.BackupAndRestore`).
        initial_epoch: Epoch to start from.
        verbose: Passed to `model.fit`.

    Returns:
        The `History` of `model.fit`.
    """
    keras.utils.set_random_seed(seed)
    return model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        callbacks=list(callbacks),
        initial_epoch=initial_epoch,
        verbose=verbose,
    )
