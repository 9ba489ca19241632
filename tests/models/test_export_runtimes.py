"""Exported models in the runtimes they are made for: TFLite (LiteRT) and ONNX Runtime.

The reader's exports must read the fixture photos as Keras does: the same digit and
orientation (argmax) for every photo, probabilities within 1e-4.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import keras
import numpy as np
import pytest

import rotkeras
from rotkeras.cli import predict as predict_module
from rotkeras.datasets import letterbox, read_image
from rotkeras.models import export_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photos"
SIZE = 256

needs_onnxruntime = pytest.mark.skipif(
    importlib.util.find_spec("onnxruntime") is None,
    reason="onnxruntime is not installed (pip install \"rotkeras[export]\")",
)
tensorflow_only = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the TFLite and ONNX converters run on the TensorFlow backend here",
)


def _photos() -> np.ndarray:
    files = sorted(FIXTURES.iterdir())
    assert len(files) >= 5
    return np.stack([letterbox(read_image(f, min_size=SIZE), SIZE) for f in files])


@pytest.fixture(scope="module")
def photos() -> np.ndarray:
    return _photos()


@pytest.fixture(scope="module")
def keras_outputs(photos: np.ndarray) -> list[np.ndarray]:
    reader = rotkeras.models.digit_reader()
    seen = reader.get_layer("preprocess").output
    model = keras.Model(reader.inputs, [*reader.outputs, seen])
    return [np.asarray(o) for o in model.predict(photos, verbose=0)]


def _assert_same_reading(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape
        if w.ndim == 2:  # digits, orientation: the same reading of every photo
            np.testing.assert_array_equal(g.argmax(-1), w.argmax(-1))
        np.testing.assert_allclose(g, w, atol=1e-4)


def _tflite_interpreter(path: Path):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter  # noqa: N806
    return Interpreter(model_path=str(path))


def _run_tflite(path: Path, photos: np.ndarray) -> list[np.ndarray]:
    runner = _tflite_interpreter(path).get_signature_runner()
    (name,) = runner.get_input_details()
    outputs = [runner(**{name: photo[None]}) for photo in photos]
    keys = sorted(outputs[0], key=lambda k: int(k.rsplit("_", 1)[-1]))
    return [np.concatenate([o[k] for o in outputs]) for k in keys]


@needs_onnxruntime
def test_shipped_onnx_reader_reads_like_keras(photos, keras_outputs) -> None:
    reader = predict_module.shipped_onnx_reader()
    assert reader is not None
    results = reader(photos)
    got = [results["probabilities"], results["orientation"], results["inputs"]]
    _assert_same_reading(got, keras_outputs)


@needs_onnxruntime
def test_shipped_onnx_reader_is_checked_against_its_checksum(tmp_path, monkeypatch) -> None:
    from rotkeras import _shipped

    folder = tmp_path / "weights"
    folder.mkdir()
    source = _shipped.weights_dir()
    (folder / "SHA256SUMS").write_text((source / "SHA256SUMS").read_text())
    data = bytearray((source / predict_module.SHIPPED_ONNX_FILE).read_bytes())
    data[-10] ^= 0xFF
    (folder / predict_module.SHIPPED_ONNX_FILE).write_bytes(bytes(data))
    monkeypatch.setattr(_shipped, "weights_dir", lambda: folder)
    with pytest.raises(_shipped.DamagedWeightsError, match="damaged.*reinstall"):
        predict_module.shipped_onnx_reader()
    monkeypatch.setenv(predict_module.RUNTIME_ENV_VAR, "keras")
    assert predict_module.shipped_onnx_reader() is None


@tensorflow_only
def test_exported_reader_runs_in_tflite(tmp_path, photos, keras_outputs) -> None:
    path = export_model(rotkeras.models.digit_reader(), tmp_path / "reader.tflite",
                        format="tflite", input_size=SIZE)
    _assert_same_reading(_run_tflite(path, photos), keras_outputs[:2])


@tensorflow_only
@pytest.mark.slow
@needs_onnxruntime
def test_exported_reader_runs_in_onnxruntime(tmp_path, photos, keras_outputs) -> None:
    import onnxruntime

    path = export_model(rotkeras.models.digit_reader(), tmp_path / "reader.onnx",
                        format="onnx", input_size=SIZE)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {session.get_inputs()[0].name: photos})
    _assert_same_reading(got, keras_outputs[:2])


def _corrected() -> keras.Model:
    return rotkeras.models.orientation_corrected(
        rotkeras.models.mnist_cnn(),
        rotkeras.models.angle_classifier(num_angles=4),
        compile=False,
    )


@tensorflow_only
def test_orientation_corrected_runs_in_tflite(tmp_path) -> None:
    model = _corrected()
    x = np.random.default_rng(0).random((6, 28, 28, 1)).astype("float32")
    path = export_model(model, tmp_path / "corrected.tflite", format="tflite")
    (got,) = _run_tflite(path, x)
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)


@tensorflow_only
@needs_onnxruntime
def test_orientation_corrected_runs_in_onnxruntime(tmp_path) -> None:
    import onnxruntime

    model = _corrected()
    x = np.random.default_rng(0).random((6, 28, 28, 1)).astype("float32")
    path = export_model(model, tmp_path / "corrected.onnx", format="onnx")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, model.predict(x, verbose=0), atol=1e-5)
