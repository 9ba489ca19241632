"""Bad input on the newer surface: refused at the boundary with rotkeras' own message, the
same error class and message on every backend (run this file under each backend:
`python tests/run_backends.py FILE`), instead of garbage, NaN or a backend's message."""

from __future__ import annotations

import numpy as np
import pytest

from rotkeras.datasets import letterbox, make_synthetic_photos, read_image, to_float_images
from rotkeras.layers import (
    P4BatchNormalization,
    RandomAnyAngleRotation,
    RandomRightAngleRotation,
    RandomStrokeWidth,
)
from rotkeras.models import compile_classifier, mnist_cnn, rotation_robust_cnn
from tests.helpers import to_numpy


def _digits(n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    digits = np.zeros((n, 28, 28), np.uint8)
    digits[:, 5:23, 12:16] = 255
    return digits, np.arange(n) % 10


# --------------------------------------------------------------------- synthetic photos
def test_synthetic_photos_from_float_digits_match_the_uint8_ones() -> None:
    digits, labels = _digits()
    expected, _ = make_synthetic_photos(3, digits, labels, size=48, seed=1)
    floats = to_float_images(digits)  # (N, 28, 28, 1) in [0, 1]
    photos, _ = make_synthetic_photos(3, floats, labels, size=48, seed=1)
    np.testing.assert_array_equal(photos, expected)  # not blank photos under a label


@pytest.mark.parametrize(
    ("digits", "error", "message"),
    [
        (np.zeros((4, 28, 28), np.uint8), ValueError, r"4 of 4 are blank, the first at index 0"),
        (np.full((4, 28, 28), 300.0), ValueError, r"grey levels in \[0, 255\]"),
        (np.full((4, 28, 28), np.nan), ValueError, r"`digits` must hold finite numbers"),
        (np.full((4, 28, 28), "a"), TypeError, r"`digits` must be a numeric array"),
    ],
)
def test_synthetic_photos_refuse_digits_that_would_draw_nothing(digits, error, message) -> None:
    with pytest.raises(error, match=message):
        make_synthetic_photos(2, digits, np.arange(4), size=48)


@pytest.mark.parametrize(
    ("n", "size", "error", "message"),
    [
        (2, 100_000, ValueError, r"`size` must be from 32 to 4096 pixels"),
        (2, (64, 16), ValueError, r"`size` must be from 32 to 4096"),
        (2, (64, 64, 3), ValueError, r"\(height, width\) pair"),
        (2, "64", TypeError, r"\(height, width\) pair"),
        (2, 64.0, TypeError, r"\(height, width\) pair"),
        (100_000, 4096, ValueError, r"would take 4687.5 GiB, more than 8 GiB"),
    ],
)
def test_synthetic_photos_bound_their_size(n, size, error, message) -> None:
    digits, labels = _digits()
    with pytest.raises(error, match=message):
        make_synthetic_photos(n, digits, labels, size=size)


# --------------------------------------------------------------------------- letterbox
def test_letterbox_refuses_a_thin_image_before_a_huge_canvas(tmp_path) -> None:
    import cv2

    path = tmp_path / "thin.png"
    assert cv2.imwrite(str(path), np.full((1, 1_000_000), 255, np.uint8))
    image = read_image(path)  # one million pixels: within the pixel limit
    with pytest.raises(ValueError, match=r"1x1000000 pixels would be padded to a "
                                         r"1000000x1000000 square"):
        letterbox(image, 256)


def test_letterbox_bounds_its_output_and_keeps_large_photos() -> None:
    with pytest.raises(ValueError, match=r"`size` must give at most max_pixels=60000000"):
        letterbox(np.zeros((8, 8), np.uint8), 100_000)
    with pytest.raises(ValueError, match=r"at most max_pixels=100"):
        letterbox(np.zeros((8, 8), np.uint8), 11, max_pixels=100)
    # A wide photo (4:1) of max_pixels still letterboxes.
    assert letterbox(np.zeros((5, 20), np.uint8), 4, max_pixels=100).shape == (4, 4)


# ------------------------------------------------------------------ optimisers, layers
@pytest.mark.parametrize("rate", [-1, 0, float("nan"), float("inf")])
def test_learning_rates_that_cannot_train_are_refused(rate) -> None:
    message = r"`learning_rate` must be a positive finite number"
    with pytest.raises(ValueError, match=message):
        rotation_robust_cnn(learning_rate=rate)
    with pytest.raises(ValueError, match=message):
        rotation_robust_cnn(head="joint", learning_rate=rate)
    with pytest.raises(ValueError, match=message):
        mnist_cnn(learning_rate=rate)
    with pytest.raises(TypeError, match=message):
        compile_classifier(mnist_cnn(compile=False), learning_rate="fast")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"momentum": float("nan")}, r"`momentum` must be a finite number in \[0.0, 1.0\]"),
        ({"momentum": 1.5}, r"`momentum` must be a finite number in \[0.0, 1.0\]"),
        ({"epsilon": -1.0}, r"`epsilon` must be a finite number in \[0.0"),
        ({"epsilon": 0.0}, r"`epsilon` must be a finite number above 0"),
    ],
)
def test_p4_batch_normalization_refuses_statistics_that_give_nan(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        P4BatchNormalization(**kwargs)


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: RandomRightAngleRotation(seed=seed),
        lambda seed: RandomAnyAngleRotation(seed=seed),
        lambda seed: RandomStrokeWidth(0.5, seed=seed),
    ],
)
def test_numpy_integer_seeds_work_like_python_ones(make) -> None:
    x = np.random.default_rng(0).random((2, 8, 8, 1)).astype("float32")
    a = to_numpy(make(np.int64(7))(x, training=True))
    b = to_numpy(make(7)(x, training=True))
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------- models and readers
def test_orientation_corrected_refuses_a_classifier_with_two_outputs() -> None:
    from rotkeras.models import angle_classifier, orientation_corrected

    joint = rotation_robust_cnn(head="joint", compile=False)
    with pytest.raises(ValueError, match=r"`classifier` must have one output of shape "
                                         r"\(batch, num_classes\)"):
        orientation_corrected(joint, angle_classifier(compile=False))


def test_digit_reader_names_a_weights_file_of_another_model(tmp_path) -> None:
    from rotkeras.models import digit_reader

    other = tmp_path / "cnn.weights.h5"
    mnist_cnn(compile=False).save_weights(other)
    junk = tmp_path / "junk.weights.h5"
    junk.write_text("not weights")
    for path in (other, junk):
        with pytest.raises(ValueError, match=rf"`weights`: {path} does not hold digit reader "
                                             "weights"):
            digit_reader(weights=path)


def test_p4_conv_gives_an_empty_batch_of_the_right_shape() -> None:
    from rotkeras.layers import P4Conv2D, P4MaxPooling2D

    y = P4Conv2D(4, 3, lifting=True)(np.zeros((0, 28, 28, 1), "float32"))
    assert tuple(y.shape) == (0, 26, 26, 4, 4)  # TensorFlow's conv kept 28x28
    assert tuple(P4MaxPooling2D(2)(y).shape) == (0, 13, 13, 4, 4)
