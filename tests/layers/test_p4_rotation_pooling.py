from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.layers import P4RotationPooling
from tests.helpers import assert_config_round_trip, save_and_load, to_numpy


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_pools_the_rotation_axis(mode: str, rng) -> None:
    maps = rng.standard_normal((2, 5, 5, 4, 3)).astype("float32")
    reduce = np.max if mode == "max" else np.mean
    layer = P4RotationPooling(mode)
    np.testing.assert_allclose(to_numpy(layer(maps)), reduce(maps, axis=3), atol=1e-6)
    # Turned p4 maps give turned ordinary maps; p4 vectors give identical outputs.
    turned = np.roll(np.rot90(maps, 1, axes=(1, 2)), 1, axis=3)
    np.testing.assert_allclose(
        to_numpy(layer(turned)), np.rot90(reduce(maps, axis=3), 1, axes=(1, 2)), atol=1e-6
    )
    vectors = maps[:, 0, 0]
    np.testing.assert_allclose(
        to_numpy(layer(np.roll(vectors, 1, axis=1))), to_numpy(layer(vectors)), atol=1e-6
    )


def test_bad_mode_and_inputs() -> None:
    with pytest.raises(ValueError, match="average"):
        P4RotationPooling("average")
    with pytest.raises(ValueError, match=r"\(2, 5, 5, 3\)"):
        P4RotationPooling()(np.zeros((2, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"\(2, 3, 8\)"):
        P4RotationPooling()(np.zeros((2, 3, 8), "float32"))


def test_config_and_save_load(tmp_path, rng) -> None:
    assert assert_config_round_trip(P4RotationPooling("mean")).mode == "mean"
    model = keras.Sequential([keras.Input((3, 3, 4, 2)), P4RotationPooling()])
    x = rng.random((2, 3, 3, 4, 2), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(save_and_load(model, tmp_path)(x)), to_numpy(model(x)))
    assert model.compute_output_shape((None, 3, 3, 4, 2)) == (None, 3, 3, 2)
