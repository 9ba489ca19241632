"""Every model on a folder of photos of handwritten digits, upright and turned.

The models are saved `.keras` files (`--models-dir DIR`, e.g. the `models/` folder of a
`rotkeras reproduce` run, and/or `--model PATH` for single files) plus, when
`rotkeras.models.digit_reader` is installed and its weights load, the shipped digit
reader. Each photo is read once and turned by 0, 90, -90 and 180 degrees *before*
preprocessing (as a camera would take it turned), then letterboxed and preprocessed like
`rotkeras predict` (`rotkeras.evaluation.evaluate_photos`, the code of `rotkeras
reproduce --photos`). With a `SOURCES.csv` (`file`, `kind` columns) in the folder the
accuracies are also given per kind (photo, scan, drawn on screen). With `--mnist PATH`
(default: `$ROTKERAS_MNIST` when set) the MNIST upright/rotated/combined accuracies of
the 28x28 classifiers go next to them.

Saved models whose first output is not 10 digit classes (e.g. the angle classifier of a
reproduce run) are skipped with a note.

Run::

    KERAS_BACKEND=tensorflow python -m benchmarks.photos PHOTOS_DIR \\
        --models-dir REPORT_DIR/models --mnist mnist.npz \\
        --out benchmarks/results/photos.json
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from benchmarks._common import machine

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "photos.json"


def find_models(models_dir: str | None, model_files: list[str]) -> dict[str, Path]:
    """The `.keras` files to measure, by name (the file's stem), sorted by name."""
    paths: list[Path] = [Path(p).expanduser() for p in model_files]
    if models_dir:
        folder = Path(models_dir).expanduser()
        if not folder.is_dir():
            raise FileNotFoundError(f"--models-dir: no such folder: {folder}")
        paths += sorted(folder.glob("*.keras"))
    found: dict[str, Path] = {}
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"model file not found: {path}")
        found[path.stem] = path
    return dict(sorted(found.items()))


def _digit_classes(model: Any) -> int | None:
    outputs = getattr(model, "outputs", None) or []
    if not outputs:
        return None
    first = outputs["probabilities"] if isinstance(outputs, dict) else outputs[0]
    return first.shape[-1]


def load_models(paths: dict[str, Path]) -> tuple[dict[str, Any], list[str]]:
    """Loads the digit classifiers among `paths`; notes say which were skipped and why."""
    import keras

    models: dict[str, Any] = {}
    notes: list[str] = []
    for name, path in paths.items():
        model = keras.saving.load_model(path)
        classes = _digit_classes(model)
        if classes != 10:
            notes.append(f"`{path.name}` skipped: its first output has {classes} classes, "
                         "not 10 digits.")
            continue
        models[name] = model
    return models, notes


def mnist_scores(models: dict[str, Any], mnist: str) -> dict[str, dict[str, float]]:
    """MNIST upright/rotated/combined accuracy of the 28x28 classifiers among `models`.

    A model that reads photos is scored through its 28x28 network when it has one by
    the digit reader's name (the shipped reader: the digits fed to it directly, as in
    its model card); other photo models are left out.
    """
    import numpy as np

    from rotkeras.evaluation import rotation_robustness
    from rotkeras.models import takes_photos

    with np.load(mnist) as npz:
        x_test, y_test = npz["x_test"], npz["y_test"]
    scores = {}
    for name, model in models.items():
        if takes_photos(model):
            from rotkeras.models.digit_reader import CORE_NAME

            if CORE_NAME not in {layer.name for layer in model.layers}:
                continue
            model = model.get_layer(CORE_NAME)
        scores[name] = rotation_robustness(model, x_test, y_test)
    return scores


def run(photos: str, models_dir: str | None = None, model_files: list[str] | None = None,
        reader: bool = True, mnist: str | None = None) -> dict[str, Any]:
    from rotkeras.evaluation import evaluate_photos, with_shipped_reader

    paths = find_models(models_dir, list(model_files or []))
    models, notes = load_models(paths)
    if reader:
        models, reader_notes = with_shipped_reader(models)
        notes += reader_notes
    if not models:
        raise ValueError("no model to measure: give --models-dir or --model "
                         "(the shipped digit reader is not available)")
    result = evaluate_photos(photos, models, None, notes=notes)
    result.pop("report_lines")
    return {
        "machine": machine(),
        "photos": str(photos),
        "models": {name: str(path) for name, path in paths.items() if name in models},
        "mnist": {"file": str(mnist), "scores": mnist_scores(models, mnist)} if mnist else None,
        "result": result,
    }


def to_markdown(output: dict[str, Any]) -> str:
    from rotkeras.evaluation import photo_report_lines

    mnist = (output.get("mnist") or {}).get("scores")
    return "\n".join(photo_report_lines(output["result"], mnist)) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", help="folder of labelled digit photos (folders 0-9)")
    parser.add_argument("--models-dir", default=None,
                        help="measure every .keras file in this folder")
    parser.add_argument("--model", action="append", default=[], metavar="PATH.keras",
                        help="a .keras model to measure (repeatable)")
    parser.add_argument("--no-reader", action="store_true",
                        help="leave out the shipped digit reader")
    parser.add_argument("--mnist", default=os.environ.get("ROTKERAS_MNIST") or None,
                        help="MNIST .npz for the MNIST columns (default: $ROTKERAS_MNIST)")
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="write the JSON results here (default: benchmarks/results/"
                             "photos.json); '-' for none")
    args = parser.parse_args(argv)
    output = run(args.photos, args.models_dir, args.model, not args.no_reader, args.mnist)
    if args.out != "-":
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(output, f, indent=2)
    print(to_markdown(output))


if __name__ == "__main__":
    main()
