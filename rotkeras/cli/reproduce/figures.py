"""The figures of `rotkeras reproduce`: confusion matrices, then each phase's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from rotkeras import _io
from rotkeras.cli.reproduce.registry import PHASES, model_phases

__all__ = ["write_figures"]


def write_figures(out: Path, results: dict[str, Any]) -> list[str]:
    """Draws the confusion matrices and every phase's figures into `out/figures`.

    Returns the figures' paths relative to `out`; none without matplotlib.
    """
    try:  # matplotlib is optional (rotkeras[plot]): a run without it has no figures
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no figures (pip install 'rotkeras[plot]')")
        return []
    figures: list[str] = []
    fig_dir = out / "figures"

    def save(fig: Any, name: str) -> None:
        _io.save_atomically(fig_dir / name, lambda p: fig.savefig(p, dpi=110,
                                                                    bbox_inches="tight"))
        plt.close(fig)
        figures.append(f"figures/{name}")

    for name, item in model_phases().items():
        if name not in results:
            continue
        for split in item.confusion:
            matrix = np.asarray(results[name][f"{split}_details"]["confusion_matrix"])
            fig, ax = plt.subplots(figsize=(6.4, 6.0))
            ax.imshow(matrix, cmap="Blues")
            for (i, j), value in np.ndenumerate(matrix):
                if value:
                    ax.text(j, i, str(value), ha="center", va="center", fontsize=9.5,
                            color="white" if value > matrix.max() / 2 else "black")
            ax.set_xticks(range(10))
            ax.set_yticks(range(10))
            ax.tick_params(labelsize=12)
            ax.set_xlabel("predicted digit", fontsize=12)
            ax.set_ylabel("true digit", fontsize=12)
            ax.set_title(f"{item.model}\n{split} test set", fontsize=12)
            save(fig, f"confusion_{name}_{split}.png")
    for name, item in PHASES.items():
        if name in results and item.figures is not None:
            item.figures(results[name], save)
    return figures
