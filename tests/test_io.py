"""Atomic writes (`rotkeras._io`)."""

from __future__ import annotations

import numpy as np
import pytest

from rotkeras import _io


def test_atomic_write_replaces_whole_file(tmp_path) -> None:
    path = tmp_path / "sub" / "metrics.json"
    _io.write_json(path, {"a": np.float32(0.5), "b": np.arange(3)})
    assert _io.read_json(path) == {"a": 0.5, "b": [0, 1, 2]}
    _io.write_text(path, "new")
    assert path.read_text() == "new"
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path) -> None:
    path = tmp_path / "report.md"
    path.write_text("old")

    def explode(tmp):
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        _io.save_atomically(path, explode)
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_temporary_keeps_every_suffix(tmp_path) -> None:
    with _io.atomic_path(tmp_path / "epoch-1.weights.h5") as tmp:
        assert tmp.name.endswith(".weights.h5") and tmp.name.startswith(_io.TEMP_PREFIX)
        tmp.write_text("x")


def test_stale_temporaries_are_removed(tmp_path) -> None:
    (tmp_path / "models").mkdir()
    stale = tmp_path / "models" / f"{_io.TEMP_PREFIX}reference.abc.keras"
    stale.write_text("half a model")
    keep = tmp_path / "models" / "reference.keras"
    keep.write_text("model")
    assert _io.remove_stale_temporaries(tmp_path) == 1
    assert not stale.exists() and keep.exists()
