from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.layers import P4Pooling2D
from tests.helpers import assert_config_round_trip, save_and_load, to_numpy


def _turn(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.roll(np.rot90(x, 1, axes=(1, 2)), 1, axis=3))


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
    y = to_numpy(layer(x))
    np.testing.assert_allclose(to_numpy(layer(_turn(x))), _turn(y), atol=1e-6)
    pool = keras.layers.MaxPooling2D if mode == "max" else keras.layers.AveragePooling2D
    reference = to_numpy(pool(**kwargs)(x.reshape(2, size, size, 12)))
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


def test_config_and_save_load(tmp_path, rng) -> None:
    clone = assert_config_round_trip(P4Pooling2D(3, strides=1, padding="same", mode="average"))
    assert (clone.pool_size, clone.strides, clone.padding, clone.mode) == (3, 1, "same", "average")
    model = keras.Sequential([keras.Input((4, 4, 4, 2)), P4Pooling2D()])
    x = rng.random((2, 4, 4, 4, 2), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(save_and_load(model, tmp_path)(x)), to_numpy(model(x)))
    assert model.compute_output_shape((None, 4, 4, 4, 2)) == (None, 2, 2, 4, 2)
