"""Checks of a command's arguments before any work starts (internal).

Every `rotkeras` command calls these on its paths before it imports Keras, loads data,
renders, trains or downloads anything: a bad output path or a missing data file costs a
second, not an hour of training. They import neither Keras, a backend nor NumPy, so the
refusal comes at once; what they know of photos (which files are images, the label a
photo's path gives it) comes from `rotkeras._paths`, where the library reads it too.

Each check raises `FileNotFoundError` (a path that does not exist), `PermissionError`
(a path that cannot be read or written) or `ValueError` (a path of the wrong kind), with
a message that starts with the option's name; the command line prints it as one line.
"""

from __future__ import annotations

import argparse
import os
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rotkeras._paths import IMAGE_EXTENSIONS, is_image, label_from_path, list_images

#: The keys of a Keras-format `mnist.npz` (as in `rotkeras.datasets.mnist`).
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")
MNIST_ENV_VAR = "ROTKERAS_MNIST"
#: Largest seed every backend accepts (as `rotkeras._validation.MAX_SEED`).
MAX_SEED = 2**31 - 1


def seed_option(text: str) -> int:
    """`argparse` type of the seed options: an integer in `[0, 2**31 - 1]`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to {MAX_SEED}, got {text!r}"
        ) from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(
            f"expected an integer from 0 to {MAX_SEED} (2**31 - 1, the range every backend "
            f"accepts), got {text!r}"
        )
    return value


def share_option(text: str) -> float:
    """`argparse` type of a share: a number from 0 to 1."""
    # NaN fails the range check too.
    return number_option(text, float, lambda value: 0.0 <= value <= 1.0, "a number from 0 to 1")


def number_option(text: str, parse: Callable[[str], Any], accept: Callable[[Any], bool],
                  expected: str) -> Any:
    """`parse(text)` when it parses and `accept`s it; else `argparse`'s error naming both."""
    try:
        value = parse(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not accept(value):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def _writable_folder(target: Path, option: str) -> None:
    """Raises unless `target`'s nearest existing ancestor is a folder we may write into."""
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{option}: cannot create {target}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"{option}: cannot create {target}: folder {parent} is not "
                              "writable")


def output_file(path: str | os.PathLike[str], option: str, suffixes: Sequence[str] = ()) -> Path:
    """Checks that a file can be written at `path`: not a folder, a known suffix, writable."""
    target = Path(path).expanduser()
    wanted = " or ".join(repr(s) for s in suffixes)
    if target.is_dir():
        example = f" ending in {wanted}" if suffixes else ""
        raise ValueError(f"{option}: {target} is a folder; give a file name{example}")
    if suffixes and not target.name.lower().endswith(tuple(s.lower() for s in suffixes)):
        kind = f"extension {target.suffix!r}" if target.suffix else "no extension"
        raise ValueError(f"{option}: the file name must end in {wanted}; received {target} "
                         f"({kind})")
    if target.exists() and not os.access(target, os.W_OK):
        raise PermissionError(f"{option}: {target} exists and is not writable")
    _writable_folder(target, option)
    return target


def output_folder(path: str | os.PathLike[str], option: str) -> Path:
    """Checks that `path` is a writable folder, or can be created as one."""
    target = Path(path).expanduser()
    if target.exists():
        if not target.is_dir():
            raise ValueError(f"{option}: {target} is a file; give a folder")
        if not os.access(target, os.W_OK | os.X_OK):
            raise PermissionError(f"{option}: folder {target} is not writable")
        return target
    _writable_folder(target, option)
    return target


def input_file(path: str | os.PathLike[str], option: str) -> Path:
    """Checks that `path` is an existing, readable file (not a folder)."""
    target = Path(path).expanduser()
    if not target.exists():
        raise FileNotFoundError(f"{option}: file not found: {target}")
    if target.is_dir():
        raise ValueError(f"{option}: {target} is a folder; give a file")
    if not os.access(target, os.R_OK):
        raise PermissionError(f"{option}: {target} is not readable")
    return target


def mnist_file(path: str | os.PathLike[str] | None, option: str = "--data") -> Path | None:
    """Checks the MNIST file that `load_mnist(path)` would read (`path`, else $ROTKERAS_MNIST).

    Reads only the archive's table of contents: an `.npz` (zip) holding the four
    arrays of Keras' format. Returns the file, or None when neither is set (Keras'
    download then).
    """
    if path is None:
        env = os.environ.get(MNIST_ENV_VAR, "").strip()
        if not env:
            return None
        path, option = env, f"${MNIST_ENV_VAR}"
    target = input_file(path, option)
    expected = f"expected a Keras-format mnist.npz (arrays {', '.join(MNIST_KEYS)})"
    try:
        with zipfile.ZipFile(target) as archive:
            names = {name.removesuffix(".npy") for name in archive.namelist()}
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(f"{option}: {target} is not an .npz archive ({error}); {expected}") \
            from None
    missing = [key for key in MNIST_KEYS if key not in names]
    if missing:
        raise ValueError(f"{option}: {target} lacks the array(s) {', '.join(missing)}; "
                         f"{expected}")
    return target


def real_digits(path: str | os.PathLike[str], option: str = "--real") -> Path:
    """Checks a set of real digits for `train-reader`: a folder holding ARDIS Dataset IV's
    four CSV files, or a readable file (Semeion or optdigits-orig, checked when read)."""
    from rotkeras.datasets.ardis import ardis_folder

    target = Path(path).expanduser()
    if not target.is_dir():
        return input_file(target, option)
    try:
        return ardis_folder(target)
    except FileNotFoundError as error:
        raise FileNotFoundError(f"{option}: {error}") from None


def photo_folder(path: str | os.PathLike[str], option: str = "--photos") -> Path:
    """Checks a folder of labelled digit photos: it holds images with a label.

    A label is the name of the photo's folder (`0`..`9`) or a leading digit of its file
    name, as `rotkeras.datasets.load_image_folder` reads them.
    """
    target = Path(path).expanduser()
    if not target.exists():
        raise FileNotFoundError(f"{option}: no such folder: {target}")
    if not target.is_dir():
        raise ValueError(f"{option}: {target} is a file; give a folder of photos")
    files = list_images(target)
    if not files:
        raise ValueError(f"{option}: no image files ({', '.join(IMAGE_EXTENSIONS)}) in "
                         f"{target}")
    if not any(label_from_path(file, target) is not None for file in files):
        raise ValueError(f"{option}: none of the {len(files)} image(s) in {target} has a label "
                         "(a folder named 0-9, e.g. 7/photo.jpg, or a file name starting with "
                         "the digit, e.g. 7_anna.png)")
    return target


def prediction_inputs(
    inputs: Sequence[str | os.PathLike[str]],
) -> tuple[list[str], list[tuple[str, str]]]:
    """Sorts `rotkeras predict`'s inputs into usable ones and problems.

    Returns the usable inputs (existing files, folders holding images) and `(input,
    reason)` for the others (missing paths, folders without images); raises `ValueError`
    when no input is usable at all, so that no model is loaded for nothing.
    """
    usable: list[str] = []
    problems: list[tuple[str, str]] = []
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            if any(True for p in path.rglob("*") if is_image(p)):
                usable.append(str(item))
            else:
                problems.append((str(path), f"no image files ({', '.join(IMAGE_EXTENSIONS)}) "
                                            "in this folder"))
        elif path.exists():
            usable.append(str(item))
        else:
            problems.append((str(path), "no such file or folder"))
    if not usable:
        raise ValueError("no image to classify: "
                         + "; ".join(f"{name}: {reason}" for name, reason in problems))
    return usable, problems
