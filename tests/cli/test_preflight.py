"""Every command refuses a bad output path or data path before any work: in a fresh process,
before Keras is imported (so before any loading, rendering, training or download)."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rotkeras.cli import _preflight, main

# What this file proves does not depend on the Keras backend: run on TensorFlow only.
pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "photos"

# Runs the command line in a fresh interpreter and reports whether Keras got imported.
PROBE = """
import json, sys
from rotkeras.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "keras": "keras" in sys.modules}))
"""


def _run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, bool, str]:
    import os

    environment = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                   "ROTKERAS_MNIST": "", **(env or {})}
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True,
                          text=True, env=environment, cwd=ROOT, timeout=120)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Traceback" not in done.stderr, done.stderr
    return result["code"], result["keras"], done.stderr


@pytest.fixture
def npz(tmp_path: Path) -> Path:
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.zeros(2, np.uint8),
             x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.zeros(1, np.uint8))
    return path


def _bad_outputs(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    return {
        "train": (["--save", str(tmp_path / "model.txt")], "--save: the file name must end"),
        "train-reader": (["--out", str(tmp_path / "weights.txt")],
                         "--out: the file name must end in '.weights.h5'"),
        "train-reader-folder": (["--out", str(tmp_path)], "is a folder"),
        "train-reader-cache": (["--cache", str(blocker)], f"--cache: {blocker} is a file"),
        "reproduce": (["--out", str(blocker)], "--out: " + str(blocker) + " is a file"),
        "predict": (["--save-inputs", str(tmp_path / "seen.xyz")], "--save-inputs"),
    }


@pytest.mark.parametrize(
    "case", ["train", "train-reader", "train-reader-folder", "train-reader-cache", "reproduce",
             "predict"],
)
def test_a_bad_output_is_refused_before_keras_is_imported(case, tmp_path, npz) -> None:
    extra, message = _bad_outputs(tmp_path)[case]
    command = case.split("-folder")[0].split("-cache")[0]
    argv = [command, *extra] + ([str(FIXTURES)] if command == "predict" else ["--data", str(npz)])
    code, keras_imported, err = _run(*argv)
    assert code == 1 and message in err, err
    assert not keras_imported


@pytest.mark.parametrize("command", ["train", "train-reader", "reproduce"])
@pytest.mark.parametrize("bad", ["missing", "not-npz", "folder", "wrong-keys"])
def test_a_bad_data_path_is_refused_before_keras_is_imported(command, bad, tmp_path) -> None:
    paths = {"missing": tmp_path / "nope.npz", "not-npz": tmp_path / "notes.npz",
             "folder": tmp_path, "wrong-keys": tmp_path / "other.npz"}
    paths["not-npz"].write_text("my notes")
    np.savez(paths["wrong-keys"], x_train=np.zeros(3))
    messages = {"missing": "file not found", "not-npz": "not an .npz archive",
                "folder": "is a folder", "wrong-keys": "lacks the array(s) y_train"}
    out = ["--out", str(tmp_path / "run")] if command == "reproduce" else []
    code, keras_imported, err = _run(command, "--data", str(paths[bad]), *out)
    assert code == 1 and "--data: " in err and messages[bad] in err, err
    assert not keras_imported


def test_a_bad_mnist_variable_is_named(tmp_path) -> None:
    code, keras_imported, err = _run("train", env={"ROTKERAS_MNIST": str(tmp_path / "x.npz")})
    assert code == 1 and "$ROTKERAS_MNIST: file not found" in err and not keras_imported


@pytest.mark.parametrize("bad", ["missing", "empty", "unlabelled", "file"])
def test_reproduce_refuses_photos_it_cannot_use_before_training(bad, tmp_path, npz) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    if bad == "missing":
        folder.rmdir()
    elif bad == "unlabelled":
        (folder / "photo.png").write_bytes((FIXTURES / "7_paper.jpg").read_bytes())
    elif bad == "file":
        folder.rmdir()
        folder.write_text("x")
    messages = {"missing": "no such folder", "empty": "no image files",
                "unlabelled": "has a label", "file": "is a file"}
    code, keras_imported, err = _run("reproduce", "--data", str(npz), "--out",
                                     str(tmp_path / "run"), "--photos", str(folder))
    assert code == 1 and "--photos: " in err and messages[bad] in err, err
    assert not keras_imported


def test_predict_refuses_inputs_that_are_all_unusable(tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, keras_imported, err = _run("predict", str(empty), str(tmp_path / "gone.png"))
    assert code == 1 and "no image to classify" in err and "gone.png" in err, err
    assert "empty: no image files" in err
    assert not keras_imported


def test_predict_refuses_a_missing_model_before_keras(tmp_path) -> None:
    code, keras_imported, err = _run("predict", str(FIXTURES), "--model",
                                     str(tmp_path / "none.keras"))
    assert code == 1 and "--model: file not found" in err and not keras_imported


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "onnx", "--out", "{tmp}/reader.txt"], "writes a .onnx file"),
        (["--format", "tflite", "--out", "{tmp}/blocker/reader.tflite"], "is a file"),
        (["--format", "tf_saved_model", "--out", "{tmp}/blocker"], "is a file"),
        (["{tmp}/none.keras", "--out", "{tmp}/served"], "MODEL: file not found"),
    ],
)
def test_export_refuses_bad_paths_before_keras_is_imported(argv, message, tmp_path) -> None:
    (tmp_path / "blocker").write_text("x")
    argv = [a.format(tmp=tmp_path) for a in argv]
    code, keras_imported, err = _run("export", *argv)
    assert code == 1 and message in err, err
    assert not keras_imported


def test_read_refuses_bad_inputs_and_weights_before_keras_is_imported(tmp_path) -> None:
    code, keras_imported, err = _run("read", str(tmp_path / "gone.png"))
    assert code == 1 and "gone.png" in err and not keras_imported, err
    code, keras_imported, err = _run("read", str(FIXTURES), "--weights",
                                     str(tmp_path / "none.weights.h5"))
    assert code == 1 and "--weights: file not found" in err and not keras_imported, err


@pytest.mark.parametrize("option", ["--seed", "--synthetic-seed"])
@pytest.mark.parametrize("value", ["-1", "2147483648", "1.5"])
def test_seed_options_name_themselves_and_the_range(option, value, capsys) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["train-reader", option, value])
    assert excinfo.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: expected an integer from 0 to 2147483647" in err


def test_image_extensions_match_the_photo_reader() -> None:
    from rotkeras.datasets import photos

    assert _preflight.IMAGE_EXTENSIONS == photos.IMAGE_EXTENSIONS


class _FullDisk:
    """A stdout on a full disk: every write fails as a real one does."""

    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError("no file descriptor")


class _ClosedPipe(_FullDisk):
    def write(self, text: str) -> int:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")


def test_a_full_disk_on_stdout_gives_one_line(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdout", _FullDisk())
    assert main(["info"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "rotkeras info: error: cannot write the output: No space left on device"


def test_a_closed_pipe_on_stdout_ends_quietly(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["info"]) == 141
    assert capsys.readouterr().err == ""

