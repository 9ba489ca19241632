"""Finding the digits of a photo: its ink, the ink's components, a clean crop of each."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Longer side of the resolution at which the digits are searched (a larger photo is shrunk).
WORKING_SIZE = 640
#: A smaller photo is enlarged until its longer side is this long (a 28x28 drawing, a
#: small crop of a form), so that one pixel of ink is not a speck.
MIN_WORKING_SIZE = 256
#: Side of the square crop of each digit that the reader sees.
CROP_SIZE = 64
#: Straight runs of ink this many digit sizes long are ruled lines, form boxes or edges.
LINE_LENGTH = 2.5
#: Components smaller than this fraction of the typical digit size are specks.
SPECK = 0.35
#: Pixels a straight line may wander across its run (a ruled line a few degrees off level).
LINE_SLACK = 2
#: Ink departs from the paper by at least this many robust deviations of the contrast.
NOISE_SPREAD = 4.0


def ink_contrast(gray: np.ndarray, scale: float, polarity: str) -> np.ndarray:
    """How far every pixel departs from the paper towards the ink, at the working size
    (`scale` times the photo's; a small photo's contrast is found at its own size and
    then enlarged)."""
    import cv2

    gray = gray.astype(np.float32, copy=False)  # read_numbers' photo is float32 already
    size = (max(8, round(gray.shape[1] * scale)), max(8, round(gray.shape[0] * scale)))
    if scale < 1.0:
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    if polarity == "auto":
        polarity = "dark_on_light" if float(np.median(gray)) >= 0.5 else "light_on_dark"
    if polarity == "light_on_dark":
        gray = 1.0 - gray
    side = max(15, int(min(gray.shape) / 6) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    paper = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, kernel)
    contrast = np.clip(paper - gray, 0.0, 1.0)
    if scale > 1.0:
        contrast = np.clip(cv2.resize(contrast, size, interpolation=cv2.INTER_CUBIC), 0.0, 1.0)
    return contrast


def digit_masks(contrast: np.ndarray, min_contrast: float) -> list[np.ndarray]:
    """Boolean masks (full working size) of the digit candidates, before splitting."""

    strongest = float(np.quantile(contrast, 0.998))
    strongest = max(strongest, float(contrast.max()) * 0.5)
    if strongest < min_contrast:
        return []
    # Textured paper (card, grain, a noisy sensor) departs from its own estimate
    # everywhere: ink must stand out of that noise too, by NOISE_SPREAD robust deviations.
    level = float(np.median(contrast))
    spread = 1.4826 * float(np.median(np.abs(contrast - level)))
    threshold = max(min_contrast, strongest / 3, level + NOISE_SPREAD * spread)
    ink = (contrast >= threshold).astype(np.uint8)
    comps, labels = _components(ink)
    if not comps:
        return []
    # Straight strokes much longer than a digit (ruled paper, form boxes, a line under the
    # number, the page's edge) are not digits, and where they touch a digit they would join
    # it: they are taken out of the ink before the components are found again.
    height = _digit_size(comps)
    lines = _straight_lines(ink, max(12, round(LINE_LENGTH * height)))
    if lines.any():
        comps, labels = _components(ink & ~lines)
        if not comps:
            return []
        height = _digit_size(comps)
    sizes = np.array([max(c["box"][2] - c["box"][0], c["box"][3] - c["box"][1]) for c in comps])
    thin = np.array([_thin(c["box"], c["area"]) for c in comps])
    comps = [c for c, size, is_thin in zip(comps, sizes, thin, strict=True)
             if not (is_thin and size > 2 * height) and not _edge_sliver(c["box"], ink.shape)]
    if not comps:
        return []
    comps = _merge_fragments(comps)
    sizes = np.array([max(c["box"][2] - c["box"][0], c["box"][3] - c["box"][1]) for c in comps])
    keep = [c for c, s in zip(comps, sizes, strict=True) if s >= max(6, SPECK * height)]
    masks = []
    for comp in keep:
        x0, y0, x1, y1 = comp["box"]
        mask = np.zeros(contrast.shape, bool)
        mask[y0:y1, x0:x1] = np.isin(labels[y0:y1, x0:x1], comp["labels"])
        masks.append(mask)
    return masks


def _components(ink: np.ndarray) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Connected components of the ink (at least 6 pixels) and the label image; each
    component's `length` is its area over its stroke width (a stroke's length, a solid
    blob's side)."""
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    depth = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    comps = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if area >= 6:
            inside = labels[y : y + h, x : x + w] == label
            width = max(1.0, 2.0 * float(depth[y : y + h, x : x + w][inside].max()))
            comps.append({"labels": [label], "box": [x, y, x + w, y + h], "area": area,
                          "length": area / width})
    return comps, labels


def _digit_size(comps: list[dict[str, Any]]) -> float:
    """The size (longer side of the box) of a typical digit: the median over the ink, each
    component weighted by the length of its strokes, so that specks and dust barely
    count and a solid blob (a printed logo, a shadow) counts no more than its side; long
    thin components (lines, but also ones) count only when there is nothing else."""
    sizes = np.array([max(c["box"][2] - c["box"][0], c["box"][3] - c["box"][1]) for c in comps],
                     np.float64)
    areas = np.array([c["length"] for c in comps], np.float64)
    thin = np.array([elongated(c["box"]) for c in comps])
    if not thin.all():
        sizes, areas = sizes[~thin], areas[~thin]
    order = np.argsort(sizes)
    cumulative = np.cumsum(areas[order])
    return float(sizes[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def _straight_lines(ink: np.ndarray, length: int) -> np.ndarray:
    """The ink of straight horizontal and vertical runs at least `length` pixels long.

    The ink is first thickened by `LINE_SLACK` pixels across the run, so that a ruled line
    photographed a few degrees off level (which steps from one pixel row to the next)
    still makes one long run.
    """
    import cv2

    slack = 2 * LINE_SLACK + 1
    across = cv2.morphologyEx(cv2.dilate(ink, np.ones((slack, 1), np.uint8)), cv2.MORPH_OPEN,
                              np.ones((1, length), np.uint8))
    down = cv2.morphologyEx(cv2.dilate(ink, np.ones((1, slack), np.uint8)), cv2.MORPH_OPEN,
                            np.ones((length, 1), np.uint8))
    lines = (across | down).astype(bool) & (ink > 0)
    if lines.any():  # the line's own ragged edge, one pixel either side
        lines = cv2.dilate(lines.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & (
            ink > 0)
    return lines


def elongated(box: Sequence[int]) -> bool:
    w, h = box[2] - box[0], box[3] - box[1]
    return min(w, h) <= 0.12 * max(w, h)


def _edge_sliver(box: list[int], shape: tuple[int, ...]) -> bool:
    """A thin strip along the photo's frame (the edge of the paper, of a table, of a mark
    cut off by the frame): elongated, against a side of the photo and running along it."""
    x0, y0, x1, y1 = box
    if not elongated(box):
        return False
    along_side = (x0 == 0 or x1 >= shape[1]) and (y1 - y0) > (x1 - x0)
    along_top = (y0 == 0 or y1 >= shape[0]) and (x1 - x0) > (y1 - y0)
    return along_side or along_top


def _thin(box: list[int], area: int) -> bool:
    w, h = box[2] - box[0], box[3] - box[1]
    return elongated(box) or area <= 0.08 * w * h


def _merge_fragments(comps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Joins a fragment to a larger component when it lies mostly inside its box (a broken
    stroke, the detached bar of a 5)."""
    comps = sorted(comps, key=lambda c: -c["area"])
    merged = True
    while merged:
        merged = False
        for i, big in enumerate(comps):
            bx0, by0, bx1, by1 = big["box"]
            pad = 0.1 * max(bx1 - bx0, by1 - by0)
            for j in range(len(comps) - 1, i, -1):
                small = comps[j]
                sx0, sy0, sx1, sy1 = small["box"]
                ix = max(0.0, min(sx1, bx1 + pad) - max(sx0, bx0 - pad))
                iy = max(0.0, min(sy1, by1 + pad) - max(sy0, by0 - pad))
                if ix * iy >= 0.6 * max(1, (sx1 - sx0) * (sy1 - sy0)):
                    big["labels"] += small["labels"]
                    big["area"] += small["area"]
                    big["box"] = [min(bx0, sx0), min(by0, sy0), max(bx1, sx1), max(by1, sy1)]
                    bx0, by0, bx1, by1 = big["box"]
                    del comps[j]
                    merged = True
    return comps


def box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def crop(contrast: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The digit alone, dark on white, centred in a square crop with a margin, uint8 RGB."""
    import cv2

    x0, y0, x1, y1 = box_of(mask)
    side = int(math.ceil(1.4 * max(x1 - x0, y1 - y0))) + 4
    grown = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    ink = np.where(grown, contrast, 0.0)
    canvas = np.zeros((side, side), np.float32)
    top, left = (side - (y1 - y0)) // 2, (side - (x1 - x0)) // 2
    canvas[top : top + y1 - y0, left : left + x1 - x0] = ink[y0:y1, x0:x1]
    strongest = float(canvas.max()) or 1.0
    canvas = np.clip(canvas / strongest, 0.0, 1.0)
    interpolation = cv2.INTER_AREA if side > CROP_SIZE else cv2.INTER_LINEAR
    canvas = cv2.resize(canvas, (CROP_SIZE, CROP_SIZE), interpolation=interpolation)
    gray = np.round(235.0 - 215.0 * canvas).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=-1)


def original_box(mask: np.ndarray, scale: float, height: int, width: int) -> tuple[int, ...]:
    x0, y0, x1, y1 = box_of(mask)
    return (max(0, int(math.floor(x0 / scale))), max(0, int(math.floor(y0 / scale))),
            min(width, int(math.ceil(x1 / scale))), min(height, int(math.ceil(y1 / scale))))
