"""Morphology, blurs and robust statistics of `(batch, height, width)` images in `[0, 1]`
(internal; see `_pipeline`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from keras import ops

from rotkeras._backend import largest_values
from rotkeras.layers.handwriting._pixels import EPSILON


def _part(v: Any, axis: int, start: int, stop: int) -> Any:
    """`v[start:stop]` along `axis` (1 or 2) of `(B, H, W)`."""
    return v[:, start:stop] if axis == 1 else v[:, :, start:stop]


def _pad(v: Any, axis: int, before: int, after: int) -> Any:
    """`(B, H, W)` with zeros added before and after along `axis` (1 or 2)."""
    widths = [(0, 0)] * 3
    widths[axis] = (before, after)
    return ops.pad(v, widths)


def _shift_max(x: Any, axis: int, size: int) -> Any:
    """Centred moving max of non-negative `(B, H, W)` values over `size` along
    `axis`, zeros beyond the edges: equal to `max_pool` with `"same"` padding.

    The max over `[i, i + 2n)` is the max of those over `[i, i + n)` and `[i + n,
    i + 2n)`; two overlapping power-of-two windows then cover any length.
    """
    n = int(x.shape[axis])
    half = (size - 1) // 2  # as `max_pool`'s "same" padding, for even sizes too
    total = n + half

    def shifted(v: Any, offset: int) -> Any:
        """`v[i + offset]` along `axis`, zero where that lies past the end."""
        if offset >= total:
            return ops.zeros_like(v)
        return _pad(_part(v, axis, offset, total), axis, 0, offset)

    # With `half` zeros in front, the window `[i, i + size)` is the one centred on `i`
    # (the zeros act as `max_pool`'s ignored padding, as the values are >= 0).
    span, out = 1, _pad(x, axis, half, 0)
    while 2 * span <= size:
        out = ops.maximum(out, shifted(out, span))
        span *= 2
    if span < size:
        out = ops.maximum(out, shifted(out, size - span))
    return _part(out, axis, 0, n)


def dilate(x: Any, size: tuple[int, int]) -> Any:
    """Grey dilation (moving max) of `(B, H, W)` values in `[0, 1]` with a rectangle."""
    if size[0] > 1:
        x = _shift_max(x, 1, size[0])
    if size[1] > 1:
        x = _shift_max(x, 2, size[1])
    return x


def erode(x: Any, size: tuple[int, int]) -> Any:
    """Grey erosion (moving min) of values in `[0, 1]` (the padding acts as `1`)."""
    return 1.0 - dilate(1.0 - x, size)


def opening(x: Any, size: tuple[int, int]) -> Any:
    """Removes bright structures smaller than `size` (erosion then dilation)."""
    return dilate(erode(x, size), size)


def _moving_mean(x: Any, axis: int, size: int) -> Any:
    """Centred moving mean of `(B, H, W)` over `size` along `axis`, over the part of the
    window inside the image: `average_pool` with `"same"` padding, from one cumulative sum
    (its cost does not grow with the window)."""
    n = int(x.shape[axis])
    before = (size - 1) // 2
    sums = ops.cumsum(_pad(x, axis, before + 1, size - 1 - before), axis=axis)
    window = _part(sums, axis, size, n + size) - _part(sums, axis, 0, n)
    i = np.arange(n)
    inside = np.minimum(i + size - before, n) - np.maximum(i - before, 0)
    shape = (1, n, 1) if axis == 1 else (1, 1, n)
    return window / ops.convert_to_tensor(inside.reshape(shape).astype("float32"))


def box_blur(x: Any, size: int) -> Any:
    """Moving average of `(B, H, W)` with a `size x size` window (separable), over the
    part of the window inside the image."""
    if size <= 1:
        return x
    return _moving_mean(_moving_mean(x, 1, size), 2, size)


def odd(value: float, minimum: int = 1) -> int:
    """The odd integer nearest to `value`, at least `minimum`."""
    n = max(int(round(value)), minimum)
    return n if n % 2 else n + 1


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

