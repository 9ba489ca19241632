from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras.layers import RandomRightAngleRotation
from tests.helpers import (
    assert_config_round_trip,
    fit_layer_under_jit,
    jit_train_step_tests,
    map_with_tf_data,
    run_layer_test,
    to_numpy,
    traced_calls,
)


def drawn_turns(inputs: np.ndarray, outputs: np.ndarray, axes=(0, 1)) -> list[int]:
    """Recovers, per sample, the unique k with outputs[i] == np.rot90(inputs[i], k)."""
    turns = []
    for source, result in zip(inputs, outputs, strict=True):
        matches = [k for k in range(4) if np.array_equal(result, np.rot90(source, k, axes=axes))]
        assert len(matches) == 1, f"output is not an exact right-angle rotation: {matches}"
        turns.append(matches[0])
    return turns


def test_every_sample_is_an_exact_rotation_by_a_drawn_angle(rng) -> None:
    x = rng.random((64, 7, 7, 2), dtype=np.float32)
    y = to_numpy(RandomRightAngleRotation(seed=1)(x))
    assert y.shape == x.shape and y.dtype == x.dtype
    turns = drawn_turns(x, y)
    assert len(set(turns)) == 4  # 64 samples: every angle occurs


def test_only_the_requested_angles_are_drawn(rng) -> None:
    x = rng.random((200, 6, 6, 1), dtype=np.float32)
    y = to_numpy(RandomRightAngleRotation(angles=(90, -90, 180), seed=2)(x))
    assert set(drawn_turns(x, y)) == {1, 2, 3}  # -90 degrees is 3 counter-clockwise quarter turns
    y = to_numpy(RandomRightAngleRotation(angles=(180,), seed=2)(x))
    assert set(drawn_turns(x, y)) == {2}


def test_drawn_angles_are_uniform(rng) -> None:
    # Chi-square goodness of fit, 3 degrees of freedom; 16.27 is the 0.999 quantile.
    x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1).repeat(4000, axis=0)
    y = to_numpy(RandomRightAngleRotation(seed=7)(x))
    counts = np.bincount(drawn_turns(x, y), minlength=4)
    expected = len(x) / 4
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 16.27, counts


def test_probabilities_are_honoured() -> None:
    x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1).repeat(4000, axis=0)
    layer = RandomRightAngleRotation(angles=(0, 90), probabilities=(0.8, 0.2), seed=3)
    counts = np.bincount(drawn_turns(x, to_numpy(layer(x))), minlength=4)
    assert counts[2] == counts[3] == 0
    assert abs(counts[1] / len(x) - 0.2) < 0.03


def test_same_seed_same_rotations_different_seed_differs(rng) -> None:
    x = rng.random((32, 5, 5, 1), dtype=np.float32)
    a = to_numpy(RandomRightAngleRotation(seed=11)(x))
    b = to_numpy(RandomRightAngleRotation(seed=11)(x))
    c = to_numpy(RandomRightAngleRotation(seed=12)(x))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_successive_calls_draw_new_angles(rng) -> None:
    x = rng.random((32, 5, 5, 1), dtype=np.float32)
    layer = RandomRightAngleRotation(seed=5)
    assert not np.array_equal(to_numpy(layer(x)), to_numpy(layer(x)))


def test_training_false_is_the_identity(rng) -> None:
    x = rng.random((8, 5, 5, 1), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(RandomRightAngleRotation(seed=0)(x, training=False)), x)
    model = keras.Sequential([keras.Input((5, 5, 1)), RandomRightAngleRotation(seed=0)])
    np.testing.assert_array_equal(to_numpy(model.predict(x, verbose=0)), x)


def test_unbatched_input(rng) -> None:
    x = rng.random((5, 5, 3), dtype=np.float32)
    y = to_numpy(RandomRightAngleRotation(seed=0)(x))
    assert y.shape == x.shape
    drawn_turns(x[None], y[None])


def test_channels_first(rng) -> None:
    x = rng.random((16, 2, 6, 6), dtype=np.float32)
    y = to_numpy(RandomRightAngleRotation(seed=0, data_format="channels_first")(x))
    drawn_turns(x, y, axes=(1, 2))


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float16", "float32"])
def test_dtype_is_preserved(dtype: str, rng) -> None:
    x = (rng.random((4, 5, 5, 1)) * 200).astype(dtype)
    y = to_numpy(RandomRightAngleRotation(seed=0)(x))
    assert y.dtype == np.dtype(dtype)
    drawn_turns(x, y)


def test_non_square_images_work_for_180_only(rng) -> None:
    x = rng.random((8, 4, 6, 1), dtype=np.float32)
    y = to_numpy(RandomRightAngleRotation(angles=(0, 180), seed=0)(x))
    for source, result in zip(x, y, strict=True):
        assert np.array_equal(result, source) or np.array_equal(result, source[::-1, ::-1])
    with pytest.raises(ValueError, match=r"square.*\(8, 4, 6, 1\)"):
        RandomRightAngleRotation(seed=0)(x)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"angles": (45,)}, "45"),
        ({"angles": ()}, r"\(\)"),
        ({"angles": "90"}, "'90'"),
        ({"angles": (0, 90), "probabilities": (1.0,)}, r"\(1.0,\)"),
        ({"angles": (0, 90), "probabilities": (0.7, 0.7)}, r"0.7"),
        ({"seed": "x"}, "'x'"),
        ({"data_format": "nhwc"}, "nhwc"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RandomRightAngleRotation(**kwargs)


def test_dict_input_moves_masks_and_boxes_with_the_image() -> None:
    size = 8
    images = np.zeros((64, size, size, 1), np.float32)
    masks = np.zeros((64, size, size, 1), np.float32)
    # One bright rectangle per image: rows 1..2, columns 2..5 -> box x1=2, y1=1, x2=6, y2=3.
    images[:, 1:3, 2:6] = 1.0
    masks[:, 1:3, 2:6] = 1.0
    images[:, 0, 0] = 0.5  # breaks the symmetry so the drawn angle is recoverable
    boxes = {"boxes": np.tile([[[2.0, 1.0, 6.0, 3.0]]], (64, 1, 1)), "labels": np.ones((64, 1))}
    labels = np.arange(64)
    layer = RandomRightAngleRotation(seed=4, bounding_box_format="xyxy")
    out = to_numpy(
        layer({"images": images, "segmentation_masks": masks, "bounding_boxes": boxes,
               "labels": labels})
    )
    np.testing.assert_array_equal(out["labels"], labels)
    turns = drawn_turns(images, out["images"])
    assert len(set(turns)) == 4
    for i, k in enumerate(turns):
        np.testing.assert_array_equal(out["segmentation_masks"][i], np.rot90(masks[i], k))
        rows, cols = np.nonzero(out["segmentation_masks"][i][..., 0])
        expected_box = [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
        np.testing.assert_allclose(out["bounding_boxes"]["boxes"][i, 0], expected_box, atol=1e-5)
    np.testing.assert_array_equal(out["bounding_boxes"]["labels"], boxes["labels"])


def test_boxes_need_a_format() -> None:
    layer = RandomRightAngleRotation(seed=0)
    data = {"images": np.zeros((2, 4, 4, 1), np.float32),
            "bounding_boxes": {"boxes": np.zeros((2, 1, 4)), "labels": np.zeros((2, 1))}}
    with pytest.raises(ValueError, match="bounding_box_format"):
        layer(data)


def test_config_round_trip() -> None:
    layer = RandomRightAngleRotation(
        angles=(90, -90, 180), probabilities=(0.5, 0.25, 0.25), seed=9, name="rot"
    )
    clone = assert_config_round_trip(layer)
    assert clone.angles == (90, -90, 180) and clone.seed == 9


def _train_with_jit(rng) -> None:
    fit_layer_under_jit(RandomRightAngleRotation(seed=0), rng, size=6, samples=64, batch_size=16)


test_train_step_under_jit, test_train_step_under_torch_compile = jit_train_step_tests(
    _train_with_jit)


def test_in_tf_data_pipeline(rng) -> None:
    x = rng.random((40, 5, 5, 1), dtype=np.float32)
    y = np.arange(40)
    layer = RandomRightAngleRotation(seed=0)
    batches = map_with_tf_data(lambda images, labels: (layer(images), labels), (x, y), 8)
    out_x = np.concatenate([b[0] for b in batches])
    out_y = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(out_y, y)
    assert len(set(drawn_turns(x, out_x))) > 1


def test_in_tf_data_pipeline_with_dict(rng) -> None:
    x = rng.random((16, 5, 5, 1), dtype=np.float32)
    masks = x.copy()
    layer = RandomRightAngleRotation(seed=0)
    batches = map_with_tf_data(layer, {"images": x, "segmentation_masks": masks}, 8)
    for batch in batches:
        np.testing.assert_array_equal(batch["images"], batch["segmentation_masks"])
        assert batch["images"].shape == (8, 5, 5, 1)


def test_masks_without_channel_axis(rng) -> None:
    x = rng.random((16, 5, 5, 1), dtype=np.float32)
    out = to_numpy(RandomRightAngleRotation(seed=1)({"images": x, "segmentation_masks": x[..., 0]}))
    np.testing.assert_array_equal(out["segmentation_masks"], out["images"][..., 0])



def test_eager_calls_matchtraced_calls(rng) -> None:
    # Eager calls run compiled through a different route (keras.StatelessScope, nested
    # XLA on TensorFlow); the draws and rotations must be the ones traced code makes.
    x = rng.random((32, 6, 6, 2), dtype=np.float32)
    eager_layer = RandomRightAngleRotation(seed=3)
    eager = [to_numpy(eager_layer(x)) for _ in range(3)]
    traced = traced_calls(RandomRightAngleRotation(seed=3), x, 3)
    for eager_out, traced_out in zip(eager, traced, strict=True):
        np.testing.assert_array_equal(eager_out, traced_out)
    assert not np.array_equal(eager[0], eager[1])


def test_eager_compiled_call_handles_new_shapes_and_dtypes(rng) -> None:
    layer = RandomRightAngleRotation(angles=(90,), seed=0)
    for shape, dtype in [((4, 5, 5, 1), "float32"), ((3, 5, 5, 1), "float32"),
                         ((2, 9, 9, 3), "uint8"), ((5, 5, 1), "int32")]:
        x = (rng.random(shape) * 100).astype(dtype)
        axes = (1, 2) if len(shape) == 4 else (0, 1)
        out = to_numpy(layer(x))
        assert out.dtype == x.dtype
        np.testing.assert_array_equal(out, np.rot90(x, 1, axes=axes))


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_per_sample_rotation_is_exact(data_format: str, rng) -> None:
    from rotkeras import ops

    x = (rng.random((24, 2, 5, 5) if data_format == "channels_first" else (24, 5, 5, 2))
         * 255).astype("uint8")
    axes = (2, 3) if data_format == "channels_first" else (1, 2)
    for turns in (rng.integers(0, 4, 24), np.full(24, 3), np.repeat([0, 2], 12)):
        expected = np.stack([np.rot90(image, t, axes=(a - 1 for a in axes))
                             for image, t in zip(x, turns, strict=True)])
        k = keras.ops.convert_to_tensor(turns.astype("int32"))
        out = ops.rotate_quarter_turns(x, k, data_format=data_format)
        np.testing.assert_array_equal(to_numpy(out), expected)


def test_layer_contract(tmp_path, rng) -> None:
    x = rng.random((4, 6, 6, 2), dtype=np.float32)
    run_layer_test(RandomRightAngleRotation, {"seed": 1}, x, tmp_path=tmp_path, random=True)
    # Inference is the identity, in every setting.
    run_layer_test(RandomRightAngleRotation, {"angles": (0, 180), "seed": 1},
                   x[:, :, :4], tmp_path=tmp_path, call_kwargs={"training": False},
                   expected_output=x[:, :, :4], tf_data=False)


def test_layer_contract_with_dict_input_and_channels_first(tmp_path, rng) -> None:
    data = {"images": (rng.random((4, 2, 5, 5)) * 255).astype("uint8"),
            "segmentation_masks": rng.integers(0, 3, (4, 5, 5)).astype("int32"),
            "labels": np.arange(4)}
    run_layer_test(RandomRightAngleRotation, {"seed": 2, "data_format": "channels_first"},
                   data, tmp_path=tmp_path, random=True, functional=False)
