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

This module only parses arguments: it imports neither Keras nor a backend, so
`rotkeras --version` and `rotkeras --help` answer at once. A command imports what it needs
when it runs. A new command is a subparser in `build_parser` whose `func` imports its
module inside the function.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Sequence

from rotkeras._version import __version__
from rotkeras.cli import _preflight, _terminal

#: What `model.save` writes (`--save`).
MODEL_SUFFIXES = (".keras", ".h5")
#: Errors of writing the output (a full disk or quota, a closed pipe) reported in one line.
_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EPIPE)

PRECISION_CHOICES = ("auto", "float32", "mixed_bfloat16")
PRECISION_HELP = (
    "training precision (default: auto = mixed_bfloat16 on TensorFlow or PyTorch with a CPU "
    "that has native bfloat16 instructions, where it trains faster at equal accuracy; "
    "float32, the tutorial's, elsewhere)"
)


def _cmd_info(args: argparse.Namespace) -> int:
    _terminal.start_backend_quietly()
    import keras

    from rotkeras.training import recommended_dtype_policy

    print(f"rotkeras {__version__}")
    print(f"keras {keras.__version__}")
    print(f"backend {keras.backend.backend()}")
    print(f"image_data_format {keras.config.image_data_format()}")
    try:
        devices = [str(device) for device in keras.distribution.list_devices()]
    except Exception as error:  # pragma: no cover - depends on the installed backend
        devices = [f"unknown ({error})"]
    for device in devices:
        print(f"device {device}")
    print(f"recommended precision {recommended_dtype_policy()} "
          "(what rotkeras train and reproduce --precision auto train in)")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    _preflight.mnist_file(args.data)
    if args.save is not None:
        _preflight.output_file(args.save, "--save", MODEL_SUFFIXES)
    _terminal.start_backend_quietly()
    from rotkeras.cli.train import train_reference

    result = train_reference(
        data=args.data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        limit=args.limit,
        save=args.save,
        precision=args.precision,
        verbose=_terminal.fit_verbosity(args.quiet),
    )
    print(f"test accuracy: {result['test_accuracy']:.4f}")
    print(f"seconds per epoch: {result['seconds_per_epoch']:.1f}")
    return 0


def _cmd_train_reader(args: argparse.Namespace) -> int:
    _preflight.mnist_file(args.data)
    _preflight.output_file(args.out, "--out", (".weights.h5",))
    if args.cache is not None:
        _preflight.output_folder(args.cache, "--cache")
    _terminal.start_backend_quietly()
    from rotkeras.cli.train_reader import train_reader

    result = train_reader(
        args.out,
        data=args.data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        synthetic=args.synthetic,
        synthetic_seed=args.synthetic_seed,
        tilt=args.tilt,
        seed=args.seed,
        limit=args.limit,
        cache=args.cache,
        log=lambda line: print(line, flush=True),
    )
    print(f"reader (averaged over shifts): MNIST upright {result['upright']:.4f}, "
          f"combined {result['combined']:.4f}; "
          f"{result['parameters']} parameters; weights written to {result['weights']} "
          f"in {result['seconds'] / 60:.1f} min")
    return 0


def _cmd_predict(args: argparse.Namespace) -> int:
    for option, path in (("--model", args.model), ("--orientation-model", args.orientation_model)):
        if path is not None:
            _preflight.input_file(path, option)
    if args.save_inputs is not None:
        _preflight.output_file(args.save_inputs, "--save-inputs", _preflight.IMAGE_EXTENSIONS)
    _preflight.prediction_inputs(args.inputs)  # none usable: refused before loading
    from rotkeras.cli.predict import run_predict

    return run_predict(
        args.inputs,
        args.model,
        correct_orientation=args.correct_orientation,
        orientation_model_path=args.orientation_model,
        save_inputs=args.save_inputs,
        mode=args.mode,
        polarity=args.polarity,
        size=args.size,
        batch_size=args.batch_size,
        output_format=args.format,
        top_k=args.top_k,
    )


def _cmd_read(args: argparse.Namespace) -> int:
    if args.weights is not None:
        _preflight.input_file(args.weights, "--weights")
    _preflight.prediction_inputs(args.inputs)  # none usable: refused before loading
    _terminal.start_backend_quietly()
    from rotkeras.cli.read import run_read

    return run_read(args.inputs, weights=args.weights, polarity=args.polarity,
                    output_format=args.format)


def _cmd_export(args: argparse.Namespace) -> int:
    from rotkeras.cli.export import check_export_arguments, run_export  # no Keras import

    if args.model is not None:
        _preflight.input_file(args.model, "MODEL")
    check_export_arguments(args.model, args.out, args.format)
    if args.format == "tf_saved_model":
        _preflight.output_folder(args.out, "--out")
    else:
        _preflight.output_file(args.out, "--out")
    _terminal.start_backend_quietly()

    run_export(args.model, args.out, output_format=args.format, input_size=args.input_size,
               input_dtype=args.input_dtype, batch_size=args.batch_size)
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from pathlib import Path

    _preflight.mnist_file(args.data)
    _preflight.output_folder(args.out, "--out")
    if args.photos:
        _preflight.photo_folder(args.photos, "--photos")
    _terminal.start_backend_quietly()
    from rotkeras.cli.reproduce import ReproduceConfig, reproduce

    config = ReproduceConfig(
        out=Path(args.out),
        data=args.data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        quick=args.quick,
        fresh=args.fresh,
        quiet=args.quiet,
        photos=Path(args.photos) if args.photos else None,
        precision=args.precision,
        devices=args.devices,
    )
    reproduce(config)
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
        "train",
        help="train the reference CNN on MNIST (tutorial recipe) and print test accuracy",
        description="Trains the tutorial's CNN on MNIST the way reproduce does "
        "(rotkeras.training.fit_classifier, in the recommended precision) and prints its "
        "test accuracy.",
    )
    _add_data_argument(train)
    train.add_argument("--epochs", type=_positive_int, default=10, metavar="N",
                       help="training epochs (default: 10, the tutorial's)")
    train.add_argument("--batch-size", type=_positive_int, default=64, metavar="N",
                       help="batch size (default: 64, the tutorial's)")
    train.add_argument("--seed", type=_preflight.seed_option, default=0, metavar="N",
                       help="seed of the weights, the shuffling and the augmentation (default: 0)")
    train.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                       help="use only the first N training images")
    train.add_argument("--save", default=None, metavar="MODEL.keras",
                       help="save the trained model to this .keras file")
    train.add_argument("--precision", choices=PRECISION_CHOICES, default="auto",
                       help=PRECISION_HELP)
    train.add_argument("--quiet", action="store_true", help="no progress bars")
    train.set_defaults(func=_cmd_train)

    reader = sub.add_parser(
        "train-reader",
        help="train the digit reader (the recipe of the weights that ship with rotkeras)",
        description="Trains rotkeras.models.digit_reader with the recipe of its shipped "
        "weights: MNIST training digits plus synthetic photos rendered from them, turned by "
        "right angles and augmented, 15 epochs, seeded. Prints the MNIST accuracy after every "
        "epoch and writes a weights file for digit_reader(weights=PATH).",
    )
    _add_data_argument(reader)
    reader.add_argument("--out", default="digit_reader.weights.h5", metavar="PATH.weights.h5",
                        help="weights file to write (default: ./digit_reader.weights.h5)")
    reader.add_argument("--epochs", type=_positive_int, default=15, metavar="N",
                        help="training epochs (default: 15)")
    reader.add_argument("--batch-size", type=_positive_int, default=128, metavar="N",
                        help="batch size (default: 128)")
    reader.add_argument("--synthetic", type=_non_negative_int, default=6000, metavar="N",
                        help="synthetic photos to render and train on (default: 6000; 0: none)")
    reader.add_argument("--synthetic-seed", type=_preflight.seed_option, default=11, metavar="N",
                        help="seed of the synthetic photos (default: 11)")
    reader.add_argument("--tilt", type=_preflight.share_option, default=0.5, metavar="P",
                        help="share of the training digits tilted by up to 45 degrees either "
                        "way (default: 0.5; 0: none)")
    reader.add_argument("--seed", type=_preflight.seed_option, default=0, metavar="N",
                        help="seed of the weights, turns, augmentation and shuffling (default: 0)")
    reader.add_argument("--limit", type=_positive_int, default=None, metavar="N",
                        help="use only the first N MNIST training and test images (quick checks)")
    reader.add_argument("--cache", default=None, metavar="DIR",
                        help="keep the rendered and preprocessed synthetic photos here and reuse "
                        "them (rendering them is most of the time on a CPU)")
    reader.set_defaults(func=_cmd_train_reader)

    rep = sub.add_parser(
        "reproduce",
        help="reproduce the tutorial's experiments end to end and write a report",
        description="Trains the reference CNN, Solution 2 (static and on-the-fly rotation "
        "augmentation) and Solution 1 (orientation correction), measures accuracy on upright, "
        "rotated and combined test sets and against the rotation angle, and writes report.md, "
        "metrics.json, figures and the trained .keras models to --out. A killed run resumes "
        "where it stopped when started again with the same --out.",
    )
    _add_data_argument(rep)
    rep.add_argument("--out", default="rotkeras-report", metavar="DIR",
                     help="output folder (default: ./rotkeras-report)")
    rep.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                     help="training epochs of every model (default: each model's recipe, 10 "
                          "for the tutorial's and 15 for the rotation-robust CNN; 1 with "
                          "--quick)")
    rep.add_argument("--batch-size", type=_positive_int, default=None, metavar="N",
                     help="batch size of every model (default: each model's recipe, 64 for "
                          "the tutorial's and 128 for the rotation-robust CNN)")
    rep.add_argument("--seed", type=_preflight.seed_option, default=0, metavar="N",
                     help="seed of the weights, the shuffling and the rotated test set "
                     "(default: 0)")
    rep.add_argument("--quick", action="store_true",
                     help="small subset and 1 epoch: checks the whole pipeline in about a minute")
    rep.add_argument("--fresh", action="store_true",
                     help="discard earlier results in --out and start over")
    rep.add_argument("--photos", default=None, metavar="DIR",
                     help="folder of labelled digit photos for the handwriting experiment")
    rep.add_argument("--precision", choices=PRECISION_CHOICES, default="auto",
                     help=PRECISION_HELP)
    rep.add_argument("--devices", type=_devices, default=1, metavar="all|N",
                     help="train on all local devices ('all') or the first N (default: 1), "
                     "data parallel: keras.distribution on JAX, tf.distribute on TensorFlow; "
                     "--batch-size is the global batch and must be a multiple of the devices")
    rep.add_argument("--quiet", action="store_true", help="log lines only, no progress bars")
    rep.set_defaults(func=_cmd_reproduce)

    pred = sub.add_parser(
        "predict",
        help="classify photos of handwritten digits (the shipped reader, or --model)",
        description="Reads each photo (EXIF orientation applied), normalises it to an "
        "MNIST-like 28x28 image with HandwritingPreprocess and prints file, predicted digit "
        "and confidence (and the photo's orientation when the model gives it). Files that "
        "cannot be read or classified are reported on stderr and skipped; the others are "
        "still printed, and the exit status is then 1. For photos in folders named 0-9 an "
        "accuracy summary per label follows (on stderr with --format csv or json).",
    )
    pred.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR",
                      help="image files or folders of images (searched recursively)")
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
    pred.add_argument("--polarity", choices=("auto", "dark_on_light", "light_on_dark"),
                      default="auto",
                      help="ink darker or lighter than the paper (default: auto, detected "
                      "per photo)")
    pred.add_argument("--size", type=_positive_int, default=256,
                      help="photos are letterboxed to SIZE x SIZE first (default 256)")
    pred.add_argument("--batch-size", type=_positive_int, default=32, metavar="N",
                      help="photos per prediction batch (default: 32)")
    pred.add_argument("--format", choices=("table", "csv", "json"), default="table",
                      help="output format (json: a list of objects with file, digit, "
                      "confidence, top_k and, when the model gives it, orientation)")
    pred.add_argument("--top-k", type=_top_k, default=1, metavar="N",
                      help="also report the N most probable digits (1-10, default 1)")
    pred.set_defaults(func=_cmd_predict)

    read = sub.add_parser(
        "read",
        help="read handwritten numbers (several digits, any way up) in photos",
        description="Finds the handwritten digits in each photo, groups them into numbers "
        "(digits on one line), decides one orientation per number and prints each number "
        "with its orientation, confidences and the boxes of its digits in the photo.",
    )
    read.add_argument("inputs", nargs="+", metavar="IMAGE_OR_DIR",
                      help="image files or folders of images (searched recursively)")
    read.add_argument("--weights", default=None, metavar="PATH.weights.h5",
                      help="digit reader weights (default: the shipped reader's)")
    read.add_argument("--polarity", choices=("auto", "dark_on_light", "light_on_dark"),
                      default="auto", help="ink darker or lighter than the paper (default: auto)")
    read.add_argument("--format", choices=("table", "csv", "json"), default="table",
                      help="output format (json: a list of {file, numbers: [...]})")
    read.set_defaults(func=_cmd_read)

    exp = sub.add_parser(
        "export",
        help="export a model (the shipped reader by default) to SavedModel, TFLite or ONNX",
        description="Writes a model for serving without rotkeras: a TensorFlow SavedModel "
        "folder, a TFLite (LiteRT) file or an ONNX file, in inference mode (augmentation "
        "and other training-only layers off), float32 outputs. The reader takes uint8 "
        "photos; TFLite and ONNX need a fixed photo size (--input-size: photos letterboxed "
        "to SIZE x SIZE). ONNX needs the [export] extra (pip install \"rotkeras[export]\").",
    )
    exp.add_argument("model", nargs="?", default=None, metavar="MODEL.keras",
                     help="model to export (default: the shipped digit reader)")
    exp.add_argument("--format", choices=("tf_saved_model", "tflite", "onnx"),
                     default="tf_saved_model", help="what to write (default: tf_saved_model)")
    exp.add_argument("--out", required=True, metavar="PATH",
                     help="folder (tf_saved_model) or .tflite / .onnx file to write")
    exp.add_argument("--input-size", type=_positive_int, default=None, metavar="SIZE",
                     help="square input size for a model that takes photos of any size "
                     "(required for tflite and onnx then; rotkeras predict uses 256)")
    exp.add_argument("--input-dtype", choices=("uint8", "float32"), default=None,
                     help="input dtype (default: uint8 for readers of photos, else the "
                     "model's)")
    exp.add_argument("--batch-size", type=_positive_int, default=None, metavar="N",
                     help="fixed batch size (default: any; tflite: 1)")
    exp.set_defaults(func=_cmd_export)
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


def _devices(text: str) -> int | str:
    if text.strip().lower() == "all":
        return "all"
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected 'all' or a positive integer, got {text!r}") \
            from None


def _top_k(text: str) -> int:
    value = _positive_int(text)
    if value > 10:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 10, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


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
