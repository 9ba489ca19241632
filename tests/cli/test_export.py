"""`rotkeras export`, and `rotkeras predict`'s runtime for the shipped reader."""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

import rotkeras
from rotkeras.cli import main
from rotkeras.cli import predict as predict_module

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "photos"
ROOT = Path(__file__).resolve().parents[2]


def _without_keras(code: str) -> subprocess.CompletedProcess:
    """Runs `code` in a fresh interpreter; it must end without having imported Keras."""
    script = f"import sys\n{code}\nassert 'keras' not in sys.modules, 'Keras was imported'\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, check=False, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "--format", "tflite", "--out", "reader.onnx"], ".tflite file"),
        (["export", "--format", "onnx", "--out", "reader.tflite"], ".onnx file"),
        (["export", "missing.keras", "--out", "m"], "MODEL: file not found"),
        (["predict", "missing.jpg", "--model", "missing.keras"], "--model: file not found"),
    ],
)
def test_argument_errors_come_before_keras_loads(args, message) -> None:
    done = _without_keras(
        "from rotkeras.cli import main\n"
        f"assert main({args!r}) == 1\n"
    )
    assert done.returncode == 0, done.stderr
    assert message in done.stderr


def test_a_missing_photo_is_reported_before_keras_loads(tmp_path) -> None:
    done = _without_keras(
        "from rotkeras.cli import main\n"
        f"assert main(['predict', {str(tmp_path / 'nothing.jpg')!r}]) == 1\n"
    )
    assert done.returncode == 0, done.stderr
    assert "nothing.jpg" in done.stderr and "no such file" in done.stderr


@pytest.mark.skipif(keras.backend.backend() not in ("tensorflow", "jax"),
                    reason="Keras exports SavedModels on the TensorFlow and JAX backends only")
def test_export_command_writes_a_saved_model(tmp_path, capsys) -> None:
    model_file = tmp_path / "cnn.keras"
    rotkeras.models.mnist_cnn().save(model_file)
    assert main(["export", str(model_file), "--out", str(tmp_path / "served")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (tmp_path / "served" / "saved_model.pb").is_file()


@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None,
                    reason="onnxruntime is not installed (pip install \"rotkeras[export]\")")
def test_predict_with_onnx_runtime_never_imports_keras() -> None:
    # Photos with a digit and a blank one: the "no digit" rule must not pull Keras in either.
    done = _without_keras(
        "from rotkeras.cli import main\n"
        f"assert main(['predict', '--format', 'json', {str(FIXTURES)!r}]) == 0\n"
    )
    assert done.returncode == 0, done.stderr
    assert '"digit"' in done.stdout


@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None,
                    reason="onnxruntime is not installed (pip install \"rotkeras[export]\")")
def test_predict_reads_the_same_with_onnx_runtime_and_keras(monkeypatch) -> None:
    def run() -> list[dict]:
        out = io.StringIO()
        assert predict_module.run_predict([FIXTURES], out=out, err=io.StringIO(),
                                          output_format="json") == 0
        return json.loads(out.getvalue())

    assert predict_module.shipped_onnx_reader() is not None
    fast = run()
    monkeypatch.setenv(predict_module.RUNTIME_ENV_VAR, "keras")
    assert predict_module.shipped_onnx_reader() is None
    slow = run()
    assert [(i["file"], i["digit"], i["orientation"]) for i in fast] == [
        (i["file"], i["digit"], i["orientation"]) for i in slow
    ]
    np.testing.assert_allclose([i["confidence"] for i in fast],
                               [i["confidence"] for i in slow], atol=1e-4)
