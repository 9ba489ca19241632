"""The models of `rotkeras predict`: loading them, and the pipeline from photos to digits.

`build_pipeline` puts a classifier (or a reader of photos) behind the preprocessing of
photos; `shipped_onnx_reader` runs the shipped reader's ONNX export without Keras when
ONNX Runtime is installed.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from rotkeras.cli import _preflight
from rotkeras.cli._predict_output import failure_reason
from rotkeras.datasets.tutorial import PHOTO_SIZE

NUM_ORIENTATIONS = 4  # a second output of 4 probabilities: turned by 0/90/180/270 degrees
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


def load_model_file(path: str | os.PathLike[str], option: str) -> Any:
    """Loads a `.keras` model, with a clear message for a missing or a non-model file."""
    import keras

    file = _preflight.input_file(path, option)
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


def photo_channels(model: Any) -> int:
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
