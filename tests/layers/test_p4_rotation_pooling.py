from __future__ import annotations

import numpy as np
import pytest

from rotkeras.layers import P4RotationPooling
from tests.helpers import assert_p4_equivariant, run_layer_test, to_numpy


@pytest.mark.parametrize("mode", ["max", "average"])
def test_pools_the_rotation_axis(mode: str, rng) -> None:
    maps = rng.standard_normal((2, 5, 5, 4, 3)).astype("float32")
    reduce = np.max if mode == "max" else np.mean
    layer = P4RotationPooling(mode)
    np.testing.assert_allclose(to_numpy(layer(maps)), reduce(maps, axis=3), atol=1e-6)
    # Turned p4 maps give turned ordinary maps; p4 vectors give identical outputs.
    assert_p4_equivariant(layer, maps, atol=1e-6)
    assert_p4_equivariant(layer, maps[:, 0, 0], output_kind="invariant", atol=1e-6)


def test_bad_mode_and_inputs() -> None:
    with pytest.raises(ValueError, match="median"):
        P4RotationPooling("median")
    with pytest.raises(ValueError, match=r"\(2, 5, 5, 3\)"):
        P4RotationPooling()(np.zeros((2, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"\(2, 3, 8\)"):
        P4RotationPooling()(np.zeros((2, 3, 8), "float32"))


@pytest.mark.parametrize("shape", [(2, 3, 3, 4, 2), (2, 4, 3)])
def test_layer_contract(shape: tuple, tmp_path, rng) -> None:
    x = rng.random(shape, dtype=np.float32)
    layer = run_layer_test(P4RotationPooling, {"mode": "average"}, x, tmp_path=tmp_path,
                           atol=1e-6, tf_data=False, mixed_outputs_in_compute_dtype=True)
    assert layer.mode == "average"


def test_mean_is_the_deprecated_word_for_average(rng) -> None:
    maps = rng.standard_normal((2, 3, 3, 4, 2)).astype("float32")
    with pytest.warns(DeprecationWarning, match="mode='average'"):
        layer = P4RotationPooling("mean")
    assert layer.mode == "average"
    np.testing.assert_allclose(to_numpy(layer(maps)), maps.mean(axis=3), atol=1e-6)
    # A config saved by an earlier rotkeras (mode="mean") still loads, as "average".
    with pytest.warns(DeprecationWarning):
        loaded = P4RotationPooling.from_config({"name": "pool", "mode": "mean"})
    assert loaded.get_config()["mode"] == "average"
