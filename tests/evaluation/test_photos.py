from __future__ import annotations

import sys
import types
from pathlib import Path

import keras
import numpy as np
import pytest

from rotkeras.evaluation import (
    evaluate_photos,
    photo_report_lines,
    preprocess_photos,
    with_shipped_reader,
)
from rotkeras.evaluation.photos import read_kinds
from rotkeras.models import mnist_cnn, takes_photos

# The photo evaluation is NumPy bookkeeping around a model's predictions; the preprocessing
# layer and the models it calls are tested on every backend by their own tests.
pytestmark = pytest.mark.backend_independent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


def test_evaluate_photos_reports_both_preprocessings(tmp_path) -> None:
    result = evaluate_photos(FIXTURES, {"untrained": mnist_cnn()}, tmp_path)
    assert result["count"] == len(list(FIXTURES.glob("[0-9]*")))
    scores = result["accuracy"]["untrained"]
    assert set(scores) == {"tutorial", "mnist"}
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert (tmp_path / "photos_before_after.png").exists()
    assert any("HandwritingPreprocess" in line for line in result["report_lines"])
    turned = result["turned"]["untrained"]
    assert list(turned) == ["all"]  # no SOURCES.csv: no kinds
    assert set(turned["all"]) == {"0", "90", "-90", "180"}
    assert turned["all"]["0"] == scores["mnist"]
    assert result["kinds"] is None


def test_preprocess_photos_batches(rng) -> None:
    photos = (rng.random((5, 64, 48, 3)) * 255).astype(np.uint8)
    out = preprocess_photos(photos, "mnist", batch_size=2)
    assert out.shape == (5, 28, 28, 1)
    assert np.isfinite(out).all()


class _BrightestQuadrant(keras.layers.Layer):
    """Class 0..3: the brightest quadrant of a photo (top-left, bottom-left, bottom-right,
    top-right), i.e. where a top-left mark went after k counter-clockwise quarter turns."""

    def call(self, photos):
        x = keras.ops.mean(keras.ops.cast(photos, "float32"), axis=-1)
        half = x.shape[1] // 2
        quadrants = [x[:, :half, :half], x[:, half:, :half], x[:, half:, half:],
                     x[:, :half, half:]]
        scores = keras.ops.stack([keras.ops.mean(q, axis=(1, 2)) for q in quadrants], axis=-1)
        others = keras.ops.zeros_like(scores[:, :1]) + keras.ops.full((1, 6), -1e3)
        return keras.ops.softmax(keras.ops.concatenate([scores, others], axis=-1))


def _quadrant_reader(two_outputs: bool = True) -> keras.Model:
    photos = keras.Input((256, 256, 3), dtype="uint8")
    digits = _BrightestQuadrant()(photos)
    outputs = [digits, keras.layers.Dense(4, activation="softmax")(digits)] if two_outputs \
        else digits
    return keras.Model(photos, outputs)


@pytest.fixture
def marked_photos(tmp_path) -> Path:
    """Wide dark photos (60x100) with a bright mark in the top-left corner, all labelled 0,
    and a SOURCES.csv giving two of the three a kind."""
    import cv2

    root = tmp_path / "photos"
    (root / "0").mkdir(parents=True)
    for i in range(3):
        image = np.zeros((60, 100, 3), np.uint8)
        image[: 20 + i, : 30] = 255
        cv2.imwrite(str(root / "0" / f"m{i}.png"), image)
    (root / "SOURCES.csv").write_text("file,label,kind\n0/m0.png,0,photo\n0/m1.png,0,scan\n")
    return root


def test_photos_are_turned_before_preprocessing(marked_photos) -> None:
    reader = _quadrant_reader()
    assert takes_photos(reader) and not takes_photos(mnist_cnn())
    result = evaluate_photos(marked_photos, {"reader": reader})
    # The mark goes where a counter-clockwise turn of the raw photo takes it.
    predictions = result["predictions"]["reader"]
    assert predictions == {"0": [0, 0, 0], "90": [1, 1, 1], "180": [2, 2, 2],
                           "-90": [3, 3, 3]}
    assert result["turned"]["reader"]["all"] == {"0": 1.0, "90": 0.0, "-90": 0.0, "180": 0.0}
    assert result["accuracy"]["reader"] == {"tutorial": None, "mnist": 1.0}
    assert result["kinds"] == ["photo", "scan", "unlisted"]
    assert result["group_sizes"] == {"all": 3, "photo": 1, "scan": 1, "unlisted": 1}
    assert set(result["turned"]["reader"]) == {"all", "photo", "scan", "unlisted"}
    lines = photo_report_lines(result, {"reader": {"upright": 0.5, "combined": 0.25}},
                         {"reader": "Quadrants"})
    table = [line for line in lines if line.startswith("| Quadrants")]
    assert table[0] == ("| Quadrants | 50.00% | 25.00% | — | 100.00% | 0.00% | 0.00% | 0.00% "
                        "| 0.00% |")
    assert table[1] == ("| Quadrants | 100.00% | 0.00% | 100.00% | 0.00% | 100.00% | 0.00% |")
    assert any("photo (1) upright" in line for line in lines)


def test_read_kinds(marked_photos, tmp_path) -> None:
    files = [str(marked_photos / "0" / f"m{i}.png") for i in range(3)]
    assert read_kinds(marked_photos, files) == ["photo", "scan", "unlisted"]
    (marked_photos / "SOURCES.csv").write_text("file,label\n0/m0.png,0\n")
    assert read_kinds(marked_photos, files) is None
    assert read_kinds(tmp_path, []) is None


def test_turns_must_be_right_angles_with_upright(marked_photos) -> None:
    with pytest.raises(ValueError, match="multiples of 90"):
        evaluate_photos(marked_photos, {"r": _quadrant_reader()}, turns=(90, 180))
    with pytest.raises(FileNotFoundError):
        evaluate_photos(marked_photos / "nope", {"r": _quadrant_reader()})


def _fake_reader_module(monkeypatch, digit_reader) -> None:
    module = types.ModuleType("rotkeras.models.digit_reader")

    class DamagedWeightsError(RuntimeError):
        pass

    module.DamagedWeightsError = DamagedWeightsError
    module.digit_reader = lambda weights="shipped": digit_reader(module, weights)
    monkeypatch.setitem(sys.modules, "rotkeras.models.digit_reader", module)


def test_shipped_reader_row_when_it_loads(monkeypatch, marked_photos) -> None:
    seen = []

    def load(module, weights):
        seen.append(weights)
        return _quadrant_reader()

    _fake_reader_module(monkeypatch, load)
    models, notes = with_shipped_reader({"untrained": mnist_cnn()})
    assert seen == ["shipped"] and notes == []
    result = evaluate_photos(marked_photos, models)
    assert result["turned"]["shipped_reader"]["all"]["0"] == 1.0
    assert "untrained" in result["turned"]
    assert any(line.startswith("| shipped digit reader") for line in result["report_lines"])


def test_shipped_reader_skipped_with_a_note(monkeypatch) -> None:
    def damaged(module, weights):
        raise module.DamagedWeightsError("checksum mismatch")

    _fake_reader_module(monkeypatch, damaged)
    models, notes = with_shipped_reader({})
    assert models == {}
    assert "DamagedWeightsError: checksum mismatch" in notes[0]
    monkeypatch.setitem(sys.modules, "rotkeras.models.digit_reader", None)
    models, notes = with_shipped_reader({"a": 1})
    assert models == {"a": 1}
    assert "not part of this installation" in notes[0]
