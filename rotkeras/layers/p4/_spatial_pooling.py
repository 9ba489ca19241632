"""The base of the spatial pooling layers of p4 feature maps (internal)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras.layers._config import with_attributes
from rotkeras.layers.p4._core import (
    ORIENTATIONS,
    check_channels_last,
    check_p4_shape,
    sliding_output_shape,
)


def _pool_windows_are_symmetric(size: int, pool: int, strides: int, padding: str) -> bool:
    """Whether pooling windows over an axis of `size` map onto themselves when it is reversed."""
    if padding == "valid":
        return size >= pool and (size - pool) % strides == 0
    out = -(-size // strides)
    # The padding the windows need; negative when they skip the last pixels (pool <
    # strides), which no padding makes symmetric.
    total = (out - 1) * strides + pool - size
    return total >= 0 and total % 2 == 0


class BaseP4Pooling2D(keras.layers.Layer):
    """Pooling over the spatial axes of p4 feature maps that keeps their equivariance.

    Pools every orientation and channel of `(batch, height, width, 4, channels)` maps
    like the Keras pooling layer of the subclass would, and keeps the p4 contract of
    `rotkeras.layers.P4Conv2D`: turning the input by 90 degrees turns the output and
    moves it one step along the rotation axis. Subclasses define `_pool`.

    Args:
        pool_size: Size of the square pooling window (an integer).
        strides: Step between windows (an integer); defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(
        self,
        pool_size: int = 2,
        strides: int | None = None,
        padding: str = "valid",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_channels_last(type(self).__name__)
        self.pool_size = check.check_positive_int(pool_size, "pool_size")
        self.strides = (
            self.pool_size if strides is None else check.check_positive_int(strides, "strides")
        )
        padding = padding.lower() if isinstance(padding, str) else padding
        self.padding = check.check_choice(padding, "padding", ("valid", "same"))

    def _check_input_shape(self, input_shape: Sequence[int | None]) -> None:
        check_p4_shape(input_shape, type(self).__name__)
        for size in input_shape[1:3]:
            if size is not None and not _pool_windows_are_symmetric(
                size, self.pool_size, self.strides, self.padding
            ):
                rule = (
                    "(size - pool_size) % strides == 0"
                    if self.padding == "valid"
                    else "an even, non-negative total padding"
                )
                raise ValueError(
                    f"Pooling a size of {size} with pool_size={self.pool_size}, strides="
                    f"{self.strides}, padding={self.padding!r} places the windows "
                    f"asymmetrically, which breaks the rotation equivariance ({rule} is "
                    f"needed); received input of shape {tuple(input_shape)}"
                )

    def build(self, input_shape: Sequence[int | None]) -> None:
        self._check_input_shape(input_shape)

    def _check_at_run_time(self, inputs: Any) -> Any:
        """The check of `build` on every call, and at run time for sizes unknown till then."""
        self._check_input_shape(inputs.shape)
        if None not in tuple(inputs.shape[1:3]) or isinstance(inputs, keras.KerasTensor):
            return inputs
        shape = ops.shape(inputs)
        ok = ops.logical_and(self._symmetric(shape[1]), self._symmetric(shape[2]))
        rule = "(size - pool_size) % strides == 0" if self.padding == "valid" else (
            "an even, non-negative total padding")
        (inputs,) = check.check_at_run_time(
            ok,
            f"Pooling with pool_size={self.pool_size}, strides={self.strides}, padding="
            f"{self.padding!r} places the windows asymmetrically, which breaks the rotation "
            f"equivariance ({rule} is needed); received (height, width) =",
            [shape[1], shape[2]], guard=[inputs],
        )
        return inputs

    def _symmetric(self, size: Any) -> Any:
        """`_pool_windows_are_symmetric` on a scalar size tensor."""
        pool, strides = self.pool_size, self.strides
        if self.padding == "valid":
            return ops.logical_and(size >= pool, ops.equal(ops.mod(size - pool, strides), 0))
        out = ops.floor_divide(size + strides - 1, strides)
        total = (out - 1) * strides + pool - size
        return ops.logical_and(total >= 0, ops.equal(ops.mod(total, 2), 0))

    def _pool(self, inputs: Any, pool_size: int, strides: int, padding: str) -> Any:
        """The pooling op on channels-last `(batch, height, width, channels)` maps."""
        raise NotImplementedError

    def call(self, inputs: Any) -> Any:
        inputs = self._check_at_run_time(inputs)
        shape = ops.shape(inputs)
        channels = int(inputs.shape[-1])
        flat = ops.reshape(inputs, (shape[0], shape[1], shape[2], ORIENTATIONS * channels))
        pooled = self._pool(flat, self.pool_size, self.strides, self.padding)
        out_shape = ops.shape(pooled)
        return ops.reshape(pooled, (out_shape[0], out_shape[1], out_shape[2], ORIENTATIONS,
                                     channels))

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        self._check_input_shape(input_shape)
        return sliding_output_shape(input_shape, self.pool_size, self.strides, self.padding,
                                    input_shape[4])

    def get_config(self) -> dict[str, Any]:
        return with_attributes(super().get_config(), self, "pool_size", "strides", "padding")
