from __future__ import annotations

import keras
import numpy as np
import pytest

import rotkeras
from rotkeras.models import rotation_robust_cnn
from tests.helpers import save_and_load, to_numpy


def _turned(x: np.ndarray, k: int) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(x, k, axes=(1, 2)))


def test_default_sizes_and_outputs() -> None:
    joint = rotation_robust_cnn()
    invariant = rotation_robust_cnn(head="invariant")
    assert joint.count_params() <= 135_000 and invariant.count_params() <= 135_000
    assert [tuple(o.shape) for o in joint.outputs] == [(None, 10), (None, 4)]
    assert tuple(invariant.output.shape) == (None, 10)


def _train_briefly(model: keras.Model, joint: bool, rng) -> None:
    x = rng.random((32, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 32)
    labels = (y, np.zeros(32, "int32")) if joint else y
    model.fit(x, labels, batch_size=16, epochs=1, verbose=0)


@pytest.mark.parametrize("trained", [False, True])
def test_invariant_head_is_exactly_invariant(trained: bool, rng) -> None:
    model = rotation_robust_cnn(head="invariant")
    if trained:
        _train_briefly(model, False, rng)
    x = rng.random((4, 28, 28, 1), dtype=np.float32)
    p = to_numpy(model(x, training=False))
    for k in range(1, 4):
        np.testing.assert_allclose(to_numpy(model(_turned(x, k), training=False)), p, atol=1e-5)


def test_joint_head_turns_its_orientation_with_the_input(rng) -> None:
    model = rotation_robust_cnn(orientation_prior=None)
    _train_briefly(model, True, rng)
    x = rng.random((4, 28, 28, 1), dtype=np.float32)
    digits, orientation = to_numpy(model(x, training=False))
    for k in range(1, 4):
        d, o = to_numpy(model(_turned(x, k), training=False))
        np.testing.assert_allclose(d, digits, atol=1e-5)
        np.testing.assert_allclose(o, np.roll(orientation, k, axis=1), atol=1e-5)


def test_save_load_and_jit_train_step(tmp_path, rng) -> None:
    # XLA on TensorFlow, jax.jit on JAX; torch.compile (minutes) is left to the slow tests.
    model = rotation_robust_cnn(jit_compile=keras.backend.backend() != "torch")
    _train_briefly(model, True, rng)
    x = rng.random((3, 28, 28, 1), dtype=np.float32)
    restored = save_and_load(model, tmp_path)
    for a, b in zip(to_numpy(restored.predict(x, verbose=0)), to_numpy(model.predict(x, verbose=0)),
                    strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_mixed_precision_outputs_float32() -> None:
    model = rotation_robust_cnn(dtype="mixed_bfloat16")
    assert [keras.backend.standardize_dtype(o.dtype) for o in model.outputs] == ["float32"] * 2
    assert model.get_layer("p4conv2").compute_dtype == "bfloat16"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"head": "both"}, "both"),
        ({"input_shape": (28, 30, 1)}, "square"),
        ({"input_shape": (32, 32, 1)}, "size of 11"),
        ({"filters": (8, 16)}, r"\(8, 16\)"),
        ({"filters": (8, 16, 0, 4)}, "filters=0"),
        ({"num_classes": 1.5}, "1.5"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rotation_robust_cnn(**kwargs)


def test_exported_from_models() -> None:
    assert rotkeras.models.rotation_robust_cnn is rotation_robust_cnn


def test_weight_decay_selects_adamw() -> None:
    assert isinstance(rotation_robust_cnn(weight_decay=0.02).optimizer, keras.optimizers.AdamW)
    plain = rotation_robust_cnn().optimizer
    assert isinstance(plain, keras.optimizers.Adam)
    assert not isinstance(plain, keras.optimizers.AdamW)
    with pytest.raises(ValueError, match="weight_decay=-1"):
        rotation_robust_cnn(weight_decay=-1)
