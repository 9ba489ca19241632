from __future__ import annotations

from pathlib import Path

import numpy as np

from rotkeras.cli.photos import evaluate_photos, preprocess_photos
from rotkeras.models import mnist_cnn

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photos"


def test_evaluate_photos_reports_both_preprocessings(tmp_path) -> None:
    result = evaluate_photos(FIXTURES, {"untrained": mnist_cnn()}, tmp_path)
    assert result["count"] == len(list(FIXTURES.glob("[0-9]*")))
    scores = result["accuracy"]["untrained"]
    assert set(scores) == {"tutorial", "mnist"}
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert (tmp_path / "photos_before_after.png").exists()
    assert any("HandwritingPreprocess" in line for line in result["report_lines"])


def test_preprocess_photos_batches(rng) -> None:
    photos = (rng.random((5, 64, 48, 3)) * 255).astype(np.uint8)
    out = preprocess_photos(photos, "mnist", batch_size=2)
    assert out.shape == (5, 28, 28, 1)
    assert np.isfinite(out).all()
