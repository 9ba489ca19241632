"""Loading ARDIS, real handwritten digits from Swedish church records, from local files.

ARDIS (Arkiv Digital Sweden; Kusetogullari et al., 2019) holds digits cut from
church records of 1895-1970, written by many priests: slanted, often with a crossed
7, unlike MNIST's writers. Its "Dataset IV" is 7,600 digits in MNIST's format (28x28,
light ink on black), in four CSV files that its authors publish in the repository
`ARDISDataset/ARDIS` (`ARDIS_DATASET_IV.rar`). Its authors allow research use only and
no redistribution: read their terms before you share anything trained on it. rotkeras
never downloads it: `load_ardis` reads the extracted files from a folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

#: The files of ARDIS Dataset IV: images (784 values a row) and one-hot labels.
ARDIS_FILES = {
    "train": ("ARDIS_train_2828.csv", "ARDIS_train_labels.csv"),
    "test": ("ARDIS_test_2828.csv", "ARDIS_test_labels.csv"),
}

ArdisSplits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def ardis_folder(folder: str | os.PathLike[str]) -> Path:
    """Checks that `folder` holds the four files of ARDIS Dataset IV; returns it.

    Raises:
        TypeError: If `folder` is not a path.
        FileNotFoundError: If the folder or one of its files is missing.
    """
    if not isinstance(folder, str | os.PathLike):
        raise TypeError(f"`folder` must be a path to ARDIS Dataset IV; received {folder!r}")
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"ARDIS folder not found: {path}")
    missing = [name for pair in ARDIS_FILES.values() for name in pair
               if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{path} lacks {', '.join(missing)}; expected the four CSV files of ARDIS "
            "Dataset IV (extracted from ARDIS_DATASET_IV.rar)")
    return path


def _read_split(folder: Path, images_name: str, labels_name: str) -> tuple[np.ndarray, ...]:
    images = np.loadtxt(folder / images_name, dtype=np.float64, ndmin=2)
    labels = np.loadtxt(folder / labels_name, dtype=np.float64, ndmin=2)
    if images.shape[1] != 28 * 28:
        raise ValueError(f"{folder / images_name}: expected 784 values a row, found "
                         f"{images.shape[1]}")
    if labels.shape != (len(images), 10):
        raise ValueError(f"{folder / labels_name}: expected {len(images)} one-hot rows of 10, "
                         f"found shape {labels.shape}")
    if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 255:
        raise ValueError(f"{folder / images_name}: values must lie in [0, 255]")
    x = np.round(images).astype(np.uint8).reshape(-1, 28, 28)
    return x, labels.argmax(axis=1).astype(np.uint8)


def load_ardis(folder: str | os.PathLike[str]) -> ArdisSplits:
    """Loads ARDIS Dataset IV as `(x_train, y_train), (x_test, y_test)`, like `load_mnist`.

    Images are `(N, 28, 28)` uint8, light ink on black (as MNIST, though each digit
    fills its frame instead of MNIST's 20x20 box); labels `(N,)` uint8 digits. The
    data set has 6,600 training and 1,000 test digits, 760 of each digit in all.

    Args:
        folder: Folder holding `ARDIS_train_2828.csv`, `ARDIS_train_labels.csv`,
            `ARDIS_test_2828.csv` and `ARDIS_test_labels.csv`.

    Returns:
        `((x_train, y_train), (x_test, y_test))`.

    Raises:
        TypeError: If `folder` is not a path.
        FileNotFoundError: If the folder or one of its four files is missing.
        ValueError: If a file does not hold what Dataset IV's files hold.

    Examples:
        A small folder in the same format stands in for the data set here:

        >>> import tempfile
        >>> import numpy as np
        >>> from rotkeras.datasets import load_ardis
        >>> folder = tempfile.mkdtemp()
        >>> for split, n in (("train", 3), ("test", 2)):
        ...     np.savetxt(f"{folder}/ARDIS_{split}_2828.csv", np.zeros((n, 784)))
        ...     np.savetxt(f"{folder}/ARDIS_{split}_labels.csv", np.eye(10)[:n])
        >>> (x_train, y_train), (x_test, y_test) = load_ardis(folder)
        >>> x_train.shape, y_train.tolist(), y_test.tolist()
        ((3, 28, 28), [0, 1, 2], [0, 1])
    """
    path = ardis_folder(folder)
    train = _read_split(path, *ARDIS_FILES["train"])
    test = _read_split(path, *ARDIS_FILES["test"])
    return (train[0], train[1]), (test[0], test[1])
