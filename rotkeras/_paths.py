"""Checks of paths that the library and the command line make alike (internal).

Imports neither Keras nor a backend: `rotkeras export` and `rotkeras predict` call these
before Keras loads, so that a bad path is refused at once, and `rotkeras.models.export`
calls the same checks on its arguments.
"""

from __future__ import annotations

import os
from pathlib import Path

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
