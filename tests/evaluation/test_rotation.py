from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.datasets import combined_test_set, rotate_right_angles
from rotkeras.evaluation import accuracy, accuracy_per_angle, rotation_robustness


def _pixel_model() -> keras.Model:
    """'Classifies' an image as 1 when its top-left pixel is bright, else 0."""
    inputs = keras.Input((4, 4, 1))
    flat = keras.layers.Flatten()(inputs)
    kernel = np.zeros((16, 2), "float32")
    kernel[0] = [-10.0, 10.0]
    dense = keras.layers.Dense(2, activation="softmax", bias_initializer="zeros")
    outputs = dense(flat)
    dense.set_weights([kernel, np.array([5.0, 0.0], "float32")])
    return keras.Model(inputs, outputs)


def _data() -> tuple[np.ndarray, np.ndarray]:
    x = np.zeros((8, 4, 4), np.uint8)
    x[:, 0, 0] = 255  # every image has the bright top-left pixel: label 1
    return x, np.ones(8, np.int64)


def test_accuracy_uint8_and_float() -> None:
    model = _pixel_model()
    x, y = _data()
    assert accuracy(model, x, y) == 1.0
    assert accuracy(model, x[..., None].astype("float32") / 255.0, y) == 1.0
    assert accuracy(model, x, np.zeros(8)) == 0.0
    assert accuracy(model, x, np.eye(2)[y]) == 1.0
    with pytest.raises(ValueError, match=r"\(3,\)"):
        accuracy(model, x, np.zeros(3))
    with pytest.raises(ValueError, match=r"\(4, 4\)"):
        accuracy(model, x[0], y)


def test_accuracy_per_angle() -> None:
    model = _pixel_model()
    x, y = _data()
    result = accuracy_per_angle(model, x, y, angles=(0, 90, 180, 270, -90))
    # Only the upright image keeps its bright pixel in the top-left corner.
    assert result == {0: 1.0, 90: 0.0, 180: 0.0, 270: 0.0, -90: 0.0}
    assert list(accuracy_per_angle(model, x, y)) == list(range(0, 360, 15))


def test_rotation_robustness_uses_the_shared_sets(rng) -> None:
    model = _pixel_model()
    x = rng.integers(0, 256, (40, 4, 4), dtype=np.uint8)
    y = rng.integers(0, 2, 40)
    scores = rotation_robustness(model, x, y, seed=5)
    assert sorted(scores) == ["combined", "rotated", "upright"]
    rotated = rotate_right_angles(x, y, seed=5)
    combined = combined_test_set(x, y, seed=5)
    assert scores["upright"] == pytest.approx(accuracy(model, x, y))
    assert scores["rotated"] == pytest.approx(accuracy(model, rotated.images, y))
    assert scores["combined"] == pytest.approx(accuracy(model, combined.images, combined.labels))
    assert scores["combined"] == pytest.approx((scores["upright"] + scores["rotated"]) / 2)
