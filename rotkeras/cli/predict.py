"""`rotkeras predict`: classifying photos of handwritten digits with a saved model."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from rotkeras.datasets.photos import letterbox, list_images, read_image, write_contact_sheet


def collect_files(inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Expands folders into their image files (recursively, sorted); keeps files as given."""
    files: list[Path] = []
    for item in inputs:
        path = Path(item).expanduser()
        files.extend(list_images(path) if path.is_dir() else [path])
    return files


def build_pipeline(
    model: Any,
    size: int,
    *,
    angle_model: Any = None,
    mode: str = "mnist",
    polarity: str = "auto",
) -> Any:
    """One functional model from letterboxed photos to class probabilities.

    `photos (size, size, 3) uint8 -> HandwritingPreprocess -> [OrientationCorrection] ->
    model`, with two outputs: `"probabilities"` and `"inputs"` (the 28x28 images the
    classifier saw). A `model` whose first layer is its own `HandwritingPreprocess` is
    called on the photos as it is, whatever its graph; its preprocessing layer also gives
    the `"inputs"`, and an orientation correction turns the photo itself upright (the
    letterboxed photo is square, so quarter turns are exact) before the model sees it.

    Args:
        model: The digit classifier (28x28x1 input, or led by `HandwritingPreprocess`).
        size: Side of the letterboxed photos.
        angle_model: Optional angle classifier on the 28x28x1 images (softmax over
            `num_angles` rotation classes).
        mode: `HandwritingPreprocess` mode, when the model has no preprocessing of its own.
        polarity: `HandwritingPreprocess` polarity, likewise.

    Returns:
        A `keras.Model` with a dict output `{"probabilities", "inputs"}`.
    """
    import keras

    from rotkeras.layers import HandwritingPreprocess, OrientationCorrection

    embedded = _embedded_preprocess(model)
    preprocess = embedded or HandwritingPreprocess(mode=mode, polarity=polarity)
    photos = keras.Input((size, size, 3), dtype="uint8", name="photos")
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
    if isinstance(outputs, dict):  # e.g. orientation_corrected(..., return_angle=True)
        outputs = outputs.get("probabilities", next(iter(outputs.values())))
    elif isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    probabilities = outputs
    return keras.Model(photos, {"probabilities": probabilities, "inputs": seen},
                       name="predict_pipeline")


def run_predict(
    inputs: Sequence[str | os.PathLike[str]],
    model_path: str | os.PathLike[str],
    *,
    correct_orientation: bool = False,
    orientation_model_path: str | os.PathLike[str] | None = None,
    save_inputs: str | os.PathLike[str] | None = None,
    mode: str = "mnist",
    polarity: str = "auto",
    size: int = 256,
    batch_size: int = 32,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Classifies photos and prints a table `file, digit, confidence`; returns an exit code.

    Every photo is read with `read_image` (EXIF orientation applied), letterboxed to
    `size x size` and run through `build_pipeline`: turned into an MNIST-like 28x28 image
    by `HandwritingPreprocess` (the model's own, when it starts with one) and, with
    `correct_orientation`, turned upright by `OrientationCorrection` from the prediction
    of an angle classifier (`orientation_model_path`, 28x28x1 input, softmax over
    `num_angles` rotation classes) before classification.

    Unreadable files are reported on `err` and skipped; the exit status is then 1
    (0 when every file was classified).

    Examples:
        >>> import io, tempfile
        >>> import cv2, numpy as np, rotkeras
        >>> from rotkeras.cli.predict import run_predict
        >>> folder = tempfile.mkdtemp()
        >>> rotkeras.models.mnist_cnn().save(f"{folder}/cnn.keras")  # untrained, for the example
        >>> _ = cv2.imwrite(f"{folder}/seven.png", np.full((64, 64, 3), 255, np.uint8))
        >>> table = io.StringIO()
        >>> run_predict([f"{folder}/seven.png"], f"{folder}/cnn.keras", out=table)
        0
        >>> table.getvalue().split()[:3]
        ['file', 'digit', 'confidence']
    """
    import keras

    out = out or sys.stdout
    err = err or sys.stderr
    if correct_orientation and orientation_model_path is None:
        raise ValueError(
            "--correct-orientation needs --orientation-model PATH.keras (an angle classifier)"
        )
    model_file = Path(model_path).expanduser()
    if not model_file.is_file():
        raise FileNotFoundError(f"Model file not found: {model_file}")
    model = keras.saving.load_model(model_file)
    angle_model = None
    if correct_orientation:
        angle_file = Path(orientation_model_path).expanduser()  # type: ignore[arg-type]
        if not angle_file.is_file():
            raise FileNotFoundError(f"Orientation model file not found: {angle_file}")
        angle_model = keras.saving.load_model(angle_file)

    files = collect_files(inputs)
    if not files:
        raise ValueError(f"No image files found in {[str(i) for i in inputs]}")
    failures = 0
    photos, names = [], []
    for file in files:
        try:
            photos.append(letterbox(read_image(file), size))
            names.append(str(file))
        except (OSError, ValueError) as error:
            failures += 1
            print(f"rotkeras predict: error: {error}", file=err)

    rows: list[tuple[str, int, float]] = []
    seen: list[np.ndarray] = []
    pipeline = build_pipeline(model, size, angle_model=angle_model, mode=mode,
                              polarity=polarity) if photos else None
    for start in range(0, len(photos), batch_size):
        # Eager calls: a few photos are classified without compiling the pipeline first.
        outputs = pipeline(np.stack(photos[start : start + batch_size]), training=False)
        seen.append(_to_numpy(outputs["inputs"]))
        for name, p in zip(names[start : start + batch_size], _to_numpy(outputs["probabilities"]),
                           strict=True):
            rows.append((name, int(np.argmax(p)), float(np.max(p))))

    if rows:
        width = max(len("file"), *(len(r[0]) for r in rows))
        print(f"{'file':<{width}}  digit  confidence", file=out)
        for name, digit, confidence in rows:
            print(f"{name:<{width}}  {digit:>5}  {confidence:>10.3f}", file=out)
    if save_inputs is not None and seen:
        images = np.concatenate(seen)[..., 0]
        captions = [f"{Path(n).name} -> {d}" for n, d, _ in rows]
        target = write_contact_sheet(save_inputs, images, captions)
        print(f"inputs saved to {target}", file=out)
    if failures:
        print(f"rotkeras predict: {failures} of {len(files)} file(s) could not be read", file=err)
        return 1
    return 0


def _to_numpy(x: Any) -> np.ndarray:
    import keras

    return np.asarray(keras.ops.convert_to_numpy(x))


def _embedded_preprocess(model: Any) -> Any:
    """The model's leading `HandwritingPreprocess` layer, or None."""
    import keras

    from rotkeras.layers import HandwritingPreprocess

    layers = [layer for layer in getattr(model, "layers", [])
              if not isinstance(layer, keras.layers.InputLayer)]
    return layers[0] if layers and isinstance(layers[0], HandwritingPreprocess) else None
