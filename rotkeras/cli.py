"""The `rotkeras` command line.

Subcommands import Keras lazily so that `rotkeras --version` and `rotkeras --help`
answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rotkeras._version import __version__


def _cmd_info(args: argparse.Namespace) -> int:
    import keras

    print(f"rotkeras {__version__}")
    print(f"keras {keras.__version__}")
    print(f"backend {keras.backend.backend()}")
    print(f"image_data_format {keras.config.image_data_format()}")
    for device in _list_devices():
        print(f"device {device}")
    return 0


def _list_devices() -> list[str]:
    import keras

    try:
        return [str(device) for device in keras.distribution.list_devices()]
    except Exception as error:  # pragma: no cover - depends on the installed backend
        return [f"unknown ({error})"]


def _cmd_train(args: argparse.Namespace) -> int:
    from rotkeras.experiments.train_reference import train_reference

    result = train_reference(
        data=args.data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        limit=args.limit,
        save=args.save,
        verbose=0 if args.quiet else "auto",
    )
    print(f"test accuracy: {result['test_accuracy']:.4f}")
    print(f"seconds per epoch: {result['seconds_per_epoch']:.1f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser of the `rotkeras` command."""
    parser = argparse.ArgumentParser(
        prog="rotkeras",
        description="Rotation-robust handwritten-digit CNNs for Keras 3.",
    )
    parser.add_argument("--version", action="version", version=f"rotkeras {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    info = sub.add_parser("info", help="print the Keras version, backend and devices")
    info.set_defaults(func=_cmd_info)

    train = sub.add_parser(
        "train", help="train the reference CNN on MNIST (tutorial recipe) and print test accuracy"
    )
    _add_data_argument(train)
    train.add_argument("--epochs", type=_positive_int, default=10)
    train.add_argument("--batch-size", type=_positive_int, default=64)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument(
        "--limit", type=_positive_int, default=None, help="use only the first N training images"
    )
    train.add_argument("--save", default=None, help="save the trained model to this .keras file")
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(func=_cmd_train)
    return parser


def _add_data_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="Keras-format mnist.npz (default: $ROTKERAS_MNIST, else keras.datasets download)",
    )


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `rotkeras` console script."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
