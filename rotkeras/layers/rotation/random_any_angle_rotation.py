"""Per-sample rotation by any angle, for data augmentation (exact at right angles)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from rotkeras import _backend
from rotkeras import _validation as check
from rotkeras import ops as rotation_ops
from rotkeras.layers._config import with_attributes
from rotkeras.layers.rotation._base import BaseRandomImageRotation


def _check_factor(factor: object) -> tuple[float, float]:
    """`factor` as `(lower, upper)` fractions of a full turn (Keras' RandomRotation rule)."""
    if isinstance(factor, (str, bytes)) or not (
        isinstance(factor, Sequence) or check._is_real(factor)
    ):
        raise check.ArgumentTypeError(
            "`factor` must be a number or a pair (lower, upper) of numbers, fractions of a "
            f"full turn; received factor={factor!r} of type {type(factor).__name__}"
        )
    if isinstance(factor, Sequence):
        if len(factor) != 2:
            raise ValueError(
                "`factor` must be a number or a pair (lower, upper); received "
                f"factor={factor!r}"
            )
        lower = check.check_number(factor[0], "factor[0]")
        upper = check.check_number(factor[1], "factor[1]")
    else:
        upper = abs(check.check_number(factor, "factor"))
        lower = -upper
    if lower > upper:
        raise ValueError(
            f"`factor` must have lower <= upper; received factor={factor!r}"
        )
    return lower, upper


@keras.saving.register_keras_serializable(package="rotkeras")
class RandomAnyAngleRotation(BaseRandomImageRotation):
    """Rotates each image of a batch by a random angle during training.

    Every sample independently gets an angle drawn uniformly from
    `[lower * 360, upper * 360]` degrees, counter-clockwise. `factor` follows
    `keras.layers.RandomRotation`: fractions of a full turn (2 pi), a single number
    `f` meaning `(-f, f)`; `factor=0.125` draws from -45 to 45 degrees,
    `factor=0.5` from the whole circle. (The other rotkeras layers, such as
    `RandomRightAngleRotation(angles=...)`, take degrees; `factor` keeps Keras' meaning.)

    The rotation is `rotkeras.ops.rotate`: the nearest right angle exactly (pixels
    permuted, never interpolated), the residual of at most 45 degrees with bilinear
    (or nearest) interpolation. A sample whose angle is a multiple of 90 degrees is
    therefore exactly `np.rot90` of its image, whatever the rest of the batch draws.
    Pixels coming from outside the image follow Keras' `fill_mode` conventions
    (`"constant"` with `fill_value`, `"reflect"`, `"wrap"`, `"nearest"`); the default
    is `"constant"` with 0, MNIST's black background (`keras.layers.RandomRotation`
    defaults to `"reflect"`).

    Unlike `keras.layers.RandomRotation`, the layer compiles with the rest of the train
    step (XLA on TensorFlow, `jax.jit`, `torch.compile`): static shapes, no gathers
    of data-dependent size, no Python control flow on tensor values. It works inside
    a model on the TensorFlow, JAX and PyTorch backends and inside
    `tf.data.Dataset.map` under any backend (natively, with TensorFlow ops). Called on
    its own (eagerly or in `tf.data`), it resamples with Keras' fused
    `keras.ops.image.affine_transform` where that is one batched kernel (TensorFlow,
    JAX, and `tf.data` on any backend), exact at right angles too: cosine and sine are
    exactly 0 and +-1 there, so each pixel reads one input pixel with weight 1. It is
    the identity when `training=False` (`model.predict`, `model.evaluate`); called
    directly it augments.

    Besides an image tensor, the layer accepts a dict with `"images"` and optional
    `"labels"`, `"segmentation_masks"` and `"bounding_boxes"` (a dict with `"boxes"`
    and `"labels"`, in `bounding_box_format`), like Keras' image preprocessing layers:
    masks are rotated with their image (nearest-neighbour, so labels stay labels),
    boxes become the axis-aligned box around their turned corners, labels pass
    through unchanged.

    Args:
        factor: A number `f` (angles in `[-f, f]` turns) or a pair `(lower, upper)`,
            in fractions of a full turn: `0.25` is 90 degrees. Positive angles turn
            counter-clockwise.
        fill_mode: `"constant"`, `"reflect"`, `"wrap"` or `"nearest"`.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_value: Value of pixels from outside the image with `fill_mode="constant"`.
        seed: Integer seed for reproducible rotations.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        **kwargs: Base layer keyword arguments, such as `name`, `dtype` and
            `bounding_box_format` (the format of `bounding_boxes`, e.g. `"xyxy"`, needed
            only when boxes are passed; a turned box becomes the axis-aligned box around
            its corners).

    Input shape:
        3D (unbatched) `(height, width, channels)` or 4D `(batch, height, width,
        channels)` tensor (channels first with `data_format="channels_first"`), any
        numeric dtype (integer images are resampled in float32 and rounded). On
        non-square images the exact part is a half turn and the residual is up to 90
        degrees.

    Output shape:
        Same shape and dtype as the input.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import RandomAnyAngleRotation
        >>> layer = RandomAnyAngleRotation(factor=0.125, seed=0)  # -45 to 45 degrees
        >>> images = np.random.rand(8, 28, 28, 1).astype("float32")
        >>> tuple(layer(images).shape)
        (8, 28, 28, 1)
        >>> bool(np.all(layer(images, training=False) == images))
        True
        >>> exact = RandomAnyAngleRotation(factor=(0.25, 0.25))  # always 90 degrees
        >>> bool(np.all(np.asarray(exact(images)) == np.rot90(images, 1, axes=(1, 2))))
        True
    """

    def __init__(
        self,
        factor: float | Sequence[float] = 0.5,
        fill_mode: str = "constant",
        interpolation: str = "bilinear",
        fill_value: float = 0.0,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.lower, self.upper = _check_factor(factor)
        self.factor = factor if check._is_real(factor) else (self.lower, self.upper)
        self.fill_mode = check.check_choice(fill_mode, "fill_mode", rotation_ops.FILL_MODES)
        self.interpolation = check.check_choice(interpolation, "interpolation",
                                                rotation_ops.INTERPOLATIONS)
        self.fill_value = check.check_number(fill_value, "fill_value")

    def draw_transformation(self, batch_size: Any, seed: Any) -> dict[str, Any]:
        """Draws the angle of every sample."""
        xp = self.ops
        if self.lower == self.upper:
            angles = xp.zeros((batch_size,), "float32") + 360.0 * self.lower
        else:
            angles = xp.random.uniform((batch_size,), 360.0 * self.lower,
                                       360.0 * self.upper, dtype="float32", seed=seed)
        return {"angles": angles}

    def _rotate(self, images: Any, transformation: dict[str, Any], interpolation: str) -> Any:
        angles = transformation["angles"]
        if not transformation["batched"]:
            angles = angles[0]
        return rotation_ops.rotate_checked(images, angles, interpolation=interpolation,
                                           fill_mode=self.fill_mode, fill_value=self.fill_value,
                                           data_format=self.data_format, xp=self.ops,
                                           fused=self.fused_affine_transform())

    # Keras' affine transform (TensorFlow's ImageProjectiveTransformV3) has no XLA kernel.
    xla_in_compiled_calls = False

    def fused_affine_transform(self) -> bool:
        """Keras' fused affine transform for the residual rotation: in calls of the layer on
        its own (eagerly or in `tf.data`) where that kernel is batched; inside a model the
        gather of `rotkeras.ops.rotate`, which compiles with XLA on every backend."""
        return self.called_alone() and _backend.affine_transform_is_batched(self.ops)

    def transform_images(
        self, images: Any, transformation: dict[str, Any], training: bool = True
    ) -> Any:
        return self._rotate(images, transformation, self.interpolation)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: dict[str, Any], training: bool = True
    ) -> Any:
        """Rotates masks with nearest-neighbour sampling (class indices stay indices)."""
        return self._rotate(segmentation_masks, transformation, "nearest")

    def get_config(self) -> dict[str, Any]:
        config = with_attributes(super().get_config(), self, "fill_mode", "interpolation",
                                 "fill_value")
        config["factor"] = self.factor if check._is_real(self.factor) else list(self.factor)
        return config
