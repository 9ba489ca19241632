"""Loading MNIST from a local file or through Keras."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from rotkeras import _validation as check

MNIST_ENV_VAR = "ROTKERAS_MNIST"
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
MNIST_IMAGE_SHAPE = (28, 28)

MnistSplits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def resolve_mnist_path(path: str | os.PathLike[str] | None = None) -> Path | None:
    """Returns the local MNIST file to use, or `None` to fall back to Keras' download.

    The lookup order is: `path` if given, then the `ROTKERAS_MNIST` environment
    variable if set and non-empty, else `None`.
    """
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(MNIST_ENV_VAR, "").strip()
    return Path(env).expanduser() if env else None


def load_mnist(path: str | os.PathLike[str] | None = None) -> MnistSplits:
    """Loads MNIST as `(x_train, y_train), (x_test, y_test)` uint8 arrays in Keras' layout.

    Images are `(N, 28, 28)` uint8 (white digit on black, 0..255), labels are `(N,)`
    uint8 digits, exactly what `keras.datasets.mnist.load_data()` returns.

    Lookup order:

    1. `path`, a `.npz` file in Keras' format (keys `x_train`, `y_train`, `x_test`,
       `y_test`), if given;
    2. the file named by the `ROTKERAS_MNIST` environment variable, if set;
    3. `keras.datasets.mnist.load_data()`, which downloads and caches the data set
       on a machine with internet access.

    Args:
        path: Optional path to a local `mnist.npz`.

    Returns:
        `((x_train, y_train), (x_test, y_test))`.

    Raises:
        FileNotFoundError: If the given or configured file does not exist.
        ValueError: If the file is not a readable `.npz`, lacks one of the expected
            keys, or holds arrays of the wrong shape or dtype.

    Examples:
        With `$ROTKERAS_MNIST` set or internet access, `load_mnist()` gives the 60,000
        training images; here a small file in the same format stands in for it:

        >>> import tempfile
        >>> import numpy as np
        >>> from rotkeras.datasets import load_mnist
        >>> path = tempfile.mkdtemp() + "/mnist.npz"
        >>> np.savez(path, x_train=np.zeros((6, 28, 28), np.uint8), y_train=np.zeros(6, np.uint8),
        ...          x_test=np.zeros((2, 28, 28), np.uint8), y_test=np.zeros(2, np.uint8))
        >>> (x_train, y_train), (x_test, y_test) = load_mnist(path)
        >>> x_train.shape, x_train.dtype
        ((6, 28, 28), dtype('uint8'))
    """
    local = resolve_mnist_path(path)
    if local is None:
        import keras

        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
        return (x_train, y_train), (x_test, y_test)
    return _read_npz(local)


def _read_npz(path: Path) -> MnistSplits:
    source = f"{path} (from the `path` argument or ${MNIST_ENV_VAR})"
    if not path.exists():
        raise FileNotFoundError(
            f"MNIST file not found: {source}. Pass the path of a Keras-format mnist.npz "
            f"(keys {', '.join(MNIST_KEYS)}), set ${MNIST_ENV_VAR}, or leave both unset to "
            "download it with keras.datasets.mnist.load_data()."
        )
    if path.is_dir():
        raise ValueError(f"MNIST path {source} is a directory; expected an .npz file.")
    try:
        with np.load(path, allow_pickle=False) as data:
            files = list(data.files)
            arrays = {key: np.asarray(data[key]) for key in MNIST_KEYS if key in files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, AttributeError, TypeError) as error:
        raise ValueError(
            f"Cannot read MNIST file {path}: {error} Expected a Keras-format .npz with "
            f"keys {list(MNIST_KEYS)}."
        ) from error
    missing = [key for key in MNIST_KEYS if key not in arrays]
    if missing:
        raise ValueError(
            f"MNIST file {path} is missing key(s) {missing}; expected keys "
            f"{list(MNIST_KEYS)}, found {sorted(files)}."
        )
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.dtype != np.uint8:
            raise ValueError(
                f"MNIST file {path}: x_{split} must be a (N, H, W) uint8 array; received "
                f"shape {x.shape} and dtype {x.dtype}."
            )
        if x.shape[1:] != MNIST_IMAGE_SHAPE or x.shape[0] == 0:
            raise ValueError(
                f"MNIST file {path}: x_{split} must hold at least one "
                f"{MNIST_IMAGE_SHAPE[0]}x{MNIST_IMAGE_SHAPE[1]} image (the size rotkeras' "
                f"models are built for); received shape {x.shape}."
            )
        if y.ndim != 1 or y.shape[0] != x.shape[0] or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(
                f"MNIST file {path}: y_{split} must be a ({x.shape[0]},) integer array; "
                f"received shape {y.shape} and dtype {y.dtype}."
            )
        if y.size and (int(y.min()) < 0 or int(y.max()) > 9):
            raise ValueError(
                f"MNIST file {path}: y_{split} must hold digit labels 0-9; received labels "
                f"from {int(y.min())} to {int(y.max())}."
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def to_float_images(images: np.ndarray) -> np.ndarray:
    """Turns uint8 digit images into float32 NHWC in `[0, 1]` (the tutorial's `/255`).

    Args:
        images: `(N, H, W)` or `(N, H, W, 1)` array, uint8 in `0..255` (float input
            is assumed to be in `0..255` as well).

    Returns:
        float32 array of shape `(N, H, W, 1)`.

    Examples:
        >>> x = np.zeros((2, 28, 28), np.uint8)
        >>> to_float_images(x).shape
        (2, 28, 28, 1)
    """
    array = np.asarray(images)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise check.ArgumentTypeError(
            f"`images` must be a numeric array; received dtype {array.dtype}"
        )
    if array.ndim == 3:
        array = array[..., np.newaxis]
    if array.ndim != 4 or array.shape[-1] != 1:
        raise ValueError(
            "`images` must have shape (N, H, W) or (N, H, W, 1); "
            f"received shape {array.shape}"
        )
    return array.astype(np.float32) / np.float32(255.0)
