from __future__ import annotations

import keras
import numpy as np
import pytest
import scipy.ndimage

from rotkeras.layers import RandomAnyAngleRotation
from tests.helpers import (
    assert_config_round_trip,
    fit_layer_under_jit,
    jit_train_step_tests,
    map_with_tf_data,
    run_layer_test,
    to_numpy,
    traced_calls,
)

# rotkeras' fill modes as scipy.ndimage's (scipy's "constant" does not interpolate with
# the fill value at the border; "grid-constant" does, like rotkeras and Keras).
SCIPY_MODES = {"constant": "grid-constant", "reflect": "reflect", "wrap": "grid-wrap",
               "nearest": "nearest"}


def reference(images: np.ndarray, angle: float, fill_mode: str = "constant",
              fill_value: float = 0.0, order: int = 1) -> np.ndarray:
    """Bilinear rotation of `(batch, H, W, C)` images, counter-clockwise, by scipy."""
    return scipy.ndimage.rotate(images.astype("float64"), angle, axes=(2, 1), reshape=False,
                                order=order, mode=SCIPY_MODES[fill_mode], cval=fill_value)


def fixed(angle: float, **kwargs) -> RandomAnyAngleRotation:
    """A layer that always draws `angle` degrees."""
    return RandomAnyAngleRotation(factor=(angle / 360.0, angle / 360.0), **kwargs)


def test_reference_turns_like_np_rot90(rng) -> None:
    x = rng.random((2, 6, 6, 1))
    np.testing.assert_allclose(reference(x, 90), np.rot90(x, 1, axes=(1, 2)), atol=1e-12)


@pytest.mark.parametrize("angle", [90, -90, 180, 270, 450, 0])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_right_angles_are_exact(angle: int, dtype: str, rng) -> None:
    x = (rng.random((4, 7, 7, 2)) * 255).astype(dtype)
    y = to_numpy(fixed(angle, fill_value=3.0)(x))
    assert y.dtype == x.dtype
    np.testing.assert_array_equal(y, np.rot90(x, angle // 90, axes=(1, 2)))


def test_right_angles_are_exact_channels_first_and_unbatched(rng) -> None:
    x = rng.random((3, 2, 5, 5), dtype=np.float32)
    y = to_numpy(fixed(90, data_format="channels_first")(x))
    np.testing.assert_array_equal(y, np.rot90(x, 1, axes=(2, 3)))
    image = rng.random((5, 5, 3), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(fixed(-90)(image)), np.rot90(image, -1))


@pytest.mark.parametrize("angle", [30.0, -17.5, 44.9, 123.0, 200.0, -135.0])
@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "wrap", "nearest"])
def test_other_angles_agree_with_scipy_bilinear(angle: float, fill_mode: str, rng) -> None:
    x = rng.random((3, 9, 9, 2), dtype=np.float32)
    layer = fixed(angle, fill_mode=fill_mode, fill_value=0.25)
    expected = reference(x, angle, fill_mode, fill_value=0.25)
    np.testing.assert_allclose(to_numpy(layer(x)), expected, atol=2e-5)


def test_nearest_interpolation_agrees_with_scipy(rng) -> None:
    # Angles whose sample points fall clear of pixel midpoints (no rounding ties).
    x = rng.random((2, 8, 8, 1), dtype=np.float32)
    y = to_numpy(fixed(33.0, interpolation="nearest")(x))
    np.testing.assert_allclose(y, reference(x, 33.0, order=0), atol=1e-6)
    assert set(np.unique(y)) <= set(np.unique(x)) | {0.0}


def test_draws_are_uniform_in_the_range_and_match_the_rotation(rng) -> None:
    x = rng.random((400, 9, 9, 1), dtype=np.float32)
    angles = to_numpy(RandomAnyAngleRotation(factor=(-0.1, 0.3), seed=5)
                      .get_random_transformation({"images": x})["angles"])
    assert angles.shape == (400,)
    assert angles.min() >= -36.0 and angles.max() <= 108.0
    # Chi-square goodness of fit over 8 equal bins (7 degrees of freedom; 0.999: 24.32).
    counts = np.histogram(angles, bins=8, range=(-36.0, 108.0))[0]
    chi2 = float(((counts - 50.0) ** 2 / 50.0).sum())
    assert chi2 < 24.32, counts
    # The layer with the same seed draws these angles and rotates by them.
    y = to_numpy(RandomAnyAngleRotation(factor=(-0.1, 0.3), seed=5)(x))
    for i in range(0, 400, 37):
        np.testing.assert_allclose(y[i], reference(x[i:i + 1], angles[i])[0], atol=2e-5)


def test_a_single_number_is_a_symmetric_range(rng) -> None:
    x = rng.random((500, 5, 5, 1), dtype=np.float32)
    angles = to_numpy(RandomAnyAngleRotation(factor=0.125, seed=1)
                      .get_random_transformation({"images": x})["angles"])
    assert angles.min() >= -45.0 and angles.max() <= 45.0
    assert angles.min() < -40.0 and angles.max() > 40.0


def test_same_seed_same_rotations_different_seed_differs(rng) -> None:
    x = rng.random((16, 7, 7, 1), dtype=np.float32)
    a = to_numpy(RandomAnyAngleRotation(seed=11)(x))
    b = to_numpy(RandomAnyAngleRotation(seed=11)(x))
    c = to_numpy(RandomAnyAngleRotation(seed=12)(x))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    layer = RandomAnyAngleRotation(seed=11)
    assert not np.array_equal(to_numpy(layer(x)), to_numpy(layer(x)))


def test_training_false_is_the_identity(rng) -> None:
    x = rng.random((8, 5, 5, 1), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(RandomAnyAngleRotation(seed=0)(x, training=False)), x)
    model = keras.Sequential([keras.Input((5, 5, 1)), RandomAnyAngleRotation(seed=0)])
    np.testing.assert_array_equal(to_numpy(model.predict(x, verbose=0)), x)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float16", "float32"])
def test_dtype_is_preserved(dtype: str, rng) -> None:
    x = (rng.random((4, 6, 6, 1)) * 200).astype(dtype)
    y = to_numpy(RandomAnyAngleRotation(seed=0)(x))
    assert y.dtype == np.dtype(dtype) and y.shape == x.shape


def test_non_square_images(rng) -> None:
    x = rng.random((2, 6, 8, 1), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(fixed(180)(x)), x[:, ::-1, ::-1])
    np.testing.assert_allclose(to_numpy(fixed(20.0)(x)), reference(x, 20.0), atol=2e-5)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"factor": "0.5"}, TypeError, "'0.5'"),
        ({"factor": (0.1, 0.2, 0.3)}, ValueError, r"\(0.1, 0.2, 0.3\)"),
        ({"factor": (0.3, 0.1)}, ValueError, r"lower <= upper.*\(0.3, 0.1\)"),
        ({"factor": float("nan")}, ValueError, "nan"),
        ({"factor": (0.0, None)}, TypeError, "None"),
        ({"fill_mode": "mirror"}, ValueError, "mirror"),
        ({"interpolation": "bicubic"}, ValueError, "bicubic"),
        ({"fill_value": "black"}, TypeError, "black"),
        ({"seed": 1.5}, TypeError, "1.5"),
        ({"data_format": "nhwc"}, ValueError, "nhwc"),
    ],
)
def test_bad_arguments(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        RandomAnyAngleRotation(**kwargs)


def test_dict_input_moves_masks_and_boxes_with_the_image() -> None:
    size = 16
    images = np.zeros((32, size, size, 1), np.float32)
    masks = np.zeros((32, size, size), np.int32)
    images[:, 4:7, 5:11] = 1.0
    masks[:, 4:7, 5:11] = 2  # class 2 on rows 4..6, columns 5..10 -> box (5, 4, 11, 7)
    boxes = {"boxes": np.tile([[[5.0, 4.0, 11.0, 7.0]]], (32, 1, 1)), "labels": np.ones((32, 1))}
    layer = RandomAnyAngleRotation(factor=0.5, seed=4, bounding_box_format="xyxy")
    angles = to_numpy(RandomAnyAngleRotation(factor=0.5, seed=4)
                      .get_random_transformation({"images": images})["angles"])
    out = to_numpy(layer({"images": images, "segmentation_masks": masks,
                          "bounding_boxes": boxes, "labels": np.arange(32)}))
    np.testing.assert_array_equal(out["labels"], np.arange(32))
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], boxes["labels"])
    assert set(np.unique(out["segmentation_masks"])) <= {0, 2}  # nearest: classes stay classes
    for i in range(32):
        np.testing.assert_allclose(out["images"][i], reference(images[i:i + 1], angles[i])[0],
                                   atol=2e-5)
        np.testing.assert_array_equal(
            out["segmentation_masks"][i],
            np.rint(reference(masks[i:i + 1, ..., None], angles[i], order=0)[0, ..., 0]))
        # The centre of every masked pixel lies inside the turned box (nearest sampling
        # reads a pixel whose square contains the source point).
        rows, cols = np.nonzero(out["segmentation_masks"][i])
        x1, y1, x2, y2 = out["bounding_boxes"]["boxes"][i, 0]
        assert x1 - 1e-4 <= cols.min() + 0.5 and cols.max() + 0.5 <= x2 + 1e-4
        assert y1 - 1e-4 <= rows.min() + 0.5 and rows.max() + 0.5 <= y2 + 1e-4


def test_boxes_turn_exactly_at_right_angles() -> None:
    layer = RandomAnyAngleRotation(factor=(0.25, 0.25), bounding_box_format="xyxy")
    data = {"images": np.zeros((1, 8, 8, 1), np.float32),
            "bounding_boxes": {"boxes": np.array([[[2.0, 1.0, 6.0, 3.0]]]),
                               "labels": np.ones((1, 1))}}
    # Rows 1..2, columns 2..5 turned by 90 degrees: rows 2..5, columns 1..2.
    np.testing.assert_allclose(to_numpy(layer(data))["bounding_boxes"]["boxes"][0, 0],
                               [1.0, 2.0, 3.0, 6.0], atol=1e-5)


def test_config_round_trip() -> None:
    layer = RandomAnyAngleRotation(factor=(-0.1, 0.2), fill_mode="reflect",
                                   interpolation="nearest", fill_value=0.5, seed=9, name="rot")
    clone = assert_config_round_trip(layer)
    assert (clone.lower, clone.upper) == (-0.1, 0.2) and clone.seed == 9
    assert assert_config_round_trip(RandomAnyAngleRotation(0.125)).factor == 0.125


def _train_with_jit(rng) -> None:
    fit_layer_under_jit(RandomAnyAngleRotation(seed=0), rng, size=6, samples=64, batch_size=16)


test_train_step_under_jit, test_train_step_under_torch_compile = jit_train_step_tests(
    _train_with_jit)


def test_in_tf_data_pipeline(rng) -> None:
    x = rng.random((40, 5, 5, 1), dtype=np.float32)
    layer = RandomAnyAngleRotation(factor=(0.25, 0.25), seed=0)
    batches = map_with_tf_data(lambda images, labels: (layer(images), labels),
                               (x, np.arange(40)), 8)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), np.arange(40))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]),
                                  np.rot90(x, 1, axes=(1, 2)))
    layer = RandomAnyAngleRotation(factor=(0.1, 0.1))
    batches = map_with_tf_data(layer, x, 8)
    np.testing.assert_allclose(np.concatenate(batches), reference(x, 36.0), atol=2e-5)



def test_eager_calls_match_compiled_calls(rng) -> None:
    x = rng.random((16, 8, 8, 2), dtype=np.float32)
    eager_layer = RandomAnyAngleRotation(seed=3)
    eager = [to_numpy(eager_layer(x)) for _ in range(2)]
    traced = traced_calls(RandomAnyAngleRotation(seed=3), x, 2)
    for eager_out, traced_out in zip(eager, traced, strict=True):
        np.testing.assert_allclose(eager_out, traced_out, atol=1e-5)
    assert not np.array_equal(eager[0], eager[1])


def test_layer_contract(tmp_path, rng) -> None:
    x = rng.random((4, 6, 6, 2), dtype=np.float32)
    run_layer_test(RandomAnyAngleRotation, {"seed": 1}, x, tmp_path=tmp_path, random=True)
    # A fixed right angle is deterministic: every route gives np.rot90, exactly.
    run_layer_test(RandomAnyAngleRotation, {"factor": (0.5, 0.5)}, x, tmp_path=tmp_path,
                   expected_output=np.rot90(x, 2, axes=(1, 2)), functional=False,
                   mixed_atol=0.0)
    # Inference is the identity.
    run_layer_test(RandomAnyAngleRotation, {"seed": 1}, x, tmp_path=tmp_path,
                   call_kwargs={"training": False}, expected_output=x, tf_data=False)


def test_layer_contract_with_dict_input_and_channels_first(tmp_path, rng) -> None:
    data = {"images": (rng.random((4, 2, 5, 5)) * 255).astype("uint8"),
            "segmentation_masks": rng.integers(0, 3, (4, 5, 5)).astype("int32"),
            "labels": np.arange(4)}
    run_layer_test(RandomAnyAngleRotation, {"seed": 2, "data_format": "channels_first"},
                   data, tmp_path=tmp_path, random=True, functional=False)
