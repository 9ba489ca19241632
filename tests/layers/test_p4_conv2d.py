from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.layers import P4Conv2D
from tests.helpers import (
    assert_p4_equivariant,
    fit_under_jit,
    jit_train_step_tests,
    run_layer_test,
    to_numpy,
)


def _correlate(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Valid cross-correlation, (B, H, W, Cin) with (k, k, Cin, Cout): an independent reference."""
    k = w.shape[0]
    h, wd = x.shape[1] - k + 1, x.shape[2] - k + 1
    out = np.zeros((x.shape[0], h, wd, w.shape[-1]), np.float64)
    for i in range(k):
        for j in range(k):
            out += np.einsum("bhwc,cd->bhwd", x[:, i : i + h, j : j + wd], w[i, j])
    return out


def _p4_reference(x: np.ndarray, kernel: np.ndarray, lifting: bool) -> np.ndarray:
    """The p4 group correlation written from its definition, orientation by orientation."""
    outputs = []
    for r in range(4):
        turned = np.rot90(kernel, r, axes=(0, 1))
        if lifting:
            outputs.append(_correlate(x, turned))
        else:
            # Filter turned by r: spatially rotated and moved r steps along its rotation axis.
            shifted = np.roll(turned, r, axis=2)
            outputs.append(
                sum(_correlate(x[:, :, :, s], shifted[:, :, s]) for s in range(4))
            )
    return np.stack(outputs, axis=3)


@pytest.mark.parametrize("lifting", [True, False])
def test_matches_the_group_correlation_definition(lifting: bool, rng) -> None:
    layer = P4Conv2D(3, 3, lifting=lifting, use_bias=False)
    shape = (2, 7, 7, 2) if lifting else (2, 7, 7, 4, 2)
    x = rng.standard_normal(shape).astype("float32")
    y = to_numpy(layer(x))
    kernel = to_numpy(layer.kernel)
    np.testing.assert_allclose(y, _p4_reference(x, kernel, lifting), atol=1e-4)


@pytest.mark.parametrize("size", [9, 10])
@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4, 5])
def test_contract_lifting_and_group(size: int, kernel_size: int, rng) -> None:
    lift = P4Conv2D(4, kernel_size, lifting=True, activation="relu")
    group = P4Conv2D(3, kernel_size, bias_initializer="random_normal")
    x = rng.standard_normal((2, size, size, 2)).astype("float32")
    # Every quarter turn: the shift goes round the rotation axis.
    assert_p4_equivariant(group, assert_p4_equivariant(lift, x, turns=(1, 2, 3)),
                          turns=(1, 2, 3))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kernel_size": 3, "padding": "same"},
        {"kernel_size": 5, "padding": "same"},
        {"kernel_size": 3, "strides": 2},
        {"kernel_size": 2, "dilation_rate": 2},
    ],
)
def test_contract_other_settings(kwargs: dict, rng) -> None:
    group = P4Conv2D(2, **kwargs)
    x = rng.standard_normal((1, 11, 11, 4, 3)).astype("float32")
    assert_p4_equivariant(group, x)


def test_non_square_images_keep_the_contract(rng) -> None:
    lift = P4Conv2D(2, 3, lifting=True)
    x = rng.standard_normal((1, 6, 9, 1)).astype("float32")
    assert assert_p4_equivariant(lift, x).shape == (1, 4, 7, 4, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"filters": 0, "kernel_size": 3}, ValueError, "filters=0"),
        ({"filters": 4, "kernel_size": (3, 5)}, ValueError, r"square.*\(3, 5\)"),
        ({"filters": 4, "kernel_size": 0}, ValueError, "kernel_size=0"),
        ({"filters": 4, "kernel_size": 2, "padding": "same"}, ValueError, "odd"),
        ({"filters": 4, "kernel_size": 3, "padding": "same", "strides": 2}, ValueError, "strides"),
        ({"filters": 4, "kernel_size": 3, "padding": "full"}, ValueError, "full"),
        ({"filters": 4, "kernel_size": 3, "lifting": "yes"}, TypeError, "yes"),
        ({"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, ValueError,
         "combined"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        P4Conv2D(**kwargs)


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match=r"lifting=False.*\(2, 8, 8, 1\).*lifting=True"):
        P4Conv2D(2, 3)(np.zeros((2, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match=r"lifting=True.*lifting=False"):
        P4Conv2D(2, 3, lifting=True)(np.zeros((2, 8, 8, 4, 1), "float32"))
    with pytest.raises(ValueError, match=r"4 orientations.*\(2, 8, 8, 3, 1\)"):
        P4Conv2D(2, 3)(np.zeros((2, 8, 8, 3, 1), "float32"))
    with pytest.raises(ValueError, match=r"tile.*\(1, 10, 10, 4, 1\)"):
        P4Conv2D(2, 3, strides=2)(np.zeros((1, 10, 10, 4, 1), "float32"))


def test_unknown_spatial_size_and_output_shape(rng) -> None:
    inputs = keras.Input((None, None, 1))
    outputs = P4Conv2D(4, 3)(P4Conv2D(2, 3, lifting=True, padding="same")(inputs))
    assert tuple(outputs.shape) == (None, None, None, 4, 4)
    model = keras.Model(inputs, outputs)
    assert to_numpy(model(rng.random((2, 12, 12, 1), dtype=np.float32))).shape == (2, 10, 10, 4, 4)


def test_parameter_count() -> None:
    lift = P4Conv2D(8, 3, lifting=True)
    lift.build((None, 28, 28, 1))
    group = P4Conv2D(16, 3)
    group.build((None, 26, 26, 4, 8))
    assert lift.count_params() == 3 * 3 * 1 * 8 + 8
    assert group.count_params() == 3 * 3 * 4 * 8 * 16 + 16


@pytest.mark.parametrize("lifting", [True, False])
def test_layer_contract(lifting: bool, tmp_path, rng) -> None:
    x = rng.random((2, 6, 6, 1) if lifting else (2, 6, 6, 4, 2), dtype=np.float32)
    layer = run_layer_test(
        P4Conv2D, {"filters": 2, "kernel_size": 3, "lifting": lifting, "padding": "same",
                   "activation": "relu", "use_bias": lifting}, x, tmp_path=tmp_path,
        atol=1e-5, tf_data=False, mixed_outputs_in_compute_dtype=True)
    assert layer.lifting == lifting and layer.padding == "same" and layer.use_bias == lifting


def _train_with_jit(rng) -> None:
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            P4Conv2D(4, 3, lifting=True, activation="relu"),
            P4Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    before = to_numpy(model.layers[0].kernel).copy()
    fit_under_jit(model, rng.random((16, 8, 8, 1), dtype=np.float32), rng.integers(0, 3, 16), 8)
    assert not np.allclose(to_numpy(model.layers[0].kernel), before)


test_train_step_under_jit, test_train_step_under_torch_compile = jit_train_step_tests(
    _train_with_jit)
