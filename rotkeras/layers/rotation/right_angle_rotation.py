"""Deterministic rotation by a fixed right angle."""

from __future__ import annotations

import warnings
from typing import Any

import keras

from rotkeras import _validation as check
from rotkeras import ops as rotation_ops
from rotkeras.layers.rotation._base import BaseImageRotation


@keras.saving.register_keras_serializable(package="rotkeras")
class RightAngleRotation(BaseImageRotation):
    """Rotates every image by the same multiple of 90 degrees, in training and inference.

    The deterministic companion of `RandomRightAngleRotation`, and like it given in
    degrees: for test-time rotation (building rotated test sets inside a model or a
    `tf.data` pipeline) and for turning images back (`RightAngleRotation(angle=-a)` undoes
    `RightAngleRotation(angle=a)`). Exact: equal to `np.rot90(image, angle // 90)` on the
    height and width axes.

    `k` (quarter turns), the former second spelling of the same argument, still works and
    warns with a `DeprecationWarning`; models saved with it load as before.

    Args:
        angle: Rotation in degrees counter-clockwise, a multiple of 90 (e.g. 90, -90, 180).
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        bounding_box_format: Format of `bounding_boxes` in dict inputs (e.g. `"xyxy"`).
        k: Deprecated: the rotation in quarter turns (`angle=90 * k`).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)` tensor
        (channels first with `data_format="channels_first"`), or a dict with `"images"`
        and optional `"labels"`, `"segmentation_masks"`, `"bounding_boxes"`. Height and
        width must be equal unless the rotation is 0 or 180 degrees.

    Output shape:
        Same shape and dtype as the input.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import RightAngleRotation
        >>> x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
        >>> y = RightAngleRotation(angle=90)(x)
        >>> bool(np.all(np.asarray(y) == np.rot90(x, 1, axes=(1, 2))))
        True
    """

    def __init__(
        self,
        angle: int | None = None,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        k: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, bounding_box_format=bounding_box_format,
                         **kwargs)
        if k is not None:
            warnings.warn(
                f"RightAngleRotation(k=...) is deprecated; use angle=90 * k degrees (received "
                f"k={k!r})", DeprecationWarning, stacklevel=2,
            )
        if (k is None) == (angle is None):
            raise ValueError(
                f"Pass `angle` (degrees, a multiple of 90); received angle={angle!r}"
                + (f" and the deprecated k={k!r}" if k is not None else "")
            )
        if k is not None:
            self.quarter_turns = check.check_int(k, "k") % 4
        else:
            self.quarter_turns = check.right_angle_to_k(angle, "angle")
        self.requires_square = self.quarter_turns % 2 == 1

    @property
    def angle(self) -> int:
        """The rotation in degrees counter-clockwise, in `0..270`."""
        return 90 * self.quarter_turns

    @property
    def k(self) -> int:
        """Deprecated: the rotation in quarter turns (`quarter_turns`)."""
        warnings.warn("RightAngleRotation.k is deprecated; use quarter_turns (or angle)",
                      DeprecationWarning, stacklevel=2)
        return self.quarter_turns

    def get_random_transformation(
        self, data: dict[str, Any], training: bool = True, seed: Any = None
    ) -> dict[str, Any]:
        """The same quarter turns for every sample, in training and inference."""
        xp = self.ops
        k = xp.full((self.batch_size(data["images"]),), self.quarter_turns, dtype="int32")
        return {"k": k, "angles": 90.0 * xp.cast(k, "float32")}

    def transform_images(
        self, images: Any, transformation: dict[str, Any], training: bool = True
    ) -> Any:
        return rotation_ops.rotate_quarter_turns_checked(images, self.quarter_turns,
                                                         self.data_format, xp=self.ops)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"angle": self.angle})
        return config
