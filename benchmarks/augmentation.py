"""Rotation augmentation throughput: images/second on 28x28x1 batches of 1024.

Compares, in one process and one run, on the active Keras backend, each method timed in
turn for three rounds (best of each), so that the machine's load hits all alike:

- the tutorial's per-image `scipy.ndimage.rotate` (random angle of 90, -90, 180);
- `keras.layers.RandomFlip` (the same kind of work as a right-angle rotation: moving
  pixels) against `rotkeras.layers.RandomRightAngleRotation`, and
  `keras.layers.RandomRotation(0.5)` against `rotkeras.layers.RandomAnyAngleRotation(0.5)`,
  each eager on the NumPy batch, eager on a backend tensor, and inside `tf.data`
  (`Dataset.map(..., num_parallel_calls=AUTOTUNE)`);
- a `tf.data` map of one `tf.reverse`, the floor of a pixel permutation in that pipeline;
- inside a train step compiled with `jit_compile=True` (a linear classifier behind the
  layer, batches of 1024; Keras compiles no train step around `RandomRotation`, so that
  one runs uncompiled; on PyTorch both run uncompiled, `torch.compile` takes minutes);
- `np.copy` of the same batch, the memory floor.

Run on its own (prints a markdown table)::

    KERAS_BACKEND=tensorflow python -m benchmarks.augmentation [--quick]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks._common import best_rate, machine, markdown_table, window_rate

BATCH = 1024
MODES = {"eager": "eager", "eager, on a backend tensor": "tensor", "tf.data": "tf_data"}
FLOOR = "tf.reverse, tf.data (the floor of a pixel permutation)"


def _sync(x: Any) -> Any:
    """Waits until `x` is computed, without copying it to NumPy (that copy is not the layer's)."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        return x.block_until_ready()
    if backend == "torch":
        import torch

        if x.device.type == "cuda":
            torch.cuda.synchronize()
        return x
    if backend == "tensorflow":
        return x  # eager TensorFlow ops return computed tensors
    return keras.ops.convert_to_numpy(x)


def _tf_data_window(fn: Any, batch: np.ndarray, min_seconds: float) -> Callable[[], float]:
    """A window of `Dataset.map(fn, num_parallel_calls=AUTOTUNE)`, as documented: returns a
    function timing one pass (images/s).

    The number of batches doubles until one pass takes `min_seconds`, so that building the
    iterator (tens of milliseconds) does not count as the layer's time.
    """
    import tensorflow as tf

    def run(batches: int) -> tuple[float, float]:
        dataset = (
            tf.data.Dataset.from_tensors(batch).repeat(batches)
            .map(fn, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE)
        )
        start = time.perf_counter()
        for _ in dataset:
            pass
        seconds = time.perf_counter() - start
        return batches * len(batch) / seconds, seconds

    batches = 4
    run(batches)  # warm-up (tracing, compilation)
    while run(batches)[1] < min_seconds and batches < 4096:
        batches *= 2
    return lambda: run(batches)[0]


def _interleaved(windows: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """The best rate of every method over `rounds` rounds, each round timing every method
    once in turn (so that a change of the machine's load hits all methods alike)."""
    best = dict.fromkeys(windows, 0.0)
    for _ in range(rounds):
        for name, window in windows.items():
            best[name] = max(best[name], window())
    return best


def _train_step_rate(layer: Any, batch: np.ndarray, min_seconds: float, repeats: int,
                     seed: int) -> tuple[float, bool]:
    """Images/s of `train_on_batch` of `layer` + a linear classifier; and whether it compiled."""
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(batch.shape[1:])
    x = inputs if layer is None else layer(inputs)
    outputs = keras.layers.Dense(10, activation="softmax")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy",
                  jit_compile=keras.backend.backend() != "torch")
    labels = np.arange(len(batch), dtype="int32") % 10
    rate = best_rate(lambda: model.train_on_batch(batch, labels), len(batch),
                     min_seconds=min_seconds, repeats=repeats)
    return rate, bool(model.jit_compile)


def run(quick: bool = False, seed: int = 0) -> dict[str, Any]:
    """Measures every method; returns a JSON-serialisable dict with `rows`."""
    import keras
    import scipy.ndimage

    from rotkeras.layers import RandomAnyAngleRotation, RandomRightAngleRotation

    rng = np.random.default_rng(seed)
    batch = rng.random((BATCH, 28, 28, 1), dtype=np.float32)
    min_seconds = 0.2 if quick else 1.0
    repeats = 2 if quick else 3
    results: dict[str, float] = {}
    notes: dict[str, str] = {}

    angles = np.array([90, -90, 180])

    def scipy_rotate() -> np.ndarray:
        out = np.empty_like(batch)
        for i, image in enumerate(batch):
            out[i] = scipy.ndimage.rotate(image, rng.choice(angles), reshape=False)
        return out

    def copy() -> np.ndarray:
        return np.copy(batch)

    scipy_min = 0.1 if quick else min_seconds
    results["scipy.ndimage.rotate, per image (tutorial)"] = best_rate(
        scipy_rotate, BATCH, min_seconds=scipy_min, repeats=1 if quick else repeats
    )
    import tensorflow as tf

    batch_tensor = keras.ops.convert_to_tensor(batch)
    layers = {
        "keras.layers.RandomFlip": keras.layers.RandomFlip(seed=seed),
        "RandomRightAngleRotation": RandomRightAngleRotation(seed=seed),
        "keras.layers.RandomRotation": keras.layers.RandomRotation(0.5, seed=seed),
        "RandomAnyAngleRotation": RandomAnyAngleRotation(0.5, seed=seed),
    }
    windows: dict[str, Callable[[], float]] = {}
    for label, layer in layers.items():
        for mode, data in (("eager", batch), ("eager, on a backend tensor", batch_tensor)):

            def call(layer: Any = layer, data: Any = data) -> Any:
                return _sync(layer(data, training=True))

            call()  # warm-up (tracing, compilation)
            windows[f"{label}, {mode}"] = lambda call=call: window_rate(call, BATCH, min_seconds)
        windows[f"{label}, tf.data"] = _tf_data_window(layer, batch, min_seconds)
    windows[FLOOR] = _tf_data_window(
        lambda images: tf.reverse(images, axis=[2]), batch, min_seconds
    )
    results.update(_interleaved(windows, repeats))
    compiled = {}
    for label, layer in [
        ("no augmentation", None),
        ("keras.layers.RandomRotation", keras.layers.RandomRotation(0.5, seed=seed)),
        ("RandomAnyAngleRotation", RandomAnyAngleRotation(0.5, seed=seed)),
    ]:
        name = f"train step (jit_compile=True): {label}"
        results[name], compiled[label] = _train_step_rate(layer, batch, min_seconds,
                                                          repeats, seed)
        if not compiled[label]:
            notes[name] = "ran uncompiled"
    results["np.copy (memory floor)"] = best_rate(
        copy, BATCH, min_seconds=min_seconds, repeats=repeats
    )
    ours_eager = results["RandomRightAngleRotation, eager"]
    ratios = {
        "ours_eager_vs_scipy": ours_eager / results["scipy.ndimage.rotate, per image (tutorial)"],
        "copy_vs_ours_eager": results["np.copy (memory floor)"] / ours_eager,
        "ours_tf_data_vs_floor": results["RandomRightAngleRotation, tf.data"] / results[FLOOR],
    }
    for mode, key in MODES.items():
        ratios[f"ours_{key}_vs_flip_{key}"] = (
            results[f"RandomRightAngleRotation, {mode}"]
            / results[f"keras.layers.RandomFlip, {mode}"]
        )
        ratios[f"any_angle_{key}_vs_keras_{key}"] = (
            results[f"RandomAnyAngleRotation, {mode}"]
            / results[f"keras.layers.RandomRotation, {mode}"]
        )
    ratios["any_angle_train_step_vs_keras_train_step"] = (
        results["train step (jit_compile=True): RandomAnyAngleRotation"]
        / results["train step (jit_compile=True): keras.layers.RandomRotation"]
    )
    ratios["any_angle_train_step_vs_no_augmentation"] = (
        results["train step (jit_compile=True): RandomAnyAngleRotation"]
        / results["train step (jit_compile=True): no augmentation"]
    )
    rows = [
        {"method": name, "images_per_second": rate, "vs_this_layer_eager": rate / ours_eager}
        for name, rate in results.items()
    ]
    return {
        "benchmark": "augmentation",
        "backend": keras.backend.backend(),
        "batch_shape": [BATCH, 28, 28, 1],
        "quick": quick,
        "rows": rows,
        "ratios": ratios,
        "notes": notes,
        "machine": machine(),
    }


def to_markdown(result: dict[str, Any]) -> str:
    """The result of `run` as a markdown table plus the headline ratios."""
    table = markdown_table(
        ["method", "images/s", "relative to RandomRightAngleRotation (eager)"],
        [
            [row["method"], row["images_per_second"], f"{row['vs_this_layer_eager']:.3g}x"]
            for row in result["rows"]
        ],
    )
    r = result["ratios"]
    lines = [table, ""]
    for mode, key in MODES.items():
        lines.append(
            f"- {mode}: RandomRightAngleRotation vs keras.layers.RandomFlip "
            f"**{r[f'ours_{key}_vs_flip_{key}']:.2f}x**, RandomAnyAngleRotation vs "
            f"keras.layers.RandomRotation **{r[f'any_angle_{key}_vs_keras_{key}']:.2f}x**"
        )
    lines += [
        f"- tf.data, RandomRightAngleRotation vs a map of one tf.reverse (the floor): "
        f"**{r['ours_tf_data_vs_floor']:.2f}x**",
        f"- RandomRightAngleRotation (eager) vs per-image scipy: "
        f"**{r['ours_eager_vs_scipy']:.0f}x** faster; np.copy is "
        f"{r['copy_vs_ours_eager']:.1f}x faster than it",
        f"- train step (jit_compile=True), RandomAnyAngleRotation vs "
        f"keras.layers.RandomRotation: **{r['any_angle_train_step_vs_keras_train_step']:.1f}x** "
        f"(the train step with RandomAnyAngleRotation runs at "
        f"{r['any_angle_train_step_vs_no_augmentation']:.2f}x the speed of one without "
        "augmentation)",
    ]
    for name, note in result["notes"].items():
        lines.append(f"- {name}: {note}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short timings (smoke test)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        import keras

        print(f"Augmentation, backend {keras.backend.backend()}, batches of {BATCH}x28x28x1\n")
        print(to_markdown(result))


if __name__ == "__main__":
    main()
