"""Writing `report.md`, `metrics.json` and the figures of `rotkeras reproduce` (internal)."""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from rotkeras._version import __version__
from rotkeras.experiments import _io

# The tutorial's published numbers.
TUTORIAL = {
    "reference_upright": 0.9915,
    "solution2_combined": 0.9797,
}
MODEL_TITLES = {
    "reference": "Reference CNN",
    "solution2_static": "Solution 2, static rotated copies (tutorial)",
    "solution2_onthefly": "Solution 2, on-the-fly RandomRightAngleRotation",
    "solution1": "Solution 1, orientation correction",
}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def write_report(out: Path, results: dict[str, Any], config: Any) -> dict[str, Any]:
    """Builds metrics.json, the figures and report.md from the phase results."""
    import keras

    figures = _write_figures(out, results)
    figures += results.get("photos", {}).get("figures", [])
    metrics = {
        "meta": {
            "rotkeras": __version__,
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {_cpu_count()} CPU cores",
            "written": time.strftime("%Y-%m-%d %H:%M:%S"),
            "settings": {
                "epochs": config.train_epochs,
                "batch_size": config.batch_size,
                "seed": config.seed,
                "quick": config.quick,
                "precision": getattr(config, "precision", "float32"),
            },
            "wall_seconds": {name: r.get("seconds") for name, r in results.items()},
        },
        "tutorial": TUTORIAL,
        "models": {
            name: {k: results[name][k] for k in ("upright", "rotated", "combined")}
            for name in MODEL_TITLES
            if name in results
        },
        "phases": results,
        "figures": figures,
    }
    _io.write_json(out / "metrics.json", metrics)
    _io.write_text(out / "report.md", _report_markdown(metrics))
    return metrics


def _precision_note(precision: str) -> list[str]:
    if precision == "float32":
        return []
    return [
        f"Every network computed in {precision.replace('mixed_', '')} with float32 weights and "
        "a float32 output layer (`--precision auto` picks this on CPUs with native bfloat16 "
        "instructions, where it trains faster at equal accuracy); `--precision float32` "
        "trains in the tutorial's float32.",
    ]


def _cpu_count() -> int:
    import os

    return os.cpu_count() or 1


def _report_markdown(metrics: dict[str, Any]) -> str:
    meta, phases, models = metrics["meta"], metrics["phases"], metrics["models"]
    settings = meta["settings"]
    lines = [
        "# rotkeras reproduce — report",
        "",
        f"rotkeras {meta['rotkeras']}, Keras {meta['keras']} ({meta['backend']} backend), "
        f"Python {meta['python']}, {meta['machine']}; written {meta['written']}.",
        f"Settings: {settings['epochs']} epochs, batch {settings['batch_size']}, "
        f"seed {settings['seed']}, precision {settings.get('precision', 'float32')}"
        + (" — **quick mode: a small subset, not the real numbers**"
           if settings["quick"] else "") + ".",
        *_precision_note(settings.get("precision", "float32")),
        "",
        "Test sets (the same for every model): *upright* = the MNIST test images; *rotated* = "
        "each of them turned by an angle drawn from (90, -90, 180) degrees with the run's seed; "
        "*combined* = both together (the tutorial's 'original + rotated' set).",
        "",
        "## Headline",
        "",
        "| model | upright | rotated | combined | tutorial |",
        "|---|---:|---:|---:|---|",
    ]
    published = {
        "reference": f"{_pct(TUTORIAL['reference_upright'])} upright; fails on rotated digits",
        "solution2_static": f"{_pct(TUTORIAL['solution2_combined'])} combined",
        "solution2_onthefly": "—",
        "solution1": "no number published",
    }
    for name, title in MODEL_TITLES.items():
        if name in models:
            m = models[name]
            lines.append(f"| {title} | {_pct(m['upright'])} | {_pct(m['rotated'])} | "
                         f"{_pct(m['combined'])} | {published[name]} |")
    lines += ["", "## What differs from the tutorial", ""]
    lines += _differences(models, settings["quick"])
    if "reference" in phases:
        lines += ["", "## 1. Reference CNN", "",
                  "The tutorial's network (130,890 parameters), Adam, trained on upright digits "
                  "only. Classification report on the upright test set:", "", "```text",
                  phases["reference"]["upright_details"]["classification_report"].rstrip(), "```",
                  "", "On the rotated test set:", "", "```text",
                  phases["reference"]["rotated_details"]["classification_report"].rstrip(),
                  "```", "", "![confusion](figures/confusion_reference_upright.png)",
                  "![confusion](figures/confusion_reference_rotated.png)"]
    if "solution2_static" in phases or "solution2_onthefly" in phases:
        lines += ["", "## 2. Solution 2: rotation augmentation", "",
                  "*Static* is the tutorial's recipe: the training set plus one copy of every "
                  "image turned by 90, -90 or 180 degrees (twice the images per epoch). "
                  "*On the fly* puts `RandomRightAngleRotation` in the model with the same angle "
                  "distribution (half upright, a sixth each of 90, -90 and 180 degrees), drawn "
                  "afresh for every batch; it sees each image once per epoch.", ""]
        for name in ("solution2_static", "solution2_onthefly"):
            if name in phases:
                lines.append(f"![confusion](figures/confusion_{name}_rotated.png)")
    if "solution1" in phases:
        angle = phases["solution1"]["angle_accuracy"]
        per_digit = ", ".join(f"{d}: {_pct(v)}" for d, v in angle["rotated_per_digit"].items())
        lines += ["", "## 3. Solution 1: orientation correction", "",
                  "A 4-way angle classifier (the reference architecture with 4 outputs, trained on "
                  "every training image turned by a random multiple of 90 degrees) predicts the "
                  "rotation; `OrientationCorrection` turns the image back exactly; the reference "
                  "CNN classifies it. One saved `.keras` model.", "",
                  f"- angle accuracy on the rotated test set: {_pct(angle['rotated'])}",
                  "- angle accuracy on the upright test set (predicts 0): "
                  f"{_pct(angle['upright'])}",
                  f"- per digit (rotated set): {per_digit}",
                  "", "6 and 9 are the hard pair: a 6 turned by 180 degrees is a plausible 9, so "
                  "the angle model cannot always tell which one it sees.", "",
                  "![confusion](figures/confusion_solution1_rotated.png)"]
    if "angle_sweep" in phases:
        sweep = phases["angle_sweep"]
        header = "| angle | " + " | ".join(MODEL_TITLES[n] for n in sweep["accuracy"]) + " |"
        lines += ["", "## 4. Accuracy against rotation angle", "",
                  "Every test image rotated by the angle (bilinear interpolation between right "
                  "angles, exact at multiples of 90 degrees).", "",
                  "![accuracy vs angle](figures/accuracy_vs_angle.png)", "", header,
                  "|---:|" + "---:|" * len(sweep["accuracy"])]
        for angle in sweep["angles"]:
            row = [_pct(sweep["accuracy"][n][str(angle)]) for n in sweep["accuracy"]]
            lines.append(f"| {angle} | " + " | ".join(row) + " |")
        lines += ["", "Sample digits at 0/90/180/270 degrees with each model's prediction "
                  "(green: right, red: wrong):", "", "![samples](figures/samples.png)"]
    if "photos" in phases:
        lines += ["", "## 5. Photos of handwriting", ""]
        lines += phases["photos"].get("report_lines", [])
    lines += ["", "## Wall time", "", "| phase | seconds |", "|---|---:|"]
    for name, seconds in meta["wall_seconds"].items():
        lines.append(f"| {name} | {seconds if seconds is not None else '—'} |")
    return "\n".join(lines) + "\n"


def _differences(models: dict[str, Any], quick: bool) -> list[str]:
    lines = []
    if quick:
        lines.append("- **Quick mode**: a few thousand training images and few epochs, so every "
                     "number below is far from converged; run without --quick for the real "
                     "comparison.")
    cause = "quick mode" if quick else "different random initialisation and shuffling"
    if "reference" in models:
        ours = models["reference"]["upright"]
        lines.append(f"- Reference CNN upright: {_pct(ours)} here vs "
                     f"{_pct(TUTORIAL['reference_upright'])} in the tutorial "
                     f"({100 * (ours - TUTORIAL['reference_upright']):+.2f} points; {cause}).")
        lines.append(f"- On rotated digits the reference CNN drops to "
                     f"{_pct(models['reference']['rotated'])}: the failure the tutorial shows.")
    if "solution2_static" in models:
        ours = models["solution2_static"]["combined"]
        lines.append(f"- Solution 2 (tutorial's static copies), combined set: {_pct(ours)} here vs "
                     f"{_pct(TUTORIAL['solution2_combined'])} in the tutorial "
                     f"({100 * (ours - TUTORIAL['solution2_combined']):+.2f} points).")
    if "solution2_onthefly" in models and "solution2_static" in models:
        diff = models["solution2_onthefly"]["combined"] - models["solution2_static"]["combined"]
        lines.append(f"- On-the-fly augmentation vs static copies, combined set: {100 * diff:+.2f} "
                     "points, with half the images per epoch and nothing stored.")
    if "solution1" in models:
        lines.append(f"- Solution 1 (no number in the tutorial), combined set: "
                     f"{_pct(models['solution1']['combined'])}.")
    return lines


def _write_figures(out: Path, results: dict[str, Any]) -> list[str]:
    try:
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

    for name in MODEL_TITLES:
        if name not in results:
            continue
        for split in ("upright", "rotated"):
            if name != "reference" and split == "upright":
                continue
            matrix = np.asarray(results[name][f"{split}_details"]["confusion_matrix"])
            fig, ax = plt.subplots(figsize=(4.6, 4.2))
            ax.imshow(matrix, cmap="Blues")
            for (i, j), value in np.ndenumerate(matrix):
                if value:
                    ax.text(j, i, str(value), ha="center", va="center", fontsize=6,
                            color="white" if value > matrix.max() / 2 else "black")
            ax.set_xticks(range(10))
            ax.set_yticks(range(10))
            ax.set_xlabel("predicted")
            ax.set_ylabel("true")
            ax.set_title(f"{MODEL_TITLES[name]}\n{split} test set", fontsize=9)
            save(fig, f"confusion_{name}_{split}.png")
    sweep = results.get("angle_sweep")
    if sweep:
        fig, ax = plt.subplots(figsize=(7, 4))
        angles = sweep["angles"]
        for name, curve in sweep["accuracy"].items():
            ax.plot(angles, [100 * curve[str(a)] for a in angles], marker="o", markersize=3,
                    label=MODEL_TITLES[name])
        ax.set_xticks(range(0, 360, 45))
        ax.set_xlabel("rotation of the test digits (degrees, counter-clockwise)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
        save(fig, "accuracy_vs_angle.png")
        _draw_samples(sweep["samples"], save, plt)
    return figures


def _draw_samples(samples: dict[str, Any], save: Any, plt: Any) -> None:
    images = np.asarray(samples["images"], dtype=np.uint8)
    labels = samples["labels"]
    count = len(labels)
    short = {"reference": "ref", "solution2_static": "S2s", "solution2_onthefly": "S2f",
             "solution1": "S1"}
    fig, axes = plt.subplots(4, count, figsize=(1.25 * count, 6.2))
    for k in range(4):
        for j in range(count):
            ax = axes[k, j]
            ax.imshow(np.rot90(images[j], k), cmap="gray")
            ax.set_xticks([])
            ax.set_yticks([])
            parts = []
            for name, predictions in samples["predictions"].items():
                predicted = predictions[k * count + j]
                mark = "" if predicted == labels[j] else "!"
                parts.append(f"{short.get(name, name)}:{predicted}{mark}")
            ok = all(p[k * count + j] == labels[j] for p in samples["predictions"].values())
            ax.set_title("\n".join([" ".join(parts[:2]), " ".join(parts[2:])]), fontsize=6,
                         color="green" if ok else "red")
            if j == 0:
                ax.set_ylabel(f"{90 * k}°")
    fig.suptitle("Rotated test digits and each model's prediction (! = wrong)", fontsize=9)
    save(fig, "samples.png")
