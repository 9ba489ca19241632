"""The argument parser of the `rotkeras` command (internal).

One small function a command adds its subparser; options that several commands share
(`--seed`, `--precision`, the photos to read, `--format`, ...) are added by one helper
each, so that they read the same everywhere. Imports neither Keras nor a backend.
"""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable
from typing import Any

from rotkeras._version import __version__
from rotkeras.cli import _commands, _preflight

PRECISION_CHOICES = ("auto", "float32", "mixed_bfloat16")
PRECISION_HELP = (
    "training precision (default: auto = mixed_bfloat16 on TensorFlow or PyTorch with a CPU "
    "that has native bfloat16 instructions, where it trains faster at equal accuracy; "
    "float32, the tutorial's, elsewhere)"
)
_POLARITIES = ("auto", "dark_on_light", "light_on_dark")
_Subparsers = Any  # argparse's private _SubParsersAction


def build_parser() -> argparse.ArgumentParser:
    """Returns the argument parser of the `rotkeras` command."""
    parser = argparse.ArgumentParser(
        prog="rotkeras",
        description="Rotation-robust handwritten-digit CNNs for Keras 3.",
    )
    parser.add_argument("--version", action="version", version=f"rotkeras {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add_command in (_add_info, _add_train, _add_train_reader, _add_reproduce,
                        _add_predict, _add_read, _add_export):
        add_command(sub)
    return parser


# --------------------------------------------------------------------------- commands
def _add_info(sub: _Subparsers) -> None:
    _command(sub, "info", _commands.info, "print the Keras version, backend and devices")


def _add_train(sub: _Subparsers) -> None:
    train = _command(sub, "train", _commands.train,
                     "train the reference CNN on MNIST (tutorial recipe) and print test accuracy")
    _add_data(train)
    _add_count(train, "--epochs", 10, "training epochs (default: 10, the tutorial's)")
    _add_count(train, "--batch-size", 64, "batch size (default: 64, the tutorial's)")
    _add_seed(train, "seed of the weights, the shuffling and the augmentation (default: 0)")
    _add_count(train, "--limit", None, "use only the first N training images")
    train.add_argument("--save", default=None, metavar="MODEL.keras",
                       help="save the trained model to this .keras file")
    _add_precision(train)
    train.add_argument("--quiet", action="store_true", help="no progress bars")


def _add_train_reader(sub: _Subparsers) -> None:
    reader = _command(sub, "train-reader", _commands.train_reader,
                      "train the digit reader (the recipe of the weights that ship with "
                      "rotkeras)")
    _add_data(reader)
    reader.add_argument("--out", default="digit_reader.weights.h5", metavar="PATH.weights.h5",
                        help="weights file to write (default: ./digit_reader.weights.h5)")
    _add_count(reader, "--epochs", 15, "training epochs (default: 15)")
    _add_count(reader, "--batch-size", 128, "batch size (default: 128)")
    _add_count(reader, "--synthetic", 6000,
               "synthetic photos to render and train on (default: 6000; 0: none)",
               kind=non_negative_int)
    _add_seed(reader, "seed of the synthetic photos (default: 11)", flag="--synthetic-seed",
              default=11)
    reader.add_argument("--tilt", type=_preflight.share_option, default=0.3, metavar="P",
                        help="share of the training digits tilted by up to 45 degrees either "
                        "way (default: 0.3; 0: none)")
    reader.add_argument("--continental", type=_preflight.share_option, default=0.3,
                        metavar="P", help="share of the MNIST 1s drawn with a flag and of "
                        "the 7s with a crossbar (default: 0.3; 0: none)")
    reader.add_argument("--real", action="append", default=[], metavar="PATH",
                        help="also train on a set of real handwritten digits: UCI's "
                        "semeion.data or an optdigits-orig file, or a folder of ARDIS "
                        "Dataset IV's CSV files; repeat for several (default: none)")
    _add_count(reader, "--real-repeat", 2,
               "times each real digit is used per epoch (default: 2)")
    _add_seed(reader, "seed of the weights, turns, augmentation and shuffling (default: 0)")
    _add_count(reader, "--limit", None,
               "use only the first N MNIST training and test images (quick checks)")
    reader.add_argument("--cache", default=None, metavar="DIR",
                        help="keep the rendered and preprocessed synthetic photos here and reuse "
                        "them (rendering them is most of the time on a CPU)")


def _add_reproduce(sub: _Subparsers) -> None:
    rep = _command(sub, "reproduce", _commands.reproduce,
                   "reproduce the tutorial's experiments end to end and write a report")
    _add_data(rep)
    rep.add_argument("--out", default="rotkeras-report", metavar="DIR",
                     help="output folder (default: ./rotkeras-report)")
    _add_count(rep, "--epochs", None, "training epochs of every model (default: each model's "
               "recipe, 10 for the tutorial's and 15 for the rotation-robust CNN; 1 with "
               "--quick)")
    _add_count(rep, "--batch-size", None, "batch size of every model (default: each model's "
               "recipe, 64 for the tutorial's and 128 for the rotation-robust CNN)")
    _add_seed(rep, "seed of the weights, the shuffling and the rotated test set (default: 0)")
    rep.add_argument("--quick", action="store_true",
                     help="small subset and 1 epoch: checks the whole pipeline in about a minute")
    rep.add_argument("--fresh", action="store_true",
                     help="discard earlier results in --out and start over")
    rep.add_argument("--photos", default=None, metavar="DIR",
                     help="folder of labelled digit photos for the handwriting experiment")
    _add_precision(rep)
    rep.add_argument("--devices", type=devices, default=1, metavar="all|N",
                     help="train on all local devices ('all') or the first N (default: 1), "
                     "data parallel: keras.distribution on JAX, tf.distribute on TensorFlow; "
                     "--batch-size is the global batch and must be a multiple of the devices")
    rep.add_argument("--quiet", action="store_true", help="log lines only, no progress bars")


def _add_predict(sub: _Subparsers) -> None:
    pred = _command(sub, "predict", _commands.predict,
                    "classify photos of handwritten digits (the shipped reader, or --model)")
    _add_inputs(pred)
    pred.add_argument("--model", default=None, metavar="MODEL.keras",
                      help="digit classifier (28x28x1 input, or a reader of photos holding a "
                      "HandwritingPreprocess); default: the shipped digit reader")
    pred.add_argument("--correct-orientation", action="store_true",
                      help="turn each digit upright first with --orientation-model")
    pred.add_argument("--orientation-model", default=None, metavar="ANGLES.keras",
                      help="angle classifier (28x28x1 input, softmax over rotation classes)")
    pred.add_argument("--save-inputs", default=None, metavar="PATH.png",
                      help="write a contact sheet of the 28x28 images the network saw")
    pred.add_argument("--mode", choices=("mnist", "tutorial"), default="mnist",
                      help="HandwritingPreprocess mode (tutorial = the article's pipeline)")
    _add_polarity(pred, "ink darker or lighter than the paper (default: auto, detected per "
                  "photo)")
    pred.add_argument("--size", type=positive_int, default=256,
                      help="photos are letterboxed to SIZE x SIZE first (default 256)")
    _add_count(pred, "--batch-size", 32, "photos per prediction batch (default: 32)")
    _add_format(pred, "output format (json: a list of objects with file, digit, confidence, "
                "top_k and, when the model gives it, orientation)")
    pred.add_argument("--top-k", type=top_k, default=1, metavar="N",
                      help="also report the N most probable digits (1-10, default 1)")


def _add_read(sub: _Subparsers) -> None:
    read = _command(sub, "read", _commands.read,
                    "read handwritten numbers (several digits, any way up) in photos")
    _add_inputs(read)
    read.add_argument("--weights", default=None, metavar="{numbers,shipped,PATH.weights.h5}",
                      help="digit reader weights: 'numbers' (the shipped weights for numbers, "
                      "the default), 'shipped' (the reader's default weights) or a weights "
                      "file")
    _add_polarity(read, "ink darker or lighter than the paper (default: auto)")
    read.add_argument("--orientation", default="photo", choices=("photo", "number", "digit"),
                      help="one orientation for all numbers of a photo (default), one per "
                      "number (for numbers written different ways up), or one per digit")
    _add_format(read, "output format (json: a list of {file, numbers: [...]})")


def _add_export(sub: _Subparsers) -> None:
    exp = _command(sub, "export", _commands.export,
                   "export a model (the shipped reader by default) to SavedModel, TFLite or ONNX")
    exp.add_argument("model", nargs="?", default=None, metavar="MODEL.keras",
                     help="model to export (default: the shipped digit reader)")
    exp.add_argument("--format", choices=("tf_saved_model", "tflite", "onnx"),
                     default="tf_saved_model", help="what to write (default: tf_saved_model)")
    exp.add_argument("--out", required=True, metavar="PATH",
                     help="folder (tf_saved_model) or .tflite / .onnx file to write")
    exp.add_argument("--input-size", type=positive_int, default=None, metavar="SIZE",
                     help="square input size for a model that takes photos of any size "
                     "(required for tflite and onnx then; rotkeras predict uses 256)")
    exp.add_argument("--input-dtype", choices=("uint8", "float32"), default=None,
                     help="input dtype (default: uint8 for readers of photos, else the "
                     "model's)")
    _add_count(exp, "--batch-size", None, "fixed batch size (default: any; tflite: 1)")


# --------------------------------------------------------------------------- shared options
def _command(sub: _Subparsers, name: str, func: Callable[[argparse.Namespace], int],
             help: str) -> argparse.ArgumentParser:
    """The subparser of a command that runs `func`; its description is `func`'s docstring."""
    doc = inspect.getdoc(func)
    parser = sub.add_parser(name, help=help, description=" ".join(doc.split()) if doc else None)
    parser.set_defaults(func=func)
    return parser


def _add_data(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="Keras-format mnist.npz (default: $ROTKERAS_MNIST, else keras.datasets download)",
    )


def _add_count(parser: argparse.ArgumentParser, flag: str, default: int | None, help: str,
               *, kind: Callable[[str], int] | None = None) -> None:
    """A whole-number option shown as `N` (positive unless `kind` says otherwise)."""
    parser.add_argument(flag, type=kind or positive_int, default=default, metavar="N",
                        help=help)


def _add_seed(parser: argparse.ArgumentParser, help: str, *, flag: str = "--seed",
              default: int = 0) -> None:
    parser.add_argument(flag, type=_preflight.seed_option, default=default, metavar="N",
                        help=help)


def _add_precision(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--precision", choices=PRECISION_CHOICES, default="auto",
                        help=PRECISION_HELP)


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR",
                        help="image files or folders of images (searched recursively)")


def _add_polarity(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--polarity", choices=_POLARITIES, default="auto", help=help)


def _add_format(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table",
                        help=help)


# --------------------------------------------------------------------------- option types
def positive_int(text: str) -> int:
    """`argparse` type: an integer >= 1."""
    return _preflight.number_option(text, int, lambda value: value >= 1, "a positive integer")


def non_negative_int(text: str) -> int:
    """`argparse` type: an integer >= 0."""
    return _preflight.number_option(text, int, lambda value: value >= 0, "an integer >= 0")


def top_k(text: str) -> int:
    """`argparse` type of `--top-k`: an integer from 1 to 10."""
    value = positive_int(text)
    if value > 10:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 10, got {text!r}")
    return value


def devices(text: str) -> int | str:
    """`argparse` type of `--devices`: `"all"` or a positive integer."""
    if text.strip().lower() == "all":
        return "all"
    try:
        return positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected 'all' or a positive integer, got {text!r}") \
            from None
