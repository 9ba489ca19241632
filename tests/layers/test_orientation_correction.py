from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.datasets import rotate_images
from rotkeras.layers import OrientationCorrection, PredictedAngle, RightAngleRotation
from tests.helpers import (
    assert_config_round_trip,
    map_with_tf_data,
    run_layer_test,
    save_and_load,
    to_numpy,
)


def _one_hot(classes: list[int], num_angles: int) -> np.ndarray:
    return np.eye(num_angles, dtype="float32")[classes]


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_exactly_undoes_right_angle_rotation(k: int, rng) -> None:
    x = rng.random((3, 6, 6, 2), dtype=np.float32)
    rotated = RightAngleRotation(angle=90 * k)(x)
    probs = _one_hot([k] * 3, 4) * 0.7 + 0.05
    back = to_numpy(OrientationCorrection(num_angles=4)([rotated, probs]))
    np.testing.assert_array_equal(back, x)


def test_per_sample_angles_and_channels_first(rng) -> None:
    x = rng.random((4, 5, 5, 1), dtype=np.float32)
    ks = [0, 1, 2, 3]
    rotated = np.stack([np.rot90(image, k) for image, k in zip(x, ks, strict=True)])
    back = to_numpy(OrientationCorrection()([rotated, _one_hot(ks, 4)]))
    np.testing.assert_array_equal(back, x)
    x_cf = np.transpose(x, (0, 3, 1, 2))
    rotated_cf = np.transpose(rotated, (0, 3, 1, 2))
    layer = OrientationCorrection(data_format="channels_first")
    np.testing.assert_array_equal(to_numpy(layer([rotated_cf, _one_hot(ks, 4)])), x_cf)


def test_integer_images_keep_dtype(rng) -> None:
    x = rng.integers(0, 256, (2, 4, 4, 1)).astype("uint8")
    rotated = np.rot90(x, 1, axes=(1, 2))
    out = to_numpy(OrientationCorrection()([rotated, _one_hot([1, 1], 4)]))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("num_angles", [8, 360])
def test_fine_bins_exact_at_right_angles_and_interpolated_between(num_angles: int, rng) -> None:
    x = rng.random((2, 12, 12, 1), dtype=np.float32)
    layer = OrientationCorrection(num_angles=num_angles)
    quarter = num_angles // 4
    for k in range(4):
        rotated = np.rot90(x, k, axes=(1, 2))
        back = to_numpy(layer([rotated, _one_hot([k * quarter] * 2, num_angles)]))
        np.testing.assert_array_equal(back, x)
    # Class c between right angles: the result is rotate_images(rotated, -angle).
    c = 3 * quarter + quarter // 2  # 315 degrees
    angle = c * 360.0 / num_angles
    rotated = rotate_images(x, angle)
    back = to_numpy(layer([rotated, _one_hot([c, c], num_angles)]))
    np.testing.assert_allclose(back, rotate_images(rotated, -angle), atol=1e-4)


def test_num_angles_not_multiple_of_four(rng) -> None:
    x = rng.random((1, 9, 9, 1), dtype=np.float32)
    rotated = rotate_images(x, 120)
    back = to_numpy(OrientationCorrection(num_angles=3)([rotated, _one_hot([1], 3)]))
    np.testing.assert_allclose(back, rotate_images(rotated, -120), atol=1e-4)
    # 0/180 only (num_angles=2) works on non-square images.
    y = rng.random((2, 3, 5, 1), dtype=np.float32)
    out = to_numpy(OrientationCorrection(num_angles=2)([y[:, ::-1, ::-1], _one_hot([1, 1], 2)]))
    np.testing.assert_array_equal(out, y)


def test_in_functional_model_and_save_load(tmp_path, rng) -> None:
    images = keras.Input((6, 6, 1))
    probs = keras.Input((4,))
    model = keras.Model([images, probs], OrientationCorrection()([images, probs]))
    assert model.output_shape == (None, 6, 6, 1)
    x = rng.random((3, 6, 6, 1), dtype=np.float32)
    p = _one_hot([1, 2, 3], 4)
    expected = np.stack([np.rot90(image, -k) for image, k in zip(x, [1, 2, 3], strict=True)])
    np.testing.assert_array_equal(to_numpy(model.predict([x, p], verbose=0)), expected)
    restored = save_and_load(model, tmp_path)
    np.testing.assert_array_equal(to_numpy(restored.predict([x, p], verbose=0)), expected)


def test_config_round_trip() -> None:
    clone = assert_config_round_trip(
        OrientationCorrection(num_angles=360, fill_value=0.5, data_format="channels_last")
    )
    assert clone.num_angles == 360 and clone.fill_value == 0.5
    assert_config_round_trip(PredictedAngle(num_angles=8, signed=True))


def test_in_tf_data(rng) -> None:
    x = rng.random((4, 5, 5, 1), dtype=np.float32)
    ks = np.array([3, 2, 1, 0])
    rotated = np.stack([np.rot90(image, k) for image, k in zip(x, ks, strict=True)])
    layer = OrientationCorrection()
    batches = map_with_tf_data(
        lambda images, probs: layer([images, probs]), (rotated, _one_hot(list(ks), 4)), 2
    )
    np.testing.assert_array_equal(np.concatenate(batches), x)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ((np.zeros((2, 4, 4, 1)), np.zeros((3, 4))), r"batch 2.*batch 3"),
        ((np.zeros((2, 4, 4, 1)), np.zeros((2, 8))), r"num_angles=4.*\(2, 8\)"),
        ((np.zeros((2, 4, 1)), np.zeros((2, 4))), r"rank 4.*\(2, 4, 1\)"),
        ((np.zeros((2, 4, 5, 1)), np.zeros((2, 4))), r"square.*\(2, 4, 5, 1\)"),
        ((np.zeros((2, 4, 4, 1)), np.zeros((2,))), r"\(2,\)"),
    ],
)
def test_bad_inputs(inputs: tuple, message: str) -> None:
    images, probs = (np.asarray(a, "float32") for a in inputs)
    with pytest.raises(ValueError, match=message):
        OrientationCorrection()([images, probs])


def test_bad_structure_and_arguments() -> None:
    x = np.zeros((2, 4, 4, 1), "float32")
    with pytest.raises(ValueError, match="list of 3"):
        OrientationCorrection()([x, x, x])
    with pytest.raises(ValueError, match="num_angles=0"):
        OrientationCorrection(num_angles=0)
    with pytest.raises(ValueError, match="'a'"):
        OrientationCorrection(fill_value="a")
    with pytest.raises(ValueError, match=r"batch 2.*batch 3"):
        OrientationCorrection()(
            [keras.Input((4, 4, 1), batch_size=2), keras.Input((4,), batch_size=3)]
        )
    with pytest.raises(ValueError, match=r"num_angles=4.*\(None, 360\)"):
        OrientationCorrection()([keras.Input((4, 4, 1)), keras.Input((360,))])


def test_predicted_angle() -> None:
    probs = _one_hot([0, 1, 2, 3], 4)
    np.testing.assert_array_equal(to_numpy(PredictedAngle(4)(probs)), [0, 90, 180, 270])
    np.testing.assert_array_equal(
        to_numpy(PredictedAngle(4, signed=True)(probs)), [0, 90, 180, -90]
    )
    np.testing.assert_allclose(to_numpy(PredictedAngle(360)(_one_hot([359, 7], 360))), [359, 7])
    with pytest.raises(ValueError, match=r"\(batch, 4\).*\(4, 360\)"):
        PredictedAngle(4)(_one_hot([1, 2, 3, 4], 360))


@pytest.mark.parametrize("num_angles", [4, 8])
def test_layer_contract(num_angles: int, tmp_path, rng) -> None:
    x = rng.random((4, 6, 6, 1), dtype=np.float32)
    probs = _one_hot([0, 1, 2, 3], num_angles)
    expected = None
    if num_angles == 4:
        expected = np.stack([np.rot90(image, -k) for image, k in zip(x, range(4), strict=True)])
    run_layer_test(OrientationCorrection, {"num_angles": num_angles}, [x, probs],
                   tmp_path=tmp_path, expected_output=expected, atol=1e-6, mixed_atol=1e-6)


def test_predicted_angle_layer_contract(tmp_path) -> None:
    run_layer_test(PredictedAngle, {"num_angles": 4, "signed": True},
                   _one_hot([0, 1, 2, 3], 4), tmp_path=tmp_path,
                   expected_output=np.array([0.0, 90.0, 180.0, -90.0], "float32"),
                   mixed_atol=0.0)
