"""Resampling of rotated images by gathers, in `keras.ops` only (internal)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rotkeras.ops._common import _cast_resampled, _compute_dtype, _rotation_terms, _Sampling


def _source_coordinates(
    angles: Any, height: Any, width: Any, xp: Any = ops
) -> tuple[Any, Any]:
    """Input `(row, col)` read by every output pixel; `(H, W)` or `(batch, H, W)`.

    An output pixel `(x, y)` (column, row) reads the input point
    `(cos x - sin y + cx - cos cx + sin cy, sin x + cos y + cy - sin cx - cos cy)`, as
    the rows of `keras.xp.image.affine_transform`'s transforms.
    """
    cos, sin, cy, cx = _rotation_terms(angles, height, width, xp)
    cos, sin = cos[..., None, None], sin[..., None, None]
    rows = xp.arange(height, dtype="float32")[:, None] - cy
    cols = xp.arange(width, dtype="float32")[None, :] - cx
    return sin * cols + cos * rows + cy, cos * cols - sin * rows + cx


def _fill_index(index: Any, size: int, fill_mode: str, xp: Any = ops) -> tuple[Any, Any]:
    """Maps pixel indices to `[0, size)` by `fill_mode`; also returns which were inside."""
    inside = xp.logical_and(index >= 0, index < size)
    if fill_mode == "wrap":
        index = xp.mod(index, size)
    elif fill_mode == "reflect":
        index = xp.mod(index, 2 * size)
        index = xp.where(index >= size, 2 * size - 1 - index, index)
    else:  # "constant" (inside decides) and "nearest"
        index = xp.clip(index, 0, size - 1)
    return index, inside


def _resample(images: Any, angles: Any, sampling: _Sampling) -> Any:
    """Resamples a rank-4 batch rotated by `angles` (a Python number or `(batch,)`)."""
    interpolation, fill_mode, fill_value, data_format, xp = sampling
    if data_format == "channels_first":
        out = _resample(xp.transpose(images, (0, 2, 3, 1)), angles,
                        sampling._replace(data_format="channels_last"))
        return xp.transpose(out, (0, 3, 1, 2))
    height, width, channels = images.shape[1], images.shape[2], images.shape[3]
    shape = xp.shape(images)
    if height is None or width is None:
        height, width = shape[1], shape[2]
    shared = isinstance(angles, float)  # one angle: the same coordinates for every image
    src_y, src_x = _source_coordinates(angles, height, width, xp)
    if interpolation == "nearest":
        offsets, weights = [(0, 0)], None
        y0, x0 = xp.floor(src_y + 0.5), xp.floor(src_x + 0.5)
    else:
        offsets = [(0, 0), (0, 1), (1, 0), (1, 1)]
        y0, x0 = xp.floor(src_y), xp.floor(src_x)
        fy, fx = src_y - y0, src_x - x0
        weights = [(1.0 - fy) * (1.0 - fx), (1.0 - fy) * fx, fy * (1.0 - fx), fy * fx]
    y0, x0 = xp.cast(y0, "int32"), xp.cast(x0, "int32")
    indices, inside = [], []
    for dy, dx in offsets:
        rows, rows_in = _fill_index(y0 + dy, height, fill_mode, xp)
        cols, cols_in = _fill_index(x0 + dx, width, fill_mode, xp)
        indices.append(rows * width + cols)
        inside.append(xp.logical_and(rows_in, cols_in))
    # One gather reads every neighbour of every output pixel.
    index = xp.stack(indices, axis=-3)  # (..., neighbours, H, W)
    if shared:
        values = xp.take(xp.reshape(images, (shape[0], -1, shape[3])),
                          xp.reshape(index, (-1,)), axis=1)
    else:
        pixels = height * width
        index = index + xp.reshape(xp.arange(shape[0], dtype="int32") * pixels, (-1, 1, 1, 1))
        values = xp.take(xp.reshape(images, (-1, shape[3])), xp.reshape(index, (-1,)), axis=0)
    values = xp.reshape(values, (shape[0], len(offsets), height, width, channels or shape[3]))
    inside = xp.stack(inside, axis=-3)[..., None]
    if shared:
        inside = inside[None]
    dtype = keras.backend.standardize_dtype(images.dtype)
    if weights is None:  # nearest: the read values themselves, in the input's dtype
        if fill_mode == "constant":
            fill = xp.cast(xp.convert_to_tensor(fill_value), dtype)
            values = xp.where(inside, values, fill)
        return values[:, 0]
    compute = _compute_dtype(dtype)
    values = xp.cast(values, compute)
    if fill_mode == "constant":
        values = xp.where(inside, values, xp.cast(fill_value, compute))
    weight = xp.cast(xp.stack(weights, axis=-3)[..., None], compute)
    if shared:
        weight = weight[None]
    return _cast_resampled(xp.sum(values * weight, axis=1), dtype, xp)

