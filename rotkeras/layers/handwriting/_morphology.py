"""Morphology, blurs and robust statistics of `(batch, height, width)` images in `[0, 1]`
(internal; see `_pipeline`)."""

from __future__ import annotations

from typing import Any

from keras import ops

from rotkeras._backend import largest_values
from rotkeras.layers.handwriting._pixels import EPSILON


def _pool(x: Any, size: tuple[int, int]) -> Any:
    return ops.max_pool(
        x[..., None], size, strides=(1, 1), padding="same", data_format="channels_last"
    )[..., 0]


def dilate(x: Any, size: tuple[int, int]) -> Any:
    """Grey dilation (moving max) of `(B, H, W)` values in `[0, 1]` with a rectangle."""
    if size[0] > 1:
        x = _pool(x, (size[0], 1))
    if size[1] > 1:
        x = _pool(x, (1, size[1]))
    return x


def erode(x: Any, size: tuple[int, int]) -> Any:
    """Grey erosion (moving min) of values in `[0, 1]` (the padding acts as `1`)."""
    return 1.0 - dilate(1.0 - x, size)


def opening(x: Any, size: tuple[int, int]) -> Any:
    """Removes bright structures smaller than `size` (erosion then dilation)."""
    return dilate(erode(x, size), size)


def box_blur(x: Any, size: int) -> Any:
    """Moving average of `(B, H, W)` with a `size x size` window (separable)."""
    if size <= 1:
        return x
    out = x[..., None]
    for window in ((size, 1), (1, size)):
        out = ops.average_pool(
            out, window, strides=(1, 1), padding="same", data_format="channels_last"
        )
    return out[..., 0]


def odd(value: float, minimum: int = 1) -> int:
    """The odd integer nearest to `value`, at least `minimum`."""
    n = max(int(round(value)), minimum)
    return n if n % 2 else n + 1


def safe_box_blur(x: Any, size: int) -> Any:
    """Box blur normalised by the window's in-image area (no darkening at the borders)."""
    ones = ops.ones_like(x[:1])
    return box_blur(x, size) / ops.maximum(box_blur(ones, size), EPSILON)



def border_sides(x: Any, width: int) -> list[Any]:
    """The outermost `width` rows and columns of `(B, H, W)`: four `(B, N)` sides."""
    height, wide = int(x.shape[1]), int(x.shape[2])
    rows = [x[:, :width, :], x[:, -width:, :]]
    cols = [x[:, width:-width, :width], x[:, width:-width, -width:]]
    flat = [ops.reshape(part, (-1, width * wide)) for part in rows]
    flat += [ops.reshape(part, (-1, (height - 2 * width) * width)) for part in cols]
    return flat



def top_mean(x: Any, fraction: float, minimum: int = 4) -> Any:
    """Per-sample mean of the largest `fraction` of the values of `(B, H, W)` -> `(B,)`."""
    n = int(x.shape[1]) * int(x.shape[2])
    k = int(min(n, max(minimum, round(fraction * n))))
    flat = ops.reshape(x, (-1, n))
    return ops.mean(largest_values(flat, k), axis=1)


def mass_quantile_bounds(profile: Any, low: float, high: float) -> tuple[Any, Any]:
    """Indices where the cumulative mass of `(B, N)` profiles crosses `low` and `high`."""
    total = ops.sum(profile, axis=1, keepdims=True)
    cdf = ops.cumsum(profile, axis=1) / ops.maximum(total, EPSILON)
    lo = ops.sum(ops.cast(cdf < low, "float32"), axis=1)
    hi = ops.sum(ops.cast(cdf < high, "float32"), axis=1)
    return lo, ops.maximum(hi, lo)


def interval_mask(length: int, lo: Any, hi: Any) -> Any:
    """`(B, length)` mask of `lo <= i <= hi`."""
    idx = ops.arange(length, dtype="float32")[None, :]
    return ops.cast((idx >= lo[:, None]) & (idx <= hi[:, None]), "float32")


def resampling_matrix(length: int, out_size: int, centre: Any, target: float, scale: Any) -> Any:
    """`(B, out_size, length)` anti-aliased linear resampling weights along one axis.

    Output index `i` looks at input coordinate `centre + (i - target) / scale`, with a
    triangle kernel whose half-width is `max(1, 1 / scale)` input pixels (a tent filter
    that low-passes when shrinking); regions outside the input read as zero.
    """
    out_idx = ops.arange(out_size, dtype="float32")[None, :, None]
    src_idx = ops.arange(length, dtype="float32")[None, None, :]
    coord = centre[:, None, None] + (out_idx - target) / scale[:, None, None]
    radius = ops.maximum(1.0, 1.0 / scale)[:, None, None]
    return ops.relu(1.0 - ops.abs(src_idx - coord) / radius) / radius

