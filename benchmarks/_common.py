"""Shared helpers of the benchmark suite: timing, data, markdown tables."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_MNIST = "/work/shared/data/mnist.npz"


def mnist_path(path: str | None = None) -> str | None:
    """The MNIST file to use: `path`, else $ROTKERAS_MNIST, else the shared copy (or None)."""
    for candidate in (path, os.environ.get("ROTKERAS_MNIST"), DEFAULT_MNIST):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return None


def load_data(path: str | None, quick: bool, seed: int = 0) -> dict[str, np.ndarray]:
    """Real MNIST as float images in [0, 1] (or random stand-in data without a file).

    Returns a dict with `x_train`, `y_train`, `x_test`, `y_test` and `source`.
    """
    resolved = mnist_path(path)
    if resolved is None:
        rng = np.random.default_rng(seed)
        n_train, n_test = (512, 256) if quick else (6000, 1000)
        data = {
            "x_train": rng.random((n_train, 28, 28, 1), dtype=np.float32),
            "y_train": rng.integers(0, 10, n_train).astype("int32"),
            "x_test": rng.random((n_test, 28, 28, 1), dtype=np.float32),
            "y_test": rng.integers(0, 10, n_test).astype("int32"),
        }
        data["source"] = np.asarray("random data (no MNIST file found)")
        return data
    with np.load(resolved) as npz:
        data = {k: npz[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    for key in ("x_train", "x_test"):
        data[key] = (data[key].astype("float32") / 255.0)[..., None]
    for key in ("y_train", "y_test"):
        data[key] = data[key].astype("int32")
    data["source"] = np.asarray(resolved)
    return data


def rotate_test_set(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Every `(N, H, W, C)` test image turned by a random multiple of 90 degrees (exact)."""
    import keras

    from rotkeras import ops

    k = np.random.default_rng(seed).integers(0, 4, len(x)).astype("int32")
    turned = ops.rotate_quarter_turns(x, k, data_format="channels_last")
    return np.asarray(keras.ops.convert_to_numpy(turned))


def window_rate(fn: Callable[[], Any], items_per_call: int, min_seconds: float) -> float:
    """Items per second of `fn` over one window of at least `min_seconds` (no warm-up)."""
    calls = 0
    start = time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return calls * items_per_call / elapsed


def best_rate(
    fn: Callable[[], Any], items_per_call: int, *, min_seconds: float, repeats: int = 3
) -> float:
    """Items per second of `fn` (the best of `repeats` runs of >= `min_seconds` each)."""
    fn()  # warm-up (tracing, compilation, caches)
    return max(window_rate(fn, items_per_call, min_seconds) for _ in range(repeats))


def machine() -> dict[str, Any]:
    """A short description of the machine and library versions."""
    import keras

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    backend = info["backend"]
    if backend == "tensorflow":
        import tensorflow as tf

        info["tensorflow"] = tf.__version__
        info["devices"] = [d.name for d in tf.config.list_physical_devices()]
    elif backend == "jax":
        import jax

        info["jax"] = jax.__version__
        info["devices"] = [str(d) for d in jax.devices()]
    elif backend == "torch":
        import torch

        info["torch"] = torch.__version__
        info["devices"] = ["cuda"] if torch.cuda.is_available() else ["cpu"]
    return info


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-flavoured markdown table."""
    def cell(value: Any) -> str:
        if isinstance(value, float):
            if value != value:  # NaN
                return "n/a"
            return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
        return "n/a" if value is None else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
