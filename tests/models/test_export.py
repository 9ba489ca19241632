"""export_model: inference-only exports, validated arguments, float32 heads."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

import rotkeras
from rotkeras.models import export_model
from rotkeras.models.export import serving_input_shape

# Keras writes SavedModels on the TensorFlow and JAX backends, not on PyTorch.
needs_saved_model = pytest.mark.skipif(
    keras.backend.backend() == "torch", reason="Keras writes no SavedModel from PyTorch"
)


def _load_saved_model(path: Path):
    import tensorflow as tf

    return tf.saved_model.load(str(path))


def _digits(outputs):
    return np.asarray(outputs[sorted(outputs)[0]])


@needs_saved_model
def test_saved_model_of_augmented_cnn_is_deterministic_and_equals_predict(tmp_path: Path) -> None:
    model = rotkeras.models.mnist_cnn(
        preprocessing=rotkeras.layers.RandomRightAngleRotation(angles=(90, 180, -90), seed=3)
    )
    x = np.random.default_rng(0).random((16, 28, 28, 1)).astype("float32")
    # The augmentation is active in training mode: the check below can fail.
    assert not np.allclose(np.asarray(model(x, training=True)), model.predict(x, verbose=0))
    loaded = _load_saved_model(export_model(model, tmp_path / "cnn"))
    first, second = _digits(loaded.serve(x)), _digits(loaded.serve(x))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, model.predict(x, verbose=0), atol=1e-5)
    assert first.dtype == np.float32


@pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                    reason="photos of any size export on TensorFlow (on JAX: the next test)")
def test_saved_model_reader_takes_uint8_and_float_photos_of_any_size(tmp_path: Path) -> None:
    reader = rotkeras.models.digit_reader(shift_average=False)
    loaded = _load_saved_model(export_model(reader, tmp_path / "reader"))
    rng = np.random.default_rng(1)
    for height, width in ((64, 48), (90, 120)):
        photo = np.full((1, height, width, 3), 230, np.uint8)
        photo[0, height // 4 : 3 * height // 4, width // 2 - 3 : width // 2 + 3] = 20
        photo = np.clip(photo + rng.integers(0, 10, photo.shape), 0, 255).astype(np.uint8)
        digits, orientation = reader.predict(photo, verbose=0)
        served = loaded.serve(photo)
        # With the size known only at run time, HandwritingPreprocess shrinks the photo
        # with an anti-aliased bilinear filter instead of exact area weights: close, not equal.
        for name, want in (("digits", digits), ("orientation", orientation)):
            got = np.asarray(served[name])
            np.testing.assert_array_equal(got.argmax(-1), want.argmax(-1))
            np.testing.assert_allclose(got, want, atol=5e-3)
        as_float = loaded.serve_float(photo.astype("float32") / 255.0)
        np.testing.assert_allclose(np.asarray(as_float["digits"]), served["digits"], atol=1e-4)


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="about the JAX backend")
def test_a_reader_of_any_size_asks_for_a_size_on_jax(tmp_path: Path) -> None:
    reader = rotkeras.models.digit_reader(weights=None, shift_average=False)
    with pytest.raises(ValueError, match=r"any size .* on the jax backend; pass input_size"):
        export_model(reader, tmp_path / "reader")
    assert not (tmp_path / "reader").exists()


def test_serving_input_shape() -> None:
    reader = rotkeras.models.digit_reader(weights=None, shift_average=False)
    assert serving_input_shape(reader) == (None, None, None, 3)
    assert serving_input_shape(reader, (120, 160), 2) == (2, 120, 160, 3)
    cnn = rotkeras.models.mnist_cnn()
    assert serving_input_shape(cnn) == (None, 28, 28, 1)
    assert serving_input_shape(cnn, 28) == (None, 28, 28, 1)
    with pytest.raises(ValueError, match="does not match"):
        serving_input_shape(cnn, 32)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"format": "pb"}, ValueError, "format"),
        ({"format": 3}, TypeError, "format"),
        ({"format": "tflite"}, ValueError, r"\.tflite file"),
        ({"format": "tflite", "path_name": "m.tflite"}, ValueError, "input_size"),
        ({"format": "onnx", "path_name": "m.onnx", "input_size": (1, 2, 3)}, ValueError,
         "input_size"),
        ({"format": "onnx", "path_name": "m.onnx", "input_size": 0}, ValueError, "input_size"),
        ({"input_size": "256"}, TypeError, "input_size"),
        ({"input_dtype": "int8"}, ValueError, "input_dtype"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"verbose": "yes"}, TypeError, "verbose"),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, kwargs: dict, error: type, match: str) -> None:
    reader = rotkeras.models.digit_reader(weights=None, shift_average=False)
    name = kwargs.pop("path_name", "model")
    with pytest.raises(error, match=match):
        export_model(reader, tmp_path / name, **kwargs)
    assert not (tmp_path / name).exists()


def test_non_models_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="keras.Model"):
        export_model(keras.layers.Dense(3), tmp_path / "m")
    with pytest.raises(TypeError, match="path"):
        export_model(rotkeras.models.mnist_cnn(), 3)


@pytest.mark.skipif(keras.backend.backend() == "jax",
                    reason="JAX CPU has no bfloat16 convolution kernels worth testing here")
def test_probabilities_are_float32_under_mixed_precision() -> None:
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        reader = rotkeras.models.digit_reader(weights=None)
        corrected = rotkeras.models.orientation_corrected(
            rotkeras.models.mnist_cnn(), rotkeras.models.angle_classifier(num_angles=4),
            compile=False,
        )
    finally:
        keras.config.set_dtype_policy(previous)
    photo = np.full((1, 40, 40, 3), 200, np.uint8)
    photo[0, 8:32, 18:22] = 10
    assert [str(o.dtype) for o in reader.outputs] == ["float32", "float32"]
    assert all(keras.ops.convert_to_numpy(o).dtype == np.float32 for o in reader(photo))
    assert str(corrected.outputs[0].dtype) == "float32"
    x = np.random.default_rng(0).random((2, 28, 28, 1)).astype("float32")
    assert keras.ops.convert_to_numpy(corrected(x)).dtype == np.float32


@pytest.mark.skipif(keras.backend.backend() != "torch", reason="about the PyTorch backend")
def test_a_format_keras_cannot_export_from_torch_is_refused_by_name(tmp_path) -> None:
    model = rotkeras.models.mnist_cnn(compile=False)
    cases = (("tf_saved_model", tmp_path / "served"), ("tflite", tmp_path / "m.tflite"))
    for format, path in cases:
        with pytest.raises(ValueError, match=f"format='{format}' cannot be exported on the torch"):
            rotkeras.models.export_model(model, path, format=format, input_size=28)
