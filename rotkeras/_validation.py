"""Argument checks shared by the public API. Every error names the value it received."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np


def check_positive_int(value: object, name: str) -> int:
    """Returns `value` as an int, or raises if it is not a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; received {name}={value!r}")
    return int(value)


def check_image_shape(value: object, name: str, min_size: int = 1) -> tuple[int, int, int]:
    """Checks a `(height, width, channels)` shape and returns it as a tuple of ints."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 3:
        raise ValueError(
            f"`{name}` must be a (height, width, channels) tuple; received {name}={value!r}"
        )
    dims = []
    for dim in value:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 1:
            raise ValueError(
                f"`{name}` must contain positive integers; received {name}={value!r}"
            )
        dims.append(int(dim))
    if dims[0] < min_size or dims[1] < min_size:
        raise ValueError(
            f"`{name}` must have height and width of at least {min_size}; "
            f"received {name}={value!r}"
        )
    return dims[0], dims[1], dims[2]


def check_data_format(value: str | None) -> str:
    """Resolves `None` to Keras' image data format and validates the value."""
    import keras

    if value is None:
        return keras.config.image_data_format()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'; "
            f"received data_format={value!r}"
        )
    return value


def check_image_array(x: Any, name: str = "x") -> np.ndarray:
    """Returns `x` as a NumPy array of images `(N, H, W)` or `(N, H, W, C)`, N > 0, numeric."""
    array = np.asarray(x)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"`{name}` must be a numeric array; received dtype {array.dtype}")
    if array.ndim not in (3, 4):
        raise ValueError(
            f"`{name}` must have shape (N, H, W) or (N, H, W, C); received shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"`{name}` is empty; received shape {array.shape}")
    return array
