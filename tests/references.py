"""Independent NumPy/SciPy references for the rotations of `rotkeras.ops` (tests only)."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# rotkeras fill modes -> SciPy modes with the same extension of the image.
SCIPY_MODES = {"constant": "grid-constant", "reflect": "reflect", "wrap": "grid-wrap",
               "nearest": "nearest"}


def rotate_reference(
    images: np.ndarray,
    angles: np.ndarray | float,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
) -> np.ndarray:
    """`(N, H, W, C)` images rotated counter-clockwise (as displayed) around their centre.

    The output pixel at row `r`, column `c` reads the input at the point obtained by
    turning `(c, r)` clockwise around the centre `((W - 1) / 2, (H - 1) / 2)` (which turns
    the image counter-clockwise), resampled by SciPy's `map_coordinates` in float64.
    """
    images = np.asarray(images, np.float64)
    n, height, width, channels = images.shape
    angles = np.broadcast_to(np.asarray(angles, np.float64), (n,))
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    rows, cols = np.meshgrid(np.arange(height) - cy, np.arange(width) - cx, indexing="ij")
    out = np.empty_like(images)
    for i, angle in enumerate(angles):
        theta = np.radians(angle)
        src_row = np.sin(theta) * cols + np.cos(theta) * rows + cy
        src_col = np.cos(theta) * cols - np.sin(theta) * rows + cx
        for ch in range(channels):
            out[i, ..., ch] = ndimage.map_coordinates(
                images[i, ..., ch], [src_row, src_col],
                order=1 if interpolation == "bilinear" else 0,
                mode=SCIPY_MODES[fill_mode], cval=fill_value,
            )
    return out


def rotate_boxes_reference(boxes_xyxy: np.ndarray, angle: float, height: int, width: int
                           ) -> np.ndarray:
    """The enclosing `xyxy` boxes of the corners of `(N, 4)` boxes turned counter-clockwise."""
    theta = np.radians(angle)
    cx, cy = width / 2.0, height / 2.0
    out = []
    for x1, y1, x2, y2 in np.asarray(boxes_xyxy, np.float64):
        corners = np.array([[x1, y1], [x2, y1], [x1, y2], [x2, y2]]) - [cx, cy]
        # Counter-clockwise on screen (y down): (dx, dy) -> (dx cos + dy sin, dy cos - dx sin).
        x = corners[:, 0] * np.cos(theta) + corners[:, 1] * np.sin(theta) + cx
        y = corners[:, 1] * np.cos(theta) - corners[:, 0] * np.sin(theta) + cy
        out.append([x.min(), y.min(), x.max(), y.max()])
    return np.asarray(out)
