"""Batch normalization for p4 feature maps, with statistics shared by the four orientations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from rotkeras import _backend
from rotkeras import _validation as check
from rotkeras.layers.p4._core import check_channels_last, check_p4_shape


@keras.saving.register_keras_serializable(package="rotkeras")
class P4BatchNormalization(keras.layers.BatchNormalization):
    """Batch normalization of p4 feature maps that keeps them rotation-equivariant.

    p4 feature maps `(batch, height, width, 4, channels)` (the output of
    `rotkeras.layers.P4Conv2D`) hold each channel in four orientations. Normalizing
    each orientation separately would treat a turned input differently from an upright
    one; this layer computes one mean and variance per channel over the batch, the
    spatial axes *and* the rotation axis, and applies one scale and offset per channel,
    so that turning the input still only turns and shifts the output.

    It is `keras.layers.BatchNormalization` over the last axis of a rank-5 input, with
    the same arguments apart from `axis`: moving statistics for inference, `momentum`,
    `epsilon`, `center`, `scale`, initializers, regularizers and constraints, and
    mixed precision (statistics in float32).

    Args:
        momentum: Momentum of the moving mean and variance.
        epsilon: Small float added to the variance.
        center: Whether to add a learned offset (beta).
        scale: Whether to multiply by a learned scale (gamma).
        synchronized: Whether, when training on several devices under `tf.distribute`,
            the statistics are those of the global batch (summed over the replicas),
            like one device with the same batch computes them. `False`: each replica
            normalizes with the statistics of its own share. On one device, and under
            `keras.distribution` on JAX (one program over the global batch, so global
            statistics anyway), it changes nothing. Unlike Keras' own argument, it is
            accepted on every backend, so a saved model loads on any of them.
        **kwargs: Further `keras.layers.BatchNormalization` arguments (initializers,
            regularizers, constraints) and base layer arguments such as `name` and
            `dtype`.

    Input shape:
        `(batch, height, width, 4, channels)`.

    Output shape:
        Same as the input.

    Examples:
        >>> from keras.ops import convert_to_numpy as to_numpy
        >>> import numpy as np
        >>> from rotkeras.layers import P4BatchNormalization
        >>> maps = np.random.rand(8, 6, 6, 4, 16).astype("float32")
        >>> normed = P4BatchNormalization()(maps, training=True)
        >>> tuple(normed.shape)
        (8, 6, 6, 4, 16)
        >>> bool(abs(float(to_numpy(normed)[..., 0].mean())) < 1e-4)
        True
    """

    def __init__(
        self,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        synchronized: bool = True,
        **kwargs: Any,
    ) -> None:
        if "axis" in kwargs:
            raise TypeError(
                "P4BatchNormalization normalizes over every axis but the channels; it takes "
                f"no `axis` argument; received axis={kwargs['axis']!r}"
            )
        # A NaN momentum or a non-positive epsilon would make every output NaN.
        momentum = check.check_number(momentum, "momentum", low=0.0, high=1.0)
        epsilon = check.check_number(epsilon, "epsilon", low=0.0)
        if epsilon == 0.0:
            raise ValueError("`epsilon` must be a finite number above 0 (it keeps the division "
                             "by the standard deviation finite); received epsilon=0.0")
        check.check_bool(center, "center")
        check.check_bool(scale, "scale")
        check_channels_last(type(self).__name__)
        super().__init__(axis=-1, momentum=momentum, epsilon=epsilon, center=center,
                         scale=scale, **kwargs)
        self.global_statistics = check.check_bool(synchronized, "synchronized")

    def build(self, input_shape: Sequence[int | None]) -> None:
        check_p4_shape(input_shape, type(self).__name__)
        super().build(input_shape)
        self.input_spec = keras.InputSpec(ndim=5, axes={-1: input_shape[-1]})

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        # Keras' `synchronized` (TensorFlow only) sums the statistics over the replicas;
        # it is switched on only while a `tf.distribute` replica with others runs the
        # call, so one device keeps Keras' ordinary statistics, on every backend.
        self.synchronized = (
            self.global_statistics and _backend.replica_position() is not None
        )
        return super().call(inputs, training=training, mask=mask)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("axis", None)
        config["synchronized"] = self.global_statistics
        return config
