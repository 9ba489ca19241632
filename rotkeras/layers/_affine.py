"""Interpolated rotations by arbitrary angles (internal).

Convention shared by every rotkeras rotation: a positive angle turns the image
counter-clockwise (as displayed, row 0 on top) around its centre
`((height - 1) / 2, (width - 1) / 2)`, so a rotation by `90 * k` degrees samples
exactly the pixels of `np.rot90(image, k)` (for square images). Points that fall
outside the input are filled with a constant.
"""

from __future__ import annotations

import math
from typing import Any

from keras import ops


def rotation_transforms(angles_deg: Any, height: Any, width: Any, xp: Any = ops) -> Any:
    """Projective transforms `(batch, 8)` rotating by `angles_deg` counter-clockwise.

    The rows follow `keras.ops.image.affine_transform` (and TensorFlow's
    `ImageProjectiveTransformV3`): they map an output pixel `(x, y)` (column, row)
    to the input point it samples.

    Args:
        angles_deg: float tensor `(batch,)` of angles in degrees.
        height: Image height (int or scalar tensor).
        width: Image width (int or scalar tensor).
        xp: Namespace with `cos`, `sin`, `stack`, `zeros_like`, `cast` (`keras.ops`
            or `tensorflow`).
    """
    theta = xp.cast(angles_deg, "float32") * (math.pi / 180.0)
    cos, sin = xp.cos(theta), xp.sin(theta)
    cy = (xp.cast(height, "float32") - 1.0) / 2.0
    cx = (xp.cast(width, "float32") - 1.0) / 2.0
    zero = xp.zeros_like(theta)
    return xp.stack(
        [
            cos,
            -sin,
            cx - cos * cx + sin * cy,
            sin,
            cos,
            cy - sin * cx - cos * cy,
            zero,
            zero,
        ],
        axis=-1,
    )


def split_angle(angle: float) -> tuple[int, float]:
    """Splits `angle` degrees into quarter turns `k` (0..3) and a residual in `[-45, 45]`."""
    quarters = round(angle / 90.0)
    return quarters % 4, float(angle - 90.0 * quarters)


def rotate_interpolated(images: Any, angles_deg: Any, data_format: str, fill: float = 0.0) -> Any:
    """Rotates a rank-4 float batch by per-sample angles with bilinear interpolation."""
    h_axis = 1 if data_format == "channels_last" else 2
    shape = ops.shape(images)
    transforms = rotation_transforms(
        ops.cast(angles_deg, "float32"), shape[h_axis], shape[h_axis + 1]
    )
    return ops.image.affine_transform(
        images,
        transforms,
        interpolation="bilinear",
        fill_mode="constant",
        fill_value=fill,
        data_format=data_format,
    )
