"""`rotkeras predict`: classifying photos of handwritten digits with a saved model.

Bad input never costs a good file its result: every file is read, preprocessed and
classified on its own terms (a batch that fails is retried file by file), every failure is
reported on stderr with its reason, and the exit status is 1 at the end. What the command
will write (`--save-inputs`) is checked before any work starts.

`run_predict` runs the stages in order: check the arguments, open the model, read the
photos, classify them, print the results and the failures. The models and the pipeline
live in `rotkeras.cli._predict_models`, the output formats in
`rotkeras.cli._predict_output`; their public names are importable from here.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from rotkeras.cli import _preflight
from rotkeras.cli._predict_models import (
    NUM_ORIENTATIONS,
    RUNTIME_ENV_VAR,
    SHIPPED_ONNX_FILE,
    SHIPPED_ONNX_SIZE,
    OnnxReader,
    build_pipeline,
    load_model_file,
    photo_channels,
    shipped_onnx_reader,
)
from rotkeras.cli._predict_output import (
    FORMATS,
    Prediction,
    accuracy_summary,
    check_image_output,
    failure_reason,
    format_summary,
    write_predictions,
)
from rotkeras.datasets.photos import (
    collect_files,
    label_from_path,
    letterbox,
    read_image,
    straighten_turned_photo,
    write_contact_sheet,
)
from rotkeras.datasets.tutorial import PHOTO_SIZE

__all__ = [
    "FORMATS", "NUM_ORIENTATIONS", "RUNTIME_ENV_VAR", "SHIPPED_ONNX_FILE", "SHIPPED_ONNX_SIZE",
    "OnnxReader", "Prediction", "accuracy_summary", "build_pipeline", "check_image_output",
    "collect_files", "failure_reason", "format_summary", "found_digit", "load_model_file",
    "run_predict", "shipped_onnx_reader", "write_predictions",
]

#: `(file, reason)` of each input that could not be classified.
Failures = list[tuple[str, str]]


def run_predict(
    inputs: Sequence[str | os.PathLike[str]],
    model_path: str | os.PathLike[str] | None = None,
    *,
    correct_orientation: bool = False,
    orientation_model_path: str | os.PathLike[str] | None = None,
    save_inputs: str | os.PathLike[str] | None = None,
    mode: str = "mnist",
    polarity: str = "auto",
    size: int = PHOTO_SIZE,
    batch_size: int = 32,
    output_format: str = "table",
    top_k: int = 1,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Classifies photos and prints the results; returns an exit code.

    Every photo is read with `read_image` (EXIF orientation applied, transparency
    flattened), letterboxed to `size x size` and run through `build_pipeline`: turned into
    an MNIST-like 28x28 image by `HandwritingPreprocess` (the model's own, when it holds
    one) and, with `correct_orientation`, turned upright by `OrientationCorrection` from the
    prediction of an angle classifier (`orientation_model_path`, 28x28x1 input, softmax
    over `num_angles` rotation classes) before classification. Without `model_path` the
    shipped digit reader (`rotkeras.models.digit_reader`) is used.

    Output (`out`): with `output_format="table"` a table with a header line; `"csv"` the
    same columns as CSV; `"json"` a JSON list with one object per file (`file`, `digit`,
    `confidence`, `top_k` as a list of `{"digit", "probability"}`, plus `orientation` in
    degrees counter-clockwise, `orientation_confidence` and `tilt` when the model reports
    the photo's orientation, and `label` when the photo's folder is named `0`..`9`).
    `tilt`: a photo turned within its frame (an editor's turn by an angle that is not a
    right angle, flat colour around it) is turned back level first
    (`straighten_turned_photo`); `tilt` is that angle in degrees counter-clockwise (-45
    to 45; 0 when the photo is level or its frame is not seen), and the photo was turned
    by `orientation + tilt` in all. With
    `top_k > 1` the table and CSV have the columns `digit_2`, `confidence_2`, ... too.

    When every classified file lies in a folder named `0`..`9` (its label), an accuracy
    summary per label follows: on `out` after the table, on `err` for CSV and JSON (so that
    `out` stays machine-readable).

    A file that cannot be read or classified (a blank photo, in which preprocessing finds
    no ink, included) is reported on `err` with its reason and skipped; the others are
    still classified and printed, and the exit status is then 1 (0 when every file was
    classified). `save_inputs` is checked before any work starts.

    Examples:
        >>> import io, tempfile
        >>> import cv2, numpy as np, rotkeras
        >>> from rotkeras.cli.predict import run_predict
        >>> folder = tempfile.mkdtemp()
        >>> rotkeras.models.mnist_cnn().save(f"{folder}/cnn.keras")  # untrained, for the example
        >>> photo = np.full((64, 64, 3), 255, np.uint8)
        >>> photo[12:52, 30:34] = 0  # a dark stroke on white paper
        >>> _ = cv2.imwrite(f"{folder}/one.png", photo)
        >>> table = io.StringIO()
        >>> run_predict([f"{folder}/one.png"], f"{folder}/cnn.keras", out=table)
        0
        >>> table.getvalue().split()[:3]
        ['file', 'digit', 'confidence']
    """
    out = out or sys.stdout
    err = err or sys.stderr
    _check_arguments(output_format, top_k, correct_orientation, orientation_model_path,
                     save_inputs)
    # Missing paths and folders without images are reported, the others classified.
    usable, failures = _preflight.prediction_inputs(inputs)
    files = collect_files(usable)
    if not files:
        raise ValueError(f"No image files found in {[str(i) for i in inputs]}")
    for option, path in (("--model", model_path), ("--orientation-model", orientation_model_path)):
        if path is not None:
            _preflight.input_file(path, option)
    fast, model, channels = _open_model(model_path, correct_orientation, size)
    photos, names, tilts = _read_photos(files, channels, size, failures)
    predictions: list[Prediction] = []
    seen: list[np.ndarray] = []
    if photos:
        # Keras loads only now, and only when there is a photo to classify.
        if fast is None and model is None:
            model = _default_model()
        angle_model = (load_model_file(orientation_model_path, "--orientation-model")
                       if correct_orientation else None)
        pipeline = fast or build_pipeline(model, size, angle_model=angle_model, mode=mode,
                                          polarity=polarity, channels=channels)
        predictions, seen = _classify_photos(pipeline, names, photos, batch_size, top_k,
                                             failures)
        for prediction in predictions:
            prediction.tilt = tilts[prediction.file]
    _print_predictions(predictions, seen, output_format, top_k, save_inputs, out, err)
    return _print_failures(failures, len(files) + len(inputs) - len(usable), err)


# --------------------------------------------------------------------------- stages
def _check_arguments(output_format: str, top_k: int, correct_orientation: bool,
                     orientation_model_path: str | os.PathLike[str] | None,
                     save_inputs: str | os.PathLike[str] | None) -> None:
    if output_format not in FORMATS:
        raise ValueError(f"--format must be one of {FORMATS}; received {output_format!r}")
    if not isinstance(top_k, int) or not 1 <= top_k <= 10:
        raise ValueError(f"--top-k must be between 1 and 10; received {top_k!r}")
    if correct_orientation and orientation_model_path is None:
        raise ValueError(
            "--correct-orientation needs --orientation-model PATH.keras (an angle classifier)"
        )
    if save_inputs is not None:
        check_image_output(save_inputs, "--save-inputs")


def _open_model(model_path: str | os.PathLike[str] | None, correct_orientation: bool,
                size: int) -> tuple[OnnxReader | None, Any, int]:
    """`(fast, model, channels)`: the shipped reader in ONNX Runtime (or None), the model
    given (None until needed for the shipped one) and the channels of the photos it reads.

    The shipped reader runs from its ONNX export when ONNX Runtime is installed: the same
    network and preprocessing, without importing Keras (most of the time of a short run).
    Otherwise, and for any other model, Keras runs it.
    """
    fast = None
    if model_path is None and not correct_orientation and size == SHIPPED_ONNX_SIZE:
        fast = shipped_onnx_reader()
    if fast is None:
        from rotkeras.cli._terminal import start_backend_quietly

        start_backend_quietly()
    if fast is None and model_path is not None:
        model = load_model_file(model_path, "--model")
        return None, model, photo_channels(model)
    return fast, None, 3  # the shipped reader reads RGB photos


def _read_photos(files: Sequence[Path], channels: int, size: int, failures: Failures,
                 ) -> tuple[list[np.ndarray], list[str], dict[str, float]]:
    """The letterboxed photos that could be read, their names, and the angle by which
    each was turned within its frame (turned back level before letterboxing)."""
    photos, names, tilts = [], [], {}
    for file in files:
        try:
            # Large JPEGs are decoded at a reduced scale that still covers `size`.
            image = read_image(file, grayscale=channels == 1, min_size=size)
            image, tilts[str(file)] = straighten_turned_photo(image)
            boxed = letterbox(image, size, straighten=False)
            photos.append(boxed[..., None] if channels == 1 else boxed)
            names.append(str(file))
        except Exception as error:  # noqa: BLE001 - one bad file must not end the run
            failures.append((str(file), failure_reason(error)))
    return photos, names, tilts


def _classify_photos(pipeline: Any, names: list[str], photos: list[np.ndarray],
                     batch_size: int, top_k: int,
                     failures: Failures) -> tuple[list[Prediction], list[np.ndarray]]:
    """The predictions of the photos in which a digit was found, and the images seen."""
    predictions: list[Prediction] = []
    seen: list[np.ndarray] = []
    for start in range(0, len(photos), batch_size):
        batch = list(zip(names[start : start + batch_size],
                         photos[start : start + batch_size], strict=True))
        for name, result in _classify(pipeline, batch, failures):
            if not found_digit(result):
                # Any digit printed for it would be a guess.
                failures.append((name, "no digit found (the photo is blank after "
                                       "preprocessing: no ink with enough contrast)"))
                continue
            predictions.append(_prediction(name, result, top_k))
            seen.append(result["inputs"])
    return predictions, seen


def _print_predictions(predictions: list[Prediction], seen: list[np.ndarray],
                       output_format: str, top_k: int,
                       save_inputs: str | os.PathLike[str] | None, out: TextIO,
                       err: TextIO) -> None:
    """The predictions, the summary per label when every photo has one, the contact sheet."""
    labelled = bool(predictions) and all(
        re.fullmatch(r"[0-9]", Path(p.file).parent.name) for p in predictions
    )
    if labelled:
        for prediction in predictions:
            prediction.label = label_from_path(prediction.file)
    write_predictions(predictions, output_format, top_k, out, labelled=labelled)
    if labelled:
        summary = accuracy_summary(predictions)
        target = out if output_format == "table" else err
        if output_format == "table":
            print(file=target)
        print(format_summary(summary), file=target)
    if save_inputs is not None and seen:
        images = np.stack(seen)[..., 0]
        captions = [f"{Path(p.file).name} -> {p.digit}" for p in predictions]
        target_path = write_contact_sheet(save_inputs, images, captions)
        print(f"inputs saved to {target_path}", file=err if output_format != "table" else out)


def _print_failures(failures: Failures, total: int, err: TextIO) -> int:
    """Reports every failure on `err`; returns the exit status (1 if there was one)."""
    for name, reason in failures:
        print(f"rotkeras predict: error: {name}: {reason}", file=err)
    if failures:
        print(f"rotkeras predict: {len(failures)} of {total} file(s) could not be "
              "classified", file=err)
        return 1
    return 0


# --------------------------------------------------------------------------- running
def _default_model() -> Any:
    """The shipped digit reader (photos in, `[digits, orientation]` probabilities out)."""
    try:
        from rotkeras.models.digit_reader import digit_reader
    except ImportError as error:
        raise ValueError(
            f"the shipped digit reader is not available ({error}); pass --model MODEL.keras"
        ) from None
    return digit_reader()


def _classify(
    pipeline: Any, batch: list[tuple[str, np.ndarray]], failures: Failures
) -> list[tuple[str, dict[str, np.ndarray]]]:
    """Runs a batch; if it fails, each file alone, so that only the bad file is lost."""
    try:
        results = _run(pipeline, np.stack([photo for _, photo in batch]))
        return [(name, {k: v[i] for k, v in results.items()})
                for i, (name, _) in enumerate(batch)]
    except Exception as error:  # noqa: BLE001
        if len(batch) == 1:
            failures.append((batch[0][0], failure_reason(error)))
            return []
    done = []
    for item in batch:
        done.extend(_classify(pipeline, [item], failures))
    return done


def _run(pipeline: Any, photos: np.ndarray) -> dict[str, np.ndarray]:
    if isinstance(pipeline, OnnxReader):
        results = pipeline(photos)
    else:
        import keras

        # Eager calls: a few photos are classified without compiling the pipeline first.
        outputs = pipeline(photos, training=False)
        results = {k: np.asarray(keras.ops.convert_to_numpy(v)) for k, v in outputs.items()}
    for key in ("probabilities", "orientation"):
        if key in results and not np.all(np.isfinite(results[key])):
            raise ValueError(f"the model's {key} are not finite numbers (NaN or infinity)")
    return results


def _prediction(name: str, result: dict[str, np.ndarray], top_k: int) -> Prediction:
    probabilities = result["probabilities"].reshape(-1)
    order = np.argsort(-probabilities, kind="stable")[:top_k]
    digits = [(int(i), float(probabilities[i])) for i in order]
    orientation = None
    if "orientation" in result:
        turns = result["orientation"].reshape(-1)
        t = int(np.argmax(turns))
        orientation = (90 * t, float(turns[t]))
    return Prediction(name, digits, orientation)


def found_digit(result: dict[str, np.ndarray]) -> bool:
    """Whether a photo holds a digit: the digit reader's own rule, for every model.

    The shipped reader says "no digit" itself: its digit probabilities are all zero
    (`rotkeras.models.digit_found`), exactly when the 28x28 image its preprocessing made
    is blank. A classifier of 28x28 images always returns probabilities, so for it the
    same rule is applied to the image it was given.
    """
    from rotkeras._no_digit import has_digit  # the rule of rotkeras.models.digit_found

    return bool(has_digit(result["probabilities"])) and bool(np.any(result["inputs"] > 0))
