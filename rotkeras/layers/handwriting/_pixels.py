"""Pixels in: finite values, grayscale, the unit range (internal; see `_pipeline`).

Images are `(batch, height, width, channels)` here and `(batch, height, width)` float32
grayscale once converted; coordinates are pixel indices.
"""

from __future__ import annotations

from typing import Any

from keras import ops

EPSILON = 1e-6

# ITU-R BT.601 luma weights, as OpenCV's RGB2GRAY; OpenCV's fixed-point version (`>> 15`)
# for 8-bit images (bit-exact with `cv2.cvtColor` of OpenCV 4.x/5.x).
LUMA = (0.299, 0.587, 0.114)
_LUMA_FIXED = (9798, 19235, 3735)


def finite_pixels(images: Any) -> Any:
    """`(B, H, W, C)` float pixels made finite and in `[0, 255]`; other dtypes unchanged.

    A non-finite value (NaN, +-inf) is a missing pixel: it takes the mean of the finite
    pixels of its sample and channel (0 when there are none), so one bad pixel does not
    spread through the sums of the pipeline and an image without a finite pixel becomes
    uniform (blank). Finite values are clipped to `[0, 255]`, the widest range a photo
    can be in (this changes nothing for `[0, 1]` or `[0, 255]` images) and one in which
    the pipeline's sums cannot overflow.
    """
    if "float" not in str(images.dtype):
        return images
    x = ops.cast(images, "float32")
    finite = ops.isfinite(x)
    clipped = ops.clip(ops.where(finite, x, ops.zeros_like(x)), 0.0, 255.0)
    weight = ops.cast(finite, "float32")
    count = ops.sum(weight, axis=(1, 2), keepdims=True)
    mean = ops.sum(clipped * weight, axis=(1, 2), keepdims=True) / ops.maximum(count, 1.0)
    return ops.where(finite, clipped, mean + ops.zeros_like(x))


def to_gray(images: Any, channels: int, *, cv2_rounding: bool) -> Any:
    """`(B, H, W, C)` uint8/float -> `(B, H, W)` float32 grayscale in the input's units.

    With `cv2_rounding` and an integer input, reproduces OpenCV's fixed-point
    `cvtColor(RGB2GRAY)` exactly (`(9798 R + 19235 G + 3735 B + 16384) >> 15`).
    """
    dtype = str(images.dtype)
    is_int = "int" in dtype
    if channels == 1:
        return ops.cast(images[..., 0], "float32")
    if is_int and cv2_rounding:
        x = ops.cast(images[..., :3], "int32")
        total = (
            x[..., 0] * _LUMA_FIXED[0] + x[..., 1] * _LUMA_FIXED[1] + x[..., 2] * _LUMA_FIXED[2]
        )
        return ops.cast(ops.floor_divide(total + 16384, 32768), "float32")
    x = ops.cast(images[..., :3], "float32")
    return x[..., 0] * LUMA[0] + x[..., 1] * LUMA[1] + x[..., 2] * LUMA[2]


def to_unit_range(gray: Any, is_int: bool) -> Any:
    """Integer images are divided by 255; float images whose sample max exceeds 1.5 too."""
    if is_int:
        return gray / 255.0
    peak = ops.max(gray, axis=(1, 2), keepdims=True)
    return ops.where(peak > 1.5, gray / 255.0, gray)

