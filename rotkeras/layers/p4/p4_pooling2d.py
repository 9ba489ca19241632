"""The former spatial pooling layer of p4 feature maps, kept for saved models."""

from __future__ import annotations

import warnings
from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras.layers.p4._spatial_pooling import BaseP4Pooling2D

#: What each `mode` of `P4Pooling2D` is now.
REPLACEMENTS = {"max": "P4MaxPooling2D", "average": "P4AveragePooling2D"}


@keras.saving.register_keras_serializable(package="rotkeras")
class P4Pooling2D(BaseP4Pooling2D):
    """Deprecated: use `P4MaxPooling2D` (`mode="max"`) or `P4AveragePooling2D`.

    Max or average pooling over the spatial axes of p4 feature maps, exactly like the
    layer its `mode` names. Kept so that models saved with it still load and run;
    creating one warns with a `DeprecationWarning`.

    Args:
        pool_size: Size of the square pooling window (an integer).
        strides: Step between windows (an integer); defaults to `pool_size`.
        padding: `"valid"` or `"same"`.
        mode: `"max"` or `"average"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Examples:
        >>> import warnings
        >>> import numpy as np
        >>> from rotkeras.layers import P4Pooling2D
        >>> maps = np.random.rand(2, 8, 8, 4, 3).astype("float32")
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", DeprecationWarning)
        ...     layer = P4Pooling2D(2, mode="max")  # P4MaxPooling2D(2) today
        >>> tuple(layer(maps).shape)
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
        super().__init__(pool_size=pool_size, strides=strides, padding=padding, **kwargs)
        self.mode = check.check_choice(mode, "mode", tuple(REPLACEMENTS))
        warnings.warn(
            f"P4Pooling2D is deprecated; use {REPLACEMENTS[self.mode]} (the same pooling as "
            f"P4Pooling2D(mode={self.mode!r}))",
            DeprecationWarning,
            stacklevel=2,
        )

    def _pool(self, inputs: Any, pool_size: int, strides: int, padding: str) -> Any:
        pool = ops.max_pool if self.mode == "max" else ops.average_pool
        return pool(inputs, pool_size, strides=strides, padding=padding,
                    data_format="channels_last")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["mode"] = self.mode
        return config
