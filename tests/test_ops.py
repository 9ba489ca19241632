"""`rotkeras.ops` against NumPy's `rot90` and the SciPy references of `tests/references.py`."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from rotkeras import ops
from tests.helpers import to_numpy
from tests.references import rotate_boxes_reference, rotate_reference

CL = "channels_last"


# ------------------------------------------------------------------ quarter turns
@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 4, 4, 3), (2, 3, 5, 1), (3, 5, 2)])
def test_quarter_turns_fixed_equals_np_rot90(k: int, shape: tuple, rng) -> None:
    x = rng.random(shape, dtype=np.float32)
    axes = (1, 2) if len(shape) == 4 else (0, 1)
    np.testing.assert_array_equal(to_numpy(ops.rotate_quarter_turns(x, k, data_format=CL)),
                                  np.rot90(x, k, axes=axes))


def test_quarter_turns_channels_first_and_any_dtype(rng) -> None:
    x = rng.random((2, 3, 4, 6)) > 0.5
    out = ops.rotate_quarter_turns(x, 1, data_format="channels_first")
    np.testing.assert_array_equal(to_numpy(out), np.rot90(x, 1, axes=(2, 3)))


def test_quarter_turns_per_sample(rng) -> None:
    x = rng.integers(0, 255, (8, 5, 5, 2)).astype("uint8")
    k = np.array([0, 1, 2, 3, -1, 5, 2, 0], "int32")
    expected = np.stack([np.rot90(image, t) for image, t in zip(x, k, strict=True)])
    out = to_numpy(ops.rotate_quarter_turns(x, k, data_format=CL))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, expected)
    # A scalar tensor turns every image; an unbatched image takes a scalar too.
    scalar = np.int32(3) + np.zeros((), "int32")
    np.testing.assert_array_equal(to_numpy(ops.rotate_quarter_turns(x, scalar, data_format=CL)),
                                  np.rot90(x, 3, axes=(1, 2)))
    np.testing.assert_array_equal(
        to_numpy(ops.rotate_quarter_turns(x[0], keras.ops.convert_to_tensor(1), data_format=CL)),
        np.rot90(x[0], 1))


def test_quarter_turns_per_sample_half_turns_on_non_square_images(rng) -> None:
    x = rng.random((4, 3, 5, 1), dtype=np.float32)
    k = np.array([0, 2, 2, 0], "int32")
    out = to_numpy(ops.rotate_quarter_turns(x, k, data_format=CL, odd_quarter_turns=False))
    np.testing.assert_array_equal(out, np.stack([np.rot90(i, t) for i, t in zip(x, k,
                                                                                  strict=True)]))
    with pytest.raises(ValueError, match=r"square.*\(4, 3, 5, 1\)"):
        ops.rotate_quarter_turns(x, k, data_format=CL)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"quarter_turns": 1.5}, TypeError, "quarter_turns=1.5"),
        ({"quarter_turns": np.array([1.0, 2.0])}, TypeError, "float"),
        ({"quarter_turns": np.zeros((2, 2), "int32")}, ValueError, r"\(2, 2\)"),
        ({"data_format": "nhwc"}, ValueError, "nhwc"),
        ({"odd_quarter_turns": "yes", "quarter_turns": np.array([0, 1], "int32")}, TypeError,
         "odd_quarter_turns.*'yes'"),
    ],
)
def test_quarter_turns_bad_arguments(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        images = np.zeros((2, 4, 4, 1), "float32")
        ops.rotate_quarter_turns(images, **{"quarter_turns": 1, **kwargs})
    with pytest.raises(ValueError, match=r"rank.*\(4, 4\)"):
        ops.rotate_quarter_turns(np.zeros((4, 4), "float32"), 1)


def test_rot90_is_the_deprecated_name_of_rotate_quarter_turns(rng) -> None:
    x = rng.random((3, 4, 4, 1), dtype=np.float32)
    k = np.array([0, 1, 3], "int32")
    with pytest.warns(DeprecationWarning, match="rotate_quarter_turns"):
        old = ops.rot90(x, k, data_format=CL, odd_turns=True)
    np.testing.assert_array_equal(to_numpy(old),
                                  to_numpy(ops.rotate_quarter_turns(x, k, data_format=CL)))
    assert "rot90" not in ops.__all__ and "rotate_quarter_turns" in ops.__all__
    # Its messages still name its own arguments.
    with pytest.warns(DeprecationWarning), pytest.raises(TypeError, match="k=1.5"):
        ops.rot90(x, 1.5)


# ----------------------------------------------------------------------------- rotate
def test_rotate_is_exact_at_right_angles_in_a_mixed_batch(rng) -> None:
    x = rng.random((8, 9, 9, 2), dtype=np.float32)
    angles = np.array([0.0, 90.0, 33.0, -90.0, 180.0, 270.0, 450.0, -45.5], "float32")
    out = to_numpy(ops.rotate(x, angles, data_format=CL))
    for i, angle in enumerate(angles):
        if angle % 90 == 0:
            np.testing.assert_array_equal(out[i], np.rot90(x[i], int(angle // 90)))
        else:
            np.testing.assert_allclose(out[i], rotate_reference(x[i : i + 1], angle)[0],
                                       atol=1e-5)


@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "wrap", "nearest"])
@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
def test_rotate_matches_the_reference(fill_mode: str, interpolation: str, rng) -> None:
    x = rng.random((3, 10, 10, 2), dtype=np.float32)
    # Angles whose nearest-neighbour reads fall clear of half-pixel ties.
    angles = np.array([17.0, -121.0, 203.0], "float32")
    out = to_numpy(ops.rotate(x, angles, interpolation=interpolation, fill_mode=fill_mode,
                              fill_value=0.25, data_format=CL))
    expected = rotate_reference(x, angles, interpolation, fill_mode, 0.25)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_rotate_one_angle_channels_first_and_unbatched(rng) -> None:
    x = rng.random((2, 7, 7, 1), dtype=np.float32)
    expected = rotate_reference(x, 28.0)
    np.testing.assert_allclose(to_numpy(ops.rotate(x, 28.0, data_format=CL)), expected,
                               atol=1e-5)
    per_sample = to_numpy(ops.rotate(x, np.array([28.0, 28.0], "float32"), data_format=CL))
    np.testing.assert_allclose(per_sample, expected, atol=1e-5)
    first = to_numpy(ops.rotate(np.transpose(x, (0, 3, 1, 2)), 28.0,
                                data_format="channels_first"))
    np.testing.assert_allclose(np.transpose(first, (0, 2, 3, 1)), expected, atol=1e-5)
    np.testing.assert_allclose(to_numpy(ops.rotate(x[0], 28.0, data_format=CL)), expected[0],
                               atol=1e-5)


def test_rotate_non_square_images(rng) -> None:
    x = rng.random((3, 6, 10, 1), dtype=np.float32)
    np.testing.assert_array_equal(to_numpy(ops.rotate(x, 180.0, data_format=CL)),
                                  x[:, ::-1, ::-1])
    angles = np.array([180.0, 90.0, 40.0], "float32")
    out = to_numpy(ops.rotate(x, angles, data_format=CL))
    np.testing.assert_array_equal(out[0], x[0, ::-1, ::-1])
    # 90 degrees keeps the 6x10 frame; height - width is even, so it reads pixel centres.
    np.testing.assert_allclose(out[1:], rotate_reference(x[1:], angles[1:]), atol=1e-5)
    np.testing.assert_allclose(to_numpy(ops.rotate(x, 90.0, data_format=CL)),
                               rotate_reference(x, 90.0), atol=1e-6)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float16", "bfloat16", "float64"])
def test_rotate_keeps_the_dtype(dtype: str, rng) -> None:
    if dtype == "float64" and keras.backend.backend() == "jax":
        pytest.skip("JAX computes in float32 unless jax_enable_x64 is set")
    x = (rng.random((2, 8, 8, 1)) * 250).astype("float32")
    out = ops.rotate(keras.ops.cast(x, dtype), np.array([30.0, 90.0], "float32"),
                     fill_value=300.0, data_format=CL)
    assert keras.backend.standardize_dtype(out.dtype) == dtype
    values = to_numpy(keras.ops.cast(out, "float32"))
    original = to_numpy(keras.ops.cast(keras.ops.cast(x, dtype), "float32"))
    expected = rotate_reference(original, [30.0, 90.0], fill_value=300.0)
    if "int" in dtype:  # rounded, and the fill clipped to uint8's range
        high = 255 if dtype == "uint8" else 300
        np.testing.assert_array_equal(values, np.clip(np.rint(expected), 0, high))
    else:
        tolerance = {"float16": 0.2, "bfloat16": 2.0}.get(dtype, 1e-4)
        np.testing.assert_allclose(values, expected, atol=tolerance)
    np.testing.assert_array_equal(values[1], np.rot90(original[1]))  # exact at 90 degrees


def test_rotate_compiles_with_the_backend(rng) -> None:
    x = rng.random((4, 8, 8, 1), dtype=np.float32)
    angles = np.array([0.0, 12.5, 90.0, -100.0], "float32")
    eager = to_numpy(ops.rotate(x, angles, data_format=CL))
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        compiled = tf.function(lambda a, b: ops.rotate(a, b, data_format=CL), jit_compile=True)
    elif backend == "jax":
        import jax

        compiled = jax.jit(lambda a, b: ops.rotate(a, b, data_format=CL))
    else:
        pytest.skip("torch.compile takes minutes on a small CPU")
    np.testing.assert_allclose(to_numpy(compiled(x, angles)), eager, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"interpolation": "cubic"}, ValueError, "cubic"),
        ({"fill_mode": "mirror"}, ValueError, "mirror"),
        ({"fill_value": "x"}, TypeError, "'x'"),
        ({"angles": "90"}, TypeError, "'90'"),
        ({"angles": float("nan")}, ValueError, "nan"),
        ({"angles": np.zeros(3, "float32")}, ValueError, r"\(3,\).*\(2, 4, 4, 1\)"),
    ],
)
def test_rotate_bad_arguments(kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ops.rotate(np.zeros((2, 4, 4, 1), "float32"), **{"angles": 30.0, **kwargs})


def test_rotate_refuses_bool_images() -> None:
    with pytest.raises(TypeError, match="bool"):
        ops.rotate(np.zeros((2, 4, 4, 1), bool), 30.0)


# ---------------------------------------------------------------------- bounding boxes
def test_boxes_at_right_angles_follow_their_pixels() -> None:
    size = 8
    image = np.zeros((size, size, 1), np.float32)
    image[1:3, 2:6] = 1.0  # rows 1..2, columns 2..5: xyxy box (2, 1, 6, 3)
    for k in range(4):
        box = to_numpy(ops.rotate_bounding_boxes([[2.0, 1.0, 6.0, 3.0]], 90.0 * k,
                                                 height=size, width=size))
        rows, cols = np.nonzero(np.rot90(image, k)[..., 0])
        np.testing.assert_array_equal(box[0], [cols.min(), rows.min(), cols.max() + 1,
                                               rows.max() + 1])


def test_boxes_at_any_angle_enclose_the_rotated_corners(rng) -> None:
    boxes = np.array([[[2.0, 1.0, 6.0, 3.0], [0.0, 0.0, 10.0, 4.0]],
                      [[5.0, 5.0, 7.0, 9.0], [1.0, 2.0, 3.0, 4.0]]], "float32")
    angles = np.array([30.0, -135.0], "float32")
    out = to_numpy(ops.rotate_bounding_boxes(boxes, angles, height=12, width=10))
    for i, angle in enumerate(angles):
        np.testing.assert_allclose(out[i], rotate_boxes_reference(boxes[i], angle, 12, 10),
                                   atol=1e-4)
    rel = boxes / np.array([10, 12, 10, 12], "float32")
    out_rel = to_numpy(ops.rotate_bounding_boxes(rel, angles, height=12, width=10,
                                                 bounding_box_format="rel_xyxy"))
    np.testing.assert_allclose(out_rel * np.array([10, 12, 10, 12]), out, atol=1e-4)
    xywh = np.concatenate([boxes[..., :2], boxes[..., 2:] - boxes[..., :2]], -1)
    out_xywh = to_numpy(ops.rotate_bounding_boxes(xywh, angles, height=12, width=10,
                                                  bounding_box_format="xywh"))
    np.testing.assert_allclose(out_xywh[..., :2], out[..., :2], atol=1e-4)


def test_boxes_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"\(4,\)"):
        ops.rotate_bounding_boxes(np.zeros(4), 90, height=4, width=4)
    with pytest.raises(TypeError, match="None"):
        ops.rotate_bounding_boxes(np.zeros((1, 4)), 90, height=4, width=4,
                                  bounding_box_format=None)


def test_rotate_non_finite_angles() -> None:
    # A NaN angle in a tensor used to fail inside a gather; it now leaves its image unturned.
    images = np.arange(2 * 16, dtype="float32").reshape(2, 4, 4, 1)
    out = to_numpy(ops.rotate(images, np.array([np.nan, 90.0], "float32")))
    np.testing.assert_array_equal(out[0], images[0])
    np.testing.assert_array_equal(out[1], np.rot90(images[1]))
    with pytest.raises(ValueError, match="finite.*nan"):
        ops.rotate(images, float("nan"))
