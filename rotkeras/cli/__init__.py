"""The `rotkeras` command line (the application built on the library).

The package holds the command bodies and their infrastructure:

- `rotkeras.cli.train`: `rotkeras train` (the reference CNN, trained the recommended way);
- `rotkeras.cli.reproduce` (a package): `rotkeras reproduce`, a registry of resumable
  phases (`registry`, `phases`), the `runner`, `report` (report.md, metrics.json),
  `figures`, `checkpoint` (crash-safe per-epoch weights) and `progress` (log lines and time
  left);
- `rotkeras.cli.predict`: `rotkeras predict` (photos of digits through a saved model);
- `rotkeras.cli.read`: `rotkeras read` (handwritten numbers, any way up, in photos);
- `rotkeras.cli.export`: `rotkeras export` (a model to SavedModel, TFLite or ONNX).

Inside, `_parser` builds the argument parser (one function a command) and `_commands`
holds what each command does with its parsed arguments. Neither imports Keras nor a
backend, so `rotkeras --version` and `rotkeras --help` answer at once; a command imports
what it needs when it runs. A new command is an `_add_<command>` function in `_parser`
whose `func`, in `_commands`, checks its paths and then imports its module inside the
function.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence

from rotkeras.cli._commands import MODEL_SUFFIXES
from rotkeras.cli._parser import PRECISION_CHOICES, PRECISION_HELP, build_parser

__all__ = ["MODEL_SUFFIXES", "PRECISION_CHOICES", "PRECISION_HELP", "build_parser", "main"]

#: Errors of writing the output (a full disk or quota, a closed pipe) reported in one line.
_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EPIPE)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rotkeras` console script."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a full disk shows here (one line below), not at exit
    except OSError as error:
        # stdout closed (a pipe into `head`), or a full disk (stdout or a file being
        # written): one line, no traceback.
        if not isinstance(error, BrokenPipeError) and error.errno not in _OUTPUT_ERRNOS:
            raise
        _silence_stdout()
        if isinstance(error, BrokenPipeError):
            return 141  # what a shell reports for a process ended by SIGPIPE
        command = " ".join(["rotkeras", *(argv or sys.argv[1:])[:1]])
        print(f"{command}: error: cannot write the output: {error.strerror or error}",
              file=sys.stderr)
        return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except (FileNotFoundError, ValueError, PermissionError) as error:
        print(f"rotkeras {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"rotkeras {args.command}: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Points stdout at the null device, so that the flush at exit does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lives until the process ends
