from __future__ import annotations

import numpy as np
import pytest

from rotkeras.layers import P4RotationPooling
from tests.helpers import assert_p4_equivariant, run_layer_test, to_numpy


@pytest.mark.parametrize("mode", ["max", "mean"])
def test_pools_the_rotation_axis(mode: str, rng) -> None:
    maps = rng.standard_normal((2, 5, 5, 4, 3)).astype("float32")
    reduce = np.max if mode == "max" else np.mean
    layer = P4RotationPooling(mode)
    np.testing.assert_allclose(to_numpy(layer(maps)), reduce(maps, axis=3), atol=1e-6)
    # Turned p4 maps give turned ordinary maps; p4 vectors give identical outputs.
    assert_p4_equivariant(layer, maps, atol=1e-6)
    assert_p4_equivariant(layer, maps[:, 0, 0], output_kind="invariant", atol=1e-6)


def test_bad_mode_and_inputs() -> None:
    with pytest.raises(ValueError, match="average"):
        P4RotationPooling("average")
    with pytest.raises(ValueError, match=r"\(2, 5, 5, 3\)"):
        P4RotationPooling()(np.zeros((2, 5, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"\(2, 3, 8\)"):
        P4RotationPooling()(np.zeros((2, 3, 8), "float32"))


@pytest.mark.parametrize("shape", [(2, 3, 3, 4, 2), (2, 4, 3)])
def test_layer_contract(shape: tuple, tmp_path, rng) -> None:
    x = rng.random(shape, dtype=np.float32)
    layer = run_layer_test(P4RotationPooling, {"mode": "mean"}, x, tmp_path=tmp_path, atol=1e-6,
                           tf_data=False, mixed_outputs_in_compute_dtype=True)
    assert layer.mode == "mean"
