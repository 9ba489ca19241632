from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.layers import P4AveragePooling2D, P4MaxPooling2D, P4Pooling2D
from tests.helpers import assert_p4_equivariant, run_layer_test, to_numpy

POOLS = {"max": (P4MaxPooling2D, keras.layers.MaxPooling2D),
         "average": (P4AveragePooling2D, keras.layers.AveragePooling2D)}


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
    p4_pool, keras_pool = POOLS[mode]
    x = rng.standard_normal((2, size, size, 4, 3)).astype("float32")
    y = assert_p4_equivariant(p4_pool(**kwargs), x, atol=1e-6)
    reference = keras.ops.convert_to_numpy(keras_pool(**kwargs)(x.reshape(2, size, size, 12)))
    np.testing.assert_allclose(y, reference.reshape(y.shape), atol=1e-6)


@pytest.mark.parametrize("layer_cls", [P4MaxPooling2D, P4AveragePooling2D])
@pytest.mark.parametrize(
    ("size", "kwargs"),
    [(9, {"pool_size": 2}), (8, {"pool_size": 3}), (7, {"pool_size": 2, "padding": "same"})],
)
def test_refuses_sizes_that_break_the_contract(layer_cls: type, size: int, kwargs: dict) -> None:
    with pytest.raises(ValueError, match=f"size of {size}"):
        layer_cls(**kwargs)(np.zeros((1, size, size, 4, 1), "float32"))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"pool_size": 0}, "pool_size=0"), ({"strides": -1}, "strides=-1"),
     ({"padding": "full"}, "full")],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    for layer_cls in (P4MaxPooling2D, P4AveragePooling2D):
        with pytest.raises(ValueError, match=message):
            layer_cls(**kwargs)


def test_bad_input_rank() -> None:
    with pytest.raises(ValueError, match=r"P4AveragePooling2D expects p4.*\(1, 8, 8, 3\)"):
        P4AveragePooling2D()(np.zeros((1, 8, 8, 3), "float32"))


@pytest.mark.parametrize("layer_cls", [P4MaxPooling2D, P4AveragePooling2D])
def test_layer_contract(layer_cls: type, tmp_path, rng) -> None:
    x = rng.random((2, 4, 4, 4, 2), dtype=np.float32)
    layer = run_layer_test(layer_cls, {"pool_size": 3, "strides": 1, "padding": "same"}, x,
                           tmp_path=tmp_path, atol=1e-6, tf_data=False,
                           mixed_outputs_in_compute_dtype=True)
    assert (layer.pool_size, layer.strides, layer.padding) == (3, 1, "same")
    assert "mode" not in layer.get_config()
    assert layer_cls().compute_output_shape((None, 4, 4, 4, 2)) == (None, 2, 2, 4, 2)


# ------------------------------------------------------- the deprecated P4Pooling2D
@pytest.mark.parametrize("mode", ["max", "average"])
def test_deprecated_pooling_warns_and_pools_like_its_replacement(mode: str, rng) -> None:
    x = rng.standard_normal((2, 6, 6, 4, 3)).astype("float32")
    with pytest.warns(DeprecationWarning, match=POOLS[mode][0].__name__):
        old = P4Pooling2D(2, mode=mode)
    np.testing.assert_array_equal(to_numpy(old(x)), to_numpy(POOLS[mode][0](2)(x)))


def test_deprecated_pooling_still_refuses_bad_modes() -> None:
    with pytest.raises(ValueError, match="min"):
        P4Pooling2D(mode="min")


def test_deprecated_pooling_saves_and_loads(tmp_path, rng) -> None:
    x = rng.random((2, 4, 4, 4, 2), dtype=np.float32)
    with pytest.warns(DeprecationWarning):
        layer = run_layer_test(P4Pooling2D, {"pool_size": 3, "strides": 1, "padding": "same",
                                             "mode": "average"}, x, tmp_path=tmp_path,
                               atol=1e-6, tf_data=False, mixed_outputs_in_compute_dtype=True)
    assert (layer.pool_size, layer.strides, layer.padding, layer.mode) == (3, 1, "same", "average")
    # A config saved by an earlier rotkeras loads under its registered name.
    config = {"module": "rotkeras.layers.p4_pooling2d", "class_name": "P4Pooling2D",
              "registered_name": "rotkeras>P4Pooling2D",
              "config": {"name": "pool1", "pool_size": 2, "strides": 2, "padding": "valid",
                         "mode": "max"}}
    with pytest.warns(DeprecationWarning):
        loaded = keras.saving.deserialize_keras_object(config)
    assert type(loaded) is P4Pooling2D and loaded.mode == "max"
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(P4MaxPooling2D(2)(x)))
