"""Training speed: seconds per epoch of `mnist_cnn` at batch 64, side by side.

Paths, all in one process on the active Keras backend, their epochs interleaved
(round-robin, order rotated every round) so that load from other processes hits them
alike:

- `tutorial fit`: the tutorial's `model.fit(x, y, batch_size=64)` on NumPy arrays;
- `tutorial fit + keras RandomRotation`: the same with `keras.layers.RandomRotation`
  inside the model (timed on a slice of the data: it is slow);
- `rotkeras fit_classifier`: the recommended path
  (`rotkeras.training.fit_classifier`, what `rotkeras reproduce` uses);
- `rotkeras fit_classifier + RandomRightAngleRotation`: the same with on-the-fly rotation
  augmentation inside the model;
- where `rotkeras.training.recommended_dtype_policy()` is not float32 (TensorFlow
  and PyTorch on CPUs with native bfloat16), the same two paths again with the model in that
  precision (`mnist_cnn(dtype=...)`): the recommended path. The headline ratios use the
  recommended precision; the float32 ones are reported beside them;
- on JAX, `hand-written JAX loop`: a jitted `lax.scan` per epoch with the data on the
  device (`benchmarks/jax_floor.py`), the floor.

The augmentation overhead of the recommended path is also measured on its own, in
`overhead_rounds` pairs of short one-epoch fits (`overhead_samples` images, a new slice
every round) of the recommended model with and without `RandomRightAngleRotation`, the
order inside a pair alternating; the reported overhead is the median of the per-pair
ratios, which cancels the slow phases of a shared machine that whole-epoch medians of two
epochs do not.

Every path first trains a short warm-up (`warmup` samples, so that tracing and
compilation are not timed), then `epochs` timed epochs. Epoch time is measured from
`on_epoch_begin` to `on_epoch_end` (the floor: around its jitted epoch call).
Accuracy is measured on the upright test set and on the test set turned by random
right angles.

Run on its own::

    KERAS_BACKEND=tensorflow python -m benchmarks.training [--quick] [--epochs 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._common import load_data, machine, markdown_table, rotate_test_set

BATCH = 64
FLOOR = "hand-written JAX loop (data on device)"


def _cpu_time() -> float:
    """CPU seconds used by this process so far (all threads, user + system)."""
    times = os.times()
    return times.user + times.system


class _EpochTimer:
    """A Keras callback recording the duration of each epoch."""

    def __new__(cls) -> Any:
        import keras

        class Timer(keras.callbacks.Callback):
            def __init__(self) -> None:
                super().__init__()
                self.seconds: list[float] = []
                self.cpu_seconds: list[float] = []

            def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
                self._start = time.perf_counter()
                self._cpu = _cpu_time()

            def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
                self.seconds.append(time.perf_counter() - self._start)
                self.cpu_seconds.append(_cpu_time() - self._cpu)

        return Timer()


class _Path:
    def __init__(self, name: str, samples: int, epoch: Callable[[int], tuple[float, float]],
                 accuracy: Callable[[np.ndarray, np.ndarray], float]) -> None:
        self.name = name
        self.samples = samples
        self.epoch = epoch
        self.accuracy = accuracy
        self.seconds: list[float] = []
        self.cpu_seconds: list[float] = []


def _keras_paths(data: dict[str, np.ndarray], seed: int, keras_rotation_samples: int,
                 warmup: int) -> list[_Path]:
    import keras

    from rotkeras.layers import RandomRightAngleRotation
    from rotkeras.models import mnist_cnn
    from rotkeras.training import fit_classifier, recommended_dtype_policy

    x, y = data["x_train"], data["y_train"]
    paths = []
    policy = recommended_dtype_policy()

    def keras_accuracy(model: keras.Model) -> Callable[[np.ndarray, np.ndarray], float]:
        def accuracy(xt: np.ndarray, yt: np.ndarray) -> float:
            return float(model.evaluate(xt, yt, batch_size=1000, verbose=0)[1])

        return accuracy

    def tutorial(name: str, preprocessing: Any, xs: np.ndarray, ys: np.ndarray) -> _Path:
        keras.utils.set_random_seed(seed)
        model = mnist_cnn(preprocessing=preprocessing)
        model.fit(xs[:warmup], ys[:warmup], batch_size=BATCH, epochs=1, verbose=0)

        def epoch(index: int) -> tuple[float, float]:
            timer = _EpochTimer()
            model.fit(xs, ys, batch_size=BATCH, epochs=1, shuffle=True, verbose=0,
                      callbacks=[timer])
            return timer.seconds[0], timer.cpu_seconds[0]

        return _Path(name, len(xs), epoch, keras_accuracy(model))

    def recommended(name: str, preprocessing: Any, dtype: str = "float32") -> _Path:
        keras.utils.set_random_seed(seed)
        model = mnist_cnn(preprocessing=preprocessing, dtype=dtype)
        fit_classifier(model, x[:warmup], y[:warmup], epochs=1, batch_size=BATCH,
                       seed=seed, verbose=0)

        def epoch(index: int) -> tuple[float, float]:
            timer = _EpochTimer()
            # One call per epoch (to interleave the paths): vary the shuffle seed.
            fit_classifier(model, x, y, epochs=1, batch_size=BATCH, seed=seed + 1 + index,
                           verbose=0, callbacks=[timer])
            return timer.seconds[0], timer.cpu_seconds[0]

        return _Path(name, len(x), epoch, keras_accuracy(model))

    paths.append(tutorial("tutorial fit (NumPy arrays)", None, x, y))
    paths.append(recommended("rotkeras fit_classifier", None))
    paths.append(recommended("rotkeras fit_classifier + RandomRightAngleRotation",
                             RandomRightAngleRotation(seed=seed)))
    if policy != "float32":
        paths.append(recommended(f"rotkeras fit_classifier, {policy}", None, policy))
        paths.append(recommended(f"rotkeras fit_classifier + RandomRightAngleRotation, {policy}",
                                 RandomRightAngleRotation(seed=seed), policy))
    paths.append(tutorial("tutorial fit + RandomRightAngleRotation",
                          RandomRightAngleRotation(seed=seed), x, y))
    if keras_rotation_samples:
        n = min(keras_rotation_samples, len(x))
        paths.append(tutorial("tutorial fit + keras.layers.RandomRotation",
                              keras.layers.RandomRotation(0.5, seed=seed), x[:n], y[:n]))
    return paths


OVERHEAD_SAMPLES = 4480  # 70 steps of 64: steps_per_execution="auto" picks 14, as on MNIST


def augmentation_overhead(data: dict[str, np.ndarray], seed: int, policy: str, rounds: int,
                          samples: int, warmup: int) -> dict[str, Any]:
    """Rotation augmentation's cost in the recommended path, from paired short fits.

    Two models in the recommended precision, `mnist_cnn()` and
    `mnist_cnn(preprocessing=RandomRightAngleRotation())`, both trained with
    `fit_classifier` (so with the same pipeline and steps per execution), train `rounds`
    pairs of one-epoch fits on `samples` consecutive training images (the slice moves on
    every round); inside a pair the order alternates. Each fit is timed from
    `on_epoch_begin` to `on_epoch_end`, wall and CPU time.

    Returns:
        Per-pair times, and the overhead as the median, first and third quartile of the
        per-pair ratios (with augmentation / without) minus one.
    """
    import keras

    from rotkeras.layers import RandomRightAngleRotation
    from rotkeras.models import mnist_cnn
    from rotkeras.training import fit_classifier

    x, y = data["x_train"], data["y_train"]
    samples = min(samples, len(x))
    models = {}
    for name, preprocessing in (("without", None),
                                ("with", RandomRightAngleRotation(seed=seed))):
        keras.utils.set_random_seed(seed)
        model = mnist_cnn(preprocessing=preprocessing, dtype=policy)
        fit_classifier(model, x[:warmup], y[:warmup], epochs=1, batch_size=BATCH,
                       seed=seed, verbose=0)
        fit_classifier(model, x[:samples], y[:samples], epochs=1, batch_size=BATCH,
                       seed=seed, verbose=0)  # traces the step for this slice's settings
        models[name] = model
    times: dict[str, list[tuple[float, float]]] = {"without": [], "with": []}
    for index in range(rounds):
        start = (index * samples) % max(len(x) - samples + 1, 1)
        xs, ys = x[start:start + samples], y[start:start + samples]
        for name in (("without", "with") if index % 2 == 0 else ("with", "without")):
            timer = _EpochTimer()
            fit_classifier(models[name], xs, ys, epochs=1, batch_size=BATCH,
                           seed=seed + 1 + index, verbose=0, callbacks=[timer])
            times[name].append((timer.seconds[0], timer.cpu_seconds[0]))
    wall = np.array([w for w, _ in times["with"]]) / np.array([w for w, _ in times["without"]])
    cpu = np.array([c for _, c in times["with"]]) / np.array([c for _, c in times["without"]])
    steps = math.ceil(samples / BATCH)
    return {
        "precision": policy,
        "rounds": rounds,
        "samples_per_fit": samples,
        "steps_per_execution": int(models["with"].steps_per_execution),
        "ms_per_step_without": 1000 * float(np.median([w for w, _ in times["without"]])) / steps,
        "ms_per_step_with": 1000 * float(np.median([w for w, _ in times["with"]])) / steps,
        "fit_seconds": {name: [w for w, _ in pairs] for name, pairs in times.items()},
        "fit_cpu_seconds": {name: [c for _, c in pairs] for name, pairs in times.items()},
        "wall_overhead": float(np.median(wall) - 1),
        "wall_overhead_quartiles": [float(np.percentile(wall, q) - 1) for q in (25, 75)],
        "cpu_overhead": float(np.median(cpu) - 1),
        "cpu_overhead_quartiles": [float(np.percentile(cpu, q) - 1) for q in (25, 75)],
    }


def _jax_floor_path(data: dict[str, np.ndarray], seed: int, warmup: int) -> _Path:
    from benchmarks.jax_floor import JaxFloorTrainer

    x, y = data["x_train"], data["y_train"]
    # Compile the epoch function ahead of time (it depends only on shapes) instead of
    # training a warm-up epoch, which would cost a full epoch here; then train the same
    # warm-up samples as the other paths so that every path sees the same updates.
    warm = JaxFloorTrainer(x[:warmup], y[:warmup], batch_size=BATCH, seed=seed)
    warm.train_epoch()
    trainer = JaxFloorTrainer(x, y, batch_size=BATCH, seed=seed)
    trainer.params, trainer.opt_state = warm.params, warm.opt_state
    trainer.compile()

    def epoch(index: int) -> tuple[float, float]:
        start, cpu = time.perf_counter(), _cpu_time()
        trainer.train_epoch()
        return time.perf_counter() - start, _cpu_time() - cpu

    return _Path(f"{FLOOR}, {trainer.mode}", len(x), epoch, trainer.accuracy)


def run(quick: bool = False, epochs: int = 2, limit: int | None = None,
        data_path: str | None = None, seed: int = 0,
        keras_rotation_samples: int | None = None, overhead_rounds: int | None = None,
        overhead_samples: int = OVERHEAD_SAMPLES) -> dict[str, Any]:
    """Trains every path for `epochs` interleaved epochs; returns a JSON-able dict."""
    import keras

    data = load_data(data_path, quick, seed)
    if quick:
        limit = min(limit or 256, 256)
        epochs = 1
    if limit is not None:
        data["x_train"], data["y_train"] = data["x_train"][:limit], data["y_train"][:limit]
    if quick:
        data["x_test"], data["y_test"] = data["x_test"][:200], data["y_test"][:200]
    num = len(data["x_train"])
    warmup = min(num, 10 * BATCH + BATCH // 2)  # a full and a partial batch shape
    if keras_rotation_samples is None:
        keras_rotation_samples = min(num, 128 if quick else 3200)
    paths = _keras_paths(data, seed, keras_rotation_samples, warmup)
    if keras.backend.backend() == "jax":
        paths.append(_jax_floor_path(data, seed, warmup))
    for index in range(epochs):
        order = paths[index % len(paths):] + paths[: index % len(paths)]
        for path in order:
            wall, cpu = path.epoch(index)
            path.seconds.append(wall)
            path.cpu_seconds.append(cpu)
    if overhead_rounds is None:
        overhead_rounds = 2 if quick else 20
    from rotkeras.training import recommended_dtype_policy

    recommended_precision = recommended_dtype_policy()
    overheads = {
        precision: augmentation_overhead(
            data, seed, precision, overhead_rounds,
            min(overhead_samples, 128) if quick else overhead_samples, warmup)
        for precision in dict.fromkeys([recommended_precision, "float32"])
    }
    overhead = overheads[recommended_precision]
    x_rot = rotate_test_set(data["x_test"], seed)
    rows = []
    for path in paths:
        sec = float(np.median(path.seconds))
        per_60k = sec * 60000 / path.samples
        rows.append({
            "path": path.name,
            "samples_per_epoch": path.samples,
            "steps_per_epoch": math.ceil(path.samples / BATCH),
            "epoch_seconds": path.seconds,
            "seconds_per_epoch": sec,
            "ms_per_step": 1000 * sec / math.ceil(path.samples / BATCH),
            "epoch_cpu_seconds": path.cpu_seconds,
            "cpu_ms_per_step": 1000 * float(np.median(path.cpu_seconds))
            / math.ceil(path.samples / BATCH),
            "seconds_per_60k_epoch": per_60k,
            "test_accuracy": path.accuracy(data["x_test"], data["y_test"]),
            "rotated_test_accuracy": path.accuracy(x_rot, data["y_test"]),
            "trained_epochs": epochs if path.samples == num else None,
        })
    by_name = {row["path"]: row for row in rows}
    base = by_name["tutorial fit (NumPy arrays)"]["ms_per_step"]
    for row in rows:
        row["speedup_vs_tutorial_fit"] = base / row["ms_per_step"]
    policy = _recommended_policy(rows)
    suffix = "" if policy == "float32" else f", {policy}"
    names = {
        "tutorial": "tutorial fit (NumPy arrays)",
        "tutorial_aug": "tutorial fit + RandomRightAngleRotation",
        "float32": "rotkeras fit_classifier",
        "float32_aug": "rotkeras fit_classifier + RandomRightAngleRotation",
        "rec": f"rotkeras fit_classifier{suffix}",
        "rec_aug": f"rotkeras fit_classifier + RandomRightAngleRotation{suffix}",
    }
    wall = {key: by_name[name]["ms_per_step"] for key, name in names.items()}
    cpu = {key: by_name[name]["cpu_ms_per_step"] for key, name in names.items()}
    rec, rec_aug = wall["rec"], wall["rec_aug"]
    ratios: dict[str, Any] = {
        "recommended_precision": policy,
        "cpu_recommended_aug_vs_tutorial_fit": cpu["rec_aug"] / cpu["tutorial"],
        "cpu_augmentation_overhead_recommended": cpu["rec_aug"] / cpu["rec"] - 1,
        "recommended_aug_vs_tutorial_fit": rec_aug / base,
        "augmentation_overhead_recommended": rec_aug / rec - 1,
        "augmentation_overhead_tutorial_fit": wall["tutorial_aug"] / base - 1,
        "paired_augmentation_overhead": overhead["wall_overhead"],
        "cpu_paired_augmentation_overhead": overhead["cpu_overhead"],
    }
    if policy != "float32":
        ratios.update({
            "float32_aug_vs_tutorial_fit": wall["float32_aug"] / base,
            "cpu_float32_aug_vs_tutorial_fit": cpu["float32_aug"] / cpu["tutorial"],
            "float32_augmentation_overhead": wall["float32_aug"] / wall["float32"] - 1,
            "cpu_float32_augmentation_overhead": cpu["float32_aug"] / cpu["float32"] - 1,
            "cpu_recommended_vs_float32": cpu["rec"] / cpu["float32"],
        })
    floor = next((row for row in rows if row["path"].startswith(FLOOR)), None)
    if floor:
        ratios["recommended_vs_jax_floor"] = rec / floor["ms_per_step"]
        ratios["recommended_aug_vs_jax_floor"] = rec_aug / floor["ms_per_step"]
    keras_rot = by_name.get("tutorial fit + keras.layers.RandomRotation")
    if keras_rot:
        ratios["keras_random_rotation_vs_tutorial_fit"] = keras_rot["ms_per_step"] / base
    return {
        "benchmark": "training",
        "backend": keras.backend.backend(),
        "quick": quick,
        "epochs": epochs,
        "train_samples": num,
        "test_samples": len(data["x_test"]),
        "warmup_samples": warmup,
        "data": str(data["source"]),
        "rows": rows,
        "ratios": ratios,
        "augmentation_overhead_by_precision": overheads,
        "machine": machine(),
    }


def _recommended_policy(rows: list[dict[str, Any]]) -> str:
    """The precision of the recommended path: the suffix of its row, float32 if none."""
    prefix = "rotkeras fit_classifier, "
    for row in rows:
        if row["path"].startswith(prefix):
            return row["path"][len(prefix):]
    return "float32"


def to_markdown(result: dict[str, Any]) -> str:
    """The result of `run` as a markdown table plus the headline ratios."""
    rows = []
    for row in result["rows"]:
        trained = row["trained_epochs"]
        rows.append([
            row["path"],
            f"{row['seconds_per_epoch']:.2f}" + (
                "" if row["samples_per_epoch"] == result["train_samples"]
                else f" ({row['samples_per_epoch']} samples)"
            ),
            f"{row['seconds_per_60k_epoch']:.1f}",
            f"{row['ms_per_step']:.2f}",
            f"{row['cpu_ms_per_step']:.2f}" if "cpu_ms_per_step" in row else "n/a",
            f"{row['speedup_vs_tutorial_fit']:.2f}x",
            f"{100 * row['test_accuracy']:.2f}%" if trained else "n/a (partial data)",
            f"{100 * row['rotated_test_accuracy']:.2f}%" if trained else "n/a",
        ])
    table = markdown_table(
        ["path", "s/epoch", "s per 60k images", "ms/step", "CPU ms/step", "speed vs tutorial fit",
         "test acc.", "rotated test acc."],
        rows,
    )
    r = result["ratios"]
    lines = [
        table,
        "",
        f"- {result['train_samples']} training samples, {result['epochs']} timed epoch(s) "
        f"per path (median shown) after a {result['warmup_samples']}-sample warm-up; "
        f"batch {BATCH}; data: {result['data']}",
        f"- recommended path ({r.get('recommended_precision', 'float32')}) with rotation "
        f"augmentation / tutorial fit without: "
        f"**{r['recommended_aug_vs_tutorial_fit']:.2f}x** the time per step",
        f"- rotation augmentation overhead: {100 * r['augmentation_overhead_recommended']:+.1f}%"
        f" (recommended path), {100 * r['augmentation_overhead_tutorial_fit']:+.1f}% "
        "(tutorial fit)",
    ]
    overheads = result.get("augmentation_overhead_by_precision") or {}
    for o in overheads.values():
        lines.append(
            f"- rotation augmentation overhead in {o['rounds']} paired fits of "
            f"{o['samples_per_fit']} images ({o['precision']}, {o['steps_per_execution']} steps "
            f"per execution; median of the per-pair ratios, quartiles in brackets): "
            f"**{100 * o['wall_overhead']:+.1f}%** wall "
            f"[{100 * o['wall_overhead_quartiles'][0]:+.1f}%, "
            f"{100 * o['wall_overhead_quartiles'][1]:+.1f}%], "
            f"{100 * o['cpu_overhead']:+.1f}% CPU "
            f"[{100 * o['cpu_overhead_quartiles'][0]:+.1f}%, "
            f"{100 * o['cpu_overhead_quartiles'][1]:+.1f}%]; "
            f"{o['ms_per_step_without']:.2f} vs {o['ms_per_step_with']:.2f} ms/step"
        )
    if "float32_aug_vs_tutorial_fit" in r:
        lines.append(
            f"- the same in float32: fit_classifier + augmentation / tutorial fit "
            f"{r['float32_aug_vs_tutorial_fit']:.2f}x wall, "
            f"{r['cpu_float32_aug_vs_tutorial_fit']:.2f}x CPU; augmentation overhead "
            f"{100 * r['float32_augmentation_overhead']:+.1f}% wall, "
            f"{100 * r['cpu_float32_augmentation_overhead']:+.1f}% CPU; "
            f"{r['recommended_precision']} / float32 fit_classifier: "
            f"{r['cpu_recommended_vs_float32']:.2f}x CPU"
        )
    if "cpu_recommended_aug_vs_tutorial_fit" in r:
        lines.append(
            "- in CPU time (less sensitive to other processes on a shared machine): "
            f"recommended + augmentation / tutorial fit "
            f"**{r['cpu_recommended_aug_vs_tutorial_fit']:.2f}x**, augmentation overhead "
            f"{100 * r['cpu_augmentation_overhead_recommended']:+.1f}%"
        )
    if "recommended_vs_jax_floor" in r:
        lines.append(
            f"- recommended path / hand-written JAX floor: "
            f"**{r['recommended_vs_jax_floor']:.2f}x** "
            f"({r['recommended_aug_vs_jax_floor']:.2f}x with augmentation)"
        )
    if "keras_random_rotation_vs_tutorial_fit" in r:
        lines.append(
            "- keras.layers.RandomRotation inside the model: "
            f"{r['keras_random_rotation_vs_tutorial_fit']:.1f}x the time per step of the "
            "tutorial fit"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny run (smoke test)")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per path")
    parser.add_argument("--limit", type=int, default=None, help="use N training images")
    parser.add_argument("--data", default=None, help="mnist.npz (default: $ROTKERAS_MNIST)")
    parser.add_argument("--overhead-rounds", type=int, default=None,
                        help="paired fits measuring the augmentation overhead (default 20)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, epochs=args.epochs, limit=args.limit, data_path=args.data,
                 overhead_rounds=args.overhead_rounds)
    print(json.dumps(result, indent=2) if args.json else to_markdown(result))


if __name__ == "__main__":
    main()
