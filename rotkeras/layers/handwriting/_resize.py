"""Resizing `(batch, height, width)` grayscale: OpenCV's `INTER_AREA` weights, exactly
(internal; see `_pipeline`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from keras import ops


def cv2_area_matrix(src: int, dst: int) -> np.ndarray:
    """`(dst, src)` weights of OpenCV's `INTER_AREA` along one axis when shrinking."""
    scale = src / dst
    weights = np.zeros((dst, src), np.float64)
    for dx in range(dst):
        fsx1 = dx * scale
        fsx2 = fsx1 + scale
        cell = min(scale, src - fsx1)
        sx1 = math.ceil(fsx1)
        sx2 = min(math.floor(fsx2), src - 1)
        sx1 = min(sx1, sx2)
        if sx1 - fsx1 > 1e-3:
            weights[dx, sx1 - 1] += (sx1 - fsx1) / cell
        for sx in range(sx1, sx2):
            weights[dx, sx] += 1.0 / cell
        if fsx2 - sx2 > 1e-3:
            weights[dx, sx2] += min(min(fsx2 - sx2, 1.0), cell) / cell
    return weights


def cv2_area_upscale_matrix(src: int, dst: int) -> np.ndarray:
    """`(dst, src)` weights OpenCV uses for `INTER_AREA` when an axis is not shrunk."""
    inv_scale = dst / src
    scale = 1.0 / inv_scale
    weights = np.zeros((dst, src), np.float64)
    for dx in range(dst):
        sx = math.floor(dx * scale)
        fx = (dx + 1) - (sx + 1) * inv_scale
        fx = 0.0 if fx <= 0 else fx - math.floor(fx)
        if sx < 0:
            sx, fx = 0, 0.0
        if sx >= src - 1:
            sx, fx = src - 1, 0.0
        weights[dx, sx] += 1.0 - fx
        if fx:
            weights[dx, sx + 1] += fx
    return weights


def cv2_inter_area_matrices(height: int, width: int, out_h: int, out_w: int) -> tuple:
    """Row and column weight matrices equivalent to `cv2.resize(..., INTER_AREA)`."""
    if height >= out_h and width >= out_w:
        return cv2_area_matrix(height, out_h), cv2_area_matrix(width, out_w)
    return cv2_area_upscale_matrix(height, out_h), cv2_area_upscale_matrix(width, out_w)


def resize_with_matrices(gray: Any, rows: np.ndarray, cols: np.ndarray) -> Any:
    """`rows @ gray @ cols.T` for every sample of a `(B, H, W)` batch."""
    rows_t = ops.convert_to_tensor(rows.astype("float32"))
    cols_t = ops.convert_to_tensor(cols.T.astype("float32"))
    out = ops.einsum("ih,bhw->biw", rows_t, gray)
    return ops.einsum("biw,wj->bij", out, cols_t)


def area_resize(gray: Any, out_h: int, out_w: int) -> Any:
    """Anti-aliased (area-averaging) resize of `(B, H, W)`; static `H, W` use exact weights."""
    height, width = gray.shape[1], gray.shape[2]
    if height is None or width is None:
        resized = ops.image.resize(
            gray[..., None], (out_h, out_w), interpolation="bilinear", antialias=True,
            data_format="channels_last",
        )
        return resized[..., 0]
    if (height, width) == (out_h, out_w):
        return gray
    height, width = int(height), int(width)
    if height >= out_h and width >= out_w:
        # Cheap exact pre-shrink by an integer factor, then exact area weights.
        fy, fx = height // out_h, width // out_w
        if fy > 1 or fx > 1:
            # Drop the remainder rows/columns evenly at both ends (a quarter turn of the
            # input then gives a quarter turn of the working image).
            top, left = (height % fy) // 2, (width % fx) // 2
            gray = gray[:, top : top + (height // fy) * fy, left : left + (width // fx) * fx]
            pooled = ops.average_pool(
                gray[..., None], (fy, fx), strides=(fy, fx), padding="valid",
                data_format="channels_last",
            )
            gray = pooled[..., 0]
            height, width = height // fy, width // fx
        rows, cols = cv2_area_matrix(height, out_h), cv2_area_matrix(width, out_w)
    else:
        rows = _linear_matrix(height, out_h)
        cols = _linear_matrix(width, out_w)
    return resize_with_matrices(gray, rows, cols)


def _linear_matrix(src: int, dst: int) -> np.ndarray:
    """`(dst, src)` weights of half-pixel-centred linear interpolation (for enlarging)."""
    weights = np.zeros((dst, src), np.float64)
    for d in range(dst):
        x = min(max((d + 0.5) * src / dst - 0.5, 0.0), src - 1.0)
        x0 = int(math.floor(x))
        x1 = min(x0 + 1, src - 1)
        f = x - x0
        weights[d, x0] += 1 - f
        weights[d, x1] += f
    return weights

