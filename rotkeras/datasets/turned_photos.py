"""Photos turned within their frame: the flat corners an editor's turn leaves, and the flat
surround of a turned photo (internal to `letterbox`; `paint_turned_corners` is public in
`rotkeras.datasets`)."""

from __future__ import annotations

import numpy as np

from rotkeras import _validation as check

#: Turned corners: a corner's flat region holds pixels within this many grey levels of it.
CORNER_TOLERANCE = 2
#: Turned corners: painted only when they differ from the paper next to them by this much.
CORNER_CONTRAST = 40
#: Turned corners: more than this share of the photo is the paper (or screen) itself.
MAX_CORNER_SHARE = 0.5
#: Turned corners: a corner's region is a triangle with legs of at least this share of the
#: two sides (and 4 pixels), covering the triangle with this intersection over union.
CORNER_MIN_LEG = 0.03
CORNER_MIN_IOU = 0.9
#: Turned corners: the seam (in pixels) between corner and photo that is painted too.
CORNER_SEAM = 2


#: Turned photos: the flat colour around the photo, beyond whole rows and columns of
#: padding, covers at least this share of the image.
TURNED_MIN_SHARE = 0.005
#: Turned photos: the photo inside the flat colour covers at least this share of the image
#: (a drawing's strokes on a flat screen cover less).
TURNED_MIN_INSIDE = 0.4
#: Turned photos: the photo inside the flat colour fills at least this share of its
#: convex hull (a turned rectangle; the strokes of a drawing on a flat screen do not).
TURNED_MIN_SOLIDITY = 0.9
#: Turned photos: the sides of the photo inside the flat colour are straight to within
#: this share of its perimeter (at most 8 of them).
TURNED_STRAIGHTNESS = 0.01
#: Turned photos: images with a side shorter than this (in pixels) are left alone (crops
#: of a digit, not photos turned in an editor).
TURNED_MIN_SIDE = 64
#: Turned photos: at most this share of the photo's pixels lies in flat areas of the flat
#: colour (a screen drawing's background, enclosed by its strokes, does).
TURNED_MAX_FLAT_INSIDE = 0.2


def extend_turned_photo(array: np.ndarray) -> np.ndarray:
    """A photo turned within its frame, its flat surround replaced by the nearest photo pixel.

    The surround: the pixels connected to a corner of the image that have exactly its
    colour, for corners with a flat run along both sides. It counts
    as a turned photo's surround when it is more than whole rows and columns of padding
    (`TURNED_MIN_SHARE`), what it encloses is large (`TURNED_MIN_INSIDE`), solid
    (`TURNED_MIN_SOLIDITY`), bounded by at most 8 straight sides (`TURNED_STRAIGHTNESS`)
    and holds few flat areas of that colour
    (`TURNED_MAX_FLAT_INSIDE`). Photos with a side under `TURNED_MIN_SIDE` pixels, and
    all others, are returned unchanged (not copied).
    """
    import cv2

    height, width = array.shape[:2]
    if min(height, width) < TURNED_MIN_SIDE:
        return array
    seeds = list(_corner_legs(array))
    if not seeds:
        return array
    # Exactly one colour (a turn's fill, or corners painted): paper near that colour is not.
    pixels = np.ascontiguousarray(array.reshape(height, width, -1)[..., :3])
    mask = np.zeros((height + 2, width + 2), np.uint8)
    flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
    zero = (0,) * pixels.shape[2]
    for y, x in seeds:
        if not mask[y + 1, x + 1]:  # (mask only: `pixels` is not written)
            cv2.floodFill(pixels, mask, (x, y), 0, zero, zero, flags)
    outside = mask[1:-1, 1:-1] > 0
    padding = outside.all(axis=1)[:, None] | outside.all(axis=0)[None, :]
    inside = ~outside
    if np.mean(outside & ~padding) < TURNED_MIN_SHARE or np.mean(inside) < TURNED_MIN_INSIDE:
        return array
    hull = cv2.convexHull(cv2.findNonZero(inside.astype(np.uint8)))
    if np.count_nonzero(inside) < TURNED_MIN_SOLIDITY * cv2.contourArea(hull):
        return array
    # A turned rectangle cut by the frame has at most 8 straight sides; a drawn 0 or 8
    # with its enclosed paper is round.
    sides = cv2.approxPolyDP(hull, TURNED_STRAIGHTNESS * cv2.arcLength(hull, True), True)
    if len(sides) > 8:
        return array
    flat = np.zeros_like(outside)
    for y, x in seeds:
        flat |= np.all(pixels == pixels[y, x], axis=-1)
    # Flat areas (5x5 of the flat colour), not the grain of paper near that colour.
    flat = cv2.erode(flat.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if np.mean(flat[inside]) > TURNED_MAX_FLAT_INSIDE:
        return array
    # Every surround pixel takes the colour of the nearest photo pixel (its label).
    _, labels = cv2.distanceTransformWithLabels(
        outside.astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(inside)
    source = np.zeros(int(labels.max()) + 1, np.int64)
    source[labels[ys, xs]] = np.arange(len(ys))
    nearest = source[labels[outside]]
    out = array.copy()
    out[outside] = array[ys[nearest], xs[nearest]]
    return out


def _grey(values: np.ndarray, colour: bool) -> np.ndarray:
    """uint8 grey levels: of colour `(..., C)` the channels' rounded mean, else `values`."""
    return values.mean(axis=-1).round().astype(np.uint8) if colour else values


def _flat_run(line: np.ndarray) -> int:
    """How many grey levels from the start of `line` lie within `CORNER_TOLERANCE` of
    the first: a corner region's run along that side of the photo."""
    off = np.abs(line.astype(np.int16) - int(line[0])) > CORNER_TOLERANCE
    return int(np.argmax(off)) if off.any() else len(line)


def _corner_legs(array: np.ndarray) -> dict[tuple[int, int], tuple[int, int]]:
    """`{(y, x): (run_x, run_y)}` for each corner of the image with a flat run along both
    sides at least `CORNER_MIN_LEG` of them long (and 4 pixels), from the border alone."""
    height, width = array.shape[:2]
    colour = array.ndim == 3
    rows = {0: _grey(array[0], colour), height - 1: _grey(array[-1], colour)}
    cols = {0: _grey(array[:, 0], colour), width - 1: _grey(array[:, -1], colour)}
    legs = {}
    for y, x in ((0, 0), (0, width - 1), (height - 1, 0), (height - 1, width - 1)):
        run_x = _flat_run(rows[y] if x == 0 else rows[y][::-1])
        run_y = _flat_run(cols[x] if y == 0 else cols[x][::-1])
        if run_x >= max(4, CORNER_MIN_LEG * width) and run_y >= max(4, CORNER_MIN_LEG * height):
            legs[y, x] = run_x, run_y
    return legs


def _covers_triangle(region: np.ndarray, run_x: int, run_y: int) -> bool:
    """Whether a flat `region` at the top-left corner, `run_x` by `run_y` along the two
    sides, is the triangle a turn leaves: under half the photo, covering the triangle of
    those legs (intersection over union)."""
    if region.mean() > MAX_CORNER_SHARE:
        return False
    dy = np.arange(run_y, dtype=np.float32)[:, None] / run_y
    dx = np.arange(run_x, dtype=np.float32)[None, :] / run_x
    triangle = dx + dy <= 1.0
    inside = np.count_nonzero(triangle & region[:run_y, :run_x])
    union = np.count_nonzero(triangle) + np.count_nonzero(region) - inside
    return inside >= CORNER_MIN_IOU * union


def paint_turned_corners(image: np.ndarray) -> np.ndarray:
    """A photo whose corners of one flat colour are painted the colour of the paper.

    Turning a photo in an editor fills its corners with one colour (black, white);
    against the paper their straight edges look like ink strokes and their colour like
    the paper's. Every corner's flat region (the pixels connected to it within
    `CORNER_TOLERANCE` grey levels) that is such a triangle (legs along the two sides
    of the photo, the region covering it) and differs from the paper next to it (the median
    of a ring around it) by at least `CORNER_CONTRAST` grey levels is painted that
    paper's colour, with a seam of `CORNER_SEAM` pixels. Flat regions covering more
    than half the photo are the paper or screen itself and are left alone, as are
    photos without such corners (returned unchanged, not copied).

    Args:
        image: `(H, W)` or `(H, W, C)` uint8 photo.

    Returns:
        The photo, painted where its corners were turned in.

    Raises:
        TypeError: If `image` is not uint8.
        ValueError: If `image` is not 2-D or 3-D.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.datasets import paint_turned_corners
        >>> import cv2
        >>> paper = np.full((64, 64), 200, np.uint8)
        >>> turn = cv2.getRotationMatrix2D((31.5, 31.5), 30, 1.0)
        >>> photo = cv2.warpAffine(paper, turn, (64, 64), borderValue=0)  # black corners
        >>> int(photo[0, 0]), int(paint_turned_corners(photo)[0, 0])
        (0, 200)
    """
    import cv2

    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise check.ArgumentTypeError(f"`image` must be uint8; received dtype {array.dtype}")
    if array.ndim not in (2, 3):
        raise ValueError(f"`image` must be (H, W) or (H, W, C); received shape {array.shape}")
    if min(array.shape[:2]) < 3:  # no corner to speak of
        return array
    height, width = array.shape[:2]
    # The legs first, from the border alone: most photos have no flat corner, and are
    # returned before the whole photo is turned grey.
    legs = _corner_legs(array)
    if not legs:
        return array
    grey = np.ascontiguousarray(_grey(array, array.ndim == 3))
    corners = np.zeros((height, width), bool)
    flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
    for (y, x), (run_x, run_y) in legs.items():
        if corners[y, x]:
            continue
        mask = np.zeros((height + 2, width + 2), np.uint8)
        cv2.floodFill(grey, mask, (x, y), 0, CORNER_TOLERANCE, CORNER_TOLERANCE, flags)
        region = mask[1:-1, 1:-1] > 0
        if _covers_triangle(region[:: 1 if y == 0 else -1, :: 1 if x == 0 else -1],
                            run_x, run_y):
            corners |= region
    if not corners.any():
        return array
    seam = cv2.dilate(corners.astype(np.uint8), np.ones((2 * CORNER_SEAM + 1,) * 2, np.uint8))
    ring = cv2.dilate(seam, np.ones((2 * CORNER_SEAM + 3,) * 2, np.uint8)) > seam
    seam = seam.astype(bool)
    if not ring.any():
        return array
    paper = np.median(array[ring], axis=0)
    paper_grey = float(np.mean(paper))
    if abs(float(np.median(grey[corners])) - paper_grey) < CORNER_CONTRAST:
        return array
    out = array.copy()
    out[seam] = np.round(paper).astype(np.uint8)
    return out
