"""Accuracy on photos of handwriting, upright and turned.

What `rotkeras reproduce --photos DIR` and `benchmarks/photos.py` measure. Every photo is
read once (EXIF orientation applied) and, for every turn, turned *before* any preprocessing,
as a camera held sideways or upside down would turn it (`np.rot90` on the raw image), then
letterboxed and preprocessed exactly like `rotkeras predict` does (`letterbox` to 256x256,
then `HandwritingPreprocess`, or the model's own preprocessing when it starts with one or
takes photos itself). A folder with a `SOURCES.csv` whose columns include `file` (the path
inside the folder) and `kind` gets its accuracies per kind too (e.g. `photo`, `scan`,
`drawn-on-screen`).
"""

from __future__ import annotations

import csv
import importlib
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import keras
import numpy as np

from rotkeras.datasets.photos import label_from_path, letterbox, list_images, read_image
from rotkeras.datasets.tutorial import PHOTO_SIZE, TUTORIAL_ANGLES
from rotkeras.evaluation._figures import before_after_figure, shown_photos
from rotkeras.evaluation.rotation import class_output
from rotkeras.layers.handwriting import HandwritingPreprocess
from rotkeras.models.photo_input import takes_photos

__all__ = [
    "evaluate_photos",
    "photo_report_lines",
    "preprocess_photos",
    "turned_mean",
    "with_shipped_reader",
]

PREPROCESSING = {
    "tutorial": "tutorial (grayscale, INTER_AREA resize to 28x28, /255, invert)",
    "mnist": "HandwritingPreprocess (MNIST-style: polarity, background, crop, 20-px box, centre)",
}
#: Turns of the photos, degrees counter-clockwise (`np.rot90` with `k = angle // 90`).
TURNS = (0, *TUTORIAL_ANGLES)
SOURCES_FILE = "SOURCES.csv"
READER = "shipped_reader"
READER_TITLE = "shipped digit reader (`rotkeras.models.digit_reader`)"


def preprocess_photos(images: np.ndarray, mode: str, batch_size: int = 64) -> np.ndarray:
    """Runs `HandwritingPreprocess(mode=mode)` over `images` in batches; returns NumPy.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.evaluation import preprocess_photos
        >>> photos = np.full((3, 64, 48, 3), 255, np.uint8)
        >>> photos[:, 10:50, 20:26] = 0  # a dark stroke on white paper
        >>> preprocess_photos(photos, "mnist", batch_size=2).shape
        (3, 28, 28, 1)
    """
    layer = HandwritingPreprocess(mode=mode)
    parts = [keras.ops.convert_to_numpy(layer(images[i : i + batch_size]))
             for i in range(0, len(images), batch_size)]
    return np.concatenate(parts)


def _predict(model: Any, x: np.ndarray) -> np.ndarray:
    # The arrays go in as they are (letterboxed uint8 photos for the reader), so not
    # through predict_classes, which scales integer images to [0, 1].
    return np.argmax(class_output(model.predict(x, batch_size=256, verbose=0)), axis=-1)


def load_shipped_reader() -> tuple[Any, str | None]:
    """The shipped digit reader, or `(None, why not)` when it is missing or does not load."""
    try:
        # Looked up at call time: an installation may lack the reader module.
        module = importlib.import_module("rotkeras.models.digit_reader")
    except ImportError as error:
        return None, (f"The shipped digit reader is not part of this installation "
                      f"({type(error).__name__}: {error}); no row for it.")
    try:
        return module.digit_reader(weights="shipped"), None
    except Exception as error:  # DamagedWeightsError or any other load failure
        return None, (f"The shipped digit reader did not load ({type(error).__name__}: "
                      f"{error}); no row for it.")


def with_shipped_reader(models: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`models` plus the shipped digit reader under `"shipped_reader"` when it loads.

    Returns:
        The models, and a list with the reason when the reader is missing (else empty).

    Examples:
        >>> from rotkeras.evaluation import with_shipped_reader
        >>> models, notes = with_shipped_reader({})
        >>> list(models), notes
        (['shipped_reader'], [])
    """
    reader, note = load_shipped_reader()
    models = dict(models)
    if reader is not None:
        models[READER] = reader
    return models, [note] if note else []


def read_kinds(directory: str | os.PathLike[str], paths: Sequence[str]) -> list[str] | None:
    """The kind of every photo from the folder's `SOURCES.csv`, or None without one.

    Photos the file does not list are of kind `"unlisted"`.
    """
    root = Path(directory).expanduser()
    sources = root / SOURCES_FILE
    if not sources.is_file():
        return None
    with open(sources, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    if not rows or "kind" not in rows[0] or "file" not in rows[0]:
        return None
    kinds = {Path(row["file"]).as_posix(): (row["kind"] or "unlisted").strip() for row in rows}
    return [kinds.get(Path(p).relative_to(root).as_posix(), "unlisted") for p in paths]


def _labelled_files(root: Path) -> tuple[list[Path], list[int]]:
    files, labels, unlabelled = [], [], []
    for file in list_images(root):
        label = label_from_path(file, root)
        if label is None:
            unlabelled.append(file)
        else:
            files.append(file)
            labels.append(label)
    if unlabelled:
        warnings.warn(f"Skipped {len(unlabelled)} image(s) without a label, e.g. "
                      f"{unlabelled[0]}", UserWarning, stacklevel=3)
    if not files:
        raise ValueError(
            f"No labelled images found in {root} (put photos in folders named 0-9 or start "
            "their names with the digit, e.g. 7_photo.jpg)"
        )
    return files, labels


def _turn_key(turn: int) -> str:
    return str(int(turn))


def evaluate_photos(
    directory: str | os.PathLike[str],
    models: Mapping[str, Any],
    figure_dir: str | os.PathLike[str] | None = None,
    *,
    turns: Sequence[int] = TURNS,
    size: int = PHOTO_SIZE,
    chunk: int = 64,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """Accuracy of every model on a folder of labelled photos, upright and turned.

    Args:
        directory: Photos in folders `0`..`9` (see `rotkeras.datasets.load_image_folder`),
            optionally with a `SOURCES.csv` (`file`, `kind` columns).
        models: Classifiers by name: of 28x28x1 images (fed `HandwritingPreprocess`'s
            output) or of photos (see `rotkeras.models.takes_photos`; fed the letterboxed
            photos).
        figure_dir: Where the before/after figure goes (None: no figure).
        turns: Turns in degrees counter-clockwise, multiples of 90; 0 must be one.
        size: Letterbox size (that of `rotkeras predict`).
        chunk: Photos read and preprocessed at a time (bounds the memory).
        notes: Lines added to the result's notes (e.g. why a model is missing).

    Returns:
        A JSON-ready dict: `count`, `files`, `labels`, `kinds` (per photo, or None),
        `turns`, `accuracy` (upright photos, per preprocessing: `tutorial` and `mnist`,
        the former for 28x28 classifiers only), `turned` (`{model: {group: {turn:
        accuracy}}}` with group `all` and one per kind), `predictions`, `notes`,
        `figures` and `report_lines`.

    Examples:
        >>> import tempfile
        >>> from pathlib import Path
        >>> import cv2, numpy as np, rotkeras
        >>> from rotkeras.evaluation import evaluate_photos
        >>> folder = Path(tempfile.mkdtemp())
        >>> (folder / "1").mkdir()
        >>> photo = np.full((64, 64, 3), 255, np.uint8)
        >>> photo[12:52, 30:34] = 0  # a dark stroke on white paper
        >>> _ = cv2.imwrite(str(folder / "1" / "one.png"), photo)
        >>> result = evaluate_photos(folder, {"cnn": rotkeras.models.mnist_cnn()})  # untrained
        >>> result["count"], sorted(result["turned"]["cnn"]["all"])
        (1, ['-90', '0', '180', '90'])
    """
    turns = [int(t) for t in turns]
    if 0 not in turns or any(t % 90 for t in turns):
        raise ValueError(f"`turns` must be multiples of 90 including 0; received {turns}")
    root = Path(directory).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"Image folder not found: {root}")
    files, labels_list = _labelled_files(root)
    labels = np.asarray(labels_list, np.int64)
    shown = shown_photos(labels, 5)
    photos = _read_turned_photos(files, models, turns, size, chunk, shown)
    accuracy, predicted, tutorial_predicted = _predict_photos(models, photos, labels, turns)
    kinds = read_kinds(root, [str(f) for f in files])
    groups = _kind_groups(kinds, len(labels))
    turned = {
        name: {group: {_turn_key(t): float(np.mean(predicted[name][t][mask] == labels[mask]))
                       for t in turns}
               for group, mask in groups.items()}
        for name in models
    }
    figure = None
    if figure_dir is not None and shown:
        figure = before_after_figure(
            np.stack([photos.shown[i] for i in shown]),
            {"tutorial": photos.tutorial[shown], "mnist": photos.inputs[0][shown]},
            labels[shown],
            {"tutorial": {name: p[shown] for name, p in tutorial_predicted.items()},
             "mnist": {name: np.asarray(predicted[name][0])[shown] for name in models}},
            Path(figure_dir),
        )
    result = {
        "directory": str(directory),
        "count": len(labels),
        "files": [str(p) for p in files],
        "labels": labels.tolist(),
        "kinds": kinds,
        "group_sizes": {group: int(mask.sum()) for group, mask in groups.items()},
        "turns": turns,
        "accuracy": accuracy,
        "turned": turned,
        "predictions": {name: {_turn_key(t): predicted[name][t].tolist() for t in turns}
                        for name in models},
        "notes": list(notes),
        "figures": [figure] if figure else [],
    }
    result["report_lines"] = photo_report_lines(result)
    return result


class _TurnedPhotos(NamedTuple):
    """The photos of `evaluate_photos`, read once and turned by every turn."""

    inputs: dict[int, np.ndarray]  # turn -> HandwritingPreprocess output, (N, 28, 28, 1)
    tutorial: np.ndarray  # the tutorial's preprocessing of the upright photos
    photo_predictions: dict[str, dict[int, np.ndarray]]  # models of photos: turn -> classes
    shown: dict[int, np.ndarray]  # index -> letterboxed upright photo, for the figure


def _read_turned_photos(
    files: Sequence[Path],
    models: Mapping[str, Any],
    turns: Sequence[int],
    size: int,
    chunk: int,
    shown: Sequence[int],
) -> _TurnedPhotos:
    """Reads `chunk` photos at a time, turns and letterboxes each, and preprocesses them.

    Models that take photos themselves predict on the letterboxed photos here, chunk by
    chunk, so that no more than `chunk` raw photos are in memory at once.
    """
    photo_models = [name for name, model in models.items() if takes_photos(model)]
    x28: dict[int, list[np.ndarray]] = {t: [] for t in turns}
    tutorial: list[np.ndarray] = []
    predicted: dict[str, dict[int, list[np.ndarray]]] = {
        name: {t: [] for t in turns} for name in photo_models}
    shown_photos: dict[int, np.ndarray] = {}
    for start in range(0, len(files), chunk):
        raws = [read_image(f) for f in files[start : start + chunk]]
        for turn in turns:
            boxed = np.stack([letterbox(np.ascontiguousarray(np.rot90(raw, (turn // 90) % 4)),
                                        size) for raw in raws])
            x28[turn].append(preprocess_photos(boxed, "mnist"))
            if turn == 0:
                tutorial.append(preprocess_photos(boxed, "tutorial"))
                for index in shown:
                    if start <= index < start + len(raws):
                        shown_photos[index] = boxed[index - start]
            for name in photo_models:
                predicted[name][turn].append(_predict(models[name], boxed))
        del raws
    return _TurnedPhotos(
        inputs={t: np.concatenate(parts) for t, parts in x28.items()},
        tutorial=np.concatenate(tutorial),
        photo_predictions={name: {t: np.concatenate(parts) for t, parts in by_turn.items()}
                           for name, by_turn in predicted.items()},
        shown=shown_photos,
    )


def _predict_photos(
    models: Mapping[str, Any], photos: _TurnedPhotos, labels: np.ndarray, turns: Sequence[int]
) -> tuple[dict[str, dict[str, float | None]], dict[str, dict[int, np.ndarray]],
           dict[str, np.ndarray]]:
    """Every model's classes per turn, its upright accuracies, and the tutorial's classes.

    Returns:
        `(accuracy, predicted, tutorial_predicted)`: `{model: {"tutorial", "mnist"}}`
        accuracies of the upright photos (`"tutorial"` None for models of photos),
        `{model: {turn: classes}}`, and `{model: classes}` on the tutorial's preprocessing
        (28x28 models only).
    """
    accuracy: dict[str, dict[str, float | None]] = {}
    predicted: dict[str, dict[int, np.ndarray]] = {}
    tutorial_predicted: dict[str, np.ndarray] = {}
    for name, model in models.items():
        if name in photos.photo_predictions:
            classes = photos.photo_predictions[name]
            accuracy[name] = {"tutorial": None}
        else:
            classes = {t: _predict(model, photos.inputs[t]) for t in turns}
            tutorial_predicted[name] = _predict(model, photos.tutorial)
            accuracy[name] = {
                "tutorial": float(np.mean(tutorial_predicted[name] == labels))}
        accuracy[name]["mnist"] = float(np.mean(classes[0] == labels))
        predicted[name] = classes
    return accuracy, predicted, tutorial_predicted


def _kind_groups(kinds: list[str] | None, count: int) -> dict[str, np.ndarray]:
    """Masks of the photos per group: `"all"`, then one per kind (sorted) when there are kinds."""
    groups = {"all": np.ones(count, bool)}
    if kinds is not None:
        for kind in sorted(set(kinds)):
            groups[kind] = np.asarray([k == kind for k in kinds])
    return groups


def percent(value: float | None) -> str:
    """`0.98765` -> `'98.77%'`; None -> a dash: how rotkeras reports an accuracy."""
    return "—" if value is None else f"{100 * value:.2f}%"


def turned_mean(scores: Mapping[str, float], turns: Sequence[int]) -> float | None:
    """Mean accuracy over the turns other than 0 (keys as in `evaluate_photos`' result).

    Examples:
        >>> from rotkeras.evaluation import turned_mean
        >>> turned_mean({"0": 1.0, "90": 0.5, "180": 0.25, "-90": 0.75}, (0, 90, -90, 180))
        0.5
    """
    values = [scores[_turn_key(t)] for t in turns if t != 0]
    return float(np.mean(values)) if values else None


def photo_report_lines(
    result: Mapping[str, Any],
    mnist: Mapping[str, Mapping[str, float]] | None = None,
    titles: Mapping[str, str] | None = None,
) -> list[str]:
    """Markdown tables of `evaluate_photos`'s result.

    Args:
        result: What `evaluate_photos` returned.
        mnist: MNIST `{"upright", "combined"}` accuracies per model, for the columns next
            to the photos' (models without them get dashes).
        titles: Row titles per model name (default: the name).

    Returns:
        Markdown lines: one table over every photo (MNIST, the two preprocessings of
        upright photos, each turn), then one per kind when the folder has kinds.

    Examples:
        >>> from rotkeras.evaluation import photo_report_lines
        >>> result = {"count": 2, "turns": [0, 180], "accuracy": {"cnn": {"mnist": 0.5}},
        ...           "turned": {"cnn": {"all": {"0": 0.5, "180": 0.0}}}}
        >>> photo_report_lines(result)[-1]
        '| cnn | — | 50.00% | 0.00% | 0.00% |'
    """
    titles = dict(titles or {})
    titles.setdefault(READER, READER_TITLE)
    mnist = mnist or {}
    turns = [int(t) for t in result["turns"]]
    turned_turns = [t for t in turns if t != 0]
    sizes = result.get("group_sizes", {"all": result["count"]})
    lines = [
        f"{result['count']} labelled photos from `{result.get('directory', '')}`, each read "
        "once and turned before preprocessing (as a camera held sideways or upside down "
        f"would take it) by {', '.join(f'{t}' for t in turns)} degrees (counter-clockwise), "
        "then letterboxed and preprocessed like `rotkeras predict` does: "
        "`HandwritingPreprocess` (the reader: its own). *Turned* is the mean over the "
        f"{', '.join(str(t) for t in turned_turns)}-degree turns, as MNIST's rotated set. "
        "The tutorial's preprocessing is measured on the upright photos only.",
        "",
    ]
    header = ["model"]
    if mnist:
        header += ["MNIST upright", "MNIST combined"]
    header += ["tutorial preprocessing"]
    header += [f"photos {t}°" for t in turns] + (["photos turned"] if turned_turns else [])
    lines += ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for name, groups in result["turned"].items():
        scores = groups["all"]
        row = [titles.get(name, name)]
        if mnist:
            m = mnist.get(name, {})
            row += [percent(m.get("upright")), percent(m.get("combined"))]
        row.append(percent(result["accuracy"][name].get("tutorial")))
        row += [percent(scores[_turn_key(t)]) for t in turns]
        if turned_turns:
            row.append(percent(turned_mean(scores, turns)))
        lines.append("| " + " | ".join(row) + " |")
    kinds = [g for g in next(iter(result["turned"].values()), {}) if g != "all"]
    if kinds:
        lines += ["", "Per kind of image (`SOURCES.csv`), HandwritingPreprocess:", ""]
        header = ["model"]
        for kind in kinds:
            header += [f"{kind} ({sizes.get(kind, '?')}) upright"]
            if turned_turns:
                header += [f"{kind} turned"]
        lines += ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
        for name, groups in result["turned"].items():
            row = [titles.get(name, name)]
            for kind in kinds:
                row.append(percent(groups[kind][_turn_key(0)]))
                if turned_turns:
                    row.append(percent(turned_mean(groups[kind], turns)))
            lines.append("| " + " | ".join(row) + " |")
    for note in result.get("notes", []):
        lines += ["", note]
    for figure in result.get("figures", []):
        lines += ["", f"![photos]({figure})"]
    return lines
