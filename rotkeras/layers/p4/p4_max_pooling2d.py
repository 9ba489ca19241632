"""Max pooling over the spatial axes of p4 feature maps."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rotkeras.layers.p4._spatial_pooling import BaseP4Pooling2D


@keras.saving.register_keras_serializable(package="rotkeras")
class P4MaxPooling2D(BaseP4Pooling2D):
    """Max pooling over the spatial axes of p4 feature maps, keeping their equivariance.

    Pools every orientation and channel of `(batch, height, width, 4, channels)` maps
    like `keras.layers.MaxPooling2D` would, and keeps the p4 contract of
    `rotkeras.layers.P4Conv2D`: turning the input by 90 degrees turns the output and
    moves it one step along the rotation axis.

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
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch, height, width, 4, channels)`.

    Output shape:
        `(batch, new_height, new_width, 4, channels)`.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import P4MaxPooling2D
        >>> maps = np.random.rand(2, 8, 8, 4, 3).astype("float32")
        >>> tuple(P4MaxPooling2D(2)(maps).shape)
        (2, 4, 4, 4, 3)
    """

    def _pool(self, inputs: Any, pool_size: int, strides: int, padding: str) -> Any:
        return ops.max_pool(inputs, pool_size, strides=strides, padding=padding,
                            data_format="channels_last")
