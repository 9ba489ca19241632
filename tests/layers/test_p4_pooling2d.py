from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.layers import P4Pooling2D
from tests.helpers import assert_p4_equivariant, run_layer_test


@pytest.mark.parametrize("mode", ["max", "average"])
@pytest.mark.parametrize(
    ("size", "kwargs"),
    [
        (8, {"pool_size": 2}),
        (9, {"pool_size": 3}),
        (9, {"pool_size": 3, "strides": 2}),
        (7, {"pool_size": 3, "strides": 1}),
        (8, {"pool_size": 3, "strides": 1, "padding": "same"}),
        (6, {"pool_size": 2, "padding": "same"}),
    ],
)
def test_equivariant_and_matches_keras_pooling(size: int, kwargs: dict, mode: str, rng) -> None:
    layer = P4Pooling2D(mode=mode, **kwargs)
    x = rng.standard_normal((2, size, size, 4, 3)).astype("float32")
    y = assert_p4_equivariant(layer, x, atol=1e-6)
    pool = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    reference = keras.ops.convert_to_numpy(pool(**kwargs)(x.reshape(2, size, size, 12)))
    np.testing.assert_allclose(y, reference.reshape(y.shape), atol=1e-6)


@pytest.mark.parametrize(
    ("size", "kwargs"),
    [(9, {"pool_size": 2}), (8, {"pool_size": 3}), (7, {"pool_size": 2, "padding": "same"})],
)
def test_refuses_sizes_that_break_the_contract(size: int, kwargs: dict) -> None:
    with pytest.raises(ValueError, match=f"size of {size}"):
        P4Pooling2D(**kwargs)(np.zeros((1, size, size, 4, 1), "float32"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"pool_size": 0}, "pool_size=0"), ({"strides": -1}, "strides=-1"),
     ({"padding": "full"}, "full"), ({"mode": "min"}, "min")],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        P4Pooling2D(**kwargs)


def test_bad_input_rank() -> None:
    with pytest.raises(ValueError, match=r"\(1, 8, 8, 3\)"):
        P4Pooling2D()(np.zeros((1, 8, 8, 3), "float32"))


def test_layer_contract(tmp_path, rng) -> None:
    x = rng.random((2, 4, 4, 4, 2), dtype=np.float32)
    layer = run_layer_test(P4Pooling2D, {"pool_size": 3, "strides": 1, "padding": "same",
                                         "mode": "average"}, x, tmp_path=tmp_path, atol=1e-6,
                           tf_data=False, mixed_outputs_in_compute_dtype=True)
    assert (layer.pool_size, layer.strides, layer.padding, layer.mode) == (3, 1, "same", "average")
    assert P4Pooling2D().compute_output_shape((None, 4, 4, 4, 2)) == (None, 2, 2, 4, 2)
