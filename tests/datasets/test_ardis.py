from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rotkeras.datasets import load_ardis
from rotkeras.datasets.ardis import ARDIS_FILES

pytestmark = pytest.mark.backend_independent


def write_ardis(folder: Path, train: np.ndarray, train_labels: np.ndarray,
                test: np.ndarray, test_labels: np.ndarray) -> Path:
    """Writes a small ARDIS Dataset IV folder: 784 values a row, one-hot labels."""
    for split, (x, y) in (("train", (train, train_labels)), ("test", (test, test_labels))):
        images, labels = ARDIS_FILES[split]
        np.savetxt(folder / images, x.reshape(len(x), -1).astype(np.float64), fmt="%.1f")
        np.savetxt(folder / labels, np.eye(10)[y], fmt="%.1f")
    return folder


def test_load_ardis_reads_images_row_major_and_one_hot_labels(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (4, 28, 28)).astype(np.uint8)
    test = rng.integers(0, 256, (2, 28, 28)).astype(np.uint8)
    write_ardis(tmp_path, train, np.array([7, 1, 0, 9]), test, np.array([3, 4]))
    (x_train, y_train), (x_test, y_test) = load_ardis(tmp_path)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, train)
    np.testing.assert_array_equal(x_test, test)
    assert y_train.tolist() == [7, 1, 0, 9] and y_test.tolist() == [3, 4]


def test_load_ardis_names_the_missing_file(tmp_path: Path) -> None:
    digits = np.zeros((1, 28, 28), np.uint8)
    write_ardis(tmp_path, digits, np.array([1]), digits, np.array([2]))
    (tmp_path / "ARDIS_test_labels.csv").unlink()
    with pytest.raises(FileNotFoundError, match="ARDIS_test_labels.csv"):
        load_ardis(tmp_path)
    with pytest.raises(FileNotFoundError, match="not found"):
        load_ardis(tmp_path / "nowhere")
    with pytest.raises(TypeError, match="folder"):
        load_ardis(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("broken", ["columns", "labels", "range"])
def test_load_ardis_refuses_files_of_another_shape(tmp_path: Path, broken: str) -> None:
    digits = np.zeros((2, 28, 28), np.uint8)
    write_ardis(tmp_path, digits, np.array([1, 2]), digits, np.array([2, 3]))
    images, labels = ARDIS_FILES["train"]
    if broken == "columns":
        np.savetxt(tmp_path / images, np.zeros((2, 100)))
    elif broken == "labels":
        np.savetxt(tmp_path / labels, np.eye(10)[:3])
    else:
        np.savetxt(tmp_path / images, np.full((2, 784), 300.0))
    with pytest.raises(ValueError, match="ARDIS_train"):
        load_ardis(tmp_path)
