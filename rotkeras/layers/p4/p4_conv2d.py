"""Rotation-equivariant 2D convolution on the group p4 (translations and quarter turns)."""

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


def _square_kernel_size(value: object) -> int:
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        sizes = list(value)
        if len(sizes) != 2 or sizes[0] != sizes[1]:
            raise ValueError(
                "`kernel_size` must be an integer or a square (k, k) pair: a p4 filter is "
                f"turned by 90 degrees; received kernel_size={value!r}"
            )
        value = sizes[0]
    return check.check_positive_int(value, "kernel_size")



@keras.saving.register_keras_serializable(package="rotkeras")
class P4Conv2D(keras.layers.Layer):
    """2D convolution that turns its output with its input: a p4 group convolution.

    Every filter is applied in its four right-angle orientations, so that turning the
    input by 90 degrees turns every output map by 90 degrees and moves it one step along
    the rotation axis (Cohen & Welling, "Group Equivariant Convolutional Networks",
    2016). Stacking these layers gives features that carry the orientation of the input
    exactly, without learning it from rotated copies.

    p4 feature maps are 5D, `(batch, height, width, 4, channels)`: index `r` of axis 3
    holds the response of the filters turned by `r` quarter turns counter-clockwise.

    - `lifting=True` maps an image `(batch, height, width, channels)` to p4 maps.
    - `lifting=False` (default) maps p4 maps to p4 maps; each filter spans all four
      orientations of its input.

    The contract, exact up to float rounding: if `y = layer(x)` then
    `layer(rot90(x)) == roll(rot90(y), shift=1, axis=3)`, where `rot90` turns the
    spatial axes counter-clockwise like `np.rot90(x, axes=(1, 2))`.

    Exactness needs a rotation-symmetric sampling grid: `padding="valid"` works for any
    kernel size and image size; `padding="same"` needs an odd kernel size (an even one
    pads one side more than the other, and the layer raises); with `strides > 1` the
    windows must tile the input symmetrically, `(size - kernel_size) % strides == 0`
    for valid padding (checked when the layer is built or called on a known size, and
    when a graph runs for sizes known only then), and `"same"`
    padding is refused.

    The kernel holds `kernel_size**2 * in_channels * filters` values for a lifting
    layer and `kernel_size**2 * 4 * in_channels * filters` for a group layer; at run
    time it is expanded into an ordinary convolution with `4 * filters` outputs, so a
    p4 layer costs about as much as a `Conv2D` with four times the channels.

    Args:
        filters: Number of output channels per orientation.
        kernel_size: Size of the square filters (an integer or a `(k, k)` pair).
        lifting: Whether the input is an image (rank 4) instead of p4 maps (rank 5).
        strides: Stride of the convolution (an integer).
        padding: `"valid"` or `"same"`.
        dilation_rate: Dilation of the filters (an integer).
        activation: Activation applied to the output (any Keras activation).
        use_bias: Whether to add one bias per output channel (shared by the four
            orientations, which keeps the layer equivariant).
        kernel_initializer: Initializer of the kernel.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Optional regularizer of the kernel.
        bias_regularizer: Optional regularizer of the bias.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch, height, width, channels)` with `lifting=True`, else
        `(batch, height, width, 4, channels)`. Channels last: the p4 layers raise
        `ValueError` when `keras.config.image_data_format()` is `"channels_first"`.

    Output shape:
        `(batch, new_height, new_width, 4, filters)`.

    Examples:
        >>> from keras.ops import convert_to_numpy as to_numpy
        >>> import numpy as np
        >>> from rotkeras.layers import P4Conv2D
        >>> lift = P4Conv2D(8, 3, lifting=True)
        >>> group = P4Conv2D(8, 3)
        >>> x = np.random.rand(2, 9, 9, 1).astype("float32")
        >>> y = group(lift(x))
        >>> tuple(y.shape)
        (2, 5, 5, 4, 8)
        >>> y_turned = group(lift(np.rot90(x, axes=(1, 2)).copy()))
        >>> expected = np.roll(np.rot90(to_numpy(y), axes=(1, 2)), 1, axis=3)
        >>> bool(np.allclose(to_numpy(y_turned), expected, atol=1e-5))
        True
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | Sequence[int],
        lifting: bool = False,
        strides: int = 1,
        padding: str = "valid",
        dilation_rate: int = 1,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        check_channels_last(type(self).__name__)
        self.filters = check.check_positive_int(filters, "filters")
        self.kernel_size = _square_kernel_size(kernel_size)
        self.lifting = check.check_bool(lifting, "lifting")
        self.strides = check.check_positive_int(strides, "strides")
        self.dilation_rate = check.check_positive_int(dilation_rate, "dilation_rate")
        if self.strides > 1 and self.dilation_rate > 1:
            raise ValueError(
                "`strides` > 1 and `dilation_rate` > 1 cannot be combined; received "
                f"strides={strides!r}, dilation_rate={dilation_rate!r}"
            )
        padding = padding.lower() if isinstance(padding, str) else padding
        self.padding = check.check_choice(padding, "padding", ("valid", "same"))
        span = self._span()
        if padding == "same" and span % 2 == 0:
            raise ValueError(
                "`padding='same'` with an even kernel pads one side more than the other, "
                "which breaks the rotation equivariance; use an odd `kernel_size` or "
                f"`padding='valid'`; received kernel_size={kernel_size!r}"
                + (f", dilation_rate={dilation_rate!r}" if self.dilation_rate > 1 else "")
            )
        if padding == "same" and self.strides > 1:
            raise ValueError(
                "`padding='same'` with `strides` > 1 samples a grid that is not symmetric "
                "under rotation; use `padding='valid'` with "
                "(size - kernel_size) % strides == 0, or a P4MaxPooling2D layer; received "
                f"strides={strides!r}"
            )
        self.activation = keras.activations.get(activation)
        self.use_bias = check.check_bool(use_bias, "use_bias")
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)

    def _span(self) -> int:
        return self.dilation_rate * (self.kernel_size - 1) + 1

    def _check_input_shape(self, input_shape: Sequence[int | None]) -> int:
        layer = f"{type(self).__name__} with lifting={self.lifting}"
        if self.lifting:
            if len(input_shape) != 4:
                hint = " (use lifting=False on p4 feature maps)" if len(input_shape) == 5 else ""
                raise ValueError(
                    f"{layer} expects an image tensor (batch, height, width, channels); "
                    f"received input of shape {tuple(input_shape)}{hint}"
                )
            if input_shape[-1] is None:
                raise ValueError(f"{layer} needs the channel axis (last) of its input known; "
                                 f"received input of shape {tuple(input_shape)}")
            channels = int(input_shape[-1])
        else:
            hint = " (use lifting=True on images)" if len(input_shape) == 4 else ""
            channels = check_p4_shape(input_shape, layer, hint=hint)
        for axis in (1, 2):
            size = input_shape[axis]
            if size is None:
                continue
            if self.padding == "valid" and size < self._span():
                raise ValueError(f"{self._too_small()}; received input of shape "
                                 f"{tuple(input_shape)}")
            if self.strides > 1 and (size - self._span()) % self.strides:
                raise ValueError(f"{self._asymmetric()}; received input of shape "
                                 f"{tuple(input_shape)}, kernel_size={self.kernel_size}, "
                                 f"strides={self.strides}")
        return channels

    def _too_small(self) -> str:
        return (f"Input height and width must be at least the kernel span {self._span()} "
                "for padding='valid'")

    def _asymmetric(self) -> str:
        return ("With strides > 1 the windows must tile the input symmetrically so that "
                "turning the input turns the output: (size - kernel_size) % strides == 0")

    def _check_call_input(self, x: Any) -> Any:
        """The static checks of `build` on every call, and at run time for unknown sizes.

        A model built on `(None, None, C)` inputs learns the height and width only when
        it runs (inside a `tf.function` or a `tf.data` graph): the same sizes are refused
        there, with the same message, as when they are known. Returns `x`, guarded.
        """
        dtype = keras.backend.standardize_dtype(x.dtype)
        if not dtype.startswith(("float", "bfloat")):
            raise check.ArgumentTypeError(
                f"{type(self).__name__} needs floating-point input; received dtype {dtype!r} "
                "(scale images to floats first, e.g. x / 255 or keras.layers.Rescaling)"
            )
        self._check_input_shape(x.shape)
        expected = int(self.kernel.shape[2 if self.lifting else 3])
        if x.shape[-1] != expected:
            raise ValueError(
                f"{type(self).__name__} was built for {expected} input channels; received "
                f"input of shape {tuple(x.shape)}"
            )
        if None not in tuple(x.shape[1:3]) or isinstance(x, keras.KerasTensor):
            return x
        shape = ops.shape(x)
        sizes = [shape[1], shape[2]]
        span, strides = self._span(), self.strides
        rules = []
        if self.padding == "valid":
            rules.append((ops.logical_and(sizes[0] >= span, sizes[1] >= span),
                          self._too_small()))
        if strides > 1:
            rules.append((ops.logical_and(ops.equal(ops.mod(sizes[0] - span, strides), 0),
                                          ops.equal(ops.mod(sizes[1] - span, strides), 0)),
                          f"{self._asymmetric()}, kernel_size={self.kernel_size}, "
                          f"strides={strides}"))
        for condition, message in rules:
            (x,) = check.check_at_run_time(condition, f"{message}; received (height, width) =",
                                           sizes, guard=[x])
        return x

    def build(self, input_shape: Sequence[int | None]) -> None:
        channels = self._check_input_shape(input_shape)
        k = self.kernel_size
        if self.lifting:
            shape: tuple[int, ...] = (k, k, channels, self.filters)
        else:
            shape = (k, k, ORIENTATIONS, channels, self.filters)
        self.kernel = self.add_weight(
            name="kernel",
            shape=shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )
        else:
            self.bias = None

    def expanded_kernel(self) -> Any:
        """The kernel expanded into an ordinary convolution kernel.

        Returns:
            A tensor `(k, k, in_channels, 4 * filters)` for a lifting layer or
            `(k, k, 4 * in_channels, 4 * filters)` for a group layer, whose output channel
            `r * filters + c` is filter `c` turned by `r` quarter turns.
        """
        kernel = ops.cast(ops.convert_to_tensor(self.kernel), self.compute_dtype)
        turned = []
        for r in range(ORIENTATIONS):
            rotated = ops.rot90(kernel, k=r, axes=(0, 1)) if r else kernel
            if not self.lifting and r:
                # Turning a filter over p4 maps also moves it along the rotation axis.
                rotated = ops.roll(rotated, shift=r, axis=2)
            turned.append(rotated)
        stacked = ops.stack(turned, axis=-2)  # (k, k, [4,] in, 4, filters)
        k = self.kernel_size
        in_size = int(kernel.shape[2]) if self.lifting else ORIENTATIONS * int(kernel.shape[3])
        return ops.reshape(stacked, (k, k, in_size, ORIENTATIONS * self.filters))

    def call(self, inputs: Any) -> Any:
        x = self._check_call_input(inputs)
        if x.shape[0] == 0:
            # An empty batch in, an empty batch out (Keras' TensorFlow convolution returns
            # an empty batch of the input's height and width instead).
            return ops.zeros(self.compute_output_shape(tuple(x.shape)), self.compute_dtype)
        if not self.lifting:
            shape = ops.shape(x)
            x = ops.reshape(x, (shape[0], shape[1], shape[2], ORIENTATIONS * int(x.shape[-1])))
        y = ops.conv(
            x,
            self.expanded_kernel(),
            strides=self.strides,
            padding=self.padding,
            data_format="channels_last",
            dilation_rate=self.dilation_rate,
        )
        shape = ops.shape(y)
        y = ops.reshape(y, (shape[0], shape[1], shape[2], ORIENTATIONS, self.filters))
        if self.bias is not None:
            y = y + self.bias
        if self.activation is not None:
            y = self.activation(y)
        return y

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        self._check_input_shape(input_shape)
        # `padding="same"` comes with `strides=1` here (checked in `__init__`).
        return sliding_output_shape(input_shape, self._span(), self.strides, self.padding,
                                    self.filters)

    def get_config(self) -> dict[str, Any]:
        config = with_attributes(super().get_config(), self, "filters", "kernel_size", "lifting",
                                 "strides", "padding", "dilation_rate", "use_bias")
        config.update(
            {
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": keras.regularizers.serialize(self.bias_regularizer),
            }
        )
        return config
