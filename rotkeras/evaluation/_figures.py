"""Drawing helpers shared by the figures of photo evaluation and of `rotkeras reproduce`.

Figures are drawn at most about 9 inches wide and saved at 110 dpi, so that a docs page
shows them at (about) their natural size; text is at least 12 points there, the size of
body text. Models are named by abbreviations (of `rotkeras reproduce`'s model names),
explained in each figure that uses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rotkeras import _io

FIGURE_FONT_SIZE = 12
SHORT_NAMES = {"reference": "ref", "solution2_static": "S2s", "solution2_onthefly": "S2f",
               "solution1": "S1", "rotation_robust": "p4", "full_circle": "FC",
               "shipped_reader": "R"}
SHORT_NAMES_LEGEND = ("ref: reference CNN   S2s: Solution 2, static rotated copies\n"
                      "S2f: Solution 2, on-the-fly rotation   S1: Solution 1, orientation "
                      "correction\np4: rotation-equivariant CNN   FC: full-circle CNN   "
                      "R: shipped digit reader")
RIGHT_COLOR, WRONG_COLOR = "#1b7a33", "#c62828"


def prediction_labels(ax: Any, predictions: dict[str, int], label: int) -> None:
    """Writes each model's prediction under an image, two per line, red and marked if wrong."""
    for i, (name, predicted) in enumerate(predictions.items()):
        wrong = int(predicted) != int(label)
        ax.text(-0.02 + 0.88 * (i % 2), -0.06 - 0.2 * (i // 2),
                f"{SHORT_NAMES.get(name, name)} {predicted}{' ✗' if wrong else ''}",
                transform=ax.transAxes, ha="left", va="top", fontsize=FIGURE_FONT_SIZE,
                color=WRONG_COLOR if wrong else RIGHT_COLOR)


def prediction_legend(fig: Any) -> None:
    fig.text(0.5, 0.02, SHORT_NAMES_LEGEND + "\ngreen: right, red ✗: wrong", ha="center",
             va="top", fontsize=FIGURE_FONT_SIZE)


def shown_photos(labels: np.ndarray, count: int) -> list[int]:
    """Indices of up to `count` photos, one per digit first (0, 1, 2, ...), then the rest."""
    first = [int(np.flatnonzero(labels == d)[0]) for d in np.unique(labels)]
    rest = [i for i in range(len(labels)) if i not in first]
    return sorted((first + rest)[:count], key=lambda i: (labels[i], i))


def before_after_figure(images: np.ndarray, inputs: dict[str, np.ndarray], labels: np.ndarray,
                         predictions: dict[str, dict[str, np.ndarray]], figure_dir: Path,
                         count: int = 5) -> str | None:
    """Photos of several digits, what each preprocessing makes of them, each model's answer.

    `inputs` and `predictions` hold one entry per preprocessing, in the order of the rows.
    """
    try:  # matplotlib is optional (rotkeras[plot]): no figure without it
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    shown = shown_photos(np.asarray(labels), min(count, len(images)))
    titles = {"tutorial": "tutorial's\npreprocessing", "mnist": "Handwriting-\nPreprocess"}
    fig, axes = plt.subplots(3, len(shown), figsize=(1.8 * len(shown), 7.4), squeeze=False,
                             gridspec_kw={"hspace": 0.75, "wspace": 0.95})
    rows = [("photo", images, None)] + [
        (titles.get(mode, mode), inputs[mode], predictions[mode]) for mode in inputs]
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
