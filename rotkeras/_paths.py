"""What the library and the command line say alike about paths (internal).

Which files are images and what label a photo's path gives it (`rotkeras.datasets.photos`
reads them, `rotkeras predict` and `reproduce --photos` check them), and the path an
export writes (`rotkeras.models.export_model` and `rotkeras export`). Imports neither
Keras, NumPy nor a backend, so that the command line refuses a bad path at once.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

#: The image files rotkeras reads, by extension.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
#: The formats `rotkeras.models.export_model` writes.
EXPORT_FORMATS = ("tf_saved_model", "tflite", "onnx")
#: The file name ending each file format needs (a SavedModel is a folder).
EXPORT_SUFFIXES = {"tflite": ".tflite", "onnx": ".onnx"}


def export_target(path: str | os.PathLike[str], format: str, *, format_text: str,
                  path_text: str) -> Path:
    """The path an export in `format` writes, checked: the format's suffix, or a folder.

    Args:
        path: The file (TFLite, ONNX) or folder (SavedModel) to write.
        format: One of `EXPORT_FORMATS`.
        format_text: How the caller names the format in a message (`"--format onnx"`,
            `"format='onnx'"`).
        path_text: How the caller names the path in a message (`"--out x"`, `"path='x'"`).

    Returns:
        `path`, `~` expanded.

    Raises:
        ValueError: If a file format's path lacks its suffix, or a SavedModel's is a file.
    """
    target = Path(path).expanduser()
    suffix = EXPORT_SUFFIXES.get(format)
    if suffix is not None and target.suffix != suffix:
        raise ValueError(f"{format_text} writes a {suffix} file; received {path_text}")
    if suffix is None and target.exists() and not target.is_dir():
        raise ValueError(f"{format_text} writes a folder; {target} is a file")
    return target


def is_image(path: Path) -> bool:
    """Whether `path` is a file with an image extension."""
    return path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS


def list_images(directory: str | os.PathLike[str]) -> list[Path]:
    """Image files (by extension) under `directory`, recursively, sorted."""
    return sorted(p for p in Path(directory).rglob("*") if is_image(p))


def label_from_path(path: str | os.PathLike[str],
                    root: str | os.PathLike[str] | None = None) -> int | None:
    """The digit label of a photo: its folder's name `0`..`9`, else a leading digit.

    With `root`, a photo directly in `root` takes no label from the folder's name.
    """
    file = Path(path)
    if root is not None and file.parent != Path(root) and re.fullmatch(r"[0-9]", file.parent.name):
        return int(file.parent.name)
    if root is None and re.fullmatch(r"[0-9]", file.parent.name):
        return int(file.parent.name)
    match = re.match(r"([0-9])(?![0-9])", file.name)
    return int(match.group(1)) if match else None
