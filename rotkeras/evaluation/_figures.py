"""Drawing helpers shared by the figures of photo evaluation and of `rotkeras reproduce`.

Figures are drawn at most about 9 inches wide and saved at 110 dpi, so that a docs page
shows them at (about) their natural size; text is at least 12 points there, the size of
body text. Models are named by abbreviations (of `rotkeras reproduce`'s model names),
explained in each figure that uses them.
"""

from __future__ import annotations

from typing import Any

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
