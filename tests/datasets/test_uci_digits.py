from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rotkeras.datasets import load_uci_digits

pytestmark = pytest.mark.backend_independent


def write_semeion(path: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """Writes digits as UCI's semeion.data: 256 pixels of 0 or 1, then 10 one-hot values."""
    rows = np.concatenate([(images.reshape(len(images), -1) > 127), np.eye(10)[labels]], 1)
    np.savetxt(path, rows.astype(np.float64), fmt="%.4f")
    return path


def write_optdigits(path: Path, images: np.ndarray, labels: np.ndarray) -> Path:
    """Writes digits as UCI's optdigits-orig files: a header, then 32 lines of 32 bits and
    a label line per digit."""
    lines = ["BU handwritten digit database", "", "entwidth = 32", "ntot = 1"]
    for image, label in zip(images, labels, strict=True):
        lines += ["".join("1" if v > 127 else "0" for v in row) for row in image]
        lines.append(f" {label}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_reads_semeion_rows_as_light_ink_on_black(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    images = (rng.random((3, 16, 16)) > 0.5).astype(np.uint8) * 255
    path = write_semeion(tmp_path / "semeion.data", images, np.array([7, 1, 0]))
    x, y = load_uci_digits(path)
    assert x.dtype == np.uint8 and x.shape == (3, 16, 16)
    np.testing.assert_array_equal(x, images)
    assert y.tolist() == [7, 1, 0]


def test_reads_optdigits_bitmaps_after_their_header(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    images = (rng.random((2, 32, 32)) > 0.5).astype(np.uint8) * 255
    path = write_optdigits(tmp_path / "optdigits-orig.tra", images, np.array([4, 9]))
    x, y = load_uci_digits(path)
    assert x.shape == (2, 32, 32)
    np.testing.assert_array_equal(x, images)
    assert y.tolist() == [4, 9]


@pytest.mark.parametrize("text, match", [
    ("no digits here\n", "no 32x32 digit bitmaps"),
    ("0" * 32 + "\n" + "7\n", "expected a digit's label"),
    ("\n".join(["1" * 32] * 32) + "\n", "no label"),
])
def test_refuses_what_is_neither_format(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "digits.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        load_uci_digits(path)


def test_refuses_semeion_rows_that_are_not_binary_or_one_hot(tmp_path: Path) -> None:
    path = tmp_path / "semeion.data"
    np.savetxt(path, np.full((1, 266), 0.5))
    with pytest.raises(ValueError, match="one-hot"):
        load_uci_digits(path)


def test_names_a_missing_file_and_a_wrong_type(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="semeion.data"):
        load_uci_digits(tmp_path / "semeion.data")
    with pytest.raises(TypeError, match="path"):
        load_uci_digits(None)  # type: ignore[arg-type]
