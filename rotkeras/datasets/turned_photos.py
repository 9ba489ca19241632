"""Photos turned within their frame: the flat corners an editor's turn leaves, and the flat
surround of a turned photo (used by `letterbox`; `paint_turned_corners` and
`straighten_turned_photo` are public in `rotkeras.datasets`)."""

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
#: Turned photos: photos turned by less than this (in degrees) are not turned back.
TURNED_MIN_ANGLE = 1.0
#: Turned photos: turned back only when the edge between photo and surround agrees on
#: one angle (modulo 90 degrees) this well (1: all of it; see `_frame_angle`) and is at
#: least this share of the image's perimeter long (away from the image's border).
TURNED_MIN_COHERENCE = 0.5
TURNED_MIN_EDGE = 0.15


def straighten_turned_photo(image: np.ndarray) -> tuple[np.ndarray, float]:
    """A photo turned within its frame, turned back level; and the angle it was turned by.

    An image editor that turns a photo by an angle that is not a right angle (or a
    letterboxed photo turned) leaves the photo as a tilted rectangle in its frame, a flat
    colour around it. Such a photo (its corners painted first, see
    `paint_turned_corners`; then the flat surround of exactly one colour connected to the
    image's corners, enclosing a large, solid region with straight sides) is extended
    into its surround, every flat pixel taking the colour of
    the nearest photo pixel, and turned back by the angle of its sides (the mean angle,
    modulo 90 degrees, of the edge between photo and surround, when the edge is long
    and agrees on it: `TURNED_MIN_EDGE`, `TURNED_MIN_COHERENCE`).
    A photo turned by 45 degrees is turned back by 45 either way (the two differ by a
    right angle, which the reader's orientation output tells). Photos turned by less
    than `TURNED_MIN_ANGLE` degrees are extended only, and other photos (not turned, or
    turned with no flat surround: a photo taken at a slant) are returned as
    `paint_turned_corners` returns them, with angle 0. `letterbox` calls this first.

    Args:
        image: `(H, W)` or `(H, W, C)` uint8 photo.

    Returns:
        `(photo, angle)`: the photo, of the same shape, and the angle in degrees
        counter-clockwise (-45 to 45) by which it was turned (so turned back by `-angle`).

    Raises:
        TypeError: If `image` is not uint8.
        ValueError: If `image` is not 2-D or 3-D.

    Examples:
        >>> import cv2
        >>> import numpy as np
        >>> from rotkeras.datasets import straighten_turned_photo
        >>> photo = np.random.default_rng(0).integers(150, 200, (120, 90), np.uint8)
        >>> turn = cv2.getRotationMatrix2D((44.5, 59.5), 30, 1.0)  # 30 degrees, black corners
        >>> turned = cv2.warpAffine(photo, turn, (90, 120), borderValue=0)
        >>> level, angle = straighten_turned_photo(turned)
        >>> level.shape, round(angle)
        ((120, 90), 30)
    """
    import cv2

    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise check.ArgumentTypeError(f"`image` must be uint8; received dtype {array.dtype}")
    if array.ndim not in (2, 3):
        raise ValueError(f"`image` must be (H, W) or (H, W, C); received shape {array.shape}")
    array = paint_turned_corners(array)
    outside = _turned_region(array)
    if outside is None:
        return array, 0.0
    extended = _extended(array, outside)
    angle, coherence, length = _frame_angle(outside)
    if (abs(angle) < TURNED_MIN_ANGLE or coherence < TURNED_MIN_COHERENCE
            or length < TURNED_MIN_EDGE):
        return extended, 0.0
    height, width = array.shape[:2]
    turn = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), -angle, 1.0)
    back = cv2.warpAffine(extended, turn, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
    return back.reshape(array.shape), angle


def _frame_angle(outside: np.ndarray) -> tuple[float, float, float]:
    """`(angle, coherence, length)` of the edge between a turned photo and its flat
    surround (`outside`): the angle (degrees counter-clockwise, -45 to 45) of the edge's
    normals, their circular mean modulo 90 degrees weighted by the gradient of the
    smoothed mask; how well they agree (1: every edge turned by that angle or a right
    angle more; a curved or ragged edge scores less); and the edge's length as a share
    of the image's perimeter. Thin runs of the surround's colour into the photo (paper
    grain of exactly that colour) are opened away first, and the band along the image's
    border is not counted (where the surround meets the frame)."""
    import cv2

    kernel = np.ones((3, 3), np.uint8)
    mask = cv2.morphologyEx(outside.astype(np.uint8), cv2.MORPH_OPEN, kernel)
    smooth = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 2.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    weight = np.hypot(gx, gy)
    band = 6  # three times the smoothing
    weight[:band], weight[-band:], weight[:, :band], weight[:, -band:] = 0, 0, 0, 0
    total = float(weight.sum())
    if total <= 0.0:
        return 0.0, 0.0, 0.0
    # Image y runs down: an edge turned counter-clockwise on screen has its normal at
    # atan2(-gy, gx); four times it is the same for the four sides.
    phase = 4.0 * np.arctan2(-gy, gx)
    cos, sin = float((weight * np.cos(phase)).sum()), float((weight * np.sin(phase)).sum())
    # A step edge adds 8 per pixel of its length to the Sobel gradient's magnitude.
    length = total / 8.0 / (2.0 * sum(outside.shape))
    return (float(np.degrees(np.arctan2(sin, cos)) / 4.0), float(np.hypot(cos, sin) / total),
            length)


def _turned_region(array: np.ndarray) -> np.ndarray | None:
    """The flat surround of a photo turned within its frame (a mask); None for other
    photos.

    The surround: the pixels connected to a corner of the image that have exactly its
    colour, for corners with a flat run along both sides. It counts as a turned photo's
    surround when it is more than whole rows and columns of padding (`TURNED_MIN_SHARE`),
    what it encloses is large (`TURNED_MIN_INSIDE`), solid (`TURNED_MIN_SOLIDITY`),
    bounded by at most 8 straight sides (`TURNED_STRAIGHTNESS`) and holds few flat areas
    of that colour (`TURNED_MAX_FLAT_INSIDE`). Photos with a side under `TURNED_MIN_SIDE`
    pixels are not looked at.
    """
    import cv2

    height, width = array.shape[:2]
    if min(height, width) < TURNED_MIN_SIDE:
        return None
    seeds = list(_corner_legs(array))
    if not seeds:
        return None
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
        return None
    hull = cv2.convexHull(cv2.findNonZero(inside.astype(np.uint8)))
    if np.count_nonzero(inside) < TURNED_MIN_SOLIDITY * cv2.contourArea(hull):
        return None
    # A turned rectangle cut by the frame has at most 8 straight sides; a drawn 0 or 8
    # with its enclosed paper is round.
    sides = cv2.approxPolyDP(hull, TURNED_STRAIGHTNESS * cv2.arcLength(hull, True), True)
    if len(sides) > 8:
        return None
    flat = np.zeros_like(outside)
    for y, x in seeds:
        flat |= np.all(pixels == pixels[y, x], axis=-1)
    # Flat areas (5x5 of the flat colour), not the grain of paper near that colour.
    flat = cv2.erode(flat.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if np.mean(flat[inside]) > TURNED_MAX_FLAT_INSIDE:
        return None
    return outside


def _extended(array: np.ndarray, outside: np.ndarray) -> np.ndarray:
    """`array` with every `outside` pixel taking the colour of the nearest other pixel."""
    import cv2

    # Every surround pixel takes the colour of the nearest photo pixel (its label).
    _, labels = cv2.distanceTransformWithLabels(
        outside.astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(~outside)
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
