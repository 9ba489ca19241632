"""Bad and edge inputs of the rotation layers (all of them share `_base.BaseImageRotation`):
empty batches, masks that do not match their images, shapes known only at run time, and the
property that every rotation is an exact permutation of the pixels."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rotkeras.layers import (
    OrientationCorrection,
    PredictedAngle,
    RandomAnyAngleRotation,
    RandomRightAngleRotation,
    RightAngleRotation,
)
from tests.helpers import property_settings, to_numpy

LAYERS = [
    lambda: RightAngleRotation(angle=90),
    lambda: RandomRightAngleRotation(seed=3),
]


@pytest.mark.parametrize("layer_cls", [RandomRightAngleRotation, RandomAnyAngleRotation])
def test_random_layers_name_bad_rank_dtype_and_dicts(layer_cls) -> None:
    layer = layer_cls(seed=0)
    with pytest.raises(ValueError, match=r"rank.*\(5, 5\)"):
        layer(np.zeros((5, 5), np.float32))
    with pytest.raises(TypeError, match="bool"):
        layer(np.zeros((2, 5, 5, 1), bool))
    with pytest.raises(ValueError, match="images"):
        layer({"labels": np.zeros((2,))})


@pytest.mark.parametrize("make", LAYERS)
def test_empty_batch_gives_an_empty_batch(make) -> None:
    out = make()(np.zeros((0, 6, 6, 1), np.float32))
    assert tuple(out.shape) == (0, 6, 6, 1)
    out = OrientationCorrection()([np.zeros((0, 6, 6, 1), "float32"), np.zeros((0, 4), "float32")])
    assert tuple(out.shape) == (0, 6, 6, 1)


@pytest.mark.parametrize("make", LAYERS)
@pytest.mark.parametrize(
    ("masks", "message"),
    [
        (np.zeros((3, 6, 6, 1), np.float32), r"batch size.*\(3, 6, 6, 1\)"),
        (np.zeros((2, 4, 4, 1), np.float32), r"height and width.*\(2, 4, 4, 1\)"),
        (np.zeros((3, 6, 6), np.float32), r"batch size"),
        (np.zeros((2, 6), np.float32), r"shaped like the images"),
    ],
)
def test_masks_must_match_their_images(make, masks, message) -> None:
    images = np.zeros((2, 6, 6, 1), np.float32)
    with pytest.raises(ValueError, match=message):
        make()({"images": images, "segmentation_masks": masks})


def test_orientation_correction_nan_rows_leave_the_image_unturned() -> None:
    images = np.arange(2 * 9, dtype="float32").reshape(2, 3, 3, 1)
    probs = np.array([[np.nan, 0.1, 0.8, 0.1], [0.0, np.inf, 0.0, 0.0]], "float32")
    out = to_numpy(OrientationCorrection()([images, probs]))
    np.testing.assert_array_equal(out, images)  # the same on every backend
    angles = to_numpy(PredictedAngle(num_angles=4)(probs))
    np.testing.assert_array_equal(angles, [0.0, 0.0])


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.function graphs")
@pytest.mark.parametrize(
    ("call", "images", "other", "message"),
    [
        ("random", (2, 8, 6, 1), None, "square images"),
        ("correction", (2, 8, 6, 1), (2, 4), "square images"),
        ("correction", (3, 8, 8, 1), (2, 4), "one entry per image"),
        ("masks", (2, 8, 8, 1), (3, 8, 8, 1), "batch size"),
        ("masks", (2, 8, 8, 1), (2, 6, 6, 1), "height and width"),
    ],
)
def test_shapes_known_only_at_run_time_get_rotkeras_messages(call, images, other,
                                                              message) -> None:
    import tensorflow as tf

    random, correction = RandomRightAngleRotation(seed=1), OrientationCorrection()
    spec = tf.TensorSpec((None, None, None, 1), tf.float32)
    functions = {
        "random": lambda x, _: random(x),
        "correction": lambda x, p: correction([x, p]),
        "masks": lambda x, m: random({"images": x, "segmentation_masks": m})["images"],
    }
    other_spec = spec if call == "masks" else tf.TensorSpec((None, 4), tf.float32)
    if other is None:
        other, other_spec = (2, 4), tf.TensorSpec((None, 4), tf.float32)
    run = tf.function(functions[call], input_signature=[spec, other_spec])
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        run(tf.zeros(images), tf.zeros(other))
    # Matching run-time shapes pass the same graph.
    good_other = (images[0], 4) if len(other) == 2 else images
    square = (images[0], 8, 8, 1)
    if call == "masks":
        good_other = square
    assert tuple(run(tf.zeros(square), tf.zeros(good_other)).shape) == square


@given(data=st.data())
@property_settings(max_examples=25)
def test_property_rotations_are_exact_permutations(data) -> None:
    """Every output pixel is an input pixel and vice versa: turns of distinct values are
    permutations of them, for every layer, size, angle set and seed."""
    side = data.draw(st.integers(1, 9), label="side")
    batch = data.draw(st.integers(1, 4), label="batch")
    channels = data.draw(st.integers(1, 3), label="channels")
    count = batch * side * side * channels
    images = np.random.default_rng(side).permutation(count).astype("float32")
    images = images.reshape(batch, side, side, channels)
    kind = data.draw(st.sampled_from(["fixed", "random", "correction"]), label="kind")
    if kind == "fixed":
        layer = RightAngleRotation(angle=data.draw(st.sampled_from([0, 90, 180, 270, -90])))
        out = to_numpy(layer(images))
    elif kind == "random":
        angles = data.draw(st.lists(st.sampled_from([0, 90, 180, 270, -90, 360]), min_size=1,
                                    max_size=4), label="angles")
        layer = RandomRightAngleRotation(angles=angles,
                                         seed=data.draw(st.integers(0, 2**31 - 1)))
        out = to_numpy(layer(images))
    else:
        classes = data.draw(st.lists(st.integers(0, 3), min_size=batch, max_size=batch))
        out = to_numpy(OrientationCorrection()([images, np.eye(4, dtype="float32")[classes]]))
    assert out.shape == images.shape and out.dtype == images.dtype
    for image, turned in zip(images, out, strict=True):
        assert any(np.array_equal(turned, np.rot90(image, k)) for k in range(4))
        np.testing.assert_array_equal(np.sort(turned, axis=None), np.sort(image, axis=None))
