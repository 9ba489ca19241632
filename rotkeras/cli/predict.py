"""`rotkeras predict`: classifying photos of handwritten digits with a saved model.

Bad input never costs a good file its result: every file is read, preprocessed and
classified on its own terms (a batch that fails is retried file by file), every failure is
reported on stderr with its reason, and the exit status is 1 at the end. What the command
will write (`--save-inputs`) is checked before any work starts.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from rotkeras.cli import _preflight
from rotkeras.datasets.photos import (
    collect_files,
    label_from_path,
    letterbox,
    read_image,
    write_contact_sheet,
)
from rotkeras.datasets.tutorial import PHOTO_SIZE

FORMATS = ("table", "csv", "json")
NUM_ORIENTATIONS = 4  # a second output of 4 probabilities: turned by 0/90/180/270 degrees


@dataclass
class Prediction:
    """The result of one file: the top-k digits, and the orientation when the model gives one."""

    file: str
    digits: list[tuple[int, float]]
    orientation: tuple[int, float] | None = None
    label: int | None = None

    @property
    def digit(self) -> int:
        return self.digits[0][0]

    @property
    def confidence(self) -> float:
        return self.digits[0][1]


def build_pipeline(
    model: Any,
    size: int,
    *,
    angle_model: Any = None,
    mode: str = "mnist",
    polarity: str = "auto",
    channels: int = 3,
) -> Any:
    """One functional model from letterboxed photos to class probabilities.

    `photos (size, size, channels) uint8 -> HandwritingPreprocess -> [OrientationCorrection]
    -> model`, with the outputs `"probabilities"`, `"inputs"` (the 28x28 images the
    classifier saw) and, when the model has a second output of 4 probabilities (the
    orientation of the photo: turned by 0, 90, 180 or 270 degrees counter-clockwise),
    `"orientation"`. A `model` that holds its own `HandwritingPreprocess` (a reader of
    photos) is called on the photos as it is, whatever its graph; its preprocessing layer
    also gives the `"inputs"`, and an orientation correction turns the photo itself
    upright (the letterboxed photo is square, so quarter turns are exact) before the
    model sees it.

    Args:
        model: The digit classifier (28x28x1 input, or a reader of photos holding a
            `HandwritingPreprocess`).
        size: Side of the letterboxed photos.
        angle_model: Optional angle classifier on the 28x28x1 images (softmax over
            `num_angles` rotation classes).
        mode: `HandwritingPreprocess` mode, when the model has no preprocessing of its own.
        polarity: `HandwritingPreprocess` polarity, likewise.
        channels: Channels of the photos (3 = RGB, 1 = grayscale).

    Returns:
        A `keras.Model` with a dict output `{"probabilities", "inputs"[, "orientation"]}`.
    """
    import keras

    from rotkeras.layers import HandwritingPreprocess, OrientationCorrection
    from rotkeras.models.photo_input import embedded_preprocess

    embedded = embedded_preprocess(model)
    preprocess = embedded or HandwritingPreprocess(mode=mode, polarity=polarity)
    photos = keras.Input((size, size, channels), dtype="uint8", name="photos")
    seen = preprocess(photos)
    upright_photos = photos
    if angle_model is not None:
        angle_probabilities = angle_model(seen)
        correction = OrientationCorrection(num_angles=angle_probabilities.shape[-1])
        if embedded is None:
            seen = correction([seen, angle_probabilities])
        else:
            upright_photos = correction([photos, angle_probabilities])
            seen = preprocess(upright_photos)
    outputs = model(upright_photos) if embedded is not None else model(seen)
    orientation = None
    if isinstance(outputs, dict):  # e.g. orientation_corrected(..., return_angle=True)
        values = list(outputs.values())
        probabilities = outputs.get("probabilities", values[0])
        orientation = outputs.get("orientation")
    elif isinstance(outputs, (list, tuple)):
        probabilities = outputs[0]
        if len(outputs) > 1:
            orientation = outputs[1]
    else:
        probabilities = outputs
    result = {"probabilities": probabilities, "inputs": seen}
    if orientation is not None and tuple(orientation.shape[1:]) == (NUM_ORIENTATIONS,):
        result["orientation"] = orientation
    return keras.Model(photos, result, name="predict_pipeline")


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
    degrees counter-clockwise and `orientation_confidence` when the model reports the
    photo's orientation, and `label` when the photo's folder is named `0`..`9`). With
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
    # Missing paths and folders without images are reported, the others classified.
    usable, failures = _preflight.prediction_inputs(inputs)
    files = collect_files(usable)
    if not files:
        raise ValueError(f"No image files found in {[str(i) for i in inputs]}")
    for option, path in (("--model", model_path), ("--orientation-model", orientation_model_path)):
        if path is not None and not Path(path).expanduser().exists():
            raise FileNotFoundError(f"{option}: model file not found: {Path(path).expanduser()}")

    # The shipped reader runs from its ONNX export when ONNX Runtime is installed: the
    # same network and preprocessing, without importing Keras (most of the time of a
    # short run). Otherwise, and for any other model, Keras runs it.
    fast = None
    if model_path is None and not correct_orientation and size == SHIPPED_ONNX_SIZE:
        fast = shipped_onnx_reader()
    if fast is None:
        from rotkeras.cli._terminal import start_backend_quietly

        start_backend_quietly()
    model = angle_model = None
    channels = 3  # the shipped reader reads RGB photos; another model decides
    if fast is None and model_path is not None:
        model = load_model_file(model_path, "--model")
        channels = _photo_channels(model)

    photos, names = [], []
    for file in files:
        try:
            # Large JPEGs are decoded at a reduced scale that still covers `size`.
            image = read_image(file, grayscale=channels == 1, min_size=size)
            boxed = letterbox(image, size)
            photos.append(boxed[..., None] if channels == 1 else boxed)
            names.append(str(file))
        except Exception as error:  # noqa: BLE001 - one bad file must not end the run
            failures.append((str(file), failure_reason(error)))

    predictions: list[Prediction] = []
    seen: list[np.ndarray] = []
    if photos:
        # Keras loads only now, and only when there is a photo to classify.
        if fast is None and model is None:
            model = _default_model()
        if correct_orientation:
            angle_model = load_model_file(orientation_model_path, "--orientation-model")
        pipeline = fast or build_pipeline(model, size, angle_model=angle_model, mode=mode,
                                          polarity=polarity, channels=channels)
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
    for name, reason in failures:
        print(f"rotkeras predict: error: {name}: {reason}", file=err)
    if failures:
        print(f"rotkeras predict: {len(failures)} of {len(files) + len(inputs) - len(usable)} "
              "file(s) could not be "
              "classified", file=err)
        return 1
    return 0


# --------------------------------------------------------------------------- models
#: Photo size of the shipped reader's ONNX export (`rotkeras predict`'s default `--size`).
SHIPPED_ONNX_SIZE = PHOTO_SIZE
SHIPPED_ONNX_FILE = f"digit_reader_{SHIPPED_ONNX_SIZE}.onnx"
#: Set to "keras" to run the shipped reader in Keras even when ONNX Runtime is installed.
RUNTIME_ENV_VAR = "ROTKERAS_PREDICT_RUNTIME"


class OnnxReader:
    """The shipped reader's ONNX export in ONNX Runtime: letterboxed uint8 photos in.

    Called on `(N, 256, 256, 3)` uint8 photos, returns `{"probabilities", "orientation",
    "inputs"}` as `build_pipeline`'s model does.
    """

    def __init__(self, path: Path) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # One thread: a photo takes a few hundredths of a second, and threads that wait
        # for each other would burn CPU time that other jobs (or other photos) need.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"]
        )
        self.input_name = self.session.get_inputs()[0].name

    def __call__(self, photos: np.ndarray) -> dict[str, np.ndarray]:
        digits, orientation, seen = self.session.run(
            None, {self.input_name: np.ascontiguousarray(photos, np.uint8)}
        )
        return {"probabilities": digits, "orientation": orientation, "inputs": seen}


def shipped_onnx_reader() -> OnnxReader | None:
    """The shipped reader in ONNX Runtime, or None (runtime missing, or Keras asked for).

    The file's checksum is checked like the shipped weights' (a damaged file raises
    `DamagedWeightsError`).
    """
    if os.environ.get(RUNTIME_ENV_VAR, "").strip().lower() == "keras":
        return None
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return None
    from rotkeras._shipped import verified_path

    return OnnxReader(verified_path(SHIPPED_ONNX_FILE))


def _default_model() -> Any:
    """The shipped digit reader (photos in, `[digits, orientation]` probabilities out)."""
    try:
        from rotkeras.models.digit_reader import digit_reader
    except ImportError as error:
        raise ValueError(
            f"the shipped digit reader is not available ({error}); pass --model MODEL.keras"
        ) from None
    return digit_reader()


def load_model_file(path: str | os.PathLike[str], option: str) -> Any:
    """Loads a `.keras` model, with a clear message for a missing or a non-model file."""
    import keras

    file = Path(path).expanduser()
    if not file.exists():
        raise FileNotFoundError(f"{option}: model file not found: {file}")
    if file.is_dir():
        raise ValueError(f"{option}: expected a .keras model file, got a folder: {file}")
    expected = "expected a .keras file written by model.save()"
    if file.suffix == ".keras" and not zipfile.is_zipfile(file):
        # Keras itself would say "File not found" for an existing file of another kind.
        raise ValueError(f"{option}: {file} is not a Keras model ({expected}; this file is "
                         "not a .keras archive)")
    try:
        return keras.saving.load_model(file)
    except Exception as error:  # noqa: BLE001 - any failure means "not a model we can load"
        raise ValueError(
            f"{option}: {file} is not a Keras model that rotkeras can load ({expected}): "
            f"{failure_reason(error)}"
        ) from None


def _photo_channels(model: Any) -> int:
    """1 for a reader of grayscale photos (input with one channel), else 3 (RGB)."""
    from rotkeras.models.photo_input import embedded_preprocess

    if embedded_preprocess(model) is None:
        return 3
    shape = getattr(model, "inputs", None)
    try:
        last = shape[0].shape[-1] if shape else None
    except (AttributeError, IndexError, TypeError):
        last = None
    return 1 if last == 1 else 3


# --------------------------------------------------------------------------- running
def _classify(
    pipeline: Any, batch: list[tuple[str, np.ndarray]], failures: list[tuple[str, str]]
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


def failure_reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    message = text[0] if text else ""
    if isinstance(error, (FileNotFoundError, ValueError)) and message:
        return message
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


# --------------------------------------------------------------------------- outputs
def check_image_output(path: str | os.PathLike[str], option: str) -> Path:
    """Checks, before any work, that an image can be written at `path` (format, folder)."""
    import cv2

    target = Path(path).expanduser()
    if target.is_dir():
        raise ValueError(f"{option}: {target} is a folder; give an image file name (.png)")
    if not target.suffix or not cv2.haveImageWriter(str(target)):
        raise ValueError(
            f"{option}: cannot write images of type {target.suffix or '(no extension)'!r} "
            f"({target}); use .png or .jpg"
        )
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ValueError(f"{option}: cannot create {target} (folder {parent} is not writable)")
    return target


def _columns(top_k: int, orientation: bool, labelled: bool) -> list[str]:
    columns = ["file", "digit", "confidence"]
    if orientation:
        columns += ["orientation", "orientation_confidence"]
    for rank in range(2, top_k + 1):
        columns += [f"digit_{rank}", f"confidence_{rank}"]
    if labelled:
        columns.append("label")
    return columns


def _row(p: Prediction, top_k: int, orientation: bool, labelled: bool) -> list[Any]:
    row: list[Any] = [p.file, p.digit, p.confidence]
    if orientation:
        row += list(p.orientation) if p.orientation else ["", ""]
    for rank in range(1, top_k):
        row += list(p.digits[rank]) if rank < len(p.digits) else ["", ""]
    if labelled:
        row.append(p.label)
    return row


def write_predictions(
    predictions: Sequence[Prediction], output_format: str, top_k: int, out: TextIO,
    *, labelled: bool = False,
) -> None:
    """Writes the predictions as a table, CSV or a JSON list (see `run_predict`)."""
    orientation = any(p.orientation is not None for p in predictions)
    if output_format == "json":
        items = []
        for p in predictions:
            item: dict[str, Any] = {"file": p.file, "digit": p.digit,
                                    "confidence": round(p.confidence, 6)}
            if p.orientation is not None:
                item["orientation"] = p.orientation[0]
                item["orientation_confidence"] = round(p.orientation[1], 6)
            item["top_k"] = [{"digit": d, "probability": round(c, 6)} for d, c in p.digits]
            if labelled:
                item["label"] = p.label
            items.append(item)
        print(json.dumps(items, indent=2), file=out)
        return
    columns = _columns(top_k, orientation, labelled)
    rows = [_row(p, top_k, orientation, labelled) for p in predictions]
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([f"{v:.6f}" if isinstance(v, float) else v for v in row])
        out.write(buffer.getvalue())
        return
    if not rows:
        return
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                    for i, c in enumerate(columns)).rstrip(), file=out)
    for row in cells:
        print("  ".join(v.ljust(widths[0]) if i == 0 else v.rjust(widths[i])
                        for i, v in enumerate(row)).rstrip(), file=out)


def accuracy_summary(predictions: Sequence[Prediction]) -> dict[str, Any]:
    """Per-label counts and accuracy of labelled predictions, plus the total."""
    per_label: dict[int, list[int]] = {}
    for p in predictions:
        if p.label is None:
            continue
        counts = per_label.setdefault(p.label, [0, 0])
        counts[0] += 1
        counts[1] += int(p.digit == p.label)
    total = sum(c[0] for c in per_label.values())
    correct = sum(c[1] for c in per_label.values())
    return {
        "per_label": {
            label: {"files": n, "correct": k, "accuracy": k / n}
            for label, (n, k) in sorted(per_label.items())
        },
        "files": total,
        "correct": correct,
        "accuracy": correct / total if total else 0.0,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The summary of `accuracy_summary` as a small table."""
    lines = ["label  files  correct  accuracy"]
    for label, item in summary["per_label"].items():
        lines.append(f"{label:>5}  {item['files']:>5}  {item['correct']:>7}  "
                     f"{item['accuracy']:>8.1%}")
    lines.append(f"{'all':>5}  {summary['files']:>5}  {summary['correct']:>7}  "
                 f"{summary['accuracy']:>8.1%}")
    return "\n".join(lines)
