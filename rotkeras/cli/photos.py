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
    from rotkeras.evaluation import predict_classes

    images, labels, paths = load_image_folder(directory, return_paths=True)
    inputs = {mode: preprocess_photos(images, mode) for mode in PREPROCESSING}
    accuracy: dict[str, dict[str, float]] = {}
    for name, model in models.items():
        accuracy[name] = {}
        for mode, x in inputs.items():
            predicted = predict_classes(model, x, batch_size=256)
            accuracy[name][mode] = float(np.mean(predicted == labels))
    figure = _before_after_figure(images, inputs, labels, Path(figure_dir))
    lines = [
        f"{len(labels)} labelled photos from `{directory}`.",
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
        "files": [str(p) for p in paths],
        "figures": [figure] if figure else [],
        "report_lines": lines,
    }


def _before_after_figure(images: np.ndarray, inputs: dict[str, np.ndarray], labels: np.ndarray,
                         figure_dir: Path, count: int = 10) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    count = min(count, len(images))
    fig, axes = plt.subplots(3, count, figsize=(1.3 * count, 4.2), squeeze=False)
    rows = [("photo", images)] + [(mode, inputs[mode]) for mode in PREPROCESSING]
    for r, (title, batch) in enumerate(rows):
        for j in range(count):
            ax = axes[r, j]
            image = batch[j]
            ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(title, fontsize=8)
            if r == 0:
                ax.set_title(f"label {labels[j]}", fontsize=7)
    name = "photos_before_after.png"
    _io.save_atomically(figure_dir / name,
                        lambda p: fig.savefig(p, dpi=100, bbox_inches="tight"))
    plt.close(fig)
    return f"figures/{name}"
