"""Deterministic rotation by a fixed right angle."""

from __future__ import annotations

from typing import Any

import keras

from rotkeras import _validation as check
from rotkeras import ops as rotation_ops
from rotkeras.layers.rotation._base import BaseImageRotation


@keras.saving.register_keras_serializable(package="rotkeras")
class RightAngleRotation(BaseImageRotation):
    """Rotates every image by the same multiple of 90 degrees, in training and inference.

    The deterministic companion of `RandomRightAngleRotation`: for test-time rotation
    (building rotated test sets inside a model or a `tf.data` pipeline) and for turning
    images back (`RightAngleRotation(k=-k)` undoes `RightAngleRotation(k=k)`). Exact:
    equal to `np.rot90(image, k)` on the height and width axes.

    Give either `k` (quarter turns counter-clockwise, any integer) or `angle` (degrees,
    a multiple of 90), not both.

    Args:
        k: Number of quarter turns counter-clockwise.
        angle: Rotation in degrees counter-clockwise, a multiple of 90.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        bounding_box_format: Format of `bounding_boxes` in dict inputs (e.g. `"xyxy"`).
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
        k: int | None = None,
        angle: int | None = None,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, bounding_box_format=bounding_box_format,
                         **kwargs)
        if (k is None) == (angle is None):
            raise ValueError(
                f"Pass exactly one of `k` and `angle`; received k={k!r}, angle={angle!r}"
            )
        if k is not None:
            self.k = check.check_int(k, "k") % 4
        else:
            self.k = check.right_angle_to_k(angle, "angle")
        self.requires_square = self.k % 2 == 1

    @property
    def angle(self) -> int:
        """The rotation in degrees counter-clockwise, in `0..270`."""
        return 90 * self.k

    def get_random_transformation(
        self, data: dict[str, Any], training: bool = True, seed: Any = None
    ) -> dict[str, Any]:
        """The same quarter turns for every sample, in training and inference."""
        xp = self.ops
        k = xp.full((self.batch_size(data["images"]),), self.k, dtype="int32")
        return {"k": k, "angles": 90.0 * xp.cast(k, "float32")}

    def transform_images(
        self, images: Any, transformation: dict[str, Any], training: bool = True
    ) -> Any:
        return rotation_ops.rotate_quarter_turns_checked(images, self.k, self.data_format,
                                                         xp=self.ops)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"k": self.k})
        return config
