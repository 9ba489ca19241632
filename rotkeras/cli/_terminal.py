"""How the CLI talks to a terminal or to a log file (internal)."""

from __future__ import annotations

import sys
from typing import TextIO


def fit_verbosity(quiet: bool, *, own_epoch_lines: bool = False,
                  stream: TextIO | None = None) -> int:
    """Keras' `verbose` for a `fit` run by a command.

    On a terminal, Keras' progress bar (1). Written to a file or a pipe, a bar redraws itself
    with control characters many times per line, so: one plain line per epoch (2), or no
    Keras output at all (0) when the command prints its own line per epoch.

    Args:
        quiet: The command's `--quiet`: no Keras output.
        own_epoch_lines: Whether the command prints a line per epoch itself.
        stream: Where the output goes (default: standard output).

    Returns:
        0, 1 or 2, for `model.fit(verbose=...)`.
    """
    if quiet:
        return 0
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    if callable(isatty) and isatty():
        return 1
    return 0 if own_epoch_lines else 2


#: Set to 1 to see the native libraries' start-up log lines.
BACKEND_LOGS_ENV_VAR = "ROTKERAS_BACKEND_LOGS"


def start_backend_quietly() -> None:
    """Imports Keras and starts its backend without the native libraries' start-up lines.

    TensorFlow writes absl, oneDNN and CUDA-probe lines straight to the process' standard
    error as it loads and as it first looks for devices, whatever `TF_CPP_MIN_LOG_LEVEL`
    says; a command's user did not ask for them. Standard error is set aside at the file
    descriptor level meanwhile and shown only if the start fails (or with
    `ROTKERAS_BACKEND_LOGS=1`). TensorFlow's C++ logging is set to fatal messages only when
    `TF_CPP_MIN_LOG_LEVEL` is not set, and its Python logger to errors only.
    Does nothing once Keras is imported.
    """
    import os
    import tempfile

    if "keras" in sys.modules or os.environ.get(BACKEND_LOGS_ENV_VAR, "") not in ("", "0"):
        import keras  # noqa: F401
        return
    # Native log lines written later, while the command works (e.g. "E0000 ... oneDNN
    # supports DT_UINT8 only on platforms with AVX-512"): TensorFlow's C++ logging shows
    # fatal ones only, unless the user set the level.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import keras

            keras.ops.convert_to_tensor([0.0])  # the device probes log on first use
        except BaseException:
            sys.stderr.flush()
            os.dup2(saved, 2)
            capture.seek(0)
            sys.stderr.write(capture.read().decode("utf-8", errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
    # TensorFlow's Python warnings (e.g. "WARNING:tensorflow:... triggered tf.function
    # retracing") are about Keras' internals, not the command's work.
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
