from __future__ import annotations

import numpy as np
import pytest

from rotkeras.layers import P4OrientationHead
from tests.helpers import assert_p4_equivariant, run_layer_test, to_numpy


def test_marginals_of_one_joint_distribution(rng) -> None:
    head = P4OrientationHead(5, hidden_units=8)
    classes, orientation = to_numpy(head(rng.random((6, 4, 3), dtype=np.float32)))
    assert classes.shape == (6, 5) and orientation.shape == (6, 4)
    np.testing.assert_allclose(classes.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(orientation.sum(axis=1), 1.0, atol=1e-5)
    assert np.all(classes >= 0) and np.all(orientation >= 0)


@pytest.mark.parametrize("hidden_units", [0, 8])
def test_uniform_prior_is_exactly_equivariant(hidden_units: int, rng) -> None:
    head = P4OrientationHead(7, hidden_units=hidden_units)
    v = rng.standard_normal((5, 4, 6)).astype("float32")
    assert_p4_equivariant(head, v, output_kind=("invariant", "orientations"), turns=(1, 2, 3),
                          atol=1e-6)


def test_prior_weights_the_turns(rng) -> None:
    v = rng.standard_normal((4, 4, 6)).astype("float32")
    uniform = P4OrientationHead(3, hidden_units=0)
    uniform.build(v.shape)
    upright = P4OrientationHead(3, hidden_units=0, orientation_prior=(0.97, 0.01, 0.01, 0.01))
    upright.build(v.shape)
    upright.set_weights(uniform.get_weights())
    _, o_uniform = to_numpy(uniform(v))
    _, o_upright = to_numpy(upright(v))
    assert np.all(o_upright[:, 0] > o_uniform[:, 0])
    expected = o_uniform * np.array([0.97, 0.01, 0.01, 0.01])
    np.testing.assert_allclose(o_upright, expected / expected.sum(1, keepdims=True), atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_classes": 0}, "num_classes=0"),
        ({"num_classes": 3, "hidden_units": -1}, "hidden_units=-1"),
        ({"num_classes": 3, "orientation_prior": (0.5, 0.5)}, r"\(0.5, 0.5\)"),
        ({"num_classes": 3, "orientation_prior": (1.0, 0.0, 0.0, 0.0)}, "positive"),
        ({"num_classes": 3, "orientation_prior": (float("nan"), 0.5, 0.25, 0.25)}, "nan"),
        ({"num_classes": 3, "orientation_prior": (0.4, 0.4, 0.4, 0.4)}, "sum"),
        ({"num_classes": 3, "dropout": 1.0}, "dropout=1.0"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        P4OrientationHead(**kwargs)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match=r"\(2, 3, 8\)"):
        P4OrientationHead(3)(np.zeros((2, 3, 8), "float32"))


def test_layer_contract(tmp_path, rng) -> None:
    # Under mixed precision the probabilities stay float32: the float32 run's dtypes.
    layer = run_layer_test(
        P4OrientationHead,
        {"num_classes": 4, "hidden_units": 6, "orientation_prior": (0.4, 0.2, 0.2, 0.2),
         "dropout": 0.1},
        rng.random((3, 4, 5), dtype=np.float32), tmp_path=tmp_path, atol=1e-6, tf_data=False)
    assert layer.orientation_prior == (0.4, 0.2, 0.2, 0.2)


def test_matches_a_numpy_reading_of_each_turned_back_input(rng) -> None:
    prior = (0.4, 0.3, 0.2, 0.1)
    head = P4OrientationHead(3, hidden_units=5, orientation_prior=prior)
    v = rng.standard_normal((2, 4, 6)).astype("float32")
    classes, orientation = to_numpy(head(v))
    kernel, bias, score_kernel, score_bias = (to_numpy(w) for w in head.get_weights())
    scores = []
    for t in range(4):
        turned_back = np.roll(v, -t, axis=1).reshape(2, -1)
        hidden = np.maximum(turned_back @ kernel.reshape(24, 5) + bias, 0.0)
        scores.append(hidden @ score_kernel + score_bias + np.log(prior[t]))
    scores = np.stack(scores, axis=1)  # (batch, turn, class)
    joint = np.exp(scores - scores.max(axis=(1, 2), keepdims=True))
    joint /= joint.sum(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(classes, joint.sum(axis=1), atol=1e-5)
    np.testing.assert_allclose(orientation, joint.sum(axis=2), atol=1e-5)
