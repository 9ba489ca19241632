"""The rotation-equivariant network against the tutorial's CNN: accuracy and training cost.

For each seed, in one process, the two are trained side by side with their epochs
interleaved (so load from other processes hits both alike):

- `reference CNN`: `rotkeras.models.mnist_cnn()`, the tutorial's recipe
  (`model.fit` on the upright training set, batch 64, Adam 1e-3, float32);
- `rotation-robust p4 CNN`: `rotkeras.models.rotation_robust_cnn()` (joint head) with
  its recipe: `rotkeras.datasets.TurnedBatches` (every epoch each training image turned
  by a right angle drawn from the tutorial's mix, the turn as the orientation label),
  `RandomStrokeWidth(0.5)` inside the model, batch 128, AdamW (learning rate 2e-3 with
  cosine decay, weight decay 0.02), float32.

Reported: seconds per epoch (median over the timed epochs, the first epoch of each
model, which includes tracing and compilation, excluded) and their ratio; accuracy on
the standard upright, rotated and combined MNIST test sets; the combined set's errors
and how many are 6/9 confusions; the orientation accuracy on the rotated set.

Run::

    KERAS_BACKEND=tensorflow python -m benchmarks.equivariant --seeds 0,1 \\
        --out benchmarks/results/equivariant.json
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

from benchmarks._common import load_data, machine, markdown_table

REFERENCE_EPOCHS = 10
P4_EPOCHS = 15
P4_BATCH = 128
P4_LEARNING_RATE = 2e-3
P4_WEIGHT_DECAY = 0.02
P4_STROKE_WIDTH = 0.5


def _cpu_time() -> float:
    times = os.times()
    return times.user + times.system


def build_p4(steps: int, seed: int) -> Any:
    """The rotation-robust model, compiled with its recipe (cosine-decayed Adam)."""
    import keras

    import rotkeras
    from rotkeras.models import compile_joint

    keras.utils.set_random_seed(seed)
    model = rotkeras.models.rotation_robust_cnn(
        preprocessing=rotkeras.layers.RandomStrokeWidth(P4_STROKE_WIDTH, seed=seed),
        compile=False,
    )
    schedule = keras.optimizers.schedules.CosineDecay(P4_LEARNING_RATE, steps)
    return compile_joint(model, learning_rate=schedule, weight_decay=P4_WEIGHT_DECAY)


def _errors(model: Any, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    import rotkeras

    combined = rotkeras.datasets.combined_test_set(x, y, seed=0)
    outputs = model.predict(combined.images, batch_size=1000, verbose=0)
    digits = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    predicted = digits.argmax(axis=1)
    wrong = predicted != combined.labels
    pairs = wrong & np.isin(combined.labels, (6, 9)) & np.isin(predicted, (6, 9))
    result: dict[str, Any] = {
        "combined_errors": int(wrong.sum()),
        "six_nine_errors": int(pairs.sum()),
    }
    if isinstance(outputs, (list, tuple)):
        rotated = combined.angles != 0
        turns = (combined.angles // 90) % 4
        result["orientation_accuracy_rotated"] = float(
            np.mean(outputs[1][rotated].argmax(axis=1) == turns[rotated])
        )
    return result


def run_seed(data: dict[str, np.ndarray], seed: int, reference_epochs: int, p4_epochs: int,
             limit: int | None = None) -> dict[str, Any]:
    import keras

    import rotkeras

    x, y = data["x_train"], data["y_train"]
    if limit:
        x, y = x[:limit], y[:limit]
    keras.utils.set_random_seed(seed)
    reference = rotkeras.models.mnist_cnn()
    batches = rotkeras.datasets.TurnedBatches(x, y, batch_size=P4_BATCH, seed=seed)
    p4 = build_p4(p4_epochs * len(batches), seed)
    times: dict[str, list[float]] = {"reference": [], "p4": []}
    cpu: dict[str, list[float]] = {"reference": [], "p4": []}

    def epoch(name: str, index: int) -> None:
        start, start_cpu = time.perf_counter(), _cpu_time()
        if name == "reference":
            keras.utils.set_random_seed(seed * 1000 + index)
            reference.fit(x, y, batch_size=64, epochs=index + 1, initial_epoch=index,
                          shuffle=True, verbose=0)
        else:
            p4.fit(batches, epochs=index + 1, initial_epoch=index, verbose=0)
        times[name].append(time.perf_counter() - start)
        cpu[name].append(_cpu_time() - start_cpu)

    for index in range(max(reference_epochs, p4_epochs)):
        order = ["reference", "p4"] if index % 2 == 0 else ["p4", "reference"]
        for name in order:
            if index < (reference_epochs if name == "reference" else p4_epochs):
                epoch(name, index)
    result: dict[str, Any] = {"seed": seed}
    for name, model in (("reference", reference), ("p4", p4)):
        scores = rotkeras.evaluation.rotation_robustness(model, data["x_test"], data["y_test"])
        timed = times[name][1:] or times[name]
        timed_cpu = cpu[name][1:] or cpu[name]
        result[name] = {
            **scores,
            **_errors(model, data["x_test"], data["y_test"]),
            "parameters": int(model.count_params()),
            "epochs": len(times[name]),
            "seconds_per_epoch": float(np.median(timed)),
            "cpu_seconds_per_epoch": float(np.median(timed_cpu)),
            "epoch_seconds": times[name],
        }
    result["epoch_time_ratio"] = (
        result["p4"]["seconds_per_epoch"] / result["reference"]["seconds_per_epoch"]
    )
    result["epoch_cpu_time_ratio"] = (
        result["p4"]["cpu_seconds_per_epoch"] / result["reference"]["cpu_seconds_per_epoch"]
    )
    return result


def run(seeds: tuple[int, ...] = (0, 1), quick: bool = False, data_path: str | None = None,
        reference_epochs: int = REFERENCE_EPOCHS, p4_epochs: int = P4_EPOCHS,
        limit: int | None = None) -> dict[str, Any]:
    data = load_data(data_path, quick)
    if quick:
        reference_epochs, p4_epochs = 2, 2
        limit = limit or 1024
    return {
        "machine": machine(),
        "data": str(data["source"]),
        "recipe": {"p4_batch": P4_BATCH, "p4_learning_rate": P4_LEARNING_RATE,
                   "p4_weight_decay": P4_WEIGHT_DECAY, "p4_stroke_width": P4_STROKE_WIDTH,
                   "p4_epochs": p4_epochs, "reference_epochs": reference_epochs,
                   "limit": limit},
        "seeds": [run_seed(data, seed, reference_epochs, p4_epochs, limit) for seed in seeds],
    }


def to_markdown(result: dict[str, Any]) -> str:
    rows = []
    for entry in result["seeds"]:
        for name, label in (("reference", "reference CNN"), ("p4", "rotation-robust p4 CNN")):
            r = entry[name]
            rows.append([
                label, entry["seed"], f"{r['parameters']:,}", r["epochs"],
                f"{100 * r['upright']:.2f}%", f"{100 * r['rotated']:.2f}%",
                f"{100 * r['combined']:.2f}%", r["combined_errors"], r["six_nine_errors"],
                f"{r['seconds_per_epoch']:.1f}",
            ])
    table = markdown_table(
        ["model", "seed", "parameters", "epochs", "upright", "rotated", "combined",
         "errors (combined)", "6/9 errors", "s/epoch"],
        rows,
    )
    ratios = ", ".join(
        f"seed {e['seed']}: {e['epoch_time_ratio']:.2f}x wall, {e['epoch_cpu_time_ratio']:.2f}x CPU"
        for e in result["seeds"]
    )
    return f"{table}\n\nEpoch time of the p4 model / reference CNN: {ratios}.\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--data", default=None)
    parser.add_argument("--reference-epochs", type=int, default=REFERENCE_EPOCHS)
    parser.add_argument("--p4-epochs", type=int, default=P4_EPOCHS)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", default=None, help="write the JSON results here")
    args = parser.parse_args(argv)
    seeds = tuple(int(s) for s in args.seeds.split(",") if s.strip())
    result = run(seeds, args.quick, args.data, args.reference_epochs, args.p4_epochs, args.limit)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
    print(to_markdown(result))


if __name__ == "__main__":
    main()
