"""Pooling over the rotation axis of p4 features: rotation-invariant features."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras.layers.p4._core import GROUP_AXIS, check_p4_shape


@keras.saving.register_keras_serializable(package="rotkeras")
class P4RotationPooling(keras.layers.Layer):
    """Max or average over the four orientations of p4 features.

    Maps p4 feature maps `(batch, height, width, 4, channels)` to ordinary maps
    `(batch, height, width, channels)`, or p4 vectors `(batch, 4, channels)` (p4 maps
    after global spatial pooling) to `(batch, channels)`. Turning the input of a p4
    network by 90 degrees only moves its features along the rotation axis, so after
    this layer they are turned with the input (maps) or do not change at all (vectors):
    a classifier on top is exactly invariant to right-angle turns. Invariance has a
    price for digits: an invariant classifier cannot tell a 6 from a 9 turned by 180
    degrees.

    Args:
        mode: `"max"` or `"average"` (the word of `keras.layers.AveragePooling2D` and
            `P4AveragePooling2D`). `"mean"`, its former name, still works and warns with a
            `DeprecationWarning`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch, height, width, 4, channels)` or `(batch, 4, channels)`.

    Output shape:
        `(batch, height, width, channels)` or `(batch, channels)`.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import P4RotationPooling
        >>> maps = np.random.rand(2, 5, 5, 4, 8).astype("float32")
        >>> tuple(P4RotationPooling("max")(maps).shape)
        (2, 5, 5, 8)
    """

    def __init__(self, mode: str = "max", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if mode == "mean":
            warnings.warn(
                "P4RotationPooling(mode='mean') is deprecated; use mode='average' (the same "
                "pooling)", DeprecationWarning, stacklevel=2,
            )
            mode = "average"
        self.mode = check.check_choice(mode, "mode", ("max", "average"))

    def _check_input_shape(self, input_shape: Sequence[int | None]) -> None:
        check_p4_shape(input_shape, type(self).__name__, ranks=(5, 3))

    def build(self, input_shape: Sequence[int | None]) -> None:
        self._check_input_shape(input_shape)

    def call(self, inputs: Any) -> Any:
        reduce = ops.max if self.mode == "max" else ops.mean
        return reduce(inputs, axis=GROUP_AXIS)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        self._check_input_shape(input_shape)
        return (*tuple(input_shape[:GROUP_AXIS]), input_shape[-1])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["mode"] = self.mode
        return config
