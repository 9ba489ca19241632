"""`read_numbers`: every handwritten number in a photo, one orientation each."""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from rotkeras import _validation as check
from rotkeras._shipped import READER_WEIGHTS
from rotkeras.datasets.turned_photos import straighten_turned_photo
from rotkeras.reading._ink import (
    MIN_WORKING_SIZE,
    WORKING_SIZE,
    crop,
    digit_masks,
    ink_contrast,
    original_box,
)
from rotkeras.reading._lines import choose_splits, group_lines, reading_direction
from rotkeras.reading.results import DigitReading, NumberReading

#: Prior of the number's orientation (turns 0, 90, 180, 270): the reader's default.
ORIENTATION_PRIOR = (0.5, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0)
#: Crops per reader call (a fixed size: one compiled function).
_BATCH = 8
_POLARITIES = ("auto", "dark_on_light", "light_on_dark")
#: What `read_numbers`' `orientation` may be: one turn per photo, per number or per digit.
ORIENTATIONS = ("photo", "number", "digit")
_TINY = 1e-12


def read_numbers(
    photo: Any,
    *,
    weights: str | os.PathLike[str] = "numbers",
    polarity: str = "auto",
    min_contrast: float = 0.08,
    orientation: str = "photo",
) -> list[NumberReading]:
    """Reads every handwritten number in a photo, whichever way up it was taken.

    A photo turned within its frame by an angle that is not a right angle (an editor's
    turn: a tilted rectangle of photo, flat colour around it) is turned back level first
    (`rotkeras.datasets.straighten_turned_photo`); the boxes are still given in the photo
    as given (around the turned digit), and each number reports the angle as its `tilt`.

    1. Ink: the photo is shrunk so that its longer side is at most 640 pixels (a photo
       under 256 pixels has its contrast enlarged to 256), the paper is estimated with a
       grey closing (opening for light strokes) and subtracted, and the ink is what
       departs from it by a third of the strongest ink contrast, by four robust
       deviations above the paper's grain, and by at least `min_contrast`.
    2. Digits: connected components of the ink, once straight runs 2.5 digit sizes long
       (ruled lines, form boxes, also a few degrees off level) are taken out; a fragment
       lying mostly inside a larger component's box joins it; specks (smaller than about
       a third of a typical digit, the size weighted by stroke length) and long lines
       are dropped.
    3. Numbers: digits whose boxes overlap across the line and lie within about one
       digit of each other form a line; the photo's lines run either across or up and
       down, whichever more neighbouring digits agree on. Pieces lying mostly off their
       line's band join the digit next to them, or each other when together they fill
       the band (an 8 in two loops), or are dropped, as are thin strokes much taller than
       the line (the sides of form boxes). Two neighbours that together are no longer
       than a digit are read as one when the reader is surer of the whole (a 4 whose stem
       stands apart). A component much longer along
       its line than the line's digits are high (two or more digits that touch) is cut
       at the thinnest points of its ink profile into as many digits as its length
       suggests.
    4. Reading: every digit, cut out cleanly (its own ink only, dark on white, in a square
       crop), is read by the digit reader in one batch. The photo takes the quarter
       turn with the largest sum of all its digits' orientation log-likelihoods plus a
       prior (upright half of the time), among upright and 180 degrees when its lines run
       across and 90 and 270 degrees when they run up and down (any turn when every
       number is a single digit): a photo is turned as a whole, so its numbers share one
       orientation. The digits are then read turned upright and each number's digits
       ordered along the reading direction.

    Args:
        photo: `(height, width)` grayscale, or `(height, width, channels)` with 1, 3
            (RGB) or 4 (RGBA, alpha ignored) channels; uint8, or float in `[0, 1]` or
            `[0, 255]`; at least 8x8 pixels.
        weights: `"numbers"` (the digit reader's shipped weights for numbers, trained
            without tilted digits), `"shipped"` (its default weights, trained also on
            digits tilted by up to 45 degrees, for single digits photographed at a
            slant) or the path of a weights file of `rotkeras.models.digit_reader`.
        polarity: `"auto"` (dark ink on light paper when the photo's median is light),
            `"dark_on_light"` or `"light_on_dark"`.
        min_contrast: Smallest ink contrast (in `[0, 1]` units) that counts as ink.
        orientation: `"photo"` (one orientation for every number of the photo, as
            above), `"number"` (each number its own, from its own digits: for photos
            that hold numbers written different ways up) or `"digit"` (each digit turned
            upright by its own most likely turn, for comparison; the number then reports
            the turn most of its digits took, with the fraction of its digits that took
            it as the confidence).

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
    import cv2

    image = _check_photo(photo)
    polarity = check.check_choice(polarity, "polarity", _POLARITIES)
    min_contrast = check.check_number(min_contrast, "min_contrast", low=0.0, high=1.0)
    mode = check.check_choice(orientation, "orientation", ORIENTATIONS)
    weights = _check_weights(weights)
    height, width = image.shape
    # A photo turned within its frame (an editor's turn): read it turned back level.
    level, tilt = straighten_turned_photo(cv2.convertScaleAbs(image, alpha=255.0))
    if tilt:
        image = level.astype(np.float32) / np.float32(255.0)
    longer = max(height, width)
    scale = min(WORKING_SIZE, max(MIN_WORKING_SIZE, longer)) / longer
    contrast = ink_contrast(image, scale, polarity)
    masks = digit_masks(contrast, min_contrast)
    if not masks:
        return []
    # appends the pieces of long components, and unions of neighbours, to `masks`
    lines, options, joins = group_lines(masks)
    crops = np.stack([crop(contrast, mask) for mask in masks])
    scorer, reader = _readers(weights)
    whole_probs, turn_probs = _predict(scorer, crops)
    log_turns = np.log(np.clip(turn_probs, _TINY, 1.0))
    log_best = np.log(np.clip(whole_probs.max(axis=1), _TINY, 1.0))
    lines = [(choose_splits(members, options, log_best, joins), direction)
             for members, direction in lines]
    turns, number_turns = _orientations(lines, log_turns, mode)
    upright = np.stack([np.rot90(crop, -int(t)) for crop, t in zip(crops, turns, strict=True)])
    digit_probs, _ = _predict(reader, upright)
    boxes = [original_box(mask, scale, height, width) for mask in masks]
    if tilt:
        boxes = [_turned_box(box, tilt, height, width) for box in boxes]
    numbers = [_number(members, turn, turn_conf, digit_probs, boxes, tilt)
               for (members, _), (turn, turn_conf) in zip(lines, number_turns, strict=True)]
    return _reading_order(numbers)


def _turned_box(box: tuple[int, ...], angle: float, height: int,
                width: int) -> tuple[int, int, int, int]:
    """The box around `box` of a photo turned back level by `-angle` degrees (about its
    centre, as `straighten_turned_photo` does), in the photo as given."""
    import cv2

    x0, y0, x1, y1 = box
    turn = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), angle, 1.0)
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]], np.float64)
    xs, ys = (corners @ turn.T).T
    return (max(0, int(np.floor(xs.min()))), max(0, int(np.floor(ys.min()))),
            min(width, int(np.ceil(xs.max()))), min(height, int(np.ceil(ys.max()))))


def _reading_order(numbers: list[NumberReading]) -> list[NumberReading]:
    """`numbers` in rows, top to bottom, and left to right within a row.

    A number joins the row of the topmost number not yet placed when its centre lies
    within that number's height, so numbers side by side whose boxes differ by a few
    pixels read left to right rather than by the height of their centres.
    """
    left = sorted(numbers, key=lambda n: (n.box[1] + n.box[3], n.box[0] + n.box[2]))
    ordered: list[NumberReading] = []
    while left:
        top = left[0].box
        row = [n for n in left if top[1] <= (n.box[1] + n.box[3]) / 2 <= top[3]]
        ordered += sorted(row, key=lambda n: n.box[0] + n.box[2])
        left = [n for n in left if all(n is not r for r in row)]
    return ordered


def _orientations(
    lines: list[tuple[list[int], str | None]], log_turns: np.ndarray, mode: str,
) -> tuple[np.ndarray, list[tuple[int, float]]]:
    """The quarter turn of every digit, and `(turn, confidence)` of every number.

    A number takes the turn with the largest sum of its digits' log-likelihoods plus the
    prior, among those its line's direction allows; with `mode="photo"` the sums run over
    every digit of the photo, so all numbers take one turn; with `mode="digit"` each digit
    takes its own and the number the turn most of its digits took.
    """
    prior = np.log(np.asarray(ORIENTATION_PRIOR))
    turns = np.zeros(len(log_turns), np.int64)
    number_turns = []
    photo_probs = None
    if mode == "photo":  # one sum over the whole photo, with the lines' directions
        score = log_turns[[i for members, _ in lines for i in members]].sum(axis=0) + prior
        allowed = np.logical_and.reduce([_allowed(m, d) for m, d in lines])
        # Lines that disagree (a lone component cut across on a photo whose lines run up
        # and down) leave every turn open.
        photo_probs = _softmax(np.where(allowed if allowed.any() else True, score, -np.inf))
    for members, direction in lines:
        if photo_probs is not None:
            probs = photo_probs
        else:
            score = log_turns[members].sum(axis=0) + prior
            probs = _softmax(np.where(_allowed(members, direction), score, -np.inf))
        turn = int(np.argmax(probs))
        turns[members] = turn
        if mode == "digit":
            own = log_turns[members] + prior
            turns[members] = np.argmax(own, axis=1)
            turn = int(np.bincount(turns[members], minlength=4).argmax())
            probs = np.bincount(turns[members], minlength=4) / len(members)
        number_turns.append((turn, float(probs[turn])))
    return turns, number_turns


def _softmax(score: np.ndarray) -> np.ndarray:
    """Probabilities of the quarter turns from their log-scores (-inf: not allowed)."""
    probs = np.exp(score - score.max())
    return probs / probs.sum()


def _allowed(members: list[int], direction: str | None) -> np.ndarray:
    """Which quarter turns a line allows: two for a line of several digits (upright and 180
    degrees when it runs across, 90 and 270 when up and down), all four for one digit."""
    if direction is None or len(members) < 2:
        return np.ones(4, bool)
    return np.isin(np.arange(4), [0, 2] if direction == "across" else [1, 3])


def _number(members: list[int], turn: int, turn_conf: float, digit_probs: np.ndarray,
            boxes: list[tuple[int, ...]], tilt: float) -> NumberReading:
    """The number of a line: its digits ordered along the reading direction of its turn."""
    direction = reading_direction(turn)
    centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in (boxes[i] for i in members)]
    order = [members[j] for j in np.argsort(
        [cx * direction[0] + cy * direction[1] for cx, cy in centres], kind="stable")]
    digits = tuple(
        DigitReading(int(np.argmax(digit_probs[i])), float(np.max(digit_probs[i])), boxes[i])
        for i in order
    )
    box = (min(d.box[0] for d in digits), min(d.box[1] for d in digits),
           max(d.box[2] for d in digits), max(d.box[3] for d in digits))
    return NumberReading("".join(str(d.digit) for d in digits), digits, 90 * turn, turn_conf,
                         box, round(float(tilt), 1))


# --------------------------------------------------------------------------- checks
def _check_photo(photo: Any) -> np.ndarray:
    """The photo as float32 grayscale in `[0, 1]`."""
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
    import cv2

    if channels:
        array = array[..., :3] if channels > 1 else array[..., 0]
    if np.issubdtype(array.dtype, np.integer):  # 0-255; larger values are white
        if array.dtype != np.uint8:
            array = np.clip(array, 0, 255)
        values = array.astype(np.float32)
        values *= np.float32(1.0 / 255.0)
    else:
        values = array.astype(np.float32)
        if not np.isfinite(values).all():
            raise ValueError("`photo` holds NaN or infinite values")
        if values.max() > 1.5:
            values *= np.float32(1.0 / 255.0)
        np.clip(values, 0.0, 1.0, out=values)
    if values.ndim == 3:  # grey, as cv2 and PIL weigh the channels; float32 throughout: a
        # 12-megapixel photo converts in hundredths of a second, not in one and a half
        values = cv2.transform(values, np.array([[0.299, 0.587, 0.114]], np.float32))
    return values


def _check_weights(weights: Any) -> str:
    if isinstance(weights, str) and weights in READER_WEIGHTS:
        return weights
    if not isinstance(weights, str | os.PathLike):
        raise TypeError("`weights` must be 'numbers', 'shipped' or a file path; "
                        f"received {weights!r}")
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
