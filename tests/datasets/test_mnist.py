from __future__ import annotations

import numpy as np
import pytest

from rotkeras.datasets import load_mnist, to_float_images
from rotkeras.datasets.mnist import MNIST_ENV_VAR


def test_reads_a_local_npz(tiny_mnist) -> None:
    (x_train, y_train), (x_test, y_test) = load_mnist(tiny_mnist)
    assert x_train.shape == (20, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (20,)
    assert x_test.shape == (8, 28, 28) and y_test.shape == (8,)
    with np.load(tiny_mnist) as raw:
        np.testing.assert_array_equal(x_test, raw["x_test"])


def test_environment_variable_is_used(tiny_mnist, monkeypatch) -> None:
    monkeypatch.setenv(MNIST_ENV_VAR, str(tiny_mnist))
    (x_train, _), _ = load_mnist()
    assert x_train.shape == (20, 28, 28)


def test_explicit_path_wins_over_environment(tiny_mnist, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(MNIST_ENV_VAR, str(tmp_path / "nowhere.npz"))
    (x_train, _), _ = load_mnist(tiny_mnist)
    assert x_train.shape[0] == 20


def test_missing_file_names_the_path(tmp_path) -> None:
    path = tmp_path / "missing.npz"
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load_mnist(path)


def test_missing_keys_are_named(tmp_path) -> None:
    path = tmp_path / "partial.npz"
    np.savez(path, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match=r"x_test.*y_test|partial.npz"):
        load_mnist(path)


def test_not_an_npz(tmp_path) -> None:
    path = tmp_path / "garbage.npz"
    path.write_bytes(b"this is not a zip file")
    with pytest.raises(ValueError, match="garbage.npz"):
        load_mnist(path)


def test_wrong_dtype_is_reported(tmp_path) -> None:
    path = tmp_path / "floats.npz"
    np.savez(
        path,
        x_train=np.zeros((2, 28, 28), np.float32),
        y_train=np.zeros(2, np.uint8),
        x_test=np.zeros((2, 28, 28), np.uint8),
        y_test=np.zeros(2, np.uint8),
    )
    with pytest.raises(ValueError, match="float32"):
        load_mnist(path)


def test_to_float_images() -> None:
    x = np.array([[[0, 255], [51, 102]]], np.uint8)
    out = to_float_images(x)
    assert out.shape == (1, 2, 2, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[0, :, :, 0], [[0.0, 1.0], [0.2, 0.4]])
    assert to_float_images(out * 255).shape == (1, 2, 2, 1)


@pytest.mark.parametrize("bad", [np.zeros((2, 28, 28, 3)), np.zeros((28, 28)), np.array(["a"])])
def test_to_float_images_rejects_bad_input(bad) -> None:
    with pytest.raises((ValueError, TypeError), match=r"shape|dtype"):
        to_float_images(bad)


@pytest.mark.parametrize(
    ("x_train", "y_train", "message"),
    [
        (np.zeros((3, 5, 5), np.uint8), np.zeros(3, np.uint8), r"28x28.*\(3, 5, 5\)"),
        (np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.uint8), r"at least one"),
        (np.zeros((2, 28, 28), np.uint8), np.array([1, 12], np.uint8), "0-9.*12"),
    ],
)
def test_images_of_another_size_or_bad_labels_are_refused(tmp_path, x_train, y_train,
                                                          message) -> None:
    # An MNIST-like file of 5x5 images would fail much later, inside a convolution.
    path = tmp_path / "small.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=np.zeros((2, 28, 28), np.uint8),
             y_test=np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match=message):
        load_mnist(path)
