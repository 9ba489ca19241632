"""Rotation augmentation throughput: images/second on 28x28x1 batches of 1024.

Compares, in one process and one run, on the active Keras backend:

- the tutorial's per-image `scipy.ndimage.rotate` (random angle of 90, -90, 180);
- `keras.layers.RandomRotation` (eager, and inside `tf.data`);
- `rotkeras.layers.RandomRightAngleRotation` (eager on the NumPy batch and on a backend
  tensor, and inside `tf.data`; `Dataset.map(..., num_parallel_calls=AUTOTUNE)`);
- `rotkeras.layers.RandomAnyAngleRotation` over the full circle against
  `keras.layers.RandomRotation(0.5)`: eager, inside `tf.data`, and inside a train step
  compiled with `jit_compile=True` (a linear classifier behind the layer, batches of 1024;
  Keras compiles no train step around `RandomRotation`, so that one runs uncompiled; on
  PyTorch both run uncompiled, `torch.compile` takes minutes);
- `np.copy` of the same batch, the memory floor.

Run on its own (prints a markdown table)::

    KERAS_BACKEND=tensorflow python -m benchmarks.augmentation [--quick]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from benchmarks._common import best_rate, machine, markdown_table

BATCH = 1024


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


def _tf_data_rate(layer: Any, batch: np.ndarray, min_seconds: float, repeats: int) -> float:
    """Images/s through `Dataset.map(layer, num_parallel_calls=AUTOTUNE)`, as documented.

    The number of batches doubles until one pass takes `min_seconds`, so that building the
    iterator (tens of milliseconds) does not count as the layer's time.
    """
    import time

    import tensorflow as tf

    def run(batches: int) -> tuple[float, float]:
        dataset = (
            tf.data.Dataset.from_tensors(batch).repeat(batches)
            .map(layer, num_parallel_calls=tf.data.AUTOTUNE)
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
    return max(run(batches)[0] for _ in range(repeats))


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

    keras_layer = keras.layers.RandomRotation(0.5, seed=seed)
    ours = RandomRightAngleRotation(seed=seed)
    scipy_min = 0.1 if quick else min_seconds
    results["scipy.ndimage.rotate, per image (tutorial)"] = best_rate(
        scipy_rotate, BATCH, min_seconds=scipy_min, repeats=1 if quick else repeats
    )
    results["keras.layers.RandomRotation, eager"] = best_rate(
        lambda: _sync(keras_layer(batch, training=True)), BATCH,
        min_seconds=min_seconds, repeats=repeats,
    )
    results["RandomRightAngleRotation, eager"] = best_rate(
        lambda: _sync(ours(batch, training=True)), BATCH, min_seconds=min_seconds,
        repeats=repeats,
    )
    batch_tensor = keras.ops.convert_to_tensor(batch)
    results["RandomRightAngleRotation, eager, on a backend tensor"] = best_rate(
        lambda: _sync(ours(batch_tensor, training=True)), BATCH, min_seconds=min_seconds,
        repeats=repeats,
    )
    try:
        results["keras.layers.RandomRotation, tf.data"] = _tf_data_rate(
            keras_layer, batch, min_seconds, repeats
        )
        results["RandomRightAngleRotation, tf.data"] = _tf_data_rate(
            ours, batch, min_seconds, repeats
        )
    except ImportError as error:  # pragma: no cover - TensorFlow is a dependency
        notes["tf.data"] = f"skipped: {error}"
    any_angle = RandomAnyAngleRotation(0.5, seed=seed)
    results["RandomAnyAngleRotation, eager"] = best_rate(
        lambda: _sync(any_angle(batch, training=True)), BATCH, min_seconds=min_seconds,
        repeats=repeats,
    )
    if "tf.data" not in notes:
        results["RandomAnyAngleRotation, tf.data"] = _tf_data_rate(
            RandomAnyAngleRotation(0.5, seed=seed), batch, min_seconds, repeats
        )
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
    ours_best = max(
        rate for name, rate in results.items() if name.startswith("RandomRightAngleRotation")
    )
    ratios = {
        "ours_eager_vs_keras_eager": ours_eager / results["keras.layers.RandomRotation, eager"],
        "ours_eager_vs_scipy": ours_eager / results["scipy.ndimage.rotate, per image (tutorial)"],
        "ours_best_vs_keras_best": ours_best / max(
            rate for name, rate in results.items() if name.startswith("keras.layers")
        ),
        "ours_best_vs_scipy": ours_best / results["scipy.ndimage.rotate, per image (tutorial)"],
        "copy_vs_ours_eager": results["np.copy (memory floor)"] / ours_eager,
        "copy_vs_ours_best": results["np.copy (memory floor)"] / ours_best,
    }
    if "keras.layers.RandomRotation, tf.data" in results:
        ratios["ours_tf_data_vs_keras_tf_data"] = (
            results["RandomRightAngleRotation, tf.data"]
            / results["keras.layers.RandomRotation, tf.data"]
        )
    ratios["any_angle_eager_vs_keras_eager"] = (
        results["RandomAnyAngleRotation, eager"] / results["keras.layers.RandomRotation, eager"]
    )
    if "RandomAnyAngleRotation, tf.data" in results:
        ratios["any_angle_tf_data_vs_keras_tf_data"] = (
            results["RandomAnyAngleRotation, tf.data"]
            / results["keras.layers.RandomRotation, tf.data"]
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
    lines = [
        table,
        "",
        f"- RandomRightAngleRotation (eager) vs keras.layers.RandomRotation (eager): "
        f"**{r['ours_eager_vs_keras_eager']:.1f}x** faster",
        f"- RandomRightAngleRotation (eager) vs per-image scipy: "
        f"**{r['ours_eager_vs_scipy']:.0f}x** faster",
        f"- np.copy vs RandomRightAngleRotation: {r['copy_vs_ours_eager']:.1f}x (eager), "
        f"{r['copy_vs_ours_best']:.1f}x (fastest way of calling it)",
        f"- fastest way of calling each: RandomRightAngleRotation vs keras.layers.RandomRotation "
        f"**{r['ours_best_vs_keras_best']:.1f}x**, vs per-image scipy "
        f"**{r['ours_best_vs_scipy']:.0f}x**",
    ]
    if "ours_tf_data_vs_keras_tf_data" in r:
        lines.append(
            "- in tf.data, RandomRightAngleRotation vs keras.layers.RandomRotation: "
            f"{r['ours_tf_data_vs_keras_tf_data']:.1f}x faster"
        )
    lines += [
        "- full circle, RandomAnyAngleRotation vs keras.layers.RandomRotation: "
        f"**{r['any_angle_eager_vs_keras_eager']:.1f}x** eager"
        + (f", **{r['any_angle_tf_data_vs_keras_tf_data']:.1f}x** in tf.data"
           if "any_angle_tf_data_vs_keras_tf_data" in r else "")
        + f", **{r['any_angle_train_step_vs_keras_train_step']:.1f}x** in a train step "
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
