"""Average pooling over the spatial axes of p4 feature maps."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rotkeras.layers.p4._spatial_pooling import BaseP4Pooling2D


@keras.saving.register_keras_serializable(package="rotkeras")
class P4AveragePooling2D(BaseP4Pooling2D):
    """Average pooling over the spatial axes of p4 feature maps, keeping their equivariance.

    Averages every orientation and channel of `(batch, height, width, 4, channels)` maps
    over windows like `keras.layers.AveragePooling2D` would; turning the input by 90
    degrees turns the output and moves it one step along the rotation axis. The windows
    must be placed symmetrically, by the rule of `rotkeras.layers.P4MaxPooling2D`
    (e.g. even sizes for 2x2 pooling); the layer raises on a size that breaks it.

    Args:
        pool_size: Side of the square window that is averaged (an integer).
        strides: Step between two windows (an integer); `None` means `pool_size`.
        padding: `"valid"` (windows inside the maps) or `"same"` (as in Keras).
        **kwargs: Base layer keyword arguments (`name`, `dtype`, ...).

    Input shape:
        p4 feature maps `(batch, height, width, 4, channels)`.

    Output shape:
        Pooled p4 maps `(batch, new_height, new_width, 4, channels)`.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import P4AveragePooling2D
        >>> maps = np.ones((1, 6, 6, 4, 2), "float32")
        >>> pooled = np.asarray(P4AveragePooling2D(3)(maps))
        >>> pooled.shape, float(pooled.max())
        ((1, 2, 2, 4, 2), 1.0)
    """

    def _pool(self, inputs: Any, pool_size: int, strides: int, padding: str) -> Any:
        return ops.average_pool(inputs, pool_size, strides=strides, padding=padding,
                                data_format="channels_last")
