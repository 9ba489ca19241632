"""Checks of NumPy arrays: images, finite values, class labels, training samples."""

from __future__ import annotations

from typing import Any

import numpy as np

from rotkeras._validation.scalars import ArgumentTypeError


def check_image_array(x: Any, name: str = "x") -> np.ndarray:
    """Returns `x` as a NumPy array of images `(N, H, W)` or `(N, H, W, C)`, N > 0, numeric."""
    array = np.asarray(x)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise ArgumentTypeError(f"`{name}` must be a numeric array; received dtype {array.dtype}")
    if array.ndim not in (3, 4):
        raise ValueError(
            f"`{name}` must have shape (N, H, W) or (N, H, W, C); received shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"`{name}` is empty; received shape {array.shape}")
    return array


def check_finite_array(array: np.ndarray, name: str) -> None:
    """Raises unless every value of the numeric array `array` is finite (no NaN, no infinity).

    One vectorised pass (integer arrays are finite by type and not looked at); the message
    gives the number of non-finite values and the first sample that holds one.
    """
    if array.dtype.kind not in "fc" or array.size == 0:
        return
    finite = np.isfinite(array)
    if finite.all():
        return
    count = int(finite.size - np.count_nonzero(finite))
    where = ""
    if array.ndim >= 1:
        rows = finite.reshape(array.shape[0], -1).all(axis=1)
        where = f", the first in sample {int(np.argmin(rows))}"
    raise ValueError(
        f"`{name}` must hold finite numbers; received {count} NaN or infinite value(s){where}. "
        "One is enough to turn every weight into NaN: fix or drop those samples"
    )


def check_class_label_array(labels: Any, num_classes: int, name: str = "y") -> np.ndarray:
    """Returns `labels` as an array; integer class labels in `[0, num_classes)`, whatever the dtype.

    Float labels must be finite whole numbers. One vectorised pass (`min`, `max`): the
    backends disagree on labels out of range (JAX trains on garbage, TensorFlow fails with
    an internal error), so they are refused before training.
    """
    array = np.asarray(labels)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise ArgumentTypeError(
            f"`{name}` must hold integer class labels; received dtype {array.dtype}"
        )
    if array.size == 0:
        return array
    if array.dtype.kind in "fc":
        check_finite_array(array, name)
        if not np.array_equal(array, np.round(array)):
            raise ValueError(
                f"`{name}` must hold integer class labels in [0, {num_classes - 1}]; received "
                "labels with a fractional part"
            )
    low, high = array.min(), array.max()
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"`{name}` must hold class labels in [0, {num_classes - 1}] (the model has "
            f"{num_classes} classes); received labels from {low.item()} to {high.item()}"
        )
    return array


def check_labels(y: Any, count: int, name: str = "y") -> np.ndarray | None:
    """`None`, or `y` as an array with one entry per sample (`count`)."""
    if y is None:
        return None
    labels = np.asarray(y)
    if labels.ndim == 0 or labels.shape[0] != count:
        raise ValueError(
            f"`{name}` must have one label per image ({count}); received shape {labels.shape}"
        )
    return labels


def check_samples(x: Any, y: Any) -> tuple[np.ndarray, Any]:
    """`x` and `y` as arrays of the same non-zero number of samples (training data).

    `y` may also hold one label array per model output: a tuple, or a list of NumPy
    arrays, e.g. `(digits, turns)`; it is returned as a tuple of arrays, each checked.
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"`x` must be a batch of samples (rank >= 2); received shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"`x` must not be empty; received shape {x.shape}")
    if is_target_tuple(y):
        if not y:
            raise ValueError("`y` must hold at least one label array; received an empty tuple")
        targets = tuple(np.asarray(t) for t in y)
        for index, target in enumerate(targets):
            if target.shape[:1] != x.shape[:1]:
                raise ValueError(
                    "`x` and every label array of `y` must have the same number of samples; "
                    f"received x.shape={x.shape} and y[{index}].shape={target.shape}"
                )
        return x, targets
    y = np.asarray(y)
    if y.shape[:1] != x.shape[:1]:
        raise ValueError(
            "`x` and `y` must have the same number of samples; received "
            f"x.shape={x.shape} and y.shape={y.shape}"
        )
    return x, y


def is_target_tuple(y: Any) -> bool:
    """Whether `y` holds one label array per output: a tuple, or a list of NumPy arrays."""
    if isinstance(y, tuple):
        return True
    return isinstance(y, list) and bool(y) and all(isinstance(t, np.ndarray) for t in y)
