"""Loading two UCI sets of real handwritten digits (CC BY 4.0) from local files.

- Semeion Handwritten Digit (Semeion Research Center, Rome, and Tattile, Brescia;
  UCI 178): 1,593 digits by about 80 people in Italy, each stretched to fill 16x16
  binary pixels; `semeion.data` holds one digit a row (256 pixel values, then the
  label one-hot in 10 values).
- Optical Recognition of Handwritten Digits (E. Alpaydin and C. Kaynak, Bogazici
  University; UCI 80), the original 32x32 binary bitmaps by 43 people (files
  `optdigits-orig.tra`, `.cv`, `.windep`, `.wdep`): a header, then each digit as 32 lines
  of 32 `0`/`1` characters followed by a line with its label.

Many writers of both sets draw a 1 with a long flag and a 7 with a bar across its stem,
which MNIST's writers rarely do. rotkeras never downloads them: `load_uci_digits` reads
a file given.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

_SEMEION_VALUES = 16 * 16 + 10
_BITMAP = 32


def _check_file(path: str | os.PathLike[str]) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"`path` must be the path of a UCI digits file; received {path!r}")
    target = Path(path).expanduser()
    if not target.is_file():
        raise FileNotFoundError(f"UCI digits file not found: {target}")
    return target


def _semeion(path: Path, rows: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
    try:
        values = np.array(rows, dtype=np.float64)
    except ValueError:
        raise ValueError(f"{path}: a Semeion row must hold 266 numbers") from None
    pixels, one_hot = values[:, :256], values[:, 256:]
    if not np.isin(pixels, (0.0, 1.0)).all() or not (np.sort(one_hot, 1)[:, -1] == 1).all():
        raise ValueError(f"{path}: Semeion rows must hold 256 pixels of 0 or 1 and a one-hot "
                         "label of 10 values")
    images = (pixels.reshape(-1, 16, 16) * 255).astype(np.uint8)
    return images, one_hot.argmax(axis=1).astype(np.uint8)


def _bitmaps(path: Path, lines: list[str]) -> tuple[np.ndarray, np.ndarray]:
    images, labels, block = [], [], []
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if len(text) == _BITMAP and set(text) <= {"0", "1"}:
            block.append([c == "1" for c in text])
            continue
        if block:
            if len(block) != _BITMAP or not (text.isdigit() and len(text) == 1):
                raise ValueError(f"{path}, line {number}: expected a digit's label after 32 "
                                 f"lines of 32 bits; found {text[:40]!r}")
            images.append(block)
            labels.append(int(text))
            block = []
    if block:
        raise ValueError(f"{path}: the last bitmap has no label")
    if not images:
        raise ValueError(f"{path}: no 32x32 digit bitmaps found (expected a Semeion file or "
                         "an optdigits-orig file)")
    return (np.array(images, np.uint8) * 255), np.array(labels, np.uint8)


def load_uci_digits(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Loads the digits of a Semeion or an optdigits-orig file as `(images, labels)`.

    The format is told from the contents: rows of 266 numbers are Semeion's, blocks of
    32 lines of 32 bits are optdigits-orig's.

    Args:
        path: `semeion.data`, or one of the files `optdigits-orig.tra`, `.cv`, `.windep`
            or `.wdep`.

    Returns:
        `(N, 16, 16)` (Semeion) or `(N, 32, 32)` (optdigits) uint8 images, light ink
        (255) on black (0), at the set's own resolution; `(N,)` uint8 labels.

    Raises:
        TypeError: If `path` is not a path.
        FileNotFoundError: If the file does not exist.
        ValueError: If the file holds neither format.

    Examples:
        >>> import tempfile
        >>> import numpy as np
        >>> from rotkeras.datasets import load_uci_digits
        >>> path = tempfile.mkdtemp() + "/semeion.data"
        >>> one = np.zeros((16, 16)); one[2:14, 7:9] = 1
        >>> np.savetxt(path, [np.concatenate([one.ravel(), np.eye(10)[1]])], fmt="%.4f")
        >>> images, labels = load_uci_digits(path)
        >>> images.shape, int(images.max()), labels.tolist()
        ((1, 16, 16), 255, [1])
    """
    target = _check_file(path)
    with open(target, encoding="ascii", errors="replace") as f:
        lines = f.read().splitlines()
    rows = [line.split() for line in lines if line.strip()]
    if rows and all(len(row) == _SEMEION_VALUES for row in rows):
        return _semeion(target, rows)
    return _bitmaps(target, lines)
