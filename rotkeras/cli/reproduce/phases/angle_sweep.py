"""Accuracy of every model phase's network against the rotation angle, and sample digits."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import keras
import numpy as np

from rotkeras import ops
from rotkeras.cli.reproduce.registry import SWEEP_ANGLES, model_phases, percent, phase
from rotkeras.evaluation import accuracy_per_angle, predict_classes
from rotkeras.evaluation._figures import FIGURE_FONT_SIZE, prediction_labels, prediction_legend

if TYPE_CHECKING:  # annotations only: the runner imports the phases, not the reverse
    from rotkeras.cli.reproduce.runner import Runner


@phase("angle_sweep", "accuracy against rotation angle, 0..345 degrees", other_cost=16.0,
       heading="Accuracy against rotation angle")
def angle_sweep(run: Runner) -> dict[str, Any]:
    d = run.data()
    curves = {}
    for name in model_phases():
        curve = accuracy_per_angle(run.model(name), d["x_test"], d["y_test"],
                                   angles=SWEEP_ANGLES)
        curves[name] = {str(int(angle)): float(acc) for angle, acc in curve.items()}
    summary = {name: {"mean": float(np.mean(list(curve.values()))),
                      "worst": float(np.min(list(curve.values()))), "upright": curve["0"]}
               for name, curve in curves.items()}
    return {"angles": list(SWEEP_ANGLES), "accuracy": curves, "summary": summary,
            "samples": _sample_predictions(run)}


def _quarter_turns(images: np.ndarray) -> np.ndarray:
    """`(N, H, W[, C])` images at 0, 90, 180 and 270 degrees, in that order (4N images)."""
    batch = images if images.ndim == 4 else images[..., None]
    turned = np.concatenate([
        np.asarray(keras.ops.convert_to_numpy(
            ops.rotate_quarter_turns(batch, k, data_format="channels_last")))
        for k in range(4)
    ])
    return turned if images.ndim == 4 else turned[..., 0]


def _sample_predictions(run: Runner, count: int = 8) -> dict[str, Any]:
    """Predictions of every model on a few test digits at 0/90/180/270 degrees."""
    d = run.data()
    rng = np.random.default_rng(run.seed)
    index = np.sort(rng.choice(len(d["x_test"]), count, replace=False))
    images = d["x_test"][index]
    rotations = _quarter_turns(images)
    predictions = {name: predict_classes(run.model(name), rotations).tolist()
                   for name in model_phases()}
    return {"index": index.tolist(), "labels": d["y_test"][index].tolist(),
            "images": np.round(images[..., 0] * 255).astype(np.uint8).tolist(),
            "predictions": predictions}


@angle_sweep.section
def _angle_sweep_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    titles = {name: p.model for name, p in model_phases().items()}
    columns = {name: p.short_title for name, p in model_phases().items()}
    header = "| angle | " + " | ".join(columns.get(n, n) for n in result["accuracy"]) + " |"
    lines = ["Every test image rotated by the angle (bilinear interpolation between right "
             "angles, exact at multiples of 90 degrees).", "",
             "![accuracy vs angle](figures/accuracy_vs_angle.png)", "",
             "| model | mean over the 24 angles | worst angle | upright |",
             "|---|---:|---:|---:|"]
    for name, curve in result["accuracy"].items():
        values = [curve[str(angle)] for angle in result["angles"]]
        lines.append(f"| {titles.get(name, name)} | {percent(float(np.mean(values)))} | "
                     f"{percent(min(values))} | {percent(curve['0'])} |")
    lines += ["", header, "|---:|" + "---:|" * len(result["accuracy"])]
    for angle in result["angles"]:
        row = [percent(result["accuracy"][n][str(angle)]) for n in result["accuracy"]]
        lines.append(f"| {angle} | " + " | ".join(row) + " |")
    lines += ["", "Sample digits at 0/90/180/270 degrees with each model's prediction "
              "(green: right, red: wrong):", "", "![samples](figures/samples.png)"]
    return lines


@angle_sweep.figure
def _angle_sweep_figures(result: dict[str, Any], save: Callable[[Any, str], None]) -> None:
    import matplotlib.pyplot as plt  # optional (rotkeras[plot]): loaded only to draw

    titles = {name: p.model for name, p in model_phases().items()}
    fig, ax = plt.subplots(figsize=(8.4, 5.2))
    angles = result["angles"]
    for name, curve in result["accuracy"].items():
        ax.plot(angles, [100 * curve[str(a)] for a in angles], marker="o", markersize=4,
                label=titles.get(name, name))
    ax.set_xticks(range(0, 361, 45))
    ax.set_xlim(-8, 368)
    ax.tick_params(labelsize=FIGURE_FONT_SIZE)
    ax.set_xlabel("rotation of the test digits (degrees, counter-clockwise)",
                  fontsize=FIGURE_FONT_SIZE)
    ax.set_ylabel("test accuracy (%)", fontsize=FIGURE_FONT_SIZE)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    # Below the axes, so that it covers no curve.
    ax.legend(fontsize=FIGURE_FONT_SIZE, loc="upper center", bbox_to_anchor=(0.5, -0.15),
              ncol=2, frameon=False)
    save(fig, "accuracy_vs_angle.png")

    samples = result["samples"]
    # As floats: the turn is the same permutation, and TensorFlow's CPU kernels log a line
    # on the terminal for uint8 images (oneDNN).
    images = np.asarray(samples["images"], dtype=np.float32)
    labels = samples["labels"]
    count = len(labels)
    shown = min(count, 5)
    turned = _quarter_turns(images)
    fig, axes = plt.subplots(4, shown, figsize=(1.8 * shown, 8.4), squeeze=False,
                             gridspec_kw={"hspace": 0.75, "wspace": 0.95})
    for k in range(4):
        for j in range(shown):
            ax = axes[k, j]
            ax.imshow(turned[k * count + j], cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            prediction_labels(ax, {name: p[k * count + j]
                                   for name, p in samples["predictions"].items()}, labels[j])
            if j == 0:
                ax.set_ylabel(f"{90 * k}°", fontsize=FIGURE_FONT_SIZE + 1)
    prediction_legend(fig)
    save(fig, "samples.png")
