from __future__ import annotations

import numpy as np
import pytest

from rotkeras.datasets import (
    RotatedSet,
    angle_dataset,
    combined_test_set,
    rotate_images,
    rotate_right_angles,
)


def test_rotate_right_angles_matches_rot90_and_seed(rng) -> None:
    x = rng.integers(0, 256, (50, 6, 6), dtype=np.uint8)
    y = np.arange(50)
    out = rotate_right_angles(x, y, seed=3)
    assert isinstance(out, RotatedSet)
    assert out.images.dtype == np.uint8 and out.images.shape == x.shape
    assert set(out.angles.tolist()) == {90, -90, 180}
    expected = np.random.default_rng(3).choice([90, -90, 180], size=50)
    np.testing.assert_array_equal(out.angles, expected)
    for image, original, angle in zip(out.images, x, out.angles, strict=True):
        np.testing.assert_array_equal(image, np.rot90(original, angle // 90))
    np.testing.assert_array_equal(out.labels, y)
    again = rotate_right_angles(x, y, seed=3)
    np.testing.assert_array_equal(again.images, out.images)
    assert not np.array_equal(rotate_right_angles(x, seed=4).angles, out.angles)


def test_rotate_right_angles_channels_and_no_labels(rng) -> None:
    x = rng.random((5, 4, 4, 2), dtype=np.float32)
    out = rotate_right_angles(x, angles=(270,))
    assert out.labels is None
    np.testing.assert_array_equal(out.images, np.rot90(x, 3, axes=(1, 2)))
    np.testing.assert_array_equal(out.angles, [270] * 5)


def test_rotate_right_angles_non_square_only_180(rng) -> None:
    x = rng.random((3, 4, 6), dtype=np.float32)
    np.testing.assert_array_equal(
        rotate_right_angles(x, angles=(180,)).images, x[:, ::-1, ::-1]
    )
    with pytest.raises(ValueError, match=r"square.*\(3, 4, 6\)"):
        rotate_right_angles(x, angles=(90, 180))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"angles": (45,)}, "45"), ({"angles": ()}, r"\(\)"), ({"y": np.zeros(3)}, r"\(3,\)")],
)
def test_rotate_right_angles_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rotate_right_angles(np.zeros((4, 5, 5)), **kwargs)


def test_bad_images() -> None:
    with pytest.raises(ValueError, match=r"\(5, 5\)"):
        rotate_right_angles(np.zeros((5, 5)))
    with pytest.raises(ValueError, match="empty"):
        rotate_images(np.zeros((0, 5, 5)), 30)
    with pytest.raises(TypeError, match="bool"):
        rotate_images(np.zeros((2, 5, 5), bool), 30)


def test_combined_test_set(rng) -> None:
    x = rng.integers(0, 256, (20, 5, 5), dtype=np.uint8)
    y = rng.integers(0, 10, 20)
    combined = combined_test_set(x, y, seed=1)
    rotated = rotate_right_angles(x, y, seed=1)
    assert combined.images.shape == (40, 5, 5)
    np.testing.assert_array_equal(combined.images[:20], x)
    np.testing.assert_array_equal(combined.images[20:], rotated.images)
    np.testing.assert_array_equal(combined.labels, np.concatenate([y, y]))
    np.testing.assert_array_equal(combined.angles[:20], 0)
    np.testing.assert_array_equal(combined.angles[20:], rotated.angles)


@pytest.mark.parametrize("angle", [0, 90, -90, 180, 270, 360, -450])
def test_rotate_images_right_angles_exact(angle: int, rng) -> None:
    x = rng.integers(0, 256, (3, 7, 7), dtype=np.uint8)
    np.testing.assert_array_equal(rotate_images(x, angle), np.rot90(x, angle // 90, axes=(1, 2)))


def test_rotate_images_interpolated(rng) -> None:
    # A centred disc is (almost) invariant; a single pixel moves along a circle.
    x = np.zeros((1, 9, 9, 1), np.float32)
    x[0, 4, 8, 0] = 1.0  # right of the centre, 4 pixels away
    out = rotate_images(x, 45)
    assert out.shape == x.shape and out.dtype == np.float32
    row, col = np.unravel_index(np.argmax(out[0, ..., 0]), (9, 9))
    # Counter-clockwise 45 degrees: up and left of the start, at 45 degrees.
    assert (row, col) in {(1, 7), (2, 7), (1, 6), (2, 6)}
    assert out.max() > 0.3 and out.min() >= 0.0
    # Rotating by 30 then -30 is close to the original away from the corners.
    image = rng.random((2, 28, 28), dtype=np.float32)
    smooth = np.cumsum(np.cumsum(image, 1), 2) / 200.0
    back = rotate_images(rotate_images(smooth, 30), -30)
    np.testing.assert_allclose(back[:, 10:18, 10:18], smooth[:, 10:18, 10:18], atol=0.1)
    ints = rotate_images((smooth * 50).astype(np.uint8), 30)
    assert ints.dtype == np.uint8


def test_rotate_images_matches_keras_affine(rng) -> None:
    import keras

    x = rng.random((2, 10, 10, 1), dtype=np.float32)
    for angle in (30.0, -75.0, 200.0):
        # Keras' transform rows map an output pixel (x, y) to the input point it reads.
        cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
        c = 4.5
        transform = np.array([cos, -sin, c - cos * c + sin * c, sin, cos,
                              c - sin * c - cos * c, 0.0, 0.0], np.float32)
        expected = keras.ops.convert_to_numpy(keras.ops.image.affine_transform(
            x, np.tile(transform, (2, 1)), data_format="channels_last"))
        np.testing.assert_allclose(rotate_images(x, angle), expected, atol=1e-4)


def test_angle_dataset_four_exact(rng) -> None:
    x = rng.integers(0, 256, (10, 6, 6), dtype=np.uint8)
    batches = list(angle_dataset(x, num_angles=4, batch_size=4, shuffle=False))
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    images = np.concatenate([b[0].numpy() for b in batches])
    classes = np.concatenate([b[1].numpy() for b in batches])
    assert images.dtype == np.float32 and images.shape == (10, 6, 6, 1)
    assert classes.min() >= 0 and classes.max() <= 3
    expected = np.stack(
        [np.rot90(image, k) for image, k in zip(x, classes, strict=True)]
    )[..., None].astype(np.float32) / 255.0
    np.testing.assert_array_equal(images, expected)
    # Reproducible with the seed.
    again = np.concatenate([b[1].numpy() for b in angle_dataset(x, 4, 4, shuffle=False)])
    np.testing.assert_array_equal(again, classes)


def test_angle_dataset_fine_bins_match_rotate_images(rng) -> None:
    x = rng.random((8, 12, 12, 1), dtype=np.float32)
    batch = next(iter(angle_dataset(x, num_angles=24, batch_size=8, shuffle=False)))
    images, classes = batch[0].numpy(), batch[1].numpy()
    assert classes.min() >= 0 and classes.max() < 24
    for image, original, c in zip(images, x, classes, strict=True):
        expected = rotate_images(original[None], c * 15.0)[0]
        np.testing.assert_allclose(image, expected, atol=1e-4)


def test_angle_dataset_shuffle_repeat_and_fit(rng) -> None:
    import keras

    x = rng.random((12, 28, 28), dtype=np.float32)
    dataset = angle_dataset(x, num_angles=4, batch_size=6, repeat=True, seed=1)
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(4, "softmax")]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit(dataset, epochs=1, steps_per_epoch=3, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])
    jittered = next(iter(angle_dataset(x, num_angles=360, batch_size=12, jitter=True)))
    assert jittered[0].shape == (12, 28, 28, 1)


def test_angle_dataset_bad_arguments() -> None:
    with pytest.raises(ValueError, match="num_angles=0"):
        angle_dataset(np.zeros((2, 4, 4)), num_angles=0)
    with pytest.raises(ValueError, match=r"square.*\(2, 4, 6\)"):
        angle_dataset(np.zeros((2, 4, 6)), num_angles=4)
    # 0/180 only: non-square is fine.
    batch = next(iter(angle_dataset(np.zeros((2, 4, 6)), num_angles=2)))
    assert batch[0].shape == (2, 4, 6, 1)
