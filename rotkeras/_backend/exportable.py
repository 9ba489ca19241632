"""Ops a backend's exporter cannot write (see the package docstring, point 6)."""

from __future__ import annotations

from typing import Any

import keras


def largest_values(x: Any, k: int) -> Any:
    """The `k` largest values along the last axis of `x`, in an order of the backend's choosing.

    `keras.ops.top_k` where it exports; on JAX a sort, largest first, which gives exactly
    the values (and the order) of JAX's `top_k` and exports through jax2tf.
    """
    if keras.backend.backend() == "jax":
        return keras.ops.flip(keras.ops.sort(x, axis=-1)[..., -k:], axis=-1)
    values, _ = keras.ops.top_k(x, k, sorted=False)
    return values
