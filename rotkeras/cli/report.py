"""Writing `report.md`, `metrics.json` and the figures of `rotkeras reproduce`.

The report is generic: a header, the headline table (one row per model phase), the
differences from the tutorial's published numbers, one numbered section per phase that has
one (`rotkeras.cli.phases`), the confusion matrices of the model phases and each phase's own
figures, and the wall time per phase.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any

import numpy as np

from rotkeras import _io
from rotkeras._version import __version__
from rotkeras.cli.phases import PHASES, TUTORIAL, model_phases, percent


def write_report(out: Path, results: dict[str, Any], config: Any) -> dict[str, Any]:
    """Builds metrics.json, the figures and report.md from the phase results."""
    import keras

    figures = _write_figures(out, results)
    for result in results.values():
        figures += result.get("figures", [])
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
                "batch_size": config.train_batch_size,
                "seed": config.seed,
                "quick": config.quick,
                "precision": getattr(config, "precision", "float32"),
                "devices": getattr(config, "devices", 1),
            },
            "wall_seconds": {name: r.get("seconds") for name, r in results.items()},
        },
        "tutorial": TUTORIAL,
        "models": {
            name: {k: results[name][k] for k in ("upright", "rotated", "combined")}
            for name in model_phases()
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
        + (f", {settings['devices']} devices (data parallel, global batch "
           f"{settings['batch_size']})" if settings.get("devices", 1) > 1 else "")
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
    for name, item in model_phases().items():
        if name in models:
            m = models[name]
            lines.append(f"| {item.model} | {percent(m['upright'])} | {percent(m['rotated'])} | "
                         f"{percent(m['combined'])} | {item.published} |")
    lines += ["", "## What differs from the tutorial", ""]
    lines += _differences(models, settings["quick"])
    number = 0
    for name, item in PHASES.items():
        if name not in phases or item.heading is None or item.section_lines is None:
            continue
        number += 1
        lines += ["", f"## {number}. {item.heading}", ""]
        lines += item.section_lines(phases[name], phases)
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
        lines.append(f"- Reference CNN upright: {percent(ours)} here vs "
                     f"{percent(TUTORIAL['reference_upright'])} in the tutorial "
                     f"({100 * (ours - TUTORIAL['reference_upright']):+.2f} points; {cause}).")
        lines.append(f"- On rotated digits the reference CNN drops to "
                     f"{percent(models['reference']['rotated'])}: the failure the tutorial shows.")
    if "solution2_static" in models:
        ours = models["solution2_static"]["combined"]
        lines.append(f"- Solution 2 (tutorial's static copies), combined set: {percent(ours)} "
                     f"here vs {percent(TUTORIAL['solution2_combined'])} in the tutorial "
                     f"({100 * (ours - TUTORIAL['solution2_combined']):+.2f} points).")
    if "solution2_onthefly" in models and "solution2_static" in models:
        diff = models["solution2_onthefly"]["combined"] - models["solution2_static"]["combined"]
        lines.append(f"- On-the-fly augmentation vs static copies, combined set: {100 * diff:+.2f} "
                     "points, with half the images per epoch and nothing stored.")
    if "solution1" in models:
        lines.append(f"- Solution 1 (no number in the tutorial), combined set: "
                     f"{percent(models['solution1']['combined'])}.")
    if "rotation_robust" in models:
        robust = models["rotation_robust"]
        lines.append(f"- Not in the tutorial: rotkeras' rotation-robust p4 CNN reads "
                     f"{percent(robust['upright'])} of the upright and "
                     f"{percent(robust['rotated'])} of the rotated test digits.")
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
