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
