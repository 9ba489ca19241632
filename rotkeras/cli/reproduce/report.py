"""Writing `report.md` and `metrics.json` of `rotkeras reproduce` (figures: `figures`).

The report is generic: a header, the headline table (one row per model phase), the
differences from the tutorial's published numbers, one numbered section per phase that has
one (`rotkeras.cli.reproduce.phases`), the confusion matrices of the model phases and each
phase's own figures, and the wall time per phase.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

import keras

from rotkeras import _io
from rotkeras._version import __version__
from rotkeras.cli.reproduce.figures import write_figures
from rotkeras.cli.reproduce.registry import PHASES, TUTORIAL, model_phases, percent

__all__ = ["report_markdown", "write_report"]


def write_report(out: Path, results: dict[str, Any], config: Any) -> dict[str, Any]:
    """Builds metrics.json, the figures and report.md from the phase results."""
    figures = write_figures(out, results)
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
    _io.write_text(out / "report.md", report_markdown(metrics))
    return metrics


def _precision_note(precision: str) -> list[str]:
    if precision == "float32":
        return []
    return [
        f"Every network but the rotation-robust p4 CNN (float32, its recipe) computed in "
        f"{precision.replace('mixed_', '')} with float32 weights and a float32 output layer "
        "(`--precision auto` picks this on CPUs with native bfloat16 instructions, where the "
        "tutorial's CNN trains faster at equal accuracy); `--precision float32` trains in the "
        "tutorial's float32.",
    ]


def _cpu_count() -> int:
    return os.cpu_count() or 1


def report_markdown(metrics: dict[str, Any]) -> str:
    """The text of report.md from the contents of metrics.json."""
    meta, phases, models = metrics["meta"], metrics["phases"], metrics["models"]
    settings = meta["settings"]
    lines = [
        "# rotkeras reproduce — report",
        "",
        f"rotkeras {meta['rotkeras']}, Keras {meta['keras']} ({meta['backend']} backend), "
        f"Python {meta['python']}, {meta['machine']}; written {meta['written']}.",
        f"Settings: the tutorial's networks {settings['epochs']} epochs at batch "
        f"{settings['batch_size']} (rotkeras' own: their recipes below), "
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
