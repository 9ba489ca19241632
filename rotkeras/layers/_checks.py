"""Input checks shared by the image layers (internal)."""

from __future__ import annotations

from typing import Any

import keras

_NUMERIC_KINDS = ("float", "int", "uint", "bfloat")


def check_numeric(x: Any, name: str) -> None:
    """Raises `TypeError` unless `x` has a numeric (non-bool) dtype."""
    dtype = keras.backend.standardize_dtype(x.dtype)
    if dtype == "bool" or not dtype.startswith(_NUMERIC_KINDS):
        raise TypeError(f"`{name}` must have a numeric dtype; received dtype {dtype!r}")


def check_nonempty_batch(x: Any, name: str) -> None:
    """Raises `ValueError` when the static batch size of `x` is zero."""
    if len(x.shape) == 4 and x.shape[0] == 0:
        raise ValueError(f"`{name}` is an empty batch; received shape {tuple(x.shape)}")

