"""Keras' verbosity for the commands' fits: a bar on a terminal, plain lines in a log."""

from __future__ import annotations

import io

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


def test_commands_keep_the_backends_start_up_lines_off_the_terminal() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["KERAS_BACKEND"] = "tensorflow"
    done = subprocess.run([sys.executable, "-m", "rotkeras.cli", "info"], capture_output=True,
                          text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "backend tensorflow" in done.stdout
    # TensorFlow's absl/oneDNN/CUDA-probe lines (e.g. "I0000 00:00:... port.cc:153] oneDNN
    # custom operations are on") would start with a severity letter and a timestamp.
    noise = [line for line in done.stderr.splitlines()
             if "absl" in line or line[:5] in ("I0000", "W0000", "E0000")]
    assert not noise, done.stderr


def test_commands_keep_tensorflows_python_warnings_off_the_terminal() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ROTKERAS_BACKEND_LOGS"}
    env["KERAS_BACKEND"] = "tensorflow"
    code = ("import logging; from rotkeras.cli import _terminal; "
            "_terminal.start_backend_quietly(); "
            "logging.getLogger('tensorflow').warning('retracing'); "
            "print(logging.getLogger('tensorflow').level)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(40)  # logging.ERROR
    assert "retracing" not in done.stderr


def test_later_native_log_lines_are_off_unless_the_user_sets_the_level() -> None:
    import os
    import subprocess
    import sys

    code = ("import os; from rotkeras.cli import _terminal; _terminal.start_backend_quietly(); "
            "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])")
    base = {k: v for k, v in os.environ.items()
            if k not in ("TF_CPP_MIN_LOG_LEVEL", "ROTKERAS_BACKEND_LOGS")}
    base["KERAS_BACKEND"] = "tensorflow"
    for env, want in ((base, "3"), ({**base, "TF_CPP_MIN_LOG_LEVEL": "1"}, "1")):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split()[-1] == want
