"""Random thinning and thickening of pen strokes, for training on handwriting."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from rotkeras import _backend
from rotkeras import _validation as check
from rotkeras._backend import TFDataLayer
from rotkeras.layers._config import with_attributes


def _check_factor(factor: object) -> tuple[float, float]:
    if isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        low, high = -abs(float(factor)), abs(float(factor))
    elif (
        isinstance(factor, Sequence)
        and not isinstance(factor, (str, bytes))
        and len(factor) == 2
        and all(isinstance(f, numbers.Real) and not isinstance(f, bool) for f in factor)
    ):
        low, high = float(factor[0]), float(factor[1])
    else:
        raise ValueError(
            "`factor` must be a number f (for the range [-f, f]) or a (low, high) pair; "
            f"received factor={factor!r}"
        )
    if not (math.isfinite(low) and math.isfinite(high)) or not -1.0 <= low <= high <= 1.0:
        raise ValueError(
            "`factor` must lie in [-1, 1] with low <= high (-1: one pixel thinner, 1: one "
            f"pixel thicker); received factor={factor!r}"
        )
    return low, high


@keras.saving.register_keras_serializable(package="rotkeras")
class RandomStrokeWidth(TFDataLayer):
    """Makes the strokes of each image randomly thinner or thicker during training.

    Pens, cameras and preprocessing give strokes of very different widths, while the
    digits of MNIST are all written with about the same pen. This layer draws one
    amount `a` per image from `factor` and blends the image with its grey-level
    dilation (3x3 maximum; `a > 0`, thicker strokes) or erosion (3x3 minimum; `a < 0`,
    thinner strokes): `(1 - |a|) * image + |a| * morphed`. Values stay within the
    range of the input. Written with `keras.ops` only: it compiles with the train step
    (XLA/jit) on every backend.

    Inactive (the identity) when `training=False`, e.g. in `predict` and `evaluate`.

    Args:
        factor: Range of the amount: a number `f` for `[-f, f]`, or a `(low, high)`
            pair within `[-1, 1]`.
        ink: `"bright"` (default, MNIST: light strokes on a dark background) or
            `"dark"` (dark strokes on a light background).
        seed: Integer seed for reproducible draws.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)`
        (channels first with `data_format="channels_first"`), float.

    Output shape:
        Same as the input, in the layer's compute dtype (float32 unless a dtype policy
        says otherwise).

    Examples:
        >>> from keras.ops import convert_to_numpy as to_numpy
        >>> import numpy as np
        >>> from rotkeras.layers import RandomStrokeWidth
        >>> image = np.zeros((1, 9, 9, 1), "float32")
        >>> image[0, :, 4] = 1.0  # a one-pixel vertical stroke
        >>> thicker = RandomStrokeWidth(factor=(1.0, 1.0))(image)
        >>> to_numpy(thicker)[0, 4, 2:7, 0].tolist()
        [0.0, 1.0, 1.0, 1.0, 0.0]
        >>> bool(np.all(to_numpy(RandomStrokeWidth(0.5)(image, training=False)) == image))
        True
    """

    def __init__(
        self,
        factor: float | Sequence[float] = 0.5,
        ink: str = "bright",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.factor = _check_factor(factor)
        self.ink = check.check_choice(ink, "ink", ("bright", "dark"))
        self.seed = check.check_seed(seed)
        self.generator = keras.random.SeedGenerator(self.seed)
        self.data_format = check.check_data_format(data_format)
        self.supports_jit = True

    def call(self, inputs: Any, training: bool = True) -> Any:
        images = ops.convert_to_tensor(inputs)
        rank = check.check_image_tensor(images, "images")
        if not training:
            return inputs
        batched = images if rank == 4 else ops.expand_dims(images, 0)
        dtype = batched.dtype
        x = ops.cast(batched, self.compute_dtype)
        grow = ops.max_pool(x, 3, strides=1, padding="same", data_format=self.data_format)
        shrink = -ops.max_pool(-x, 3, strides=1, padding="same", data_format=self.data_format)
        if self.ink == "dark":
            grow, shrink = shrink, grow
        low, high = self.factor
        # One amount per sample; under tf.distribute each replica draws its own samples'.
        amount = _backend.draw_per_sample(
            lambda count: keras.random.uniform(
                (count, 1, 1, 1), low, high, dtype=self.compute_dtype, seed=self.generator
            ),
            ops.shape(x)[0],
        )
        weight = ops.abs(amount)
        morphed = ops.where(amount > 0, grow, shrink)
        out = (1.0 - weight) * x + weight * morphed
        out = ops.cast(out, dtype)
        return out if rank == 4 else ops.squeeze(out, 0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = with_attributes(super().get_config(), self, "ink", "seed", "data_format")
        config["factor"] = list(self.factor)
        return config
