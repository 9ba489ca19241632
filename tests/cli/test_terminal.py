"""Keras' verbosity for the commands' fits: a bar on a terminal, plain lines in a log."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from rotkeras.cli._terminal import fit_verbosity

# What this file proves does not depend on the Keras backend: run on TensorFlow only.
pytestmark = pytest.mark.backend_independent


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    assert fit_verbosity(False, stream=_Terminal()) == 1
    assert fit_verbosity(False, stream=io.StringIO()) == 2
    assert fit_verbosity(False, own_epoch_lines=True, stream=io.StringIO()) == 0
    assert fit_verbosity(False, own_epoch_lines=True, stream=_Terminal()) == 1


def test_quiet_means_no_keras_output() -> None:
    assert fit_verbosity(True, stream=_Terminal()) == 0
    assert fit_verbosity(True, stream=io.StringIO()) == 0


def _run_on_tensorflow(args: list[str], *, unset: tuple[str, ...] = (),
                       **env: str) -> subprocess.CompletedProcess:
    """Runs Python with `args` in a fresh process on the TensorFlow backend, without the
    environment variables `unset` and with `env`; checks that it succeeded."""
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    environ.update(KERAS_BACKEND="tensorflow", **env)
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          env=environ, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done


def test_commands_keep_the_backends_start_up_lines_off_the_terminal() -> None:
    done = _run_on_tensorflow(["-m", "rotkeras.cli", "info"], unset=("TF_CPP_MIN_LOG_LEVEL",))
    assert "backend tensorflow" in done.stdout
    # TensorFlow's absl/oneDNN/CUDA-probe lines (e.g. "I0000 00:00:... port.cc:153] oneDNN
    # custom operations are on") would start with a severity letter and a timestamp.
    noise = [line for line in done.stderr.splitlines()
             if "absl" in line or line[:5] in ("I0000", "W0000", "E0000")]
    assert not noise, done.stderr


def test_commands_keep_tensorflows_python_warnings_off_the_terminal() -> None:
    code = ("import logging; from rotkeras.cli import _terminal; "
            "_terminal.start_backend_quietly(); "
            "logging.getLogger('tensorflow').warning('retracing'); "
            "print(logging.getLogger('tensorflow').level)")
    done = _run_on_tensorflow(["-c", code], unset=("ROTKERAS_BACKEND_LOGS",))
    assert done.stdout.strip() == str(40)  # logging.ERROR
    assert "retracing" not in done.stderr


def test_later_native_log_lines_are_off_unless_the_user_sets_the_level() -> None:
    code = ("import os; from rotkeras.cli import _terminal; _terminal.start_backend_quietly(); "
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])")
    unset = ("TF_CPP_MIN_LOG_LEVEL", "ROTKERAS_BACKEND_LOGS")
    assert _run_on_tensorflow(["-c", code], unset=unset).stdout.split()[-1] == "3"
    done = _run_on_tensorflow(["-c", code], unset=unset, TF_CPP_MIN_LOG_LEVEL="1")
    assert done.stdout.split()[-1] == "1"
