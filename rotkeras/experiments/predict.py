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
    `size x size` and turned into an MNIST-like 28x28 image by `HandwritingPreprocess`
    (unless the model starts with its own `HandwritingPreprocess` layer, which is then
    used). With `correct_orientation`, an angle classifier (`orientation_model_path`,
    28x28x1 input, softmax over `num_angles` rotation classes) predicts how each digit
    is turned and `OrientationCorrection` turns it upright before classification.

    Unreadable files are reported on `err` and skipped; the exit status is then 1
    (0 when every file was classified).
    """
    import keras

    from rotkeras.layers.handwriting_preprocess import HandwritingPreprocess
    from rotkeras.layers.orientation_correction import OrientationCorrection

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

    embedded = _embedded_preprocess(model)
    preprocess = embedded or HandwritingPreprocess(mode=mode, polarity=polarity)
    classifier = _rest_of_model(model) if embedded is not None else model
    rows: list[tuple[str, int, float]] = []
    seen: list[np.ndarray] = []
    for start in range(0, len(photos), batch_size):
        batch = np.stack(photos[start : start + batch_size])
        x = _to_numpy(preprocess(batch))
        if angle_model is not None:
            angle_probs = _to_numpy(angle_model(x, training=False))
            x = _to_numpy(OrientationCorrection(num_angles=angle_probs.shape[-1])([x, angle_probs]))
        probs = _to_numpy(classifier(x, training=False))
        seen.append(x)
        for name, p in zip(names[start : start + batch_size], probs, strict=True):
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


def _layers(model: Any) -> list[Any]:
    import keras

    return [
        layer for layer in getattr(model, "layers", [])
        if not isinstance(layer, keras.layers.InputLayer)
    ]


def _embedded_preprocess(model: Any) -> Any:
    from rotkeras.layers.handwriting_preprocess import HandwritingPreprocess

    layers = _layers(model)
    return layers[0] if layers and isinstance(layers[0], HandwritingPreprocess) else None


def _rest_of_model(model: Any) -> Any:
    """The layers after the leading `HandwritingPreprocess`, chained (a linear model)."""
    import keras

    return keras.Sequential(_layers(model)[1:])
