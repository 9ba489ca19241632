from __future__ import annotations

import re
import subprocess
import sys

import pytest

from rotkeras import __version__
from rotkeras.cli import main


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rotkeras.cli", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert out.stdout.strip() == f"rotkeras {__version__}"


def test_info_prints_backend(capsys) -> None:
    import keras

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"keras {keras.__version__}" in out
    assert f"backend {keras.backend.backend()}" in out
    assert "device " in out
    assert re.search(r"^recommended precision (float32|mixed_bfloat16) ", out, re.M)


def test_train_on_a_small_file(tiny_mnist, capsys) -> None:
    assert main(["train", "--data", str(tiny_mnist), "--epochs", "1", "--quiet"]) == 0
    assert "test accuracy:" in capsys.readouterr().out


def test_missing_data_is_a_clear_error(tmp_path, capsys) -> None:
    assert main(["train", "--data", str(tmp_path / "nope.npz"), "--epochs", "1"]) == 1
    assert "nope.npz" in capsys.readouterr().err


def test_bad_arguments_exit_with_usage(capsys) -> None:
    with pytest.raises(SystemExit) as excinfo:
        main(["train", "--epochs", "0"])
    assert excinfo.value.code == 2
    assert "positive integer" in capsys.readouterr().err


def test_reproduce_precision_choices(capsys) -> None:
    from rotkeras.cli import build_parser

    args = build_parser().parse_args(["reproduce", "--precision", "float32"])
    assert args.precision == "float32"
    assert build_parser().parse_args(["reproduce"]).precision == "auto"
    with pytest.raises(SystemExit) as excinfo:
        main(["reproduce", "--precision", "float16"])
    assert excinfo.value.code == 2
    assert "float16" in capsys.readouterr().err


def test_train_uses_the_recommended_path(tiny_mnist, monkeypatch) -> None:
    from rotkeras import training
    from rotkeras.cli.train import train_reference

    calls = []
    fit = training.fit_classifier
    monkeypatch.setattr("rotkeras.cli.train.fit_classifier",
                        lambda *args, **kwargs: calls.append(kwargs) or fit(*args, **kwargs))
    result = train_reference(data=tiny_mnist, epochs=1, verbose=0, precision="float32")
    assert calls and calls[0]["epochs"] == 1 and calls[0]["seed"] == 0
    assert result["precision"] == "float32"
    assert 0.0 <= result["test_accuracy"] <= 1.0
