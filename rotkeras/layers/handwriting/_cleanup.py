"""Removing what is not the digit: ruled lines, ink along the border, a second object,
and thickening hairline strokes (internal; steps of `_pipeline.mnist_pipeline`)."""

from __future__ import annotations

from typing import Any

from keras import ops

from rotkeras.layers.handwriting._morphology import (
    box_blur,
    dilate,
    mass_quantile_bounds,
    odd,
    opening,
    top_mean,
)
from rotkeras.layers.handwriting._pixels import EPSILON
from rotkeras.layers.handwriting._resize import cv2_area_matrix, resize_with_matrices
from rotkeras.layers.handwriting._thresholds import (
    BORDER_HALO,
    BORDER_RUN,
    BOX_QUANTILES,
    COMPONENT_WINDOW,
    HAIRLINE_WIDTH,
    INK_MASK_LEVEL,
    LINE_BAND,
    LINE_LENGTH,
    LINE_THICKNESS,
    MIN_COMPONENT_SHARE,
    MIN_DIGIT_EXTENT,
    MIN_INNER_SHARE,
    MIN_LINE_REMAINDER,
    PEAK_FRACTION,
    PEAK_MINIMUM,
    SEED_LEVEL,
    STRONG_INK,
    THICKEN_WEIGHT,
)


def _ink_mask(ink: Any) -> Any:
    """1 where `(B, H, W)` ink reaches `INK_MASK_LEVEL` of its peak (specks excluded)."""
    peak = top_mean(box_blur(ink, 3), PEAK_FRACTION, PEAK_MINIMUM)
    return ops.cast(ink > INK_MASK_LEVEL * peak[:, None, None], "float32")


def _border_connected(mask: Any, block: int) -> Any:
    """Part of a `(B, H, W)` 0/1 `mask` connected to long runs along the image border.

    Geodesic reconstruction on a grid of about `block x block` cells (a cell is set
    when any of its pixels is), seeded by the runs of set cells along the border that
    are at least a tenth of the side long, with 8-connected steps, so gaps narrower than
    about a cell are bridged; the cells reached are mapped back to the mask's pixels.
    Area weights keep it symmetric under flips and quarter turns for any size.
    """
    height, width = int(mask.shape[1]), int(mask.shape[2])
    cells_h, cells_w = max(1, -(-height // block)), max(1, -(-width // block))
    rows = cv2_area_matrix(height, cells_h).astype("float32")
    cols = cv2_area_matrix(width, cells_w).astype("float32")
    coarse = ops.cast(resize_with_matrices(mask, rows, cols) > 1e-3, "float32")
    # Seeds: runs along the border at least a tenth of the side long. A stroke of the
    # digit reaching the border touches it over its width only; a table, the paper's
    # edge or a shadow lie along it.
    run_h, run_w = odd(BORDER_RUN * cells_h, 3), odd(BORDER_RUN * cells_w, 3)
    idx_h = ops.arange(cells_h, dtype="float32")[:, None]
    idx_w = ops.arange(cells_w, dtype="float32")[None, :]
    top_bottom = ops.cast((idx_h < 1) | (idx_h > cells_h - 2), "float32")[None]
    left_right = ops.cast((idx_w < 1) | (idx_w > cells_w - 2), "float32")[None]
    seed = ops.maximum(
        opening(coarse * top_bottom, (1, run_w)), opening(coarse * left_right, (run_h, 1))
    )

    def grow(_: Any, current: Any) -> Any:
        return ops.minimum(dilate(current, (3, 3)), coarse)

    reached = ops.fori_loop(0, max(cells_h, cells_w), grow, seed)
    back = resize_with_matrices(reached, rows.T, cols.T)
    return mask * ops.cast(back > 1e-3, "float32")


def main_component(ink: Any, longest: int, block: int = 3) -> Any:
    """The ink connected to the densest part of the image (the digit), gaps bridged.

    Geodesic reconstruction on a grid of `block x block` cells, seeded at the peak of
    the ink's density in a window a quarter of the image wide, through cells holding
    ink or next to one (gaps of about a cell bridged). When what is reached holds less
    than 40% of the ink (the peak lay on something else), everything is kept.
    """
    height, width = int(ink.shape[1]), int(ink.shape[2])
    mask = _ink_mask(ink)
    cells_h, cells_w = max(1, -(-height // block)), max(1, -(-width // block))
    rows = cv2_area_matrix(height, cells_h).astype("float32")
    cols = cv2_area_matrix(width, cells_w).astype("float32")
    coarse_ink = resize_with_matrices(ink * mask, rows, cols)
    coarse = ops.cast(coarse_ink > 1e-3, "float32")
    density = box_blur(coarse_ink, odd(max(cells_h, cells_w) / COMPONENT_WINDOW, 3))
    top = ops.max(density, axis=(1, 2), keepdims=True)
    seed = ops.cast(density >= top * SEED_LEVEL, "float32") * coarse
    bridged = dilate(coarse, (3, 3))

    def grow(_: Any, current: Any) -> Any:
        return ops.minimum(dilate(current, (3, 3)), bridged)

    reached = ops.fori_loop(0, max(cells_h, cells_w), grow, seed)
    back = ops.cast(resize_with_matrices(reached * coarse, rows.T, cols.T) > 1e-3, "float32")
    kept = ink * back
    share = ops.sum(kept, axis=(1, 2)) / ops.maximum(ops.sum(ink, axis=(1, 2)), EPSILON)
    use = ops.cast(share >= MIN_COMPONENT_SHARE, "float32")[:, None, None]
    return use * kept + (1.0 - use) * ink


def drop_border_ink(ink: Any, longest: int) -> Any:
    """Removes ink connected to the image border, unless the digit is part of it.

    A table or the paper's edge, a shadow's corner or a finger lie along the border of
    the photo; the digit usually does not reach it, or touches it with the end of a
    stroke only. The ink connected to runs along the border at least a tenth of the
    side long (gaps of about 2 working pixels bridged, plus a halo of 2 pixels) is
    removed when what is left looks like a digit: at least 5% of the ink, with strong
    strokes spanning at least a tenth of the image. Otherwise the digit itself lies
    along the border (a tight crop of thick strokes; at most specks are left) and
    everything is kept.
    """
    mask = _ink_mask(ink)
    attached = _border_connected(mask, 2)
    inner = ink * (1.0 - dilate(attached, (BORDER_HALO, BORDER_HALO)))
    share = ops.sum(inner, axis=(1, 2)) / ops.maximum(ops.sum(ink, axis=(1, 2)), EPSILON)
    inner_peak = top_mean(box_blur(inner, 3), PEAK_FRACTION, PEAK_MINIMUM)
    strong = inner * ops.cast(inner >= STRONG_INK * inner_peak[:, None, None], "float32")
    y0, y1 = mass_quantile_bounds(ops.sum(strong, axis=2), *BOX_QUANTILES)
    x0, x1 = mass_quantile_bounds(ops.sum(strong, axis=1), *BOX_QUANTILES)
    extent = ops.maximum(y1 - y0, x1 - x0) + 1.0
    digit = (share >= MIN_INNER_SHARE) & (extent >= MIN_DIGIT_EXTENT * longest)
    keep = ops.cast(digit, "float32")[:, None, None]
    return keep * inner + (1.0 - keep) * ink



def remove_lines(ink: Any, work_h: int, work_w: int) -> Any:
    """Subtracts thin ink lying on long horizontal/vertical lines (ruled/squared paper).

    Only structures at most a few working pixels thick that run across most of the image
    (0.7 of its width or height, tilted by up to about 2 degrees) count as lines; strokes
    crossing a line lose the few pixels they share with it. When (almost) nothing would
    be left, as for a tightly cropped thin "1", the ink is kept unchanged.
    """
    thick, band = LINE_THICKNESS, LINE_BAND
    long_h = odd(LINE_LENGTH * work_w, 3)
    long_v = odd(LINE_LENGTH * work_h, 3)
    thin_h = ops.relu(ink - opening(ink, (thick, 1)))
    thin_v = ops.relu(ink - opening(ink, (1, thick)))
    horizontal = ops.minimum(thin_h, opening(dilate(thin_h, (band, 1)), (1, long_h)))
    vertical = ops.minimum(thin_v, opening(dilate(thin_v, (1, band)), (long_v, 1)))
    cleaned = ops.relu(ink - ops.maximum(horizontal, vertical))
    before = ops.sum(ink, axis=(1, 2))
    after = ops.sum(cleaned, axis=(1, 2))
    use = ops.cast(after >= MIN_LINE_REMAINDER * before, "float32")[:, None, None]
    return use * cleaned + (1.0 - use) * ink


def thicken(out: Any) -> Any:
    """Dilates strokes whose estimated width (2 area / perimeter) is under ~1.3 px."""
    area = ops.sum(out, axis=(1, 2))
    perimeter = ops.sum(ops.abs(out[:, 1:, :] - out[:, :-1, :]), axis=(1, 2)) + ops.sum(
        ops.abs(out[:, :, 1:] - out[:, :, :-1]), axis=(1, 2)
    )
    top = ops.maximum(ops.max(out, axis=(1, 2)), EPSILON)
    width = 2.0 * area / ops.maximum(perimeter, EPSILON)
    thin = ops.cast(width < HAIRLINE_WIDTH * top, "float32")[:, None, None]
    grown = ops.maximum(out, THICKEN_WEIGHT * dilate(out, (3, 3)))
    return thin * grown + (1.0 - thin) * out
