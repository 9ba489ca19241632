"""Atomic file writes: the outputs of `rotkeras reproduce` and its figures (internal).

Every file is first written under a temporary name in the same folder and then moved
into place with `os.replace`, which is atomic on POSIX and Windows: a crash leaves
either the old file or the new one, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TEMP_PREFIX = ".rotkeras-tmp-"


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> int:
    """Deletes temporary files that a killed process left under `folder`; returns how many."""
    count = 0
    for path in Path(folder).rglob(f"{TEMP_PREFIX}*"):
        if path.is_file():
            path.unlink()
            count += 1
    return count


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yields a temporary path beside `path` (same suffix); moves it to `path` on success."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Keep every suffix (".weights.h5", ".keras"): Keras checks them when saving.
    suffix = "".join(target.suffixes) or ".tmp"
    stem = target.name[: len(target.name) - len(suffix)] if target.suffixes else target.name
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{stem}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as model.save() create the file themselves
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Writes `text` to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Writes `data` as indented JSON to `path` atomically."""
    write_text(path, json.dumps(data, indent=2, sort_keys=False, default=_to_builtin) + "\n")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Reads a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_atomically(path: str | os.PathLike[str], save: Callable[[Path], None]) -> None:
    """Calls `save(tmp_path)` and moves the result to `path` atomically (models, figures)."""
    with atomic_path(path) as tmp:
        save(tmp)


def _to_builtin(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
