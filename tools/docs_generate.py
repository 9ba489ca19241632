"""Writes the generated parts of the docs pages from their sources, so no number is copied by hand.

    python tools/docs_generate.py           # list the regions that differ (exit status 1 if any)
    python tools/docs_generate.py --write   # rewrite them

A generated region of a page sits between two HTML comments (invisible on the site):

    <!-- generated:NAME -->
    ...written by this script...
    <!-- /generated:NAME -->

NAME picks the generator below; every generator reads a committed results file:

- `docs/reproducing/metrics.json`, the `metrics.json` of the full `rotkeras reproduce` run
  shown on "Reproducing the article" (copied there by `tools/import_report.py`);
- `benchmarks/results/results.json`, the full benchmark suite (`python -m benchmarks.run`);
- the `rotkeras` argument parser, for the command-line reference.

The figures of that reproduce run that are drawn from metrics.json alone (accuracy against
angle, rotated samples) are redrawn by `--figures`. `tests/test_docs_generated.py` fails when a
page differs from what this script writes.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
DOCS = ROOT / "docs"
METRICS = DOCS / "reproducing" / "metrics.json"
BENCHMARKS = ROOT / "benchmarks" / "results" / "results.json"
AUGMENTATION = ROOT / "benchmarks" / "results" / "augmentation" / "results.json"

REGION = re.compile(
    r"^(?P<indent>[ \t]*)(?P<open><!-- generated:(?P<name>[\w.:-]+) -->\n)(?P<body>.*?)"
    r"^(?P=indent)(?P<close><!-- /generated:(?P=name) -->)",
    re.DOTALL | re.MULTILINE,
)


def _percent(value: float, digits: int = 2) -> str:
    return f"{100 * value:.{digits}f}%"


def _metrics() -> dict[str, Any]:
    return json.loads(METRICS.read_text(encoding="utf-8"))


def _benchmarks() -> dict[str, Any]:
    return json.loads(BENCHMARKS.read_text(encoding="utf-8"))


# ----------------------------------------------------------------- rotkeras reproduce
MODEL_TITLES = {
    "reference": "reference CNN",
    "solution2_static": "Solution 2, static rotated copies",
    "solution2_onthefly": "Solution 2, on-the-fly `RandomRightAngleRotation`",
    "solution1": "Solution 1, orientation correction",
}


def reproduce_run() -> str:
    """One sentence naming the reproduce run and its machine (for any page quoting it)."""
    meta = _metrics()["meta"]
    settings = meta["settings"]
    return (
        f"the full `rotkeras reproduce` run of {meta['written'][:10]} on {meta['machine']} "
        f"(CPU only; Keras {meta['keras']}, {meta['backend']} backend, Python "
        f"{meta['python']}; the tutorial's networks {settings['epochs']} epochs at batch "
        f"{settings['batch_size']}, rotkeras' own their recipes; seed {settings['seed']}, "
        f"precision {settings['precision']})"
    )


def results_table() -> str:
    """The headline table of the home page."""
    metrics = _metrics()
    tutorial = metrics["tutorial"]
    notes = {
        "reference": f" (tutorial: {_percent(tutorial['reference_upright'])} upright)",
        "solution2_static": f" (tutorial: {_percent(tutorial['solution2_combined'])} combined)",
    }
    lines = [
        f"From {reproduce_run()}; details in [Reproducing the article](reproducing.md). "
        "*Combined* is the tutorial's \"original + rotated\" test set.",
        "",
        "| model | upright | rotated | combined |",
        "|---|---:|---:|---:|",
    ]
    for name, title in MODEL_TITLES.items():
        if name in metrics["models"]:
            m = metrics["models"][name]
            lines.append(f"| {title}{notes.get(name, '')} | {_percent(m['upright'])} | "
                         f"{_percent(m['rotated'])} | {_percent(m['combined'])} |")
    photos = metrics["phases"].get("photos")
    if photos:
        reference = photos["accuracy"]["reference"]
        lines += ["", f"On {photos['count']} synthetic photos of handwritten digits, the "
                  "tutorial's photo preprocessing gives the reference CNN "
                  f"{_percent(reference['tutorial'], 0)} accuracy, `HandwritingPreprocess` "
                  f"{_percent(reference['mnist'], 0)}."]
    return "\n".join(lines)


def reproduce_report() -> str:
    """The body of "Reproducing the article": the run's report.md, rebuilt from metrics.json."""
    from rotkeras.cli.reproduce.report import report_markdown

    metrics = _metrics()
    meta = metrics["meta"]
    wall = sum(s for s in meta["wall_seconds"].values() if s)
    body = report_markdown(metrics).split("\n", 1)[1].lstrip("\n")
    body = body.replace("](figures/", "](reproducing/figures/")
    head = (f"Machine: {meta['machine']} (CPU only), Keras {meta['keras']} on the "
            f"{meta['backend']} backend; the run finished {meta['written']} after "
            f"{wall / 60:.0f} minutes of computing (the sum of the phases' wall times). Every "
            "number is also in [metrics.json](reproducing/metrics.json).")
    return head + "\n\n" + body.rstrip("\n")


def photos_accuracy() -> str:
    """Accuracy on the photo folder of the reproduce run, both preprocessings, every model."""
    photos = _metrics()["phases"]["photos"]
    lines = [f"From {reproduce_run()}.", "",
             "| network | tutorial (`mode=\"tutorial\"`) | `HandwritingPreprocess()` |",
             "|---|---:|---:|"]
    titles = {**MODEL_TITLES, **PHOTO_TITLES}
    for name, scores in photos["accuracy"].items():
        # The shipped reader has its own preprocessing: no tutorial column.
        tutorial = "—" if scores["tutorial"] is None else _percent(scores["tutorial"])
        lines.append(f"| {titles.get(name, name)} | {tutorial} | "
                     f"**{_percent(scores['mnist'])}** |")
    return "\n".join(lines)


PHOTO_TITLES = {
    "rotation_robust": "rotation-robust p4 CNN",
    "full_circle": "full-circle CNN",
    "shipped_reader": "the shipped reader (`digit_reader()`, its own preprocessing)",
}


def orientation_angle_accuracy() -> str:
    """The 4-way angle classifier's accuracy (Solution 1 of the reproduce run)."""
    angles = _metrics()["phases"]["solution1"]["angle_accuracy"]
    lines = [
        f"From {reproduce_run()}.",
        "",
        "| test set | angle accuracy |",
        "|---|---:|",
        f"| rotated (90 / -90 / 180, seed 0) | **{_percent(angles['rotated'])}** |",
        f"| upright (true angle 0) | {_percent(angles['upright'])} |",
        "",
        "Per digit, on the rotated set:",
        "",
        "| digit | " + " | ".join(str(d) for d in range(5)) + " |",
        "|---|" + "---:|" * 5,
        "| angle accuracy | " + " | ".join(
            _percent(angles["rotated_per_digit"][str(d)], 1) for d in range(5)) + " |",
        "",
        "| digit | " + " | ".join(str(d) for d in range(5, 10)) + " |",
        "|---|" + "---:|" * 5,
        "| angle accuracy | " + " | ".join(
            _percent(angles["rotated_per_digit"][str(d)], 1) for d in range(5, 10)) + " |",
    ]
    return "\n".join(lines)


SWEEP_TITLES = {
    "reference": "Reference CNN",
    "solution2_static": "Solution 2, static rotated copies",
    "solution2_onthefly": "Solution 2, on-the-fly `RandomRightAngleRotation`",
    "solution1": "Solution 1, orientation correction",
    "rotation_robust": "Rotation-robust p4 CNN (joint head)",
    "full_circle": "**Full-circle CNN**",
}


def any_angle_sweep() -> str:
    """The full-circle model next to the others over 24 angles, and what it cost."""
    metrics = _metrics()
    phases = metrics["phases"]
    summary = phases["angle_sweep"]["summary"]
    lines = [f"From {reproduce_run()}.", "",
             "| model | mean over the 24 angles | worst angle | upright (0 degrees) |",
             "|---|---:|---:|---:|"]
    for name, title in SWEEP_TITLES.items():
        if name not in summary:
            continue
        curve = phases["angle_sweep"]["accuracy"][name]
        worst = min(curve, key=lambda angle: curve[angle])
        bold = "**" if name == "full_circle" else ""
        lines.append(f"| {title} | {bold}{_percent(summary[name]['mean'])}{bold} | "
                     f"{bold}{_percent(summary[name]['worst'])}{bold} ({worst} degrees) | "
                     f"{bold}{_percent(summary[name]['upright'])}{bold} |")
    full = phases["full_circle"]
    recipe = full["recipe"]
    wall = metrics["meta"]["wall_seconds"]
    lines += ["", f"The full-circle CNN ({full['parameters']:,} parameters; the tutorial's CNN "
              f"has 130,890) trained for {recipe['epochs']} epochs at batch "
              f"{recipe['batch_size']} (`--precision {metrics['meta']['settings']['precision']}`"
              f"); its phase, training and evaluation, took {wall['full_circle'] / 60:.0f} "
              f"minutes, and the sweep of all {len(summary)} models over the 24 angles of the "
              f"10,000 test images {wall['angle_sweep'] / 60:.0f} minutes."]
    return "\n".join(lines)


def orientation_end_to_end() -> str:
    """Solution 1 next to Solution 2 and the reference, from the reproduce run."""
    metrics = _metrics()
    models, tutorial = metrics["models"], metrics["tutorial"]
    rows = [
        ("digit CNN alone (`mnist_cnn()`, upright training)", "reference"),
        ("**Solution 1**: `orientation_corrected(cnn, angle_model)`", "solution1"),
        ("Solution 2: `mnist_cnn(preprocessing=RandomRightAngleRotation(...))`",
         "solution2_onthefly"),
        ("Solution 2, the tutorial's static rotated copies", "solution2_static"),
    ]
    lines = [f"From {reproduce_run()}.", "",
             "| model | upright | rotated | combined |", "|---|---:|---:|---:|"]
    for title, name in rows:
        m = models[name]
        lines.append(f"| {title} | {_percent(m['upright'])} | {_percent(m['rotated'])} | "
                     f"{_percent(m['combined'])} |")
    lines.append(f"| the tutorial's Solution 2 (reported) | | | "
                 f"{_percent(tutorial['solution2_combined'])} |")
    return "\n".join(lines)


# ----------------------------------------------------------------- benchmarks/results
BACKEND_TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def benchmark_run() -> str:
    """One sentence naming the benchmark run and its machine."""
    results = _benchmarks()
    machine = results["backends"]["tensorflow"]["machine"]
    versions = ", ".join(
        f"{BACKEND_TITLES[b]} {out['machine'].get(b, '')}".strip()
        for b, out in results["backends"].items() if "machine" in out
    )
    return (f"the benchmark suite run of {results['date']} (`python -m benchmarks.run --epochs 3 "
            f"--limit jax=12800,torch=6400`) on {machine['cpu']}, {machine['cpus']} CPU cores, "
            f"no GPU; Python {machine['python']}, Keras {machine['keras']}, {versions}")


def _training_table(backend: str) -> str:
    training = _benchmarks()["backends"][backend]["training"]
    recommended = training["ratios"].get("recommended_precision", "float32")
    lines = [
        f"{BACKEND_TITLES[backend]}: {training['train_samples']:,} training images, "
        f"{training['epochs']} timed epochs per path (median shown).",
        "",
        "| path | s/epoch | s per 60k images | ms/step | CPU ms/step | vs tutorial fit "
        "| test acc. | rotated test acc. |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in training["rows"]:
        path = row["path"]
        partial = row["samples_per_epoch"] < training["train_samples"]
        if partial:
            path += f" ({row['samples_per_epoch']:,} images)"
        is_recommended = ("fit_classifier + RandomRightAngleRotation" in row["path"]
                          and (recommended in row["path"]) == (recommended != "float32"))
        cells = [
            f"{row['seconds_per_epoch']:.2f}", f"{row['seconds_per_60k_epoch']:.1f}",
            f"{row['ms_per_step']:.2f}", f"{row['cpu_ms_per_step']:.2f}",
            f"{row['speedup_vs_tutorial_fit']:.2f}x",
        ]
        if is_recommended:
            path = f"**{path} (recommended)**"
            cells = [f"**{c}**" for c in cells]
        accuracy = ["n/a", "n/a"] if partial else [
            _percent(row["test_accuracy"]), _percent(row["rotated_test_accuracy"])]
        lines.append(f"| {path} | " + " | ".join(cells + accuracy) + " |")
    return "\n".join(lines)


def _inference_table() -> str:
    backends = _benchmarks()["backends"]
    names = list(backends)
    models = [row["model"] for row in backends[names[0]]["inference"]["rows"]]
    lines = ["| model | " + " | ".join(BACKEND_TITLES[b] for b in names) + " |",
             "|---|" + "---:|" * len(names)]
    for model in models:
        cells = []
        for backend in names:
            row = next(r for r in backends[backend]["inference"]["rows"] if r["model"] == model)
            rate = row["images_per_second"]
            cells.append(f"{rate:,.0f}" if rate >= 100 else f"{rate:.1f}")
        lines.append(f"| {model} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _augmentation_table() -> str:
    """The augmentation table and its ratios, from the run of the augmentation suite alone."""
    results = json.loads(AUGMENTATION.read_text(encoding="utf-8"))
    backends = {b: out["augmentation"] for b, out in results["backends"].items()}
    names = list(backends)
    methods = [row["method"] for row in backends[names[0]]["rows"]]
    lines = ["| method | " + " | ".join(BACKEND_TITLES[b] for b in names) + " |",
             "|---|" + "---:|" * len(names)]
    for method in methods:
        cells = []
        for backend in names:
            row = next((r for r in backends[backend]["rows"] if r["method"] == method), None)
            cells.append(f"{row['images_per_second']:,.0f}" if row else "n/a")
        title = method.replace("(tutorial)", "(the tutorial)")
        if method.startswith("RandomRightAngleRotation") or method.startswith(
                "RandomAnyAngleRotation"):
            title = f"**{title}**"
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    ratio_rows = [
        ("RandomRightAngleRotation / RandomFlip, eager", "ours_eager_vs_flip_eager"),
        ("RandomRightAngleRotation / RandomFlip, eager, on a backend tensor",
         "ours_tensor_vs_flip_tensor"),
        ("RandomRightAngleRotation / RandomFlip, tf.data", "ours_tf_data_vs_flip_tf_data"),
        ("RandomRightAngleRotation / tf.reverse, tf.data", "ours_tf_data_vs_floor"),
        ("RandomAnyAngleRotation / RandomRotation, eager", "any_angle_eager_vs_keras_eager"),
        ("RandomAnyAngleRotation / RandomRotation, eager, on a backend tensor",
         "any_angle_tensor_vs_keras_tensor"),
        ("RandomAnyAngleRotation / RandomRotation, tf.data",
         "any_angle_tf_data_vs_keras_tf_data"),
    ]
    lines += ["", *_augmentation_ratios(results, "ratio (same process, interleaved)",
                                         ratio_rows),
              "", _augmentation_source(results, " (the ratios, measured side by side in one "
                                                "process, hold better than the rates)")]
    return "\n".join(lines)


def _augmentation_ratios(results: dict[str, Any], header: str,
                         rows: list[tuple[str, str]]) -> list[str]:
    """A table of the augmentation suite's ratios: one row per `(title, key)`, one column
    per backend."""
    ratios = {b: out["augmentation"]["ratios"] for b, out in results["backends"].items()}
    lines = [f"| {header} | " + " | ".join(BACKEND_TITLES[b] for b in ratios) + " |",
             "|---|" + "---:|" * len(ratios)]
    for title, key in rows:
        lines.append(f"| {title} | " + " | ".join(_ratio(r[key]) for r in ratios.values())
                     + " |")
    return lines


def _augmentation_source(results: dict[str, Any], remark: str = "") -> str:
    """The command, date and machine of the augmentation suite's run."""
    machine = next(iter(results["backends"].values()))["machine"]
    return (f"Measured by `{results['command']}` on {results['date']}, on {machine['cpu']}, "
            f"{machine['cpus']} CPU cores{remark}, Keras {machine['keras']}.")


def _any_angle_ratios() -> str:
    """RandomAnyAngleRotation / keras.layers.RandomRotation per backend and mode, from the
    run of the augmentation suite alone (the Performance page's table)."""
    results = json.loads(AUGMENTATION.read_text(encoding="utf-8"))
    rows = [("eager, on the NumPy batch", "any_angle_eager_vs_keras_eager"),
            ("eager, on a backend tensor", "any_angle_tensor_vs_keras_tensor"),
            ("`tf.data` map", "any_angle_tf_data_vs_keras_tf_data"),
            ("train step (`jit_compile=True`)", "any_angle_train_step_vs_keras_train_step")]
    return "\n".join([*_augmentation_ratios(results, "mode", rows), "",
                      _augmentation_source(results)])


def _ratio(value: float) -> str:
    return f"{value:.2f}x"


def _change(value: float) -> str:
    return f"{100 * value:+.1f}%"


def _paired_overhead(training: dict[str, Any]) -> dict[str, Any]:
    """The paired-fit augmentation overhead of the recommended precision."""
    by_precision = training["augmentation_overhead_by_precision"]
    return by_precision[training["ratios"]["recommended_precision"]]


def performance_findings(backend: str) -> str:
    training = _benchmarks()["backends"][backend]["training"]
    r = training["ratios"]
    paired = _paired_overhead(training)
    lines = [
        "- **Recommended path with rotation augmentation vs the tutorial's augmentation-free "
        f"`fit`: {_ratio(r['recommended_aug_vs_tutorial_fit'])} the wall time, "
        f"{_ratio(r['cpu_recommended_aug_vs_tutorial_fit'])} the CPU time per step** "
        f"({r['recommended_precision']}).",
    ]
    if "float32_aug_vs_tutorial_fit" in r and r["recommended_precision"] != "float32":
        lines.append(f"- The same in float32: {_ratio(r['float32_aug_vs_tutorial_fit'])} wall, "
                     f"{_ratio(r['cpu_float32_aug_vs_tutorial_fit'])} CPU; mixed bfloat16 vs "
                     f"float32: {_ratio(r['cpu_recommended_vs_float32'])} the CPU time.")
    if "recommended_vs_jax_floor" in r:
        lines.append("- **Recommended path vs the hand-written JAX floor: "
                     f"{_ratio(r['recommended_vs_jax_floor'])}** "
                     f"({_ratio(r['recommended_aug_vs_jax_floor'])} with augmentation).")
    lines.append(
        f"- **Rotation augmentation overhead: {_change(r['paired_augmentation_overhead'])} wall, "
        f"{_change(r['cpu_paired_augmentation_overhead'])} CPU in {paired['rounds']} paired "
        f"fits** of {paired['samples_per_fit']:,} images ({paired['precision']}); "
        f"{_change(r['augmentation_overhead_recommended'])} from the whole-epoch medians.")
    lines.append("- `keras.layers.RandomRotation` inside the model: "
                 f"{r['keras_random_rotation_vs_tutorial_fit']:.1f}x the time per step of the "
                 "tutorial's `fit` (it cannot be compiled with the train step).")
    return "\n".join(lines)


def augmentation_overhead() -> str:
    lines = []
    for backend, out in _benchmarks()["backends"].items():
        r, paired = out["training"]["ratios"], _paired_overhead(out["training"])
        lines.append(f"- {BACKEND_TITLES[backend]}: {_change(r['paired_augmentation_overhead'])} "
                     f"wall time, {_change(r['cpu_paired_augmentation_overhead'])} CPU time "
                     f"({paired['rounds']} pairs, {paired['precision']})")
    return "\n".join(lines) + f"\n\nFrom {benchmark_run()}."


def performance_source() -> str:
    return f"Every table on this page comes from {benchmark_run()}."


# ----------------------------------------------------------------- the command line
def cli_reference(command: str) -> Callable[[], str]:
    def generate() -> str:
        from rotkeras.cli import build_parser

        os.environ["COLUMNS"] = "88"  # argparse wraps the usage to the terminal width
        parser = build_parser()
        if command == "rotkeras":
            target = parser
        else:
            sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
            target = sub.choices[command]
        usage = target.format_usage().replace("usage: ", "", 1).rstrip()
        lines = [f"```text\n{usage}\n```", ""]
        if target.description and command != "rotkeras":
            lines += [target.description, ""]
        for action in target._actions:
            if action.help == argparse.SUPPRESS or isinstance(action, argparse._HelpAction):
                continue
            if action.__class__.__name__ == "_SubParsersAction":
                for choice in action._choices_actions:
                    lines.append(f"- `rotkeras {choice.dest}`: {choice.help}")
                continue
            name = ", ".join(action.option_strings) or action.metavar or action.dest
            if action.option_strings and action.nargs != 0:
                metavar = action.metavar or (
                    "{" + ",".join(action.choices) + "}" if action.choices
                    else action.dest.upper())
                name += f" {metavar}"
            text = action.help or ""
            if (action.default not in (None, False, argparse.SUPPRESS)
                    and "default" not in text and action.nargs != 0):
                text += f" (default: {action.default})"
            lines.append(f"- `{name}`: {text.strip()}")
        return "\n".join(lines)

    return generate


def _command_names() -> list[str]:
    from rotkeras.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return list(sub.choices)


# ----------------------------------------------------------------- p4 benchmark
EQUIVARIANT = ROOT / "benchmarks" / "results" / "equivariant.json"


def equivariant_results() -> str:
    """The side-by-side p4 / reference benchmark (benchmarks/equivariant.py), every seed."""
    data = json.loads(EQUIVARIANT.read_text(encoding="utf-8"))
    m = data["machine"]
    recipe = data["recipe"]
    lines = [
        f"From `python -m benchmarks.equivariant --seeds "
        f"{','.join(str(e['seed']) for e in data['seeds'])}` on {m.get('cpu', 'a CPU')}, "
        f"{m['cpus']} cores, shared with other jobs (Keras {m['keras']}, {m['backend']} "
        f"{m.get(m['backend'], '')}, Python {m['python']}, float32). Each seed trains both "
        f"models in one process with their epochs interleaved: the reference CNN with the "
        f"tutorial's recipe ({recipe['reference_epochs']} epochs, batch 64, upright digits), "
        f"the p4 CNN with the recipe above ({recipe['p4_epochs']} epochs, batch "
        f"{recipe['p4_batch']}).",
        "",
        "| model | seed | parameters | upright | rotated | combined | errors (combined) | "
        "6/9 errors | s/epoch |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in data["seeds"]:
        for key, title in (("reference", "reference CNN"), ("p4", "rotation-robust p4 CNN")):
            r = entry[key]
            lines.append(
                f"| {title} | {entry['seed']} | {r['parameters']:,} | {_percent(r['upright'])} | "
                f"{_percent(r['rotated'])} | {_percent(r['combined'])} | {r['combined_errors']} "
                f"| {r['six_nine_errors']} | {r['seconds_per_epoch']:.1f} |")
    ratios = "; ".join(
        f"seed {e['seed']}: {e['epoch_time_ratio']:.2f}x wall time, "
        f"{e['epoch_cpu_time_ratio']:.2f}x CPU time" for e in data["seeds"])
    lines += ["", f"Seconds per epoch of the p4 CNN over the reference CNN's: {ratios} "
              "(median over the epochs after the first, which includes compilation)."]
    return "\n".join(lines)


# ----------------------------------------------------------------- the shipped reader
PHOTOS = ROOT / "benchmarks" / "results" / "photos.json"
DEPLOY = ROOT / "benchmarks" / "results" / "deploy.json"


def _sharing(load: float) -> str:
    """How busy the machine was: a load above 1.5 on the benchmark's own single job means
    other jobs ran beside it."""
    return " shared with other jobs" if load > 1.5 else ""


READER = "shipped_reader"
KIND_TITLES = {"all": "all", "photo": "photo", "scan": "scan",
               "drawn-on-screen": "drawn on screen"}


def _photos() -> dict[str, Any]:
    return json.loads(PHOTOS.read_text(encoding="utf-8"))


def reader_mnist() -> str:
    """The shipped reader's network on MNIST's standard sets (benchmarks/photos.py)."""
    scores = (_photos().get("mnist") or {}).get("scores", {}).get(READER)
    if scores is None:
        raise KeyError(f"{PHOTOS.name} has no MNIST scores of the shipped reader "
                       "(run benchmarks/photos.py with --mnist)")
    return "\n".join([
        "| set | accuracy |",
        "|---|---:|",
        f"| upright | {_percent(scores['upright'])} |",
        f"| combined | {_percent(scores['combined'])} |",
    ])


def reader_photos() -> str:
    """The shipped reader on the photo set of benchmarks/photos.py, per kind and turn."""
    from rotkeras.evaluation import turned_mean

    result = _photos()["result"]
    turned = result["turned"][READER]
    sizes = result["group_sizes"]
    lines = ["| kind | photos | upright | turned (90, -90, 180) | 90 | 180 | -90 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for kind, title in KIND_TITLES.items():
        if kind not in turned:
            continue
        by_turn = turned[kind]
        mean_turned = turned_mean(by_turn, result["turns"])
        lines.append(
            f"| {title} | {sizes[kind]} | {_percent(by_turn['0'], 1)} | "
            f"{_percent(mean_turned, 1)} | {_percent(by_turn['90'], 1)} | "
            f"{_percent(by_turn['180'], 1)} | {_percent(by_turn['-90'], 1)} |")
    return "\n".join(lines)


def numbers_results() -> str:
    """`read_numbers` on real and synthetic numbers (benchmarks/numbers.py)."""
    result = json.loads((ROOT / "benchmarks" / "results" / "numbers.json").read_text("utf-8"))
    lines = ["| set | photos x turns | numbers exact | digits right | orientation right |",
             "|---|---:|---:|---:|---:|"]

    def row(title: str, scores: dict[str, Any]) -> None:
        lines.append(f"| {title} | {scores['photos']} | {_percent(scores['exact'], 1)} | "
                     f"{_percent(scores['digits'], 1)} | {_percent(scores['orientation'], 1)} |")

    dev = result.get("dev")
    if dev:
        row(f"real photos ({len(dev['files'])} from {dev['sources']} sources), upright",
            dev["upright"])
        row("real photos, turned by 90, 180 and 270 degrees", dev["turned"])
        held = dev.get("held_out_sources")
        if held:
            row(f"held-out half ({held['photos']} photos from {held['sources']} sources), "
                "upright", held["upright"])
            row("held-out half, turned", held["turned"])
    fresh = result.get("fresh")
    if fresh:
        row(f"fresh photos ({len(fresh['files'])} from {fresh['sources']} other sources, "
            "gathered after the thresholds were set), upright", fresh["upright"])
        row("fresh photos, turned", fresh["turned"])
    if dev:
        for mode, title in (("photo", "one per photo (the default)"),
                            ("number", "one per number"), ("digit", "one per digit")):
            row(f"real photos with a 6 or a 9, all turns, orientation {title}",
                dev["six_nine"][mode])
    titles = {"separate": "separate digits", "tilted_15": "tilted by up to 15 degrees",
              "touching_0.3": "30 % of the digits touching the one before"}
    for key, title in titles.items():
        row(f"synthetic (MNIST), {title}, random turns", result["synthetic"][key]["all"])
    for mode, title in (("photo", "one per photo or number"), ("digit", "one per digit")):
        row(f"synthetic with a 6 or a 9, orientation {title}",
            result["synthetic"][f"six_nine_{mode}"])
    cost = result["cost"]
    lines += ["", f"Cost: {cost['seconds_per_photo']} s per {cost['photo']} photo "
              f"(median of {cost['repeats']}), {result['machine'].get('cpu', 'CPU')}, "
              f"{result['machine']['cpus']} cores, load average "
              f"{cost['load_average'][0]} while measuring."]
    return "\n".join(lines)


def numbers_weights() -> str:
    """The numbers read exactly with the shipped weights for numbers and with the reader's
    default weights, side by side (benchmarks/numbers.py --compare)."""
    result = json.loads((ROOT / "benchmarks" / "results" / "numbers.json").read_text("utf-8"))
    other = result["compare"]
    lines = ["| set | photos | weights for numbers (no tilts) | "
             f"`{other['weights']}` weights |", "|---|---:|---:|---:|"]
    sets = [("dev", None, "real photos, upright"), ("dev", None, "real photos, turned"),
            ("dev", "tuning_sources", "tuning half, upright"),
            ("dev", "tuning_sources", "tuning half, turned"),
            ("dev", "held_out_sources", "held-out half, upright"),
            ("dev", "held_out_sources", "held-out half, turned"),
            ("fresh", None, "fresh photos, upright"), ("fresh", None, "fresh photos, turned")]
    for part, half, title in sets:
        view = "turned" if title.endswith("turned") else "upright"
        ours, theirs = result[part], other[part]
        if half:
            ours, theirs = ours[half], theirs[half]
        lines.append(f"| {title} | {ours[view]['photos']} | {_percent(ours[view]['exact'], 1)} "
                     f"| {_percent(theirs[view]['exact'], 1)} |")
    mnist = result["mnist"]
    for key, title, count in (("upright", "MNIST test digits, upright", "10,000"),
                              ("combined", "MNIST test digits and each turned by a right "
                               "angle", "20,000")):
        lines.append(f"| {title} | {count} | {_percent(mnist['numbers'][key])} | "
                     f"{_percent(mnist[other['weights']][key])} |")
    return "\n".join(lines)


REAL_DIGITS = {
    "Semeion and optdigits-orig (6,270 digits)":
        ROOT / "benchmarks" / "results" / "numbers_real_uci.json",
    "ARDIS Dataset IV (7,474 digits)":
        ROOT / "benchmarks" / "results" / "numbers_real_ardis.json",
}


def numbers_real_digits() -> str:
    """Upright numbers read exactly and MNIST, for the weights for numbers and for the same
    recipe with real digits added (benchmarks/numbers.py --turns 0 --compare PATH)."""
    runs = {name: json.loads(path.read_text("utf-8")) for name, path in REAL_DIGITS.items()}
    first = next(iter(runs.values()))

    def row(title: str, result: dict[str, Any], other: bool) -> str:
        dev = result["compare"]["dev"] if other else result["dev"]
        fresh = result["compare"]["fresh"] if other else result["fresh"]
        mnist = result["mnist"][result["compare"]["weights"] if other else "numbers"]
        cells = [dev["tuning_sources"]["upright"], dev["held_out_sources"]["upright"],
                 dev["upright"], fresh["upright"]]
        exact = " | ".join(f"{round(c['exact'] * c['photos'])} of {c['photos']}" for c in cells)
        return (f"| {title} | {exact} | {_percent(mnist['upright'])} "
                f"| {_percent(mnist['combined'])} |")

    lines = ["| training digits added | tuning half | held-out half | development set "
             "| fresh set | MNIST upright | MNIST combined |",
             "|---|---:|---:|---:|---:|---:|---:|",
             row("none (the weights for numbers)", first, other=False)]
    lines += [row(name, result, other=True) for name, result in runs.items()]
    return "\n".join(lines)


HELDOUT = ROOT / "benchmarks" / "results" / "photos_heldout.json"
HELDOUT_DEFAULT = ROOT / "benchmarks" / "results" / "photos_heldout_default.json"
HELDOUT_UNTILTED = ROOT / "benchmarks" / "results" / "photos_heldout_untilted.json"
HELDOUT_CORNERS = {"black": ROOT / "benchmarks" / "results" / "photos_heldout_black.json",
                   "white": ROOT / "benchmarks" / "results" / "photos_heldout_white.json"}


def _heldout_table(path: Path) -> list[str]:
    """Accuracy per kind (upright, turned, tilted), then the tilts one by one for all photos:
    one table of every view would not fit the page's column."""
    data = json.loads(path.read_text(encoding="utf-8"))
    result = data["held_out"]
    tilts = [v for v in data["views"] if v.startswith("tilt")]
    lines = ["| kind | photos | upright | turned (90, 180, 270) | 90 | 180 | 270 "
             "| tilted (+-15, 30, 45) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, title in KIND_TITLES.items():
        if kind not in result:
            continue
        row = result[kind]
        cells = [title, str(row["count"]), _percent(row["upright"], 1),
                 _percent(row["turned"], 1)]
        cells += [_percent(row[t], 1) for t in ("90", "180", "270")]
        cells += [_percent(row["tilted"], 1)]
        lines.append("| " + " | ".join(cells) + " |")
    if tilts and "all" in result:
        lines += ["", "Tilted photos, all kinds: " + ", ".join(
            f"{t[4:]}° {_percent(result['all'][t], 1)}" for t in tilts) + "."]
    return lines


def _settings_line(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    chosen = [c["setting"] for c in data["chosen"]]
    described = []
    for setting in chosen:
        tilts = ", ".join(f"{t:g}" for t in setting["tilts"]) or "none"
        described.append(f"upright prior {setting['prior']:g}, tilt search {tilts}"
                         + (f" (bonus {setting['tilt_bonus']:g})" if setting["tilts"] else ""))
    counts = {d: described.count(d) for d in described}
    return ("Settings chosen on the training folds: "
            + "; ".join(f"{d} ({n} of {len(chosen)} folds)" for d, n in counts.items()) + ".")


def _six_nine_line(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    errors = data["held_out"]["six_nine"]
    six = sum(e["6 read as 9"] for e in errors.values())
    nine = sum(e["9 read as 6"] for e in errors.values())
    return (f"Over the {len(errors)} views of the {data['count']} photos ({data['sources']} "
            f"sources, {data['folds']} folds): {six} readings of a 6 as 9, {nine} of a 9 as 6 "
            f"(upright photos: {errors['upright']['6 read as 9']} and "
            f"{errors['upright']['9 read as 6']}).")


def reader_heldout() -> str:
    """The shipped reader's accuracy on the photos (benchmarks/photos_heldout.py --no-tune)."""
    return "\n".join(_heldout_table(HELDOUT_DEFAULT) + ["", _six_nine_line(HELDOUT_DEFAULT)])


def reader_heldout_tuned() -> str:
    """Leave-source-out accuracy with the tilt search and prior tuned per fold."""
    return "\n".join(_heldout_table(HELDOUT) + ["", _settings_line(HELDOUT),
                                                _six_nine_line(HELDOUT)])


def reader_heldout_corners() -> str:
    """Tilted photos, all kinds, per way of filling the corners (--corners)."""
    rows = {"the letterboxed photo turned, corners the paper's colour": HELDOUT_DEFAULT,
            **{f"turned in an editor, corners {colour}": path
               for colour, path in HELDOUT_CORNERS.items()}}
    lines = []
    for title, path in rows.items():
        data = json.loads(path.read_text(encoding="utf-8"))
        tilts = [v for v in data["views"] if v.startswith("tilt")]
        if not lines:
            lines = ["| tilted photos | " + " | ".join(f"{t[4:]}°" for t in tilts)
                     + " | mean |", "|---|" + "---:|" * (len(tilts) + 1)]
        row = data["held_out"]["all"]
        lines.append(f"| {title} | " + " | ".join(_percent(row[t], 1) for t in tilts)
                     + f" | {_percent(row['tilted'], 1)} |")
    return "\n".join(lines)


def reader_heldout_untilted() -> str:
    """The same table for the network shipped before, trained without tilted digits."""
    return "\n".join(_heldout_table(HELDOUT_UNTILTED) + ["", _six_nine_line(HELDOUT_UNTILTED)])

TILT_CHOICE = ROOT / "benchmarks" / "results" / "reader_tilt_choice.json"
CONTINENTAL_CHOICE = ROOT / "benchmarks" / "results" / "reader_continental_choice.json"


def _choice_table(path: Path, first_column: str) -> str:
    """MNIST and the 33 extra photos for each candidate recipe of the reader."""
    data = json.loads(path.read_text(encoding="utf-8"))
    lines = [f"| {first_column} | MNIST upright | MNIST combined | 33 photos upright | turned "
             "| tilted |", "|---|---:|---:|---:|---:|---:|"]
    for name, row in data["candidates"].items():
        mnist, extra = row["mnist"], row["extra_photos"]
        lines.append(f"| {name} | {_percent(mnist['upright'])} | {_percent(mnist['combined'])} "
                     f"| {_percent(extra['upright'], 1)} | {_percent(extra['turned'], 1)} "
                     f"| {_percent(extra['tilted'], 1)} |")
    return "\n".join(lines)


def reader_tilt_choice() -> str:
    """MNIST and the 33 extra photos for each share of tilted training digits."""
    return _choice_table(TILT_CHOICE, "tilted share")


def reader_continental_choice() -> str:
    """MNIST and the 33 extra photos with and without flagged 1s and crossed 7s."""
    return _choice_table(CONTINENTAL_CHOICE, "flagged 1s, crossed 7s")


def _deploy() -> dict[str, Any]:
    return json.loads(DEPLOY.read_text(encoding="utf-8"))


def _ms(seconds: float) -> str:
    return f"{1000 * seconds:.0f} ms" if seconds >= 0.01 else f"{1000 * seconds:.1f} ms"


def deploy_runtimes() -> str:
    """Export sizes and CPU time per photo of the reader per runtime (benchmarks/deploy.py)."""
    result = _deploy()
    sizes, costs = result["export"], result["runtimes_cpu_s"]
    ratios = result["keras_predict_cpu_over_runtime"]
    lines = [
        "| runtime | file | size | CPU time, one photo at a time | per photo in batches of 32 "
        "| Keras `predict` takes (one at a time / batches) |",
        "|---|---|---:|---:|---:|---:|",
        f"| Keras `predict` | weights in the package | - | "
        f"{_ms(costs['keras_latency_one_photo_s'])} | {_ms(costs['keras_predict_batch32_s'])} "
        "| - |",
        f"| TensorFlow SavedModel | folder | {sizes['tf_saved_model']['bytes'] / 1e6:.1f} MB "
        "| - | - | - |",
        f"| TFLite (LiteRT), 1 thread | `reader.tflite` | "
        f"{sizes['tflite']['bytes'] / 1e6:.1f} MB | "
        f"{_ms(costs['tflite_latency_one_photo_s'])} | {_ms(costs['tflite_batch32_s'])} "
        f"(one at a time) | {ratios['tflite_one_photo']:.1f}x / "
        f"{ratios['tflite_batch32']:.1f}x |",
        f"| ONNX Runtime, 1 thread | `reader.onnx` | {sizes['onnx']['bytes'] / 1e6:.1f} MB | "
        f"{_ms(costs['onnx_latency_one_photo_s'])} | "
        f"{_ms(costs['shipped_onnx_reader_batch32_s'])} | {ratios['onnx_one_photo']:.1f}x / "
        f"{ratios['onnx_batch32']:.1f}x |",
    ]
    machine = result["machine"]
    start, end = (round(machine[k][0]) for k in ("loadavg_at_start", "loadavg_at_end"))
    load = f"{start}" if start == end else f"{start} to {end}"
    agree = result["agreement_with_keras"]

    def agreement(name: str, runtime: str) -> str:
        a = agree[runtime]
        return (f"{name} gave the same digit as Keras for {a['same_digit']} and the same "
                f"orientation for {a['same_orientation']} of the {a['photos']} photos, "
                f"probabilities within {a['max_abs_probability_difference']:.1e}")

    return "\n".join(lines) + (
        f"\n\nCPU time (user + system) of the shipped reader on 256x256 photos letterboxed from "
        f"`{result['photos_dir']}`, measured by `python -m benchmarks.deploy` in one run on a "
        f"{machine['cpus']}-core CPU{_sharing(machine['loadavg_at_start'][0])} (load average "
        f"{load}). The last "
        "column says how many times more CPU time per photo Keras `predict` took than the "
        "runtime (one photo at a time; in batches of 32, which the TFLite file, of batch size "
        "one, reads one photo at a time). Keras `predict` is timed after its first call "
        "on each batch size, which also traces the model (that first call took "
        f"{_ms(costs['keras_predict_first_call_batch32_s'])} per photo in a batch of 32). "
        "Every file holds the preprocessing as well as the network; the ONNX file is the one "
        "`rotkeras predict` uses (with the 28x28 image as a third output). In the same run, "
        f"{agreement('the TFLite reader', 'tflite')}; {agreement('the ONNX reader', 'onnx')}."
    )


def deploy_predict() -> str:
    """`rotkeras predict` end to end and its stages (benchmarks/deploy.py)."""
    result = _deploy()
    e2e, stages = result["end_to_end"], result["stages_per_photo_cpu_s"]
    fast, slow = e2e["onnx_all_photos"], e2e["keras_some_photos"]
    accuracy = result["accuracy_onnx"]
    lines = [
        "| `rotkeras predict --format json` | runtime | CPU time | wall time |",
        "|---|---|---:|---:|",
        f"| {stages['photos']} photos | ONNX Runtime | {fast['cpu_s_per_photo']:.3f} s per photo "
        f"({fast['cpu_s']:.1f} s) | {fast['wall_s']:.1f} s |",
        f"| {slow['photos']} photos | Keras | {slow['cpu_s_per_photo']:.3f} s per photo "
        f"(after start-up) | {slow['wall_s']:.1f} s |",
        f"| one photo | ONNX Runtime | {e2e['onnx_one_photo']['cpu_s']:.2f} s | "
        f"{e2e['onnx_one_photo']['wall_s']:.2f} s |",
        f"| one photo | Keras | {e2e['keras_one_photo']['cpu_s']:.2f} s | "
        f"{e2e['keras_one_photo']['wall_s']:.2f} s |",
        f"| start-up and imports only | - | {e2e['imports_only']['cpu_s']:.2f} s | "
        f"{e2e['imports_only']['wall_s']:.2f} s |",
    ]
    stage_rows = [
        "",
        "Per photo, in the same run: reading the header and EXIF orientation "
        f"{_ms(stages['header_and_exif_s'])}, decoding at full size "
        f"{_ms(stages['decode_full_s'])} and at reduced size {_ms(stages['decode_reduced_s'])}, "
        f"letterboxing {_ms(stages['letterbox_s'])}. The ONNX reader read "
        f"{_percent(accuracy['reduced_decode'], 1)} of the photos right with reduced-size "
        f"decoding and {_percent(accuracy['full_decode'], 1)} with full-size decoding.",
    ]
    tesseract = result["off_the_shelf_tesseract"]
    if "skipped" in tesseract:
        stage_rows.append("\nNo off-the-shelf reader was measured in this run: "
                          f"{tesseract['skipped']}.")
    else:
        stage_rows.append(
            f"\nAn off-the-shelf reader in the same run, on the same {tesseract['photos']} "
            f"upright 256x256 photos: {tesseract['program']} (`{tesseract['command']}`, "
            "one character, digits only, one process per photo) took "
            f"{tesseract['cpu_s_per_photo']:.3f} s of CPU time per photo (its start "
            "included) and read "
            f"{_percent(tesseract['accuracy'], 1)} of the photos right (no answer for "
            f"{_percent(tesseract['no_answer'], 1)}), where the shipped reader read "
            f"{_percent(tesseract['rotkeras_accuracy'], 1)} right. Tesseract reads printed "
            "text; handwritten digits are not what it was made for."
        )
    return "\n".join(lines + stage_rows)


def deploy_cost() -> str:
    """The model card's cost line: `rotkeras predict` end to end (benchmarks/deploy.py)."""
    result = _deploy()
    e2e, costs = result["end_to_end"], result["runtimes_cpu_s"]
    fast = e2e["onnx_all_photos"]
    return (
        f"`rotkeras predict --format json` read {result['stages_per_photo_cpu_s']['photos']} "
        f"photos with {fast['cpu_s_per_photo']:.3f} s of CPU time per photo end to end "
        "(process start, decoding, letterboxing to 256x256, preprocessing and network in ONNX "
        f"Runtime), and one photo in {e2e['onnx_one_photo']['wall_s']:.1f} s wall time, on a "
        f"{result['machine']['cpus']}-core CPU{_sharing(result['machine']['loadavg_at_start'][0])}"
        " (load average "
        f"{round(result['machine']['loadavg_at_start'][0])}). In Keras, in batches of "
        f"32, `HandwritingPreprocess` (160x160 working size) took "
        f"{_ms(costs['keras_preprocess_batch32_s'])} and the network (nine passes of the "
        f"28x28 network) {_ms(costs['keras_network_batch32_s'])} of CPU time per photo, the "
        "layers called eagerly."
    )


def generators() -> dict[str, Callable[[], str]]:
    table: dict[str, Callable[[], str]] = {
        "results-table": results_table,
        "reproduce-run": reproduce_run,
        "reproduce-report": reproduce_report,
        "orientation-angle-accuracy": orientation_angle_accuracy,
        "photos-accuracy": photos_accuracy,
        "orientation-end-to-end": orientation_end_to_end,
        "any-angle-sweep": any_angle_sweep,
        "benchmark-run": benchmark_run,
        "performance-source": performance_source,
        "augmentation-overhead": augmentation_overhead,
        "performance-inference": _inference_table,
        "performance-augmentation": _augmentation_table,
        "any-angle-ratios": _any_angle_ratios,
        "cli:rotkeras": cli_reference("rotkeras"),
        "equivariant-results": equivariant_results,
        "reader-mnist": reader_mnist,
        "reader-photos": reader_photos,
        "numbers-results": numbers_results,
        "numbers-weights": numbers_weights,


        "reader-heldout": reader_heldout,
        "reader-heldout-tuned": reader_heldout_tuned,
        "reader-heldout-untilted": reader_heldout_untilted,
        "reader-heldout-corners": reader_heldout_corners,
        "reader-tilt-choice": reader_tilt_choice,
        "reader-continental-choice": reader_continental_choice,
        "numbers-real-digits": numbers_real_digits,
        "deploy-runtimes": deploy_runtimes,
        "deploy-predict": deploy_predict,
        "deploy-cost": deploy_cost,
    }
    for backend in BACKEND_TITLES:
        table[f"performance-training:{backend}"] = functools.partial(_training_table, backend)
        table[f"performance-findings:{backend}"] = functools.partial(performance_findings,
                                                                     backend)
    for command in _command_names():
        table[f"cli:{command}"] = cli_reference(command)
    return table


# ----------------------------------------------------------------- pages
def render(text: str, table: dict[str, Callable[[], str]]) -> str:
    """`text` with every generated region rewritten."""

    def replace(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in table:
            raise KeyError(f"no generator named {name!r}")
        indent = match["indent"]
        body = "\n".join(f"{indent}{line}" if line else "" for line in
                         table[name]().rstrip().split("\n"))
        return f"{indent}{match['open']}{body}\n{indent}{match['close']}"

    return REGION.sub(replace, text)


def pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "<!-- generated:" in p.read_text("utf-8"))


def stale_pages() -> dict[Path, str]:
    """{page: the text this script would write} for every page that differs."""
    table = generators()
    stale = {}
    for page in pages():
        text = page.read_text(encoding="utf-8")
        new = render(text, table)
        if new != text:
            stale[page] = new
    return stale


def redraw_figures() -> list[str]:
    """Redraws the reproduce run's figures that need nothing but metrics.json.

    The confusion matrices, the accuracy against angle and the rotated samples are drawn from
    the numbers in metrics.json, with the plotting code of `rotkeras reproduce`; the photos
    figure needs the photos and the trained models, so only a new run redraws it.
    """
    from rotkeras.cli.reproduce.figures import write_figures

    metrics = _metrics()
    phases = {k: v for k, v in metrics["phases"].items() if k != "photos"}
    return write_figures(METRICS.parent, phases)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the stale regions")
    parser.add_argument("--figures", action="store_true",
                        help="also redraw the reproduce figures drawn from metrics.json")
    args = parser.parse_args(argv)
    if args.figures:
        print("redrew", ", ".join(redraw_figures()))
    stale = stale_pages()
    for page, text in stale.items():
        name = page.relative_to(ROOT)
        if args.write:
            page.write_text(text, encoding="utf-8")
            print(f"rewrote {name}")
        else:
            print(f"{name} differs from its sources")
    if not stale:
        print("every generated region is up to date")
    return 1 if stale and not args.write else 0


if __name__ == "__main__":
    sys.exit(main())
