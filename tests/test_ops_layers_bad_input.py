"""Bad input to `rotkeras.ops` and the p4 layers: rotkeras' message instead of the backend's,
the same on every backend (run this file under each: `python tests/run_backends.py FILE`),
the p4 contract checked at run time where sizes are known only then, and properties over
random sizes and angle dtypes."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from rotkeras import ops
from rotkeras.layers import (
    P4AveragePooling2D,
    P4Conv2D,
    P4MaxPooling2D,
    RandomRightAngleRotation,
)
from tests.helpers import property_settings, to_numpy


# ------------------------------------------------------------------ batch sizes, formats
def test_quarter_turns_must_match_the_batch() -> None:
    with pytest.raises(ValueError, match=r"`quarter_turns` must be a scalar or have one entry "
                                         r"per image; received quarter_turns of shape \(2,\) "
                                         r"for images of shape \(3, 4, 4, 1\)"):
        ops.rotate_quarter_turns(np.zeros((3, 4, 4, 1), "float32"), np.array([0, 1], "int32"))


def test_rotate_bounding_boxes_checks_sizes_formats_and_batches() -> None:
    boxes = np.zeros((2, 4), "float32")
    for size in (0, -3):
        with pytest.raises(ValueError, match=rf"`height` must be positive .*height={size}"):
            ops.rotate_bounding_boxes(boxes, 10, height=size, width=4)
    with pytest.raises(ValueError, match=r"`width` must be positive"):
        ops.rotate_bounding_boxes(boxes, 10, height=4, width=0)
    with pytest.raises(ValueError, match=r"`bounding_box_format` must be one of .*'xyzw'"):
        ops.rotate_bounding_boxes(boxes, 10, height=4, width=4, bounding_box_format="xyzw")
    with pytest.raises(ValueError, match=r"`angles` must be a scalar or have one entry per "
                                         r"image; received angles of shape \(2,\) for boxes of "
                                         r"shape \(3, 2, 4\)"):
        ops.rotate_bounding_boxes(np.zeros((3, 2, 4)), np.array([1.0, 2.0]), height=4, width=4)
    with pytest.raises(ValueError, match=r"`angles` must be a scalar or have one angle per"):
        ops.rotate_bounding_boxes(boxes, np.array([1.0, 2.0, 3.0]), height=4, width=4)


def test_dict_inputs_with_boxes_of_another_batch_are_named() -> None:
    data = {"images": np.zeros((2, 6, 6, 1), "float32"),
            "bounding_boxes": {"boxes": np.zeros((3, 1, 4), "float32"),
                               "labels": np.zeros((3, 1), "int32")}}
    layer = RandomRightAngleRotation(seed=1, bounding_box_format="xyxy")
    with pytest.raises(ValueError, match=r"one entry per image; received angles of shape "
                                         r"\(2,\) for boxes of shape \(3, 1, 4\)"):
        layer(data, training=True)


# ------------------------------------------------------------------------ huge angles
def test_rotate_reduces_host_angles_exactly_and_refuses_imprecise_tensors() -> None:
    images = np.random.default_rng(0).random((2, 6, 6, 1)).astype("float32")
    expected = to_numpy(ops.rotate(images, np.array([280.0, 325.5])))
    got = to_numpy(ops.rotate(images, np.array([1e9, 1e9 + 45.5])))  # float64 on the host
    np.testing.assert_array_equal(got, expected)
    got = to_numpy(ops.rotate(images, np.array([1e9, 1e9], "float32")))
    np.testing.assert_array_equal(got[0], expected[0])
    tensor = keras.ops.convert_to_tensor(np.array([1e9, 0.0], "float32"))
    with pytest.raises(ValueError, match=r"`angles` must be at most 2\*\*24 = 16777216 degrees"):
        ops.rotate(images, tensor)
    ints = keras.ops.convert_to_tensor(np.array([2**30, -(2**30)], "int32"))
    np.testing.assert_array_equal(
        to_numpy(ops.rotate(images, ints)),
        to_numpy(ops.rotate(images, np.array([2**30 % 360, -(2**30) % 360], "float64"))),
    )


ANGLE_DTYPES = ["int8", "uint8", "int16", "int32", "int64", "float16", "float32", "float64"]


@property_settings()
@given(dtype=st.sampled_from(ANGLE_DTYPES), data=st.data())
def test_rotate_takes_angle_tensors_of_any_dtype(dtype, data) -> None:
    info = np.iinfo(dtype) if "int" in dtype else None
    if info is not None:
        low, high = max(int(info.min), -(2**31) + 1), min(int(info.max), 2**31 - 1)
        values = data.draw(st.lists(st.integers(low, high), min_size=2, max_size=2))
    else:
        bound = 60000.0 if dtype == "float16" else 2.0**24
        values = data.draw(st.lists(st.floats(-bound, bound), min_size=2, max_size=2))
    tensor = keras.ops.convert_to_tensor(np.array(values).astype(dtype))
    held = np.asarray(keras.ops.convert_to_numpy(tensor)).astype(np.float64)
    images = np.random.default_rng(1).random((2, 5, 5, 1)).astype("float32")
    got = to_numpy(ops.rotate(images, tensor))
    expected = to_numpy(ops.rotate(images, np.mod(held, 360.0)))
    np.testing.assert_allclose(got, expected, atol=2e-3)


# ---------------------------------------------------------------------- P4Conv2D input
def test_p4_conv_refuses_integer_images_and_other_channels() -> None:
    with pytest.raises(TypeError, match=r"P4Conv2D needs floating-point input; received "
                                        r"dtype 'uint8'"):
        P4Conv2D(4, 3, lifting=True)(np.zeros((1, 8, 8, 1), "uint8"))
    layer = P4Conv2D(4, 3, lifting=True)
    layer(np.zeros((1, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match=r"P4Conv2D was built for 1 input channels; received "
                                         r"input of shape \(1, 8, 8, 3\)"):
        layer(np.zeros((1, 8, 8, 3), "float32"))


@pytest.mark.parametrize(
    ("make", "shape", "message"),
    [
        (lambda: P4Conv2D(4, 3, strides=2, lifting=True), (1, 10, 10, 1),
         r"With strides > 1 the windows must tile the input symmetrically"),
        (lambda: P4Conv2D(4, 3, lifting=True), (1, 2, 2, 1),
         r"Input height and width must be at least the kernel span 3"),
        (lambda: P4MaxPooling2D(), (1, 33, 33, 4, 2), r"places the windows asymmetrically"),
    ],
)
def test_p4_layers_built_on_unknown_sizes_check_them_when_called(make, shape, message) -> None:
    layer = make()
    layer.build((None, None, None, *shape[3:]))
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape, "float32"))


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.function graphs")
@pytest.mark.parametrize(
    ("make", "shape", "message"),
    [
        (lambda: P4Conv2D(4, 3, strides=2, lifting=True), (1, 10, 10, 1),
         r"With strides > 1 the windows must tile the input symmetrically.*\[10\] \[10\]"),
        (lambda: P4Conv2D(4, 3, lifting=True), (1, 2, 2, 1),
         r"Input height and width must be at least the kernel span 3"),
        (lambda: P4AveragePooling2D(), (1, 33, 33, 4, 2),
         r"places the windows asymmetrically.*\[33\] \[33\]"),
    ],
)
def test_p4_layers_check_sizes_known_only_inside_a_graph(make, shape, message) -> None:
    import tensorflow as tf

    layer = make()
    layer.build((None, None, None, *shape[3:]))
    spec = tf.TensorSpec((None, None, None, *shape[3:]), tf.float32)
    run = tf.function(layer.__call__, input_signature=[spec])
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        run(np.zeros(shape, "float32"))
    good = (1, 11, 11, *shape[3:]) if isinstance(layer, P4Conv2D) else (1, 32, 32, 4, 2)
    assert run(np.zeros(good, "float32")).shape[0] == 1


def _turn(x: np.ndarray, k: int = 1) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(x, k, axes=(1, 2)))


def _passes(layer: keras.layers.Layer, shape: tuple[int, ...]) -> bool:
    try:
        layer.compute_output_shape(shape)
    except ValueError:
        return False
    return True


@property_settings()
@given(size=st.integers(3, 12), kernel=st.integers(1, 4), strides=st.integers(1, 3),
       dilation=st.integers(1, 2), padding=st.sampled_from(["valid", "same"]),
       lifting=st.booleans())
def test_p4_conv_is_equivariant_for_every_size_it_accepts(
    size, kernel, strides, dilation, padding, lifting
) -> None:
    assume(strides == 1 or dilation == 1)
    try:
        layer = P4Conv2D(2, kernel, strides=strides, dilation_rate=dilation, padding=padding,
                         lifting=lifting, bias_initializer="random_normal")
    except ValueError:
        assume(False)  # a combination the layer refuses (e.g. even kernel with "same")
    shape = (1, size, size, 3) if lifting else (1, size, size, 4, 2)
    assume(_passes(layer, shape))
    x = np.random.default_rng(size).standard_normal(shape).astype("float32")
    y = to_numpy(layer(x))
    turned = _turn(x) if lifting else np.roll(_turn(x), 1, axis=3)
    np.testing.assert_allclose(to_numpy(layer(turned)), np.roll(_turn(y), 1, axis=3),
                               atol=1e-4)


@property_settings()
@given(size=st.integers(1, 12), pool=st.integers(1, 3), strides=st.integers(1, 3),
       padding=st.sampled_from(["valid", "same"]), mode=st.sampled_from(["max", "average"]))
def test_p4_pooling_is_equivariant_for_every_size_it_accepts(
    size, pool, strides, padding, mode
) -> None:
    pool_cls = P4MaxPooling2D if mode == "max" else P4AveragePooling2D
    layer = pool_cls(pool, strides=strides, padding=padding)
    shape = (1, size, size, 4, 2)
    assume(_passes(layer, shape))
    x = np.random.default_rng(size).standard_normal(shape).astype("float32")
    y = to_numpy(layer(x))
    np.testing.assert_allclose(to_numpy(layer(np.roll(_turn(x), 1, axis=3))),
                               np.roll(_turn(y), 1, axis=3), atol=1e-5)
