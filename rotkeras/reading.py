"""Reading handwritten numbers: every digit in a photo, grouped into numbers, one orientation each.

`read_numbers` finds the digits of a photo, reads them all in one batch with the shipped
digit reader (`rotkeras.models.digit_reader`) and groups them into numbers: lines of
digits written side by side. A number decides its orientation from all its digits together
(the sum of their log-likelihoods of each quarter turn) and from the direction of its line
(a horizontal line is read upright or upside down, a vertical one turned by 90 or 270
degrees), which settles what one digit alone cannot, such as a 6 against a turned 9.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rotkeras import _validation as check

__all__ = ["DigitReading", "NumberReading", "read_numbers"]

#: Longer side of the resolution at which the digits are searched (a larger photo is shrunk).
WORKING_SIZE = 640
#: Side of the square crop of each digit that the reader sees.
CROP_SIZE = 64
#: Digits at most this many digit sizes apart (the median longer side of the digits'
#: boxes) may belong to one number.
LINE_REACH = 2.0
#: A component longer than this many times the line's digit height holds several digits.
SPLIT_RATIO = 1.15
#: A component longer than this many times the line's digit height is never one digit
#: (the widest MNIST digits are 1.67 times as wide as high).
FORCE_SPLIT_RATIO = 1.75
#: A lone component (no neighbour) wider than this many times its height holds several digits.
LONE_SPLIT_RATIO = 1.5
#: A long component is read as several digits when the mean log-probability of the pieces'
#: digits exceeds the whole's by this much.
SPLIT_MARGIN = 0.0
#: Straight runs of ink this many digit sizes long are ruled lines, form boxes or edges.
LINE_LENGTH = 2.5
#: Components smaller than this fraction of the typical digit size are specks.
SPECK = 0.35
#: Components flatter than this fraction of the line's height (across the line) are dashes,
#: dots or fragments; a fragment this close (in line heights) above or below a digit joins it.
FLAT = 0.6
FRAGMENT_GAP = 0.3
#: A component off every line is a speck when smaller than this many line heights.
LONE = 0.75
#: Thin strokes taller than this many line heights are the sides of boxes, not ones.
TALL = 1.5
#: Crops per reader call (a fixed size: one compiled function).
_BATCH = 8
#: Expected width of one digit, as a fraction of the line's digit height (MNIST's median).
DIGIT_ASPECT = 0.8
#: Prior of the number's orientation (turns 0, 90, 180, 270): the reader's default.
ORIENTATION_PRIOR = (0.5, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0)
_POLARITIES = ("auto", "dark_on_light", "light_on_dark")
_TINY = 1e-12


@dataclass(frozen=True)
class DigitReading:
    """One digit of a number.

    Attributes:
        digit: The digit read, 0 to 9.
        confidence: The reader's probability of that digit, given the number's orientation.
        box: `(x_min, y_min, x_max, y_max)` of the digit's ink in pixels of the photo as
            given (maximum exclusive).

    Examples:
        >>> from rotkeras.reading import DigitReading
        >>> DigitReading(7, 0.98, (10, 4, 30, 40)).to_dict()
        {'digit': 7, 'confidence': 0.98, 'box': [10, 4, 30, 40]}
    """

    digit: int
    confidence: float
    box: tuple[int, int, int, int]

    def to_dict(self) -> dict[str, Any]:
        """The digit as a JSON-ready dict (`digit`, `confidence`, `box`)."""
        return {"digit": self.digit, "confidence": round(self.confidence, 6),
                "box": list(self.box)}


@dataclass(frozen=True)
class NumberReading:
    """One number: digits written on one line, read in one orientation.

    Attributes:
        text: The digits in reading order, e.g. `"2024"`.
        digits: The digits in reading order.
        orientation: How the number is turned in the photo, in degrees counter-clockwise
            (0, 90, 180 or 270): turning the photo back by this angle makes it upright.
        orientation_confidence: The probability of that orientation among those the
            line's direction allows.
        box: `(x_min, y_min, x_max, y_max)` around all the digits, in pixels of the photo.

    Examples:
        >>> from rotkeras.reading import DigitReading, NumberReading
        >>> digits = (DigitReading(4, 0.9, (10, 5, 30, 40)), DigitReading(2, 0.8, (34, 6, 55, 41)))
        >>> number = NumberReading("42", digits, 0, 0.99, (10, 5, 55, 41))
        >>> round(number.confidence, 2), number.to_dict()["text"]
        (0.72, '42')
    """

    text: str
    digits: tuple[DigitReading, ...]
    orientation: int
    orientation_confidence: float
    box: tuple[int, int, int, int] = field(default=(0, 0, 0, 0))

    @property
    def confidence(self) -> float:
        """The probability that every digit is right: the product of the digits' confidences."""
        return float(math.prod(d.confidence for d in self.digits))

    def to_dict(self) -> dict[str, Any]:
        """The number as a JSON-ready dict (`text`, `orientation`, confidences, boxes, digits)."""
        return {
            "text": self.text,
            "confidence": round(self.confidence, 6),
            "orientation": self.orientation,
            "orientation_confidence": round(self.orientation_confidence, 6),
            "box": list(self.box),
            "digits": [d.to_dict() for d in self.digits],
        }


def read_numbers(
    photo: Any,
    *,
    weights: str | os.PathLike[str] = "shipped",
    polarity: str = "auto",
    min_contrast: float = 0.08,
    orientation: str = "number",
) -> list[NumberReading]:
    """Reads every handwritten number in a photo, whichever way up it was taken.

    1. Ink: the photo is shrunk so that its longer side is at most 640 pixels, the paper
       is estimated with a grey closing (opening for light strokes) and subtracted, and
       the ink is what departs from it by a third of the strongest ink contrast (and at
       least `min_contrast`).
    2. Digits: connected components of the ink, once straight runs 2.5 digit sizes long
       (ruled lines, form boxes) are taken out; a fragment lying mostly inside a larger
       component's box joins it; specks (smaller than about a third of a typical digit) and
       long lines are dropped.
    3. Numbers: digits whose boxes overlap across the line and lie within about one
       digit of each other form a line; the photo's lines run either across or up and
       down, whichever more neighbouring digits agree on. Pieces lying mostly off their
       line's band join the digit next to them or are dropped, as are thin strokes much
       taller than the line (the sides of form boxes). A component much longer along
       its line than the line's digits are high (two or more digits that touch) is cut
       at the thinnest points of its ink profile into as many digits as its length
       suggests.
    4. Reading: every digit, cut out cleanly (its own ink only, dark on white, in a square
       crop), is read by the digit reader in one batch. Each number takes the quarter
       turn with the largest sum of its digits' orientation log-likelihoods plus a prior
       (upright half of the time), among upright and 180 degrees for a line running
       across and 90 and 270 degrees for a line running up and down (any turn for a
       single digit). Its digits are then read turned upright and ordered along the
       reading direction.

    Args:
        photo: `(height, width)` grayscale, or `(height, width, channels)` with 1, 3
            (RGB) or 4 (RGBA, alpha ignored) channels; uint8, or float in `[0, 1]` or
            `[0, 255]`; at least 8x8 pixels.
        weights: `"shipped"` (the reader's shipped weights) or the path of a weights file
            of `rotkeras.models.digit_reader`.
        polarity: `"auto"` (dark ink on light paper when the photo's median is light),
            `"dark_on_light"` or `"light_on_dark"`.
        min_contrast: Smallest ink contrast (in `[0, 1]` units) that counts as ink.
        orientation: `"number"` (one orientation per number, as above) or `"digit"`
            (each digit turned upright by its own most likely turn, for comparison; the
            number then reports the turn most of its digits took, with the fraction of
            its digits that took it as the confidence).

    Returns:
        The numbers found, ordered top to bottom and left to right in the photo; an
        empty list when the photo holds no ink.

    Raises:
        TypeError: If `photo` is not a numeric array, or an argument has the wrong type.
        ValueError: If `photo` has the wrong shape or non-finite values, or an argument
            is out of range.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.reading import read_numbers
        >>> photo = np.full((100, 200), 235, np.uint8)  # white paper
        >>> photo[25:75, 60:66] = 20   # a "1"
        >>> photo[25:75, 130:136] = 20  # another "1"
        >>> [number.text for number in read_numbers(photo)]
        ['11']
        >>> read_numbers(np.rot90(photo))[0].orientation in (90, 270)  # bars: either way up
        True
    """
    gray = _check_photo(photo)
    polarity = check.check_choice(polarity, "polarity", _POLARITIES)
    min_contrast = check.check_number(min_contrast, "min_contrast", low=0.0, high=1.0)
    per_digit = check.check_choice(orientation, "orientation", ("number", "digit")) == "digit"
    weights = _check_weights(weights)
    height, width = gray.shape
    scale = min(1.0, WORKING_SIZE / max(height, width))
    contrast = _ink_contrast(gray, scale, polarity)
    masks = _digit_masks(contrast, min_contrast)
    if not masks:
        return []
    lines, options = _lines(masks)
    crops = np.stack([_crop(contrast, mask) for mask in masks])
    scorer, reader = _readers(weights)
    whole_probs, turn_probs = _predict(scorer, crops)
    log_turns = np.log(np.clip(turn_probs, _TINY, 1.0))
    log_best = np.log(np.clip(whole_probs.max(axis=1), _TINY, 1.0))
    lines = [(_choose_splits(members, options, log_best), direction)
             for members, direction in lines]
    prior = np.log(np.asarray(ORIENTATION_PRIOR))
    turns = np.zeros(len(masks), np.int64)
    number_turns = []
    for members, direction in lines:
        score = log_turns[members].sum(axis=0) + prior
        if direction is not None and len(members) > 1:
            allowed = [0, 2] if direction == "across" else [1, 3]
            score = np.where(np.isin(np.arange(4), allowed), score, -np.inf)
        probs = np.exp(score - score.max())
        probs /= probs.sum()
        turn = int(np.argmax(probs))
        turns[members] = turn
        if per_digit:
            own = log_turns[members] + prior
            turns[members] = np.argmax(own, axis=1)
            turn = int(np.bincount(turns[members], minlength=4).argmax())
            probs = np.bincount(turns[members], minlength=4) / len(members)
        number_turns.append((turn, float(probs[turn])))
    upright = np.stack([np.rot90(crop, -int(t)) for crop, t in zip(crops, turns, strict=True)])
    digit_probs, _ = _predict(reader, upright)
    boxes = [_original_box(mask, scale, height, width) for mask in masks]
    numbers = []
    for (members, _), (turn, turn_conf) in zip(lines, number_turns, strict=True):
        direction = _reading_direction(turn)
        centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in (boxes[i] for i in members)]
        order = [members[j] for j in np.argsort(
            [cx * direction[0] + cy * direction[1] for cx, cy in centres], kind="stable")]
        digits = tuple(
            DigitReading(int(np.argmax(digit_probs[i])), float(np.max(digit_probs[i])), boxes[i])
            for i in order
        )
        box = (min(d.box[0] for d in digits), min(d.box[1] for d in digits),
               max(d.box[2] for d in digits), max(d.box[3] for d in digits))
        numbers.append(NumberReading("".join(str(d.digit) for d in digits), digits, 90 * turn,
                                     turn_conf, box))
    numbers.sort(key=lambda n: ((n.box[1] + n.box[3]) / 2, (n.box[0] + n.box[2]) / 2))
    return numbers


# --------------------------------------------------------------------------- checks
def _check_photo(photo: Any) -> np.ndarray:
    """The photo as float64 grayscale in `[0, 1]`."""
    if isinstance(photo, str | bytes | os.PathLike) or photo is None:
        raise TypeError(
            f"`photo` must be an image array (read files with rotkeras.datasets.read_image); "
            f"received {type(photo).__name__}"
        )
    try:
        array = np.asarray(photo)
    except Exception as error:  # noqa: BLE001 - e.g. a ragged nested list
        raise TypeError(f"`photo` must be an image array; received {type(photo).__name__}: "
                        f"{error}") from None
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer)
                                   or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"`photo` must be a numeric image array; received dtype {array.dtype}")
    if array.ndim == 3 and array.shape[-1] in (1, 3, 4):
        channels = array.shape[-1]
    elif array.ndim == 2:
        channels = 0
    else:
        raise ValueError(
            "`photo` must be (height, width) or (height, width, channels) with 1, 3 or 4 "
            f"channels; received shape {array.shape}"
        )
    if min(array.shape[:2]) < 8:
        raise ValueError(f"`photo` must be at least 8x8 pixels; received shape {array.shape}")
    values = array.astype(np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("`photo` holds NaN or infinite values")
    if np.issubdtype(array.dtype, np.integer) or values.max() > 1.5:
        values = values / 255.0
    values = np.clip(values, 0.0, 1.0)
    if channels == 0:
        return values
    if channels == 1:
        return values[..., 0]
    return values[..., :3] @ np.array([0.299, 0.587, 0.114])


def _check_weights(weights: Any) -> str:
    if isinstance(weights, str) and weights == "shipped":
        return weights
    if not isinstance(weights, str | os.PathLike):
        raise TypeError(f"`weights` must be 'shipped' or a file path; received {weights!r}")
    path = os.path.abspath(os.fspath(weights))
    if not os.path.isfile(path):
        raise FileNotFoundError(f"Weights file not found: {path}")
    return path


@functools.lru_cache(maxsize=2)
def _readers(weights: str) -> tuple[Any, Any]:
    """The reader with a uniform orientation prior (turn likelihoods), and one that reads
    digits as they stand (a prior of almost certainly upright)."""
    from rotkeras.models.digit_reader import digit_reader

    scorer = digit_reader(weights, orientation_prior=None, name="turn_scorer")
    reader = digit_reader(weights, orientation_prior=(1.0 - 3e-6, 1e-6, 1e-6, 1e-6),
                          name="upright_reader")
    return scorer, reader


# --------------------------------------------------------------------------- finding digits
def _ink_contrast(gray: np.ndarray, scale: float, polarity: str) -> np.ndarray:
    """How far every pixel departs from the paper towards the ink, at the working size."""
    import cv2

    if scale < 1.0:
        size = (max(8, round(gray.shape[1] * scale)), max(8, round(gray.shape[0] * scale)))
        gray = cv2.resize(gray.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    gray = gray.astype(np.float32)
    if polarity == "auto":
        polarity = "dark_on_light" if float(np.median(gray)) >= 0.5 else "light_on_dark"
    if polarity == "light_on_dark":
        gray = 1.0 - gray
    side = max(15, int(min(gray.shape) / 6) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    paper = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, kernel)
    return np.clip(paper - gray, 0.0, 1.0)


def _digit_masks(contrast: np.ndarray, min_contrast: float) -> list[np.ndarray]:
    """Boolean masks (full working size) of the digit candidates, before splitting."""

    strongest = float(np.quantile(contrast, 0.998))
    strongest = max(strongest, float(contrast.max()) * 0.5)
    if strongest < min_contrast:
        return []
    ink = (contrast >= max(min_contrast, strongest / 3)).astype(np.uint8)
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
             if not (is_thin and size > 2 * height)]
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
    """Connected components of the ink (at least 6 pixels) and the label image."""
    import cv2

    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    comps = []
    for label in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[label])
        if area >= 6:
            comps.append({"labels": [label], "box": [x, y, x + w, y + h], "area": area})
    return comps, labels


def _digit_size(comps: list[dict[str, Any]]) -> float:
    """The size (longer side of the box) of a typical digit: the median over the ink, each
    component weighted by its area, so that specks and dust barely count; long thin
    components (lines, but also ones) count only when there is nothing else."""
    sizes = np.array([max(c["box"][2] - c["box"][0], c["box"][3] - c["box"][1]) for c in comps],
                     np.float64)
    areas = np.array([c["area"] for c in comps], np.float64)
    thin = np.array([_elongated(c["box"]) for c in comps])
    if not thin.all():
        sizes, areas = sizes[~thin], areas[~thin]
    order = np.argsort(sizes)
    cumulative = np.cumsum(areas[order])
    return float(sizes[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])])


def _straight_lines(ink: np.ndarray, length: int) -> np.ndarray:
    """The ink of straight horizontal and vertical runs at least `length` pixels long."""
    import cv2

    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((1, length), np.uint8))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((length, 1), np.uint8))
    lines = (across | down).astype(bool)
    if lines.any():  # the line's own ragged edge, one pixel either side
        lines = cv2.dilate(lines.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & (
            ink > 0)
    return lines


def _elongated(box: list[int]) -> bool:
    w, h = box[2] - box[0], box[3] - box[1]
    return min(w, h) <= 0.12 * max(w, h)


def _thin(box: list[int], area: int) -> bool:
    w, h = box[2] - box[0], box[3] - box[1]
    return _elongated(box) or area <= 0.08 * w * h


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


def _box(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _neighbours(a: tuple[int, ...], b: tuple[int, ...], axis: int, reach: float) -> bool:
    """Whether boxes `a` and `b` lie side by side along `axis` (0: across, 1: up and down)."""
    along = (0, 2) if axis == 0 else (1, 3)
    across = (1, 3) if axis == 0 else (0, 2)
    overlap = min(a[across[1]], b[across[1]]) - max(a[across[0]], b[across[0]])
    extent = min(a[across[1]] - a[across[0]], b[across[1]] - b[across[0]])
    gap = max(a[along[0]], b[along[0]]) - min(a[along[1]], b[along[1]])
    return overlap >= 0.4 * extent and gap <= reach


def _predict(model: Any, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The model's two outputs on the crops, in batches of a fixed size (one compiled
    function whatever the number of digits)."""
    count = len(crops)
    padded = -count % _BATCH
    if padded:
        crops = np.concatenate([crops, np.full((padded, *crops.shape[1:]), 235, np.uint8)])
    digits, turns = [], []
    for start in range(0, len(crops), _BATCH):
        # predict_on_batch: no input pipeline to build per call, one compiled function.
        batch_digits, batch_turns = model.predict_on_batch(crops[start : start + _BATCH])
        digits.append(np.asarray(batch_digits, np.float64))
        turns.append(np.asarray(batch_turns, np.float64))
    return np.concatenate(digits)[:count], np.concatenate(turns)[:count]


def _choose_splits(members: list[int], options: dict[int, list[list[int]]],
                   log_best: np.ndarray) -> list[int]:
    """Replaces each component that may hold several digits by the candidate (itself, or
    its pieces in one of a few counts) whose digits the reader is surest of: the largest
    mean log-probability of their best digits."""
    out = []
    for i in members:
        candidates = options.get(i)
        if not candidates:
            out.append(i)
            continue
        scores = [float(np.mean(log_best[c])) + (0.0 if c == [i] else -SPLIT_MARGIN)
                  for c in candidates]
        out.extend(candidates[int(np.argmax(scores))])
    return out


def _lines(
    masks: list[np.ndarray],
) -> tuple[list[tuple[list[int], str | None]], dict[int, list[list[int]]]]:
    """Groups the digit masks into lines; returns `(members, direction)` per line (direction
    `"across"`, `"down"`, or None for a lone digit), and for each component too long for
    one digit the indices of its pieces (appended to `masks`)."""
    boxes = [_box(m) for m in masks]
    alive = list(range(len(boxes)))
    pairs, axis = _pairs(boxes, alive)
    if pairs[axis]:
        alive = _tidy_lines(masks, boxes, _groups(alive, pairs[axis]), axis)
        if not alive:
            return [], {}
        pairs, _ = _pairs(boxes, alive, axis)
    groups = _groups(alive, pairs[axis])
    lines = []
    options: dict[int, list[list[int]]] = {}
    for members in groups:
        line_axis: int | None = axis if len(members) > 1 else None
        if line_axis is None:
            b = boxes[members[0]]
            w, h = b[2] - b[0], b[3] - b[1]
            if w > LONE_SPLIT_RATIO * h:
                line_axis = 0
        if line_axis is not None:
            options.update(_split_wide(masks, boxes, members, line_axis))
        many = len(members) > 1 or any(i in options for i in members)
        direction = None if line_axis is None or not many else (
            "across" if line_axis == 0 else "down")
        lines.append((members, direction))
    return lines, options


def _pairs(boxes: list[tuple[int, ...]], alive: list[int], axis: int | None = None,
           ) -> tuple[dict[int, list[tuple[int, int]]], int]:
    """Pairs of neighbouring boxes along each axis, and the axis more pairs agree on (or
    `axis` when given)."""
    sizes = [max(boxes[i][2] - boxes[i][0], boxes[i][3] - boxes[i][1]) for i in alive]
    reach = LINE_REACH * float(np.median(sizes))
    pairs: dict[int, list[tuple[int, int]]] = {0: [], 1: []}
    for n, i in enumerate(alive):
        for j in alive[n + 1 :]:
            for a in (0, 1):
                if _neighbours(boxes[i], boxes[j], a, reach):
                    pairs[a].append((i, j))
    if axis is None:
        axis = 0 if len(pairs[0]) >= len(pairs[1]) else 1
    return pairs, axis


def _groups(alive: list[int], pairs: list[tuple[int, int]]) -> list[list[int]]:
    """The connected groups of `alive` under `pairs` (union-find), in index order."""
    parent = {i: i for i in alive}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        if i in parent and j in parent:
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in alive:
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _tidy_lines(masks: list[np.ndarray], boxes: list[tuple[int, ...]],
                groups: list[list[int]], axis: int) -> list[int]:
    """Drops what lies off its line of digits, against the line's height: flat components
    and those that lie mostly above or below the line (dashes, dots, specks, bits of ruled
    lines and form boxes) are joined to the digit just above or below them when there is
    one (the flag of a 5, the bar of a 7) and dropped otherwise; thin strokes much taller
    than the line (the sides of form boxes) are dropped. The line's band follows its
    direction, so a tilted line keeps its digits. Returns the indices kept."""
    along = (0, 2) if axis == 0 else (1, 3)
    across = (1, 3) if axis == 0 else (0, 2)

    def extent(i: int) -> int:
        return boxes[i][across[1]] - boxes[i][across[0]]

    def centre(i: int, sides: tuple[int, int]) -> float:
        return 0.5 * (boxes[i][sides[0]] + boxes[i][sides[1]])

    def tall(i: int, line_height: float) -> bool:  # a thin stroke much taller than the line
        b = boxes[i]
        return extent(i) > TALL * line_height and b[along[1]] - b[along[0]] <= 0.2 * extent(i)

    lines = [g for g in groups if len(g) > 1]
    height = float(np.median([extent(i) for g in lines for i in g]))
    flat, kept = [], []
    for group in groups:
        if len(group) == 1:  # off every line: kept only when about as large as a digit
            b = boxes[group[0]]
            small = max(extent(group[0]), b[along[1]] - b[along[0]]) < LONE * height
            if tall(group[0], height):
                continue
            (flat if extent(group[0]) < FLAT * height or small else kept).append(group[0])
            continue
        line_height = float(np.median([extent(i) for i in group]))
        if line_height < FLAT * height:  # a row of dashes or dots
            flat.extend(group)
            continue
        body = [i for i in group if extent(i) >= FLAT * line_height] or group
        xs = np.array([centre(i, along) for i in body])
        ys = np.array([centre(i, across) for i in body])
        slopes = [(ys[n] - ys[m]) / (xs[n] - xs[m]) for m in range(len(body))
                  for n in range(m + 1, len(body)) if xs[n] != xs[m]]
        slope = float(np.clip(np.median(slopes), -1.0, 1.0)) if slopes else 0.0
        offset = float(np.median(ys - slope * xs))
        line_height = float(np.median([extent(i) for i in body]))
        for i in group:
            b = boxes[i]
            middle = offset + slope * centre(i, along)
            inside = min(b[across[1]], middle + line_height / 2) - max(
                b[across[0]], middle - line_height / 2)
            if tall(i, line_height):
                continue
            (flat if inside < FLAT * line_height else kept).append(i)
    for i in flat:
        b = boxes[i]
        best, best_gap = None, FRAGMENT_GAP * height
        for j in kept:
            c = boxes[j]
            overlap = min(b[along[1]], c[along[1]]) - max(b[along[0]], c[along[0]])
            gap = max(b[across[0]], c[across[0]]) - min(b[across[1]], c[across[1]])
            if overlap >= 0.5 * (b[along[1]] - b[along[0]]) and gap <= best_gap:
                best, best_gap = j, gap
        if best is not None:
            masks[best] = masks[best] | masks[i]
            boxes[best] = _box(masks[best])
    return sorted(i for i in kept if not tall(i, height))


def _split_wide(masks: list[np.ndarray], boxes: list[tuple[int, ...]], members: list[int],
                axis: int) -> dict[int, list[list[int]]]:
    """Cuts the line's components that are too long for one digit into pieces (appended to
    `masks`), in a few candidate counts; returns the candidates by component, the
    component itself (unsplit, as `[i]`) among them when one digit could be that long."""
    along = (0, 2) if axis == 0 else (1, 3)
    across = (1, 3) if axis == 0 else (0, 2)
    heights = [boxes[i][across[1]] - boxes[i][across[0]] for i in members]
    height = float(np.median(heights))
    lengths = {i: boxes[i][along[1]] - boxes[i][along[0]] for i in members}
    limits = {i: max(height, boxes[i][across[1]] - boxes[i][across[0]]) for i in members}
    single = [lengths[i] for i in members if lengths[i] <= SPLIT_RATIO * limits[i]]
    width = DIGIT_ASPECT * height
    if single:  # the width of this writer's digits, within reason
        width = float(np.clip(np.median(single), 0.55 * height, 0.95 * height))
    out: dict[int, list[list[int]]] = {}
    for i in members:
        length = lengths[i]
        if length <= SPLIT_RATIO * limits[i] or length < 8:
            continue
        guess = max(2, int(round(length / width)))
        candidates = [] if length > FORCE_SPLIT_RATIO * limits[i] else [[i]]
        for count in sorted({max(2, guess - 1), guess, guess + 1}):
            pieces = _cut(masks, boxes, i, axis, count)
            if len(pieces) > 1:
                candidates.append(pieces)
        if candidates and candidates != [[i]]:
            out[i] = candidates
    return out


def _cut(masks: list[np.ndarray], boxes: list[tuple[int, ...]], i: int, axis: int,
         count: int) -> list[int]:
    """Cuts component `i` into `count` pieces along `axis` at the thinnest points of its ink
    near the even cuts; appends them to `masks` and returns their indices."""
    b = boxes[i]
    lo_edge = b[0] if axis == 0 else b[1]
    length = (b[2] - b[0]) if axis == 0 else (b[3] - b[1])
    region = masks[i]
    profile = region.sum(axis=0 if axis == 0 else 1)[lo_edge : lo_edge + length]
    cuts = []
    step = length / count
    for k in range(1, count):
        lo, hi = int(k * step - 0.3 * step), int(k * step + 0.3 * step) + 1
        window = profile[max(1, lo) : min(length - 1, hi)]
        cuts.append(max(1, lo) + int(np.argmin(window)) if len(window) else int(k * step))
    bounds = [0, *cuts, length]
    found = []
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        piece = np.zeros_like(region)
        if axis == 0:
            piece[:, lo_edge + start : lo_edge + end] = region[:, lo_edge + start : lo_edge + end]
        else:
            piece[lo_edge + start : lo_edge + end] = region[lo_edge + start : lo_edge + end]
        if piece.sum() >= 4:
            masks.append(piece)
            boxes.append(_box(piece))
            found.append(len(masks) - 1)
    return found


def _crop(contrast: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The digit alone, dark on white, centred in a square crop with a margin, uint8 RGB."""
    import cv2

    x0, y0, x1, y1 = _box(mask)
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


def _original_box(mask: np.ndarray, scale: float, height: int, width: int) -> tuple[int, ...]:
    x0, y0, x1, y1 = _box(mask)
    return (max(0, int(math.floor(x0 / scale))), max(0, int(math.floor(y0 / scale))),
            min(width, int(math.ceil(x1 / scale))), min(height, int(math.ceil(y1 / scale))))


def _reading_direction(turn: int) -> tuple[int, int]:
    """The photo's `(x, y)` direction in which an upright line, turned by `90 * turn` degrees
    counter-clockwise, is read (image rows grow downwards)."""
    return ((1, 0), (0, -1), (-1, 0), (0, 1))[turn % 4]
