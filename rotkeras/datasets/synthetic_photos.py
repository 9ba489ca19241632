"""Realistic synthetic photos of handwritten digits, rendered from MNIST (for tests and tuning)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rotkeras import _validation as check
from rotkeras.datasets.tutorial import PHOTO_SIZE

KINDS = ("paper", "ruled", "squared", "tight", "screen", "large", "strip", "creased", "faint",
         "coloured", "object")
_DEFAULT_MIX = {"paper": 0.35, "ruled": 0.2, "squared": 0.1, "tight": 0.15, "screen": 0.2}
#: Largest result `make_synthetic_photos` renders: 8 GiB of photos (e.g. 40,000 at 256x256).
MAX_BYTES = 8 * 2**30
#: Largest photo side (pixels).
MAX_SIDE = 4096


def make_synthetic_photos(
    n: int,
    digits: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    *,
    size: int | tuple[int, int] = PHOTO_SIZE,
    seed: int = 0,
    mix: dict[str, float] | None = None,
    return_kinds: bool = False,
) -> tuple[np.ndarray, ...]:
    """Renders MNIST digits as photos of handwriting: paper, light, ink, camera.

    Every photo is drawn from one of five kinds (proportions set by `mix`):

    - `"paper"`: dark ink (black, blue or pencil grey) on textured, tinted paper,
      anywhere in the frame at 15-70 % of its height;
    - `"ruled"` / `"squared"`: the same on ruled or squared paper (slightly tilted
      lines);
    - `"tight"`: a tightly cropped digit on clean paper, as in the tutorial's photos;
    - `"screen"`: light strokes drawn on a dark screen;
    - `"large"`: a digit filling the photo, its strokes touching or crossing the frame;
    - `"strip"`: a strip of paper photographed on a darker table, the table visible at
      two sides;
    - `"creased"`: creased, textured paper under a hard shadow;
    - `"faint"`: faint pencil strokes of low contrast;
    - `"coloured"`: red, green or violet ink;
    - `"object"`: a second object in the frame next to the digit (a pen across a corner
      and a coin-like disc).

    The default mix holds the first five; the others are rendered on request (`mix`).

    On top: thin-pen to thick-marker stroke widths, rotation by up to 12 degrees,
    lighting gradients and vignetting, hard or soft shadows, specks of dust, camera
    blur, sensor noise and JPEG compression (quality 30-95), in colour. Seeded and
    deterministic for a given `seed` and OpenCV version.

    Args:
        n: Number of photos.
        digits: `(N, H, W)` (or `(N, H, W, 1)`) MNIST-style source digits, white on
            black: uint8 in `0..255`, or floats in `[0, 1]` (what
            `rotkeras.datasets.to_float_images` returns) or `[0, 255]`; every digit must
            have ink. By default the MNIST test split from
            `rotkeras.datasets.load_mnist()`.
        labels: `(N,)` labels of `digits` (required with `digits`).
        size: Photo size, an int (square) or `(height, width)`; from 32 to 4096, and
            `n` photos of at most 8 GiB together (`MAX_BYTES`).
        seed: Seed of the NumPy generator.
        mix: Relative frequencies of the kinds (keys among `KINDS`: `"paper"`,
            `"ruled"`, `"squared"`, `"tight"`, `"screen"`, `"large"`, `"strip"`,
            `"creased"`, `"faint"`, `"coloured"`, `"object"`).
        return_kinds: Also return the kind of every photo.

    Returns:
        `(photos, labels)`: `(n, height, width, 3)` uint8 RGB photos and their `(n,)`
        int64 labels; plus a `(n,)` array of kind names with `return_kinds=True`.

    Examples:
        >>> import numpy as np
        >>> digits = np.zeros((1, 28, 28), np.uint8); digits[0, 5:23, 13:16] = 255
        >>> photos, labels = make_synthetic_photos(2, digits, np.array([1]), size=64)
        >>> photos.shape, photos.dtype.name, labels.tolist()
        ((2, 64, 64, 3), 'uint8', [1, 1])
    """
    import cv2

    n = check.check_positive_int(n, "n")
    if isinstance(size, (str, bytes)) or not isinstance(size, (int, np.integer, tuple, list)):
        raise check.ArgumentTypeError(
            f"`size` must be an int or a (height, width) pair; received size={size!r}"
        )
    sides = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if len(sides) != 2:
        raise ValueError(f"`size` must be an int or a (height, width) pair; received size={size!r}")
    height, width = (check.check_positive_int(side, "size") for side in sides)
    if min(height, width) < 32 or max(height, width) > MAX_SIDE:
        raise ValueError(
            f"`size` must be from 32 to {MAX_SIDE} pixels; received size={size!r}"
        )
    if n * height * width * 3 > MAX_BYTES:
        raise ValueError(
            f"{n} photos of {height}x{width} would take {n * height * width * 3 / 2**30:.1f} GiB, "
            f"more than {MAX_BYTES // 2**30} GiB: render them in parts (several seeds)"
        )
    if digits is None:
        from rotkeras.datasets.mnist import load_mnist

        _, (digits, labels) = load_mnist()
    if labels is None:
        raise ValueError("`labels` must be given together with `digits`")
    digits = np.asarray(digits)
    labels = np.asarray(labels)
    if digits.ndim == 4 and digits.shape[-1] == 1:
        digits = digits[..., 0]  # (N, H, W, 1), as to_float_images returns
    digits = _as_bytes(digits)
    if digits.ndim != 3 or labels.ndim != 1 or len(labels) != len(digits) or len(digits) == 0:
        raise ValueError(
            "`digits` must be a non-empty (N, H, W) array with N labels; received shapes "
            f"{digits.shape} and {labels.shape}"
        )
    weights = dict(_DEFAULT_MIX if mix is None else mix)
    unknown = sorted(set(weights) - set(KINDS))
    if unknown or not weights or sum(weights.values()) <= 0:
        raise ValueError(f"`mix` must weight some of {KINDS}; received mix={mix!r}")
    inked = (digits > 0.05 * 255).reshape(len(digits), -1).any(axis=1)
    if not inked.all():
        raise ValueError(
            f"`digits` must all show a digit (white ink on black); {int((~inked).sum())} of "
            f"{len(digits)} are blank, the first at index {int(np.argmin(inked))}: its photos "
            "would show no digit under a label"
        )
    names = list(weights)
    probs = np.array([weights[k] for k in names], np.float64)
    rng = np.random.default_rng(check.check_seed(seed, allow_none=False))
    picks = rng.choice(len(digits), size=n, replace=n > len(digits))
    kinds = rng.choice(names, size=n, p=probs / probs.sum())
    photos = np.empty((n, height, width, 3), np.uint8)
    for i in range(n):
        photos[i] = _render(cv2, rng, digits[picks[i]], str(kinds[i]), height, width)
    out: tuple[np.ndarray, ...] = (photos, labels[picks].astype(np.int64))
    return (*out, kinds.astype(str)) if return_kinds else out


def _as_bytes(digits: np.ndarray) -> np.ndarray:
    """Digits as uint8 `0..255`: floats in `[0, 1]` are scaled, floats in `[0, 255]` kept."""
    if digits.dtype == np.uint8:
        return digits
    if digits.dtype == np.bool_ or not np.issubdtype(digits.dtype, np.number):
        raise check.ArgumentTypeError(
            f"`digits` must be a numeric array; received dtype {digits.dtype}"
        )
    if digits.size == 0:
        return digits.astype(np.uint8)
    check.check_finite_array(digits, "digits")
    low, high = float(digits.min()), float(digits.max())
    if low < 0 or high > 255:
        raise ValueError(
            "`digits` must be grey levels in [0, 255] (or floats in [0, 1]); received values "
            f"from {low} to {high}"
        )
    scale = 255.0 if np.issubdtype(digits.dtype, np.floating) and high <= 1.0 else 1.0
    return np.round(digits.astype(np.float64) * scale).astype(np.uint8)


def _digit_alpha(cv2: Any, rng: np.random.Generator, digit: np.ndarray, box: int) -> np.ndarray:
    """Ink coverage in `[0, 1]`: the digit scaled to a `box`-pixel height, restyled."""
    mask = digit.astype(np.float32) / 255.0
    rows, cols = np.nonzero(mask > 0.05)
    if len(rows) == 0:
        return np.zeros((box, box), np.float32)
    mask = np.pad(mask[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1], 3)
    scale = box / mask.shape[0]
    new_w = max(3, int(round(mask.shape[1] * scale * rng.uniform(0.85, 1.2))))
    big = cv2.resize(mask, (new_w, box), interpolation=cv2.INTER_CUBIC)
    big = cv2.GaussianBlur(big, (0, 0), max(0.6, box / 70))
    style = rng.uniform()
    if style < 0.3:  # thin pen
        lo = rng.uniform(0.55, 0.75)
    elif style < 0.85:  # ball pen / pencil
        lo = rng.uniform(0.3, 0.55)
    else:  # marker
        lo = rng.uniform(0.1, 0.3)
        k = max(1, int(box / rng.uniform(18, 30)))
        big = cv2.dilate(big, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    alpha = np.clip((big - lo) / 0.15, 0.0, 1.0)
    angle = rng.uniform(-12, 12)
    h, w = alpha.shape
    side = int(np.ceil(np.hypot(h, w))) + 2
    canvas = np.zeros((side, side), np.float32)
    y0, x0 = (side - h) // 2, (side - w) // 2
    canvas[y0 : y0 + h, x0 : x0 + w] = alpha
    matrix = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
    return cv2.warpAffine(canvas, matrix, (side, side), flags=cv2.INTER_LINEAR)


def _smooth_noise(cv2: Any, rng: np.random.Generator, h: int, w: int, sigma: float) -> np.ndarray:
    noise = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
    return noise / (noise.std() + 1e-6)


def _place(alpha: np.ndarray, h: int, w: int, cy: float, cx: float) -> np.ndarray:
    """Pastes a centred `alpha` at `(cy, cx)` in an `(h, w)` canvas, clipping at the edges."""
    out = np.zeros((h, w), np.float32)
    ah, aw = alpha.shape
    top, left = int(round(cy - ah / 2)), int(round(cx - aw / 2))
    ys, xs = max(0, top), max(0, left)
    ye, xe = min(h, top + ah), min(w, left + aw)
    if ye > ys and xe > xs:
        out[ys:ye, xs:xe] = alpha[ys - top : ye - top, xs - left : xe - left]
    return out


def _lines(rng: np.random.Generator, h: int, w: int, axis: int) -> np.ndarray:
    """Coverage of parallel, slightly tilted lines across the page."""
    spacing = rng.uniform(0.06, 0.13) * min(h, w)
    thickness = rng.uniform(0.6, 1.6)
    tilt = np.tan(np.deg2rad(rng.uniform(-2, 2)))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    pos = (yy + tilt * xx) if axis == 0 else (xx + tilt * yy)
    dist = np.abs(((pos + rng.uniform(0, spacing)) % spacing) - spacing / 2)
    return np.clip(thickness - (spacing / 2 - dist), 0.0, 1.0)


def _second_object(cv2: Any, rng: np.random.Generator, image: np.ndarray,
                   alpha: np.ndarray) -> np.ndarray:
    """A pen lying across a corner and a disc (a coin) away from the digit."""
    h, w = alpha.shape
    short = min(h, w)
    layer = np.zeros((h, w), np.float32)
    corner = rng.integers(4)
    y = 0 if corner < 2 else h - 1
    x = 0 if corner % 2 == 0 else w - 1
    length = rng.uniform(0.3, 0.45) * short
    dy, dx = (1 if y == 0 else -1), (1 if x == 0 else -1)
    end = (int(x + dx * length), int(y + dy * length * rng.uniform(0.3, 0.7)))
    cv2.line(layer, (int(x), int(y)), end, 1.0, max(2, int(short * 0.035)), cv2.LINE_AA)
    disc = np.zeros((h, w), np.float32)
    radius = max(3, int(short * rng.uniform(0.05, 0.08)))
    for _ in range(20):  # somewhere the digit is not
        cy, cx = int(rng.uniform(radius, h - radius)), int(rng.uniform(radius, w - radius))
        if alpha[max(0, cy - 2 * radius) : cy + 2 * radius,
                 max(0, cx - 2 * radius) : cx + 2 * radius].max() < 0.05:
            cv2.circle(disc, (cx, cy), radius, 1.0, -1, cv2.LINE_AA)
            break
    pen = rng.uniform(0.05, 0.3, 3).astype(np.float32)
    coin = rng.uniform(0.45, 0.7) * np.array([1.0, 0.85, 0.55], np.float32)
    image = image * (1 - layer[..., None]) + pen * layer[..., None]
    return image * (1 - disc[..., None]) + coin * disc[..., None]


def _on_a_table(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """The paper as a strip (a third to two thirds of the width) on a darker table."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    half = rng.uniform(0.18, 0.32) * w
    centre = w / 2 + rng.uniform(-0.05, 0.05) * w
    tilt = np.tan(np.deg2rad(rng.uniform(-4, 4)))
    dist = np.abs(xx - centre - tilt * (yy - h / 2))
    paper = np.clip(half - dist + 0.5, 0.0, 1.0)[..., None]
    table = rng.uniform(0.15, 0.45) * np.array([1.0, rng.uniform(0.7, 0.95),
                                                rng.uniform(0.5, 0.85)], np.float32)
    grain = 0.03 * np.sin(yy / rng.uniform(2.0, 6.0) + rng.uniform(0, 6))[..., None]
    return image * paper + (table + grain) * (1 - paper)


#: Where the digit goes in a photo of each kind that frames it on purpose: the range of its
#: height (a fraction of the photo's shorter side) and how far its centre may stray from
#: the photo's, down and across (fractions of the height and the width).
_PLACEMENTS = {
    "tight": (0.8, 0.92, 0.03, 0.05),
    "large": (0.97, 1.1, 0.04, 0.04),
    "strip": (0.25, 0.45, 0.15, 0.05),
    "object": (0.3, 0.5, 0.1, 0.1),
}


def _render(
    cv2: Any, rng: np.random.Generator, digit: np.ndarray, kind: str, h: int, w: int
) -> np.ndarray:
    """One photo of `digit`: placed, drawn on a screen or on paper, then through a camera."""
    box, cy, cx = _placement(rng, kind, h, w)
    alpha = _place(_digit_alpha(cv2, rng, digit, max(box, 8)), h, w, cy, cx)
    image = _screen(cv2, rng, alpha) if kind == "screen" else _paper(cv2, rng, alpha, kind)
    return _camera(cv2, rng, image)


def _placement(rng: np.random.Generator, kind: str, h: int, w: int) -> tuple[int, float, float]:
    """`(box, cy, cx)`: the digit's height in pixels and its centre."""
    short = min(h, w)
    if kind in _PLACEMENTS:
        low, high, down, across = _PLACEMENTS[kind]
        box = int(short * rng.uniform(low, high))
        return (box, h / 2 + rng.uniform(-down, down) * h,
                w / 2 + rng.uniform(-across, across) * w)
    box = int(short * rng.uniform(0.15, 0.7 if kind != "screen" else 0.8))
    cy = rng.uniform(0.5 * box + 2, h - 0.5 * box - 2) if h > box + 4 else h / 2
    cx = rng.uniform(0.4 * box + 2, w - 0.4 * box - 2) if w > 0.8 * box + 4 else w / 2
    return box, cy, cx


def _screen(cv2: Any, rng: np.random.Generator, alpha: np.ndarray) -> np.ndarray:
    """Light strokes on a dark screen, unevenly lit."""
    h, w = alpha.shape
    background = rng.uniform(0.0, 0.25, 3).astype(np.float32)
    ink = rng.uniform(0.75, 1.0, 3).astype(np.float32)
    image = background * (1 - alpha[..., None]) + ink * alpha[..., None]
    light = 1.0 + rng.uniform(0, 0.3) * _smooth_noise(cv2, rng, h, w, min(h, w) / 4)[..., None]
    return image * light + rng.uniform(0.0, 0.1)


def _paper(cv2: Any, rng: np.random.Generator, alpha: np.ndarray, kind: str) -> np.ndarray:
    """Ink on a sheet of paper (creased, ruled or squared by kind), lit, with specks."""
    h, w = alpha.shape
    paper = rng.uniform(0.75, 0.97) + rng.uniform(-0.04, 0.04, 3)
    reflect = _sheet(cv2, rng, paper, kind, h, w)
    ink, alpha = _ink(rng, paper, alpha, kind)
    reflect = reflect * (1 - alpha[..., None]) + ink * alpha[..., None]
    if kind == "object":
        reflect = _second_object(cv2, rng, reflect, alpha)
    if kind == "strip":
        reflect = _on_a_table(rng, reflect)
    image = reflect * np.clip(_light(rng, kind, h, w), 0.2, 1.3)[..., None]
    if rng.uniform() < 0.5:
        image = _specks(rng, image)
    return image


def _sheet(cv2: Any, rng: np.random.Generator, paper: np.ndarray, kind: str, h: int,
           w: int) -> np.ndarray:
    """The paper's reflectance before the ink: texture, then creases or printed lines."""
    short = min(h, w)
    texture = 0.02 * _smooth_noise(cv2, rng, h, w, short / 15) + rng.uniform(
        0.005, 0.03
    ) * rng.standard_normal((h, w))
    reflect = paper[None, None, :] + texture[..., None]
    if kind == "creased":
        reflect = _creases(cv2, rng, reflect)
    if kind in ("ruled", "squared"):
        colour = np.array(
            [rng.uniform(0.35, 0.7), rng.uniform(0.5, 0.8), rng.uniform(0.7, 0.95)]
        )
        coverage = _lines(rng, h, w, 0)
        if kind == "squared":
            coverage = np.maximum(coverage, _lines(rng, h, w, 1))
        coverage *= rng.uniform(0.4, 0.9)
        reflect = reflect * (1 - coverage[..., None]) + colour * paper * coverage[..., None]
    return reflect


def _creases(cv2: Any, rng: np.random.Generator, reflect: np.ndarray) -> np.ndarray:
    """Two to four folds across the sheet, and the unevenness of handled paper."""
    h, w = reflect.shape[:2]
    short = min(h, w)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(rng.integers(2, 5)):
        phi = rng.uniform(0, np.pi)
        offset = rng.uniform(-0.45, 0.45) * short
        dist = (yy - h / 2) * np.sin(phi) + (xx - w / 2) * np.cos(phi) - offset
        width = rng.uniform(0.6, 1.8)
        crease = np.exp(-0.5 * (dist / width) ** 2)
        # A fold: a dark line with a lighter facet beside it.
        facet = 0.04 * np.tanh(dist / (short / 20))
        reflect = reflect * (1 - rng.uniform(0.12, 0.3) * crease[..., None]) + facet[
            ..., None]
    return reflect + 0.05 * _smooth_noise(cv2, rng, h, w, short / 40)[..., None]


def _ink(rng: np.random.Generator, paper: np.ndarray, alpha: np.ndarray,
         kind: str) -> tuple[Any, np.ndarray]:
    """`(ink colour, alpha)`: a pen, a coloured pen, a pencil or faint ink."""
    pen = rng.uniform()
    if kind == "faint":
        ink = paper - rng.uniform(0.1, 0.2)
        alpha = alpha * rng.uniform(0.6, 0.9)
    elif kind == "coloured":
        ink = [np.array([0.75, 0.1, 0.1]), np.array([0.1, 0.55, 0.15]),
               np.array([0.45, 0.15, 0.6])][int(rng.integers(3))] * rng.uniform(0.8, 1.1)
    elif pen < 0.45:
        ink = np.full(3, rng.uniform(0.02, 0.15))
    elif pen < 0.8:
        ink = np.array([rng.uniform(0.05, 0.2), rng.uniform(0.1, 0.25), rng.uniform(0.3, 0.6)])
    else:  # pencil
        ink = np.full(3, rng.uniform(0.3, 0.5))
    return ink, alpha


def _light(rng: np.random.Generator, kind: str, h: int, w: int) -> np.ndarray:
    """How the sheet is lit: a gradient, a vignette, and sometimes a shadow."""
    short = min(h, w)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    theta = rng.uniform(0, 2 * np.pi)
    ramp = ((yy - h / 2) * np.sin(theta) + (xx - w / 2) * np.cos(theta)) / short
    light = 1.0 + rng.uniform(0, 0.5 if kind != "tight" else 0.1) * ramp
    r2 = ((yy - h / 2) ** 2 + (xx - w / 2) ** 2) / (short / 2) ** 2
    light = light * (1.0 - rng.uniform(0, 0.25) * r2)
    if kind == "creased" or (kind != "tight" and rng.uniform() < 0.4):
        phi = rng.uniform(0, 2 * np.pi)
        offset = rng.uniform(-0.4, 0.4) * short
        side = (yy - h / 2) * np.sin(phi) + (xx - w / 2) * np.cos(phi) - offset
        edge = rng.uniform(1.0, short / 10)
        shade = 1.0 / (1.0 + np.exp(-side / edge))
        light = light * (1.0 - rng.uniform(0.25, 0.55) * shade)
    return light


def _specks(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """One to seven dark specks of dust."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for _ in range(rng.integers(1, 8)):
        py, px = rng.uniform(0, h), rng.uniform(0, w)
        radius = rng.uniform(0.5, 2.0)
        dist = np.hypot(yy - py, xx - px)
        speck = np.clip(radius + 0.5 - dist, 0, 1)[..., None]
        image = image * (1 - speck * rng.uniform(0.3, 0.8))
    return image


def _camera(cv2: Any, rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """The camera: blur, noise, exposure and, most of the time, JPEG compression."""
    image = image.astype(np.float32)
    blur = rng.uniform(0.0, 1.5)
    if blur > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), blur)
    image = image * rng.uniform(0.85, 1.15) + rng.normal(0, rng.uniform(0.005, 0.03), image.shape)
    photo = np.clip(np.round(image * 255.0), 0, 255).astype(np.uint8)
    if rng.uniform() < 0.7:
        quality = int(rng.integers(30, 96))
        ok, buffer = cv2.imencode(".jpg", photo[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            photo = cv2.imdecode(buffer, cv2.IMREAD_COLOR)[..., ::-1]
    return np.ascontiguousarray(photo)
