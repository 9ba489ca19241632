"""The handwriting experiment of `rotkeras reproduce --photos DIR` (internal)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from rotkeras.cli import _io

PREPROCESSING = {
    "tutorial": "tutorial (grayscale, INTER_AREA resize to 28x28, /255, invert)",
    "mnist": "HandwritingPreprocess (MNIST-style: polarity, background, crop, 20-px box, centre)",
}


def preprocess_photos(images: np.ndarray, mode: str, batch_size: int = 64) -> np.ndarray:
    """Runs `HandwritingPreprocess(mode=mode)` over `images` in batches; returns NumPy."""
    import keras

    from rotkeras.layers import HandwritingPreprocess

    layer = HandwritingPreprocess(mode=mode)
    parts = [keras.ops.convert_to_numpy(layer(images[i : i + batch_size]))
             for i in range(0, len(images), batch_size)]
    return np.concatenate(parts)


def evaluate_photos(
    directory: str | os.PathLike[str],
    models: dict[str, Any],
    figure_dir: str | os.PathLike[str],
) -> dict[str, Any]:
    """Accuracy of every model on a folder of labelled photos, for both preprocessings."""
    from rotkeras.datasets import load_image_folder

    images, labels, paths = load_image_folder(directory, return_paths=True)
    inputs = {mode: preprocess_photos(images, mode) for mode in PREPROCESSING}
    accuracy: dict[str, dict[str, float]] = {}
    predictions: dict[str, dict[str, np.ndarray]] = {mode: {} for mode in PREPROCESSING}
    for name, model in models.items():
        accuracy[name] = {}
        for mode, x in inputs.items():
            predicted = np.argmax(model.predict(x, batch_size=256, verbose=0), axis=-1)
            predictions[mode][name] = predicted
            accuracy[name][mode] = float(np.mean(predicted == labels))
    figure = _before_after_figure(images, inputs, labels, predictions, Path(figure_dir))
    lines = [
        f"{len(labels)} labelled photos from the folder `{Path(directory).name}`.",
        "",
        "| model | " + " | ".join(PREPROCESSING[m] for m in PREPROCESSING) + " |",
        "|---|" + "---:|" * len(PREPROCESSING),
    ]
    for name, scores in accuracy.items():
        lines.append(f"| {name} | " + " | ".join(f"{100 * scores[m]:.2f}%" for m in scores) + " |")
    if figure:
        lines += ["", f"![photos]({figure})"]
    return {
        "count": len(labels),
        "accuracy": accuracy,
        "files": [Path(p).relative_to(directory).as_posix() for p in paths],
        "figures": [figure] if figure else [],
        "report_lines": lines,
    }


def _shown_photos(labels: np.ndarray, count: int) -> list[int]:
    """Indices of up to `count` photos, one per digit first (0, 1, 2, ...), then the rest."""
    first = [int(np.flatnonzero(labels == d)[0]) for d in np.unique(labels)]
    rest = [i for i in range(len(labels)) if i not in first]
    return sorted((first + rest)[:count], key=lambda i: (labels[i], i))


def _before_after_figure(images: np.ndarray, inputs: dict[str, np.ndarray], labels: np.ndarray,
                         predictions: dict[str, dict[str, np.ndarray]], figure_dir: Path,
                         count: int = 5) -> str | None:
    """Photos of several digits, what each preprocessing makes of them, each model's answer."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    from rotkeras.cli.phases import FIGURE_FONT_SIZE, prediction_labels, prediction_legend

    shown = _shown_photos(np.asarray(labels), min(count, len(images)))
    titles = {"tutorial": "tutorial's\npreprocessing", "mnist": "Handwriting-\nPreprocess"}
    fig, axes = plt.subplots(3, len(shown), figsize=(1.8 * len(shown), 7.4), squeeze=False,
                             gridspec_kw={"hspace": 0.75, "wspace": 0.95})
    rows = [("photo", images, None)] + [
        (titles.get(mode, mode), inputs[mode], predictions[mode]) for mode in PREPROCESSING]
    for r, (title, batch, predicted) in enumerate(rows):
        for j, index in enumerate(shown):
            ax = axes[r, j]
            image = batch[index]
            ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(title, fontsize=FIGURE_FONT_SIZE)
            if predicted is None:
                ax.set_title(f"a {labels[index]}", fontsize=FIGURE_FONT_SIZE + 1)
            else:
                prediction_labels(ax, {name: int(p[index]) for name, p in predicted.items()},
                                  int(labels[index]))
    prediction_legend(fig)
    name = "photos_before_after.png"
    _io.save_atomically(figure_dir / name,
                        lambda p: fig.savefig(p, dpi=110, bbox_inches="tight"))
    plt.close(fig)
    return f"figures/{name}"
