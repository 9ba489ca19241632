from __future__ import annotations

import numpy as np
import pytest

from rotkeras.layers import RandomStrokeWidth
from tests.helpers import fit_layer_under_jit, jit_train_step_tests, run_layer_test, to_numpy


def _stroke(size: int = 9) -> np.ndarray:
    image = np.zeros((1, size, size, 1), "float32")
    image[0, 1:-1, size // 2 - 1 : size // 2 + 2] = 1.0  # a three-pixel-wide vertical bar
    return image


def test_full_thickening_and_thinning_are_dilation_and_erosion() -> None:
    image = _stroke()
    thick = to_numpy(RandomStrokeWidth(factor=(1.0, 1.0))(image))[0, 4, :, 0]
    thin = to_numpy(RandomStrokeWidth(factor=(-1.0, -1.0))(image))[0, 4, :, 0]
    np.testing.assert_array_equal(thick, [0, 0, 1, 1, 1, 1, 1, 0, 0])
    np.testing.assert_array_equal(thin, [0, 0, 0, 0, 1, 0, 0, 0, 0])


def test_partial_amounts_blend_and_stay_in_range(rng) -> None:
    x = rng.random((16, 12, 12, 1), dtype=np.float32)
    y = to_numpy(RandomStrokeWidth(factor=0.7, seed=3)(x))
    assert y.shape == x.shape and y.min() >= x.min() - 1e-6 and y.max() <= x.max() + 1e-6
    amount = to_numpy(RandomStrokeWidth(factor=(0.5, 0.5))(_stroke()))[0, 4, :, 0]
    np.testing.assert_allclose(amount, [0, 0, 0.5, 1, 1, 1, 0.5, 0, 0])


def test_dark_ink_swaps_the_operations() -> None:
    dark = 1.0 - _stroke()
    thick = to_numpy(RandomStrokeWidth(factor=(1.0, 1.0), ink="dark")(dark))[0, 4, :, 0]
    np.testing.assert_array_equal(thick, 1.0 - np.array([0, 0, 1, 1, 1, 1, 1, 0, 0]))


def test_identity_at_inference_and_seeded(rng) -> None:
    x = rng.random((4, 10, 10, 2), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(RandomStrokeWidth(1.0)(x, training=False)), x)
    a = to_numpy(RandomStrokeWidth(1.0, seed=7)(x))
    b = to_numpy(RandomStrokeWidth(1.0, seed=7)(x))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, x)


def test_unbatched_and_channels_first(rng) -> None:
    x = _stroke()
    single = to_numpy(RandomStrokeWidth((1.0, 1.0))(x[0]))
    np.testing.assert_array_equal(single, to_numpy(RandomStrokeWidth((1.0, 1.0))(x))[0])
    cf = to_numpy(RandomStrokeWidth((1.0, 1.0), data_format="channels_first")(
        np.transpose(x, (0, 3, 1, 2))))
    np.testing.assert_array_equal(np.transpose(cf, (0, 2, 3, 1)), to_numpy(
        RandomStrokeWidth((1.0, 1.0))(x)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"factor": 1.5}, "1.5"), ({"factor": (0.5, -0.5)}, r"\(0.5, -0.5\)"),
     ({"factor": "big"}, "big"), ({"factor": float("nan")}, "nan"), ({"ink": "blue"}, "blue"),
     ({"seed": 1.5}, "1.5")],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RandomStrokeWidth(**kwargs)


def test_bad_rank() -> None:
    with pytest.raises(ValueError, match=r"\(2, 9\)"):
        RandomStrokeWidth()(np.zeros((2, 9), "float32"))


def test_layer_contract(tmp_path, rng) -> None:
    x = rng.random((4, 8, 8, 1), dtype=np.float32)
    layer = run_layer_test(RandomStrokeWidth, {"factor": (-0.2, 0.6), "ink": "dark", "seed": 1},
                           x, tmp_path=tmp_path, random=True,
                           mixed_outputs_in_compute_dtype=True)
    assert layer.factor == (-0.2, 0.6) and layer.ink == "dark"
    # Inference is the identity, on every route.
    run_layer_test(RandomStrokeWidth, {"factor": 0.3}, x, tmp_path=tmp_path,
                   call_kwargs={"training": False}, expected_output=x, tf_data=False,
                   mixed_outputs_in_compute_dtype=True, mixed_atol=1e-2)


def _train_with_jit(rng) -> None:
    fit_layer_under_jit(RandomStrokeWidth(0.5, seed=0), rng, size=8, samples=16, batch_size=8)


test_train_step_under_jit, test_train_step_under_torch_compile = jit_train_step_tests(
    _train_with_jit)
