"""Spatial pooling of p4 feature maps that keeps their rotation equivariance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras.layers.p4._core import ORIENTATIONS, check_channels_last, check_p4_shape


def _pool_windows_are_symmetric(size: int, pool: int, strides: int, padding: str) -> bool:
    """Whether pooling windows over an axis of `size` map onto themselves when it is reversed."""
    if padding == "valid":
        return size >= pool and (size - pool) % strides == 0
    out = -(-size // strides)
    # The padding the windows need; negative when they skip the last pixels (pool <
    # strides), which no padding makes symmetric.
    total = (out - 1) * strides + pool - size
    return total >= 0 and total % 2 == 0


@keras.saving.register_keras_serializable(package="rotkeras")
class P4Pooling2D(keras.layers.Layer):
    """Max or average pooling over the spatial axes of p4 feature maps.

    Pools every orientation and channel of `(batch, height, width, 4, channels)` maps
    like `keras.layers.MaxPooling2D` / `AveragePooling2D` would, and keeps the p4
    contract of `rotkeras.layers.P4Conv2D`: turning the input by 90 degrees turns the
    output and moves it one step along the rotation axis.

    That holds exactly only when the pooling windows are placed symmetrically: with
    `padding="valid"`, `(size - pool_size) % strides == 0` for the height and the
    width (for the default `strides == pool_size`: sizes divisible by `pool_size`,
    e.g. even sizes for 2x2 pooling); with `padding="same"`, the total padding
    `(ceil(size / strides) - 1) * strides + pool_size - size` must be even and not
    negative (windows smaller than the strides skip the last pixels). The layer raises
    when it is built or called on a size that breaks this; sizes known only at run time
    (inside a `tf.function` or `tf.data` graph) are checked when the graph runs.

    Args:
        pool_size: Size of the square pooling window (an integer).
        strides: Step between windows (an integer); defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        mode: `"max"` or `"average"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch, height, width, 4, channels)`.

    Output shape:
        `(batch, new_height, new_width, 4, channels)`.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import P4Pooling2D
        >>> maps = np.random.rand(2, 8, 8, 4, 3).astype("float32")
        >>> tuple(P4Pooling2D(2)(maps).shape)
        (2, 4, 4, 4, 3)
    """

    def __init__(
        self,
        pool_size: int = 2,
        strides: int | None = None,
        padding: str = "valid",
        mode: str = "max",
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
        self.mode = check.check_choice(mode, "mode", ("max", "average"))

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

    def call(self, inputs: Any) -> Any:
        inputs = self._check_at_run_time(inputs)
        shape = ops.shape(inputs)
        channels = int(inputs.shape[-1])
        flat = ops.reshape(inputs, (shape[0], shape[1], shape[2], ORIENTATIONS * channels))
        pool = ops.max_pool if self.mode == "max" else ops.average_pool
        pooled = pool(flat, self.pool_size, strides=self.strides, padding=self.padding,
                      data_format="channels_last")
        out_shape = ops.shape(pooled)
        return ops.reshape(pooled, (out_shape[0], out_shape[1], out_shape[2], ORIENTATIONS,
                                     channels))

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        self._check_input_shape(input_shape)

        def out(size: int | None) -> int | None:
            if size is None:
                return None
            if self.padding == "same":
                return -(-size // self.strides)
            return (size - self.pool_size) // self.strides + 1

        return (input_shape[0], out(input_shape[1]), out(input_shape[2]), ORIENTATIONS,
                input_shape[4])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "pool_size": self.pool_size,
                "strides": self.strides,
                "padding": self.padding,
                "mode": self.mode,
            }
        )
        return config
