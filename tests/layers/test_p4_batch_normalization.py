from __future__ import annotations

import numpy as np
import pytest

from rotkeras.layers import P4BatchNormalization
from tests.helpers import assert_p4_equivariant, run_layer_test, to_numpy


def test_statistics_are_shared_by_the_orientations(rng) -> None:
    x = rng.standard_normal((6, 5, 5, 4, 3)).astype("float32") * 3 + 2
    # Make the orientations differ: per-orientation normalization would erase this.
    x[:, :, :, 1] += 5.0
    layer = P4BatchNormalization(epsilon=1e-6, center=False, scale=False)
    y = to_numpy(layer(x, training=True))
    mean = x.mean(axis=(0, 1, 2, 3))
    std = x.std(axis=(0, 1, 2, 3))
    np.testing.assert_allclose(y, (x - mean) / std, atol=1e-3)
    assert layer.gamma is None and layer.moving_mean.shape == (3,)


@pytest.mark.parametrize("training", [True, False])
def test_equivariant(training: bool, rng) -> None:
    layer = P4BatchNormalization(beta_initializer="random_normal",
                                 gamma_initializer="random_uniform")
    x = rng.standard_normal((4, 6, 6, 4, 2)).astype("float32")
    layer(x, training=True)  # moves the statistics away from their initial values
    assert_p4_equivariant(layer, x, training=training)


def test_rejects_axis_and_non_p4_inputs() -> None:
    with pytest.raises(TypeError, match="axis=1"):
        P4BatchNormalization(axis=1)
    with pytest.raises(ValueError, match=r"\(2, 5, 5, 3\)"):
        P4BatchNormalization()(np.zeros((2, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"\(2, 5, 5, 3, 2\)"):
        P4BatchNormalization()(np.zeros((2, 5, 5, 3, 2), "float32"))


def test_layer_contract(tmp_path, rng) -> None:
    x = rng.random((3, 4, 4, 4, 2), dtype=np.float32)
    layer = run_layer_test(P4BatchNormalization,
                           {"momentum": 0.9, "epsilon": 1e-4, "beta_initializer": "random_normal"},
                           x, tmp_path=tmp_path, atol=1e-6, tf_data=False,
                           mixed_outputs_in_compute_dtype=True)
    assert layer.momentum == 0.9 and "axis" not in layer.get_config()
