from __future__ import annotations

import numpy as np
import pytest

from rotkeras.datasets import angle_dataset
from rotkeras.metrics import AngleError
from rotkeras.models import angle_classifier


@pytest.mark.parametrize(("num_angles", "params"), [(4, 130_116), (360, 176_040)])
def test_shapes_and_parameters(num_angles: int, params: int) -> None:
    model = angle_classifier(num_angles=num_angles)
    assert model.output_shape == (None, num_angles)
    assert model.count_params() == params
    assert model.name == "angle_classifier"


def test_compiled_metrics() -> None:
    four = angle_classifier(num_angles=4)
    fine = angle_classifier(num_angles=36)
    assert four.loss == "sparse_categorical_crossentropy"
    names = [type(m).__name__ for m in fine._compile_metrics._user_metrics]
    assert "AngleError" in names
    assert not any(isinstance(m, AngleError) for m in four._compile_metrics._user_metrics)
    assert not angle_classifier(compile=False).compiled


def test_trains_on_angle_dataset(rng) -> None:
    x = rng.random((32, 28, 28), dtype=np.float32)
    model = angle_classifier(num_angles=8)
    history = model.fit(angle_dataset(x, num_angles=8, batch_size=16), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert 0.0 <= history.history["angle_error"][0] <= 180.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"num_angles": 1}, "num_angles=1"), ({"num_angles": 2.5}, "2.5"),
     ({"input_shape": (28, 28)}, r"\(28, 28\)")],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        angle_classifier(**kwargs)


def test_dtype_policy_passes_through() -> None:
    model = angle_classifier(dtype="mixed_bfloat16")
    policies = {layer.name: layer.dtype_policy.name for layer in model.layers}
    assert policies["conv2"] == "mixed_bfloat16"
    assert policies["probabilities"] == "float32"
    assert model.count_params() == 130_116
