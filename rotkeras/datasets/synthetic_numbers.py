"""Synthetic photos of handwritten numbers, composed from MNIST digits (for tests and tuning)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rotkeras import _validation as check

#: Quarter turns the generator applies, in degrees counter-clockwise.
TURNS = (0, 90, 180, 270)


def make_synthetic_numbers(
    n: int,
    digits: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    *,
    numbers: Sequence[str] | None = None,
    length: int | tuple[int, int] = (2, 5),
    size: int = 256,
    seed: int = 0,
    turns: tuple[int, ...] = (0,),
    tilt: float = 0.0,
    touching: float = 0.0,
) -> tuple[np.ndarray, list[str], list[np.ndarray], np.ndarray]:
    """Composes photos of handwritten numbers: MNIST digits written side by side on paper.

    Every photo shows one number of `length` digits written on one line, dark ink on light,
    slightly textured paper, each digit scaled to a random height (the same for the whole
    number, give or take 10 %), with random gaps and a small up-and-down wander. The number
    can be tilted by up to `tilt` degrees and then turned by a right angle drawn from
    `turns`; with probability `touching` a digit is slid left until its ink touches the
    previous digit's (one connected blot of ink, as in quick handwriting). Seeded and
    deterministic for a given `seed` and OpenCV version.

    Args:
        n: Number of photos.
        digits: `(N, 28, 28)` uint8 MNIST-style source digits (white on black); by
            default the MNIST test split from `rotkeras.datasets.load_mnist()`.
        labels: `(N,)` labels of `digits` (required with `digits`).
        numbers: The `n` numbers to write (strings of 1 to 8 digits), each digit drawn
            from the source digits of its label; by default random digits.
        length: Digits per number: an int, or `(shortest, longest)` drawn uniformly; 1 to 8
            (ignored with `numbers`).
        size: Side of the square photos, 64 to 4096 pixels.
        seed: Seed of the NumPy generator.
        turns: Right angles to turn the photos by, drawn uniformly (degrees
            counter-clockwise, among 0, 90, 180 and 270).
        tilt: Largest tilt of the line of digits, in degrees (0 to 30), drawn uniformly in
            `[-tilt, tilt]` before the turn.
        touching: Probability, per digit after the first, that it touches the one before.

    Returns:
        `(photos, numbers, boxes, turns)`: `(n, size, size, 3)` uint8 RGB photos; the `n`
        numbers as strings of digits in reading order; for each photo a `(length, 4)`
        int array of the digits' ink boxes `(x_min, y_min, x_max, y_max)` in pixels of the
        turned photo (maximum exclusive, as in slicing), in the order of the string; and
        the `(n,)` int turns in degrees counter-clockwise.

    Raises:
        ValueError: For a value out of range, or `digits` without `labels`.
        TypeError: For an argument of the wrong type.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.datasets import make_synthetic_numbers
        >>> digits = np.zeros((2, 28, 28), np.uint8)
        >>> digits[0, 4:24, 12:16] = 255  # a "1"
        >>> digits[1, 4:24, 8:20] = 255; digits[1, 8:20, 12:16] = 0  # a "0"
        >>> photos, numbers, boxes, turns = make_synthetic_numbers(
        ...     2, digits, np.array([1, 0]), length=3, size=96, turns=(0, 90))
        >>> photos.shape, len(numbers[0]), boxes[0].shape
        ((2, 96, 96, 3), 3, (3, 4))
    """
    import cv2

    n = check.check_positive_int(n, "n")
    size = check.check_int(size, "size", minimum=64)
    if size > 4096:
        raise ValueError(f"`size` must be at most 4096; received size={size!r}")
    shortest, longest = _check_length(length)
    seed = check.check_seed(seed, allow_none=False)
    turn_list = _check_turns(turns)
    tilt = check.check_number(tilt, "tilt", low=0.0, high=30.0)
    touching = check.check_number(touching, "touching", low=0.0, high=1.0)
    if digits is None:
        from rotkeras.datasets.mnist import load_mnist

        _, (digits, labels) = load_mnist()
    if labels is None:
        raise ValueError("`labels` must be given together with `digits`")
    digits, labels = np.asarray(digits), np.asarray(labels)
    if digits.ndim != 3 or len(digits) == 0 or labels.shape != (len(digits),):
        raise ValueError(
            "`digits` must be a non-empty (N, H, W) array with N labels; received shapes "
            f"{digits.shape} and {labels.shape}"
        )
    wanted = _check_numbers(numbers, n, labels)
    rng = np.random.default_rng(seed)
    photos = np.empty((n, size, size, 3), np.uint8)
    numbers: list[str] = []
    boxes: list[np.ndarray] = []
    turned = np.empty(n, np.int64)
    for i in range(n):
        if wanted is None:
            count = int(rng.integers(shortest, longest + 1))
            picks = rng.integers(0, len(digits), count)
        else:
            picks = np.array([rng.choice(np.flatnonzero(labels == int(c))) for c in wanted[i]])
        turn = int(turn_list[rng.integers(len(turn_list))])
        angle = float(rng.uniform(-tilt, tilt)) if tilt else 0.0
        photo, box = _render(cv2, rng, digits[picks], size, angle, turn, touching)
        photos[i] = photo
        numbers.append("".join(str(int(labels[p])) for p in picks))
        boxes.append(box)
        turned[i] = turn
    return photos, numbers, boxes, turned


def _check_numbers(numbers: Any, n: int, labels: np.ndarray) -> list[str] | None:
    if numbers is None:
        return None
    if isinstance(numbers, str) or not isinstance(numbers, Sequence):
        raise TypeError(f"`numbers` must be a sequence of strings of digits; received {numbers!r}")
    if len(numbers) != n:
        raise ValueError(f"`numbers` must hold n={n} strings; received {len(numbers)}")
    present = {str(int(v)) for v in np.unique(labels)}
    for text in numbers:
        if not isinstance(text, str):
            raise TypeError(f"`numbers` must hold strings of digits; received {text!r}")
        if not (1 <= len(text) <= 8 and text.isdigit() and text.isascii()):
            raise ValueError(f"`numbers` must hold strings of 1 to 8 digits; received {text!r}")
        missing = sorted(set(text) - present)
        if missing:
            raise ValueError(f"`numbers` holds {text!r}, but `labels` has no digit {missing[0]}")
    return list(numbers)


def _check_length(length: Any) -> tuple[int, int]:
    if isinstance(length, tuple | list):
        if len(length) != 2:
            raise ValueError(f"`length` must be an int or (shortest, longest); received {length!r}")
        low = check.check_positive_int(length[0], "length[0]")
        high = check.check_positive_int(length[1], "length[1]")
    else:
        low = high = check.check_positive_int(length, "length")
    if not 1 <= low <= high <= 8:
        raise ValueError(f"`length` must lie in 1..8 with shortest <= longest; received {length!r}")
    return low, high


def _check_turns(turns: Any) -> list[int]:
    if isinstance(turns, str) or not isinstance(turns, tuple | list) or not turns:
        raise TypeError(f"`turns` must be a non-empty tuple of right angles; received {turns!r}")
    out = []
    for turn in turns:
        value = check.check_int(turn, "turns[i]")
        if value not in TURNS:
            raise ValueError(f"`turns` must be among {TURNS}; received turns={turns!r}")
        out.append(value)
    return out


def _digit_alpha(cv2: Any, digit: np.ndarray, height: int, stretch: float) -> np.ndarray:
    """The digit's ink cropped to its box, scaled to `height` rows, in `[0, 1]`."""
    mask = digit.astype(np.float32) / 255.0
    rows, cols = np.nonzero(mask > 0.1)
    if len(rows) == 0:
        return np.zeros((height, max(2, height // 3)), np.float32)
    mask = mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    width = max(2, int(round(mask.shape[1] * height / mask.shape[0] * stretch)))
    big = cv2.resize(mask, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.clip((big - 0.25) / 0.3, 0.0, 1.0)


def _render(
    cv2: Any,
    rng: np.random.Generator,
    digits: np.ndarray,
    size: int,
    angle: float,
    turn: int,
    touching: float,
) -> tuple[np.ndarray, np.ndarray]:
    count = len(digits)
    # The number spans at most ~80 % of the photo's width (less when tilted).
    height = int(min(0.3 * size, 0.8 * size / (0.95 * count + 0.3) * rng.uniform(0.7, 1.0)))
    height = max(height, 12)
    alphas = [_digit_alpha(cv2, d, max(8, int(height * rng.uniform(0.9, 1.1))),
                           rng.uniform(0.9, 1.15)) for d in digits]
    span = 2 * size  # a wide strip first; it is centred and cropped to the photo after
    strip = np.zeros((count, size, span), np.float32)
    x = 0
    union = np.zeros((size, span), np.float32)
    for index, alpha in enumerate(alphas):
        h, w = alpha.shape
        top = int(round(size / 2 - h / 2 + rng.uniform(-0.06, 0.06) * height))
        top = min(max(top, 0), size - h)
        if index:
            x += int(round(rng.uniform(0.15, 0.45) * height))
        layer = np.zeros((size, span), np.float32)
        layer[top : top + h, x : x + w] = alpha
        if index and rng.uniform() < touching:
            grown = cv2.dilate((union > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8))
            for _ in range(x + w):
                if np.any((layer > 0.5) & (grown > 0)) or x == 0:
                    break
                layer = np.roll(layer, -1, axis=1)
                x -= 1
        strip[index] = layer
        union = np.maximum(union, layer)
        x += w
    # Centre the number, tilt it, crop to the photo.
    centre_x = x / 2.0
    matrix = cv2.getRotationMatrix2D((centre_x, size / 2), angle, 1.0)
    matrix[0, 2] += size / 2 - centre_x
    layers = np.stack([cv2.warpAffine(layer, matrix, (size, size), flags=cv2.INTER_LINEAR)
                       for layer in strip])
    k = turn // 90
    layers = np.rot90(layers, k, axes=(1, 2))
    alpha = layers.max(axis=0)
    boxes = np.zeros((count, 4), np.int64)
    for index, layer in enumerate(layers):
        ys, xs = np.nonzero(layer > 0.25)
        if len(ys):
            boxes[index] = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    paper = rng.uniform(0.78, 0.96) + rng.uniform(-0.03, 0.03, 3)
    noise = cv2.GaussianBlur(rng.standard_normal((size, size)).astype(np.float32), (0, 0), 3.0)
    texture = 0.03 * noise / (noise.std() + 1e-6) + 0.01 * rng.standard_normal((size, size))
    ink = np.full(3, rng.uniform(0.03, 0.25)) if rng.uniform() < 0.6 else np.array(
        [rng.uniform(0.05, 0.2), rng.uniform(0.1, 0.25), rng.uniform(0.35, 0.6)])
    image = (paper[None, None] + texture[..., None]) * (1 - alpha[..., None]) \
        + ink * alpha[..., None]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size - 0.5
    theta = rng.uniform(0, 2 * np.pi)
    image *= (1.0 + rng.uniform(0, 0.25) * (yy * np.sin(theta) + xx * np.cos(theta)))[..., None]
    image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), rng.uniform(0.4, 1.0))
    photo = np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(photo), boxes
