from __future__ import annotations

import numpy as np
import pytest

from rotkeras.layers import RightAngleRotation
from tests.helpers import (
    assert_config_round_trip,
    in_functional_model,
    map_with_tf_data,
    run_layer_test,
    save_and_load,
    to_numpy,
)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
def test_equals_np_rot90(k: int, rng) -> None:
    x = rng.random((3, 4, 4, 2), dtype=np.float32)
    out = to_numpy(RightAngleRotation(angle=90 * k)(x))
    np.testing.assert_array_equal(out, np.rot90(x, k, axes=(1, 2)))


@pytest.mark.parametrize(("angle", "k"), [(90, 1), (-90, 3), (180, 2), (270, 3), (360, 0)])
def test_angle_argument(angle: int, k: int) -> None:
    layer = RightAngleRotation(angle=angle)
    assert layer.quarter_turns == k and layer.angle == 90 * k
    assert layer.get_config()["angle"] == 90 * k and "k" not in layer.get_config()


def test_k_is_the_deprecated_spelling_of_angle(tmp_path, rng) -> None:
    x = rng.random((2, 4, 4, 1), dtype=np.float32)
    with pytest.warns(DeprecationWarning, match="angle=90 \\* k"):
        old = RightAngleRotation(k=3)
    assert old.angle == 270 and old.get_config()["angle"] == 270
    np.testing.assert_array_equal(to_numpy(old(x)), to_numpy(RightAngleRotation(angle=-90)(x)))
    with pytest.warns(DeprecationWarning, match="quarter_turns"):
        assert old.k == 3
    # A config saved by an earlier rotkeras ({"k": 1}) still loads and turns by 90 degrees.
    with pytest.warns(DeprecationWarning):
        loaded = RightAngleRotation.from_config({"name": "turn", "k": 1, "data_format": None,
                                                 "bounding_box_format": None})
    assert loaded.angle == 90
    with pytest.raises(ValueError, match="angle=90.*deprecated k=1"):
        RightAngleRotation(angle=90, k=1)
    with pytest.raises(ValueError, match="Pass `angle`"):
        RightAngleRotation()


def test_inverse_rotation_undoes(rng) -> None:
    x = rng.random((2, 5, 5, 1), dtype=np.float32)
    for k in range(4):
        back = RightAngleRotation(angle=-90 * k)(RightAngleRotation(angle=90 * k)(x))
        np.testing.assert_array_equal(to_numpy(back), x)


def test_unbatched_and_channels_first(rng) -> None:
    x = rng.random((4, 4, 1), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(RightAngleRotation(angle=90)(x)), np.rot90(x, 1))
    x = rng.random((2, 3, 4, 4), dtype=np.float32)
    out = to_numpy(RightAngleRotation(angle=90, data_format="channels_first")(x))
    np.testing.assert_array_equal(out, np.rot90(x, 1, axes=(2, 3)))


def test_applies_at_inference_too(rng) -> None:
    x = rng.random((2, 4, 4, 1), dtype=np.float32)
    model = in_functional_model(RightAngleRotation(angle=180), (4, 4, 1))
    np.testing.assert_array_equal(to_numpy(model.predict(x, verbose=0)), np.rot90(x, 2, (1, 2)))


def test_non_square(rng) -> None:
    x = rng.random((2, 3, 5, 1), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(RightAngleRotation(angle=180)(x)), x[:, ::-1, ::-1])
    with pytest.raises(ValueError, match=r"square.*\(2, 3, 5, 1\)"):
        RightAngleRotation(angle=90)(x)


def test_dict_with_boxes() -> None:
    images = np.zeros((1, 8, 8, 1), np.float32)
    boxes = {"boxes": np.array([[[2.0, 1.0, 6.0, 3.0]]]), "labels": np.array([[1.0]])}
    out = to_numpy(RightAngleRotation(angle=90, bounding_box_format="xyxy")(
        {"images": images, "bounding_boxes": boxes}))
    # 90 degrees counter-clockwise: (x1, y1, x2, y2) -> (y1, W - x2, y2, W - x1)
    np.testing.assert_allclose(out["bounding_boxes"]["boxes"][0, 0], [1.0, 2.0, 3.0, 6.0])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({}, "Pass `angle`"), ({"k": 1, "angle": 90}, "deprecated k=1"), ({"angle": 30}, "30"),
     ({"angle": 1}, "multiple of 90.*angle=1"), ({"k": 1.5}, "1.5"), ({"k": True}, "True")],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RightAngleRotation(**kwargs)


def test_config_and_save_load(tmp_path, rng) -> None:
    clone = assert_config_round_trip(RightAngleRotation(angle=-90))
    assert clone.quarter_turns == 3 and clone.angle == 270
    model = in_functional_model(RightAngleRotation(angle=270), (4, 4, 1))
    restored = save_and_load(model, tmp_path)
    x = rng.random((2, 4, 4, 1), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(restored.predict(x, verbose=0)), np.rot90(x, 3, (1, 2)))


def test_in_tf_data(rng) -> None:
    x = rng.random((6, 4, 4, 1), dtype=np.float32)
    batches = map_with_tf_data(RightAngleRotation(angle=90), x, 3)
    np.testing.assert_array_equal(np.concatenate(batches), np.rot90(x, 1, axes=(1, 2)))


def test_masks_with_and_without_channel_axis(rng) -> None:
    x = rng.random((3, 5, 5, 1), dtype=np.float32)
    out = to_numpy(RightAngleRotation(angle=90)({"images": x, "segmentation_masks": x[..., 0],
                                                 "labels": np.arange(3)}))
    np.testing.assert_array_equal(out["images"], np.rot90(x, 1, axes=(1, 2)))
    np.testing.assert_array_equal(out["segmentation_masks"], out["images"][..., 0])
    np.testing.assert_array_equal(out["labels"], np.arange(3))


@pytest.mark.parametrize("dtype", ["float32", "uint8"])
def test_layer_contract(dtype: str, tmp_path, rng) -> None:
    x = (rng.random((4, 5, 5, 3)) * 200).astype(dtype)
    run_layer_test(RightAngleRotation, {"angle": 90}, x, tmp_path=tmp_path,
                   expected_output=np.rot90(x, 1, axes=(1, 2)), mixed_atol=0.0)
    run_layer_test(RightAngleRotation, {"angle": 180}, x[:, :, :3], tmp_path=tmp_path,
                   expected_output=x[:, ::-1, 2::-1], mixed_atol=0.0)


def test_layer_contract_with_dict_input(tmp_path, rng) -> None:
    data = {"images": rng.random((2, 8, 8, 1), dtype=np.float32),
            "bounding_boxes": {"boxes": np.array([[[2.0, 1.0, 6.0, 3.0]]] * 2, "float32"),
                               "labels": np.ones((2, 1), "float32")}}
    run_layer_test(RightAngleRotation, {"angle": 90, "bounding_box_format": "xyxy"}, data,
                   tmp_path=tmp_path, functional=False, mixed_atol=0.0,
                   expected_output={"images": np.rot90(data["images"], 1, axes=(1, 2)),
                                    "bounding_boxes": {
                                        "boxes": np.array([[[1.0, 2.0, 3.0, 6.0]]] * 2,
                                                          "float32"),
                                        "labels": data["bounding_boxes"]["labels"]}})
