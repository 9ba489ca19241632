"""What each `rotkeras` command does once its arguments are parsed (internal).

Each function's docstring is its command's description in `rotkeras COMMAND --help`
(and in the generated command-line reference).
A command first checks its paths with `_preflight` (no Keras yet: a bad path is refused
at once), then starts the backend quietly and imports the module that does the work
inside the function, so that `rotkeras --help` never imports Keras.
"""

from __future__ import annotations

import argparse

from rotkeras._shipped import READER_WEIGHTS
from rotkeras._version import __version__
from rotkeras.cli import _preflight, _terminal

#: What `model.save` writes (`--save`).
MODEL_SUFFIXES = (".keras", ".h5")


def info(args: argparse.Namespace) -> int:
    # No docstring: `rotkeras info --help` needs no more than the one-line help.
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


def train(args: argparse.Namespace) -> int:
    """Trains the tutorial's CNN on MNIST the way reproduce does
    (rotkeras.training.fit_classifier, in the recommended precision) and prints its test
    accuracy."""
    _preflight.mnist_file(args.data)
    if args.save is not None:
        _preflight.output_file(args.save, "--save", MODEL_SUFFIXES)
    _terminal.start_backend_quietly()
    from rotkeras.cli.train import train_reference

    result = train_reference(
        data=args.data, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
        limit=args.limit, save=args.save, precision=args.precision,
        verbose=_terminal.fit_verbosity(args.quiet),
    )
    print(f"test accuracy: {result['test_accuracy']:.4f}")
    print(f"seconds per epoch: {result['seconds_per_epoch']:.1f}")
    return 0


def train_reader(args: argparse.Namespace) -> int:
    """Trains rotkeras.models.digit_reader with the recipe of its shipped weights: MNIST
    training digits plus synthetic photos rendered from them, turned by right angles and
    augmented, 15 epochs, seeded. Prints the MNIST accuracy after every epoch and writes a
    weights file for digit_reader(weights=PATH)."""
    _preflight.mnist_file(args.data)
    _preflight.output_file(args.out, "--out", (".weights.h5",))
    if args.cache is not None:
        _preflight.output_folder(args.cache, "--cache")
    for path in args.real:
        _preflight.real_digits(path)
    _terminal.start_backend_quietly()
    from rotkeras.cli.train_reader import train_reader

    result = train_reader(
        args.out, data=args.data, epochs=args.epochs, batch_size=args.batch_size,
        synthetic=args.synthetic, synthetic_seed=args.synthetic_seed, tilt=args.tilt,
        continental=args.continental, real=args.real, real_repeat=args.real_repeat,
        seed=args.seed, limit=args.limit, cache=args.cache,
        log=lambda line: print(line, flush=True),
    )
    print(f"reader (averaged over shifts): MNIST upright {result['upright']:.4f}, "
          f"combined {result['combined']:.4f}; "
          f"{result['parameters']} parameters; weights written to {result['weights']} "
          f"in {result['seconds'] / 60:.1f} min")
    return 0


def predict(args: argparse.Namespace) -> int:
    """Reads each photo (EXIF orientation applied), normalises it to an MNIST-like 28x28
    image with HandwritingPreprocess and prints file, predicted digit and confidence (and
    the photo's orientation when the model gives it). Files that cannot be read or
    classified are reported on stderr and skipped; the others are still printed, and the
    exit status is then 1. For photos in folders named 0-9 an accuracy summary per label
    follows (on stderr with --format csv or json)."""
    for option, path in (("--model", args.model), ("--orientation-model", args.orientation_model)):
        if path is not None:
            _preflight.input_file(path, option)
    if args.save_inputs is not None:
        _preflight.output_file(args.save_inputs, "--save-inputs", _preflight.IMAGE_EXTENSIONS)
    _preflight.prediction_inputs(args.inputs)  # none usable: refused before loading
    from rotkeras.cli.predict import run_predict

    return run_predict(
        args.inputs, args.model, correct_orientation=args.correct_orientation,
        orientation_model_path=args.orientation_model, save_inputs=args.save_inputs,
        mode=args.mode, polarity=args.polarity, size=args.size, batch_size=args.batch_size,
        output_format=args.format, top_k=args.top_k,
    )


def read(args: argparse.Namespace) -> int:
    """Finds the handwritten digits in each photo, groups them into numbers (digits on one
    line), decides one orientation for the photo (or per number, `--orientation`) and
    prints each number with its orientation, confidences and the boxes of its digits in
    the photo."""
    if args.weights not in (None, *READER_WEIGHTS):
        _preflight.input_file(args.weights, "--weights")
    _preflight.prediction_inputs(args.inputs)  # none usable: refused before loading
    _terminal.start_backend_quietly()
    from rotkeras.cli.read import run_read

    return run_read(args.inputs, weights=args.weights, polarity=args.polarity,
                    orientation=args.orientation, output_format=args.format)


def export(args: argparse.Namespace) -> int:
    """Writes a model for serving without rotkeras: a TensorFlow SavedModel folder, a
    TFLite (LiteRT) file or an ONNX file, in inference mode (augmentation and other
    training-only layers off), float32 outputs. The reader takes uint8 photos; TFLite and
    ONNX need a fixed photo size (--input-size: photos letterboxed to SIZE x SIZE). ONNX
    needs the [export] extra (pip install "rotkeras[export]")."""
    from rotkeras.cli.export import check_export_arguments, run_export  # no Keras import

    check_export_arguments(args.model, args.out, args.format)
    if args.format == "tf_saved_model":
        _preflight.output_folder(args.out, "--out")
    else:
        _preflight.output_file(args.out, "--out")
    _terminal.start_backend_quietly()

    run_export(args.model, args.out, output_format=args.format, input_size=args.input_size,
               input_dtype=args.input_dtype, batch_size=args.batch_size)
    return 0


def reproduce(args: argparse.Namespace) -> int:
    """Trains the reference CNN, Solution 2 (static and on-the-fly rotation augmentation)
    and Solution 1 (orientation correction), measures accuracy on upright, rotated and
    combined test sets and against the rotation angle, and writes report.md, metrics.json,
    figures and the trained .keras models to --out. A killed run resumes where it stopped
    when started again with the same --out."""
    from pathlib import Path

    _preflight.mnist_file(args.data)
    _preflight.output_folder(args.out, "--out")
    if args.photos:
        _preflight.photo_folder(args.photos, "--photos")
    _terminal.start_backend_quietly()
    from rotkeras.cli.reproduce import ReproduceConfig, reproduce

    config = ReproduceConfig(
        out=Path(args.out), data=args.data, epochs=args.epochs, batch_size=args.batch_size,
        seed=args.seed, quick=args.quick, fresh=args.fresh, quiet=args.quiet,
        photos=Path(args.photos) if args.photos else None, precision=args.precision,
        devices=args.devices,
    )
    reproduce(config)
    return 0
