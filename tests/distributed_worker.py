"""Checks of rotkeras on several virtual CPU devices, run in a subprocess by the tests.

Usage: KERAS_BACKEND=jax|tensorflow python tests/distributed_worker.py DEVICES CHECK[,CHECK] [MNIST]

The devices must exist before the backend initialises, so this runs in its own process:
on JAX `XLA_FLAGS=--xla_force_host_platform_device_count=DEVICES` (set here, before JAX is
imported), on TensorFlow `DEVICES` logical CPUs. Prints one JSON line, `RESULT {check:
result}`, with the results of the named checks (the `check_*` functions); the tests in
`tests/test_distribution.py` assert on them.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

DEVICES = int(sys.argv[1])
BACKEND = os.environ.get("KERAS_BACKEND", "tensorflow")
if BACKEND == "jax":
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + f" --xla_force_host_platform_device_count={DEVICES}"
    )
elif BACKEND == "tensorflow":
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(DEVICES)]
    )

import keras  # noqa: E402
import numpy as np  # noqa: E402

import rotkeras  # noqa: E402
from rotkeras.evaluation import predict_classes  # noqa: E402
from rotkeras.layers import RandomRightAngleRotation, RandomStrokeWidth  # noqa: E402
from rotkeras.training import data_parallel, fit_classifier  # noqa: E402


class AlwaysTraining(keras.layers.Layer):
    """Calls a random layer in training mode, so that `predict` shows its draws."""

    def __init__(self, inner: keras.layers.Layer, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs: Any) -> Any:
        return self.inner(inputs, training=True)


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n).astype("int32")


def _train(devices: int | str, build: Any, n: int, batch: int, epochs: int = 2,
           **fit: Any) -> dict[str, Any]:
    x, y = _data(n)
    with data_parallel(devices) as replicas:
        keras.utils.set_random_seed(0)
        model = build()
        # The tf.data pipeline on one device too (on JAX one device defaults to Keras'
        # array iterator, whose epoch orders differ): the same batches on both layouts.
        history = fit_classifier(model, x, y, epochs=epochs, batch_size=batch, seed=0,
                                 verbose=0, pipeline="tf.data", **fit)
        x_eval, y_eval = _data(2 * batch, seed=1)
        evaluated = model.evaluate(x_eval, y_eval, batch_size=batch, verbose=0)
        probabilities = model.predict(x_eval, batch_size=batch, verbose=0)
        if isinstance(probabilities, dict):
            probabilities = probabilities["probabilities"]
        odd = predict_classes(model, _data(2 * batch + 1, seed=2)[0], batch_size=batch)
    return {
        "replicas": replicas,
        "loss": [float(v) for v in history.history["loss"]],
        "evaluate": np.ravel(evaluated).astype(float).tolist(),
        "predict": np.asarray(probabilities, dtype=float).tolist(),
        "odd_predictions": odd.tolist(),
        "steps_per_execution": int(model.steps_per_execution),
        "weights": [float(np.sum(np.abs(w))) for w in model.get_weights()],
    }


def _cnn() -> keras.Model:
    return rotkeras.models.mnist_cnn(preprocessing=RandomRightAngleRotation(seed=3))


def _robust() -> keras.Model:
    return rotkeras.models.rotation_robust_cnn(
        head="invariant", filters=(4, 4, 4, 8), hidden_units=8,
        preprocessing=[RandomRightAngleRotation(seed=3), RandomStrokeWidth(seed=4)],
    )


def check_mnist_cnn() -> dict[str, Any]:
    """`mnist_cnn` with `RandomRightAngleRotation`: one device vs. all of them."""
    # 96 samples at batch 32: three full steps per epoch (auto steps per execution: 3 on
    # TensorFlow).
    return {"one": _train(1, _cnn, 96, 32), "all": _train("all", _cnn, 96, 32)}


def check_rotation_robust_cnn() -> dict[str, Any]:
    """`rotation_robust_cnn` (p4 layers, two random layers inside): one device vs. all."""
    return {"one": _train(1, _robust, 64, 16), "all": _train("all", _robust, 64, 16)}


def check_ragged() -> dict[str, Any]:
    """A last batch that does not split evenly over the devices, and one that does."""
    result = {}
    for n in (71, 74):  # last batch of 7 (dropped on 2 devices) and of 10 (kept)
        x, y = _data(n)
        with data_parallel("all"):
            model = rotkeras.models.mnist_cnn()
            history = fit_classifier(model, x, y, epochs=1, batch_size=16, verbose=0,
                                     steps_per_execution=1)
            counter = model.optimizer.iterations
            result[str(n)] = {"steps": int(keras.ops.convert_to_numpy(counter)),
                              "loss": float(history.history["loss"][0])}
    return result


def check_draws() -> dict[str, Any]:
    """The turns and stroke-width changes each replica draws for one global batch."""
    image = np.zeros((1, 8, 8, 1), np.float32)
    image[0, 0, 1] = 1.0  # one bright pixel: its place tells the turn
    images = np.repeat(image, 16, axis=0)
    out: dict[str, Any] = {}
    for devices in (1, "all"):
        with data_parallel(devices):
            rotation = keras.Sequential([keras.Input((8, 8, 1)), AlwaysTraining(
                RandomRightAngleRotation(seed=7))])
            stroke = keras.Sequential([keras.Input((8, 8, 1)), AlwaysTraining(
                RandomStrokeWidth(seed=7))])
            turned = rotation.predict(images, batch_size=16, verbose=0)
            widened = stroke.predict(images, batch_size=16, verbose=0)
        out[str(devices)] = {
            "turns": [int(np.argmax(np.ravel(t))) for t in turned],
            "stroke": np.round(np.sum(widened, axis=(1, 2, 3)), 5).tolist(),
        }
    return out


def check_save_load() -> dict[str, Any]:
    """Saved on one layout, loaded on the other: the same predictions."""
    x, y = _data(64)
    folder = Path(tempfile.mkdtemp())
    with data_parallel("all"):
        keras.utils.set_random_seed(0)
        model = _cnn()
        fit_classifier(model, x, y, epochs=1, batch_size=32, verbose=0)
        distributed = model.predict(x, batch_size=32, verbose=0)
        model.save(folder / "all.keras")
    single = keras.saving.load_model(folder / "all.keras")
    on_one = single.predict(x, batch_size=32, verbose=0)
    single.save(folder / "one.keras")
    with data_parallel("all"):
        again = keras.saving.load_model(folder / "one.keras")
        on_all = again.predict(x, batch_size=32, verbose=0)
        # ... and it trains on after loading.
        history = fit_classifier(again, x, y, epochs=1, batch_size=32, verbose=0)
    return {
        "all_to_one": float(np.max(np.abs(distributed - on_one))),
        "one_to_all": float(np.max(np.abs(on_one - on_all))),
        "loss_after_loading": float(history.history["loss"][0]),
    }


def check_errors() -> dict[str, Any]:
    """The messages of the mistakes `fit_classifier` refuses on several devices."""
    x, y = _data(40)
    messages = {}
    with data_parallel("all"):
        model = rotkeras.models.mnist_cnn()
        cases = {
            "batch": {"batch_size": 2 * DEVICES + 1},
            "numpy": {"batch_size": 8, "pipeline": "numpy"},
            "too_few": {"batch_size": 64},
            "validation": {"batch_size": 8, "validation_data": _data(2 * DEVICES + 1)},
        }
        for name, kwargs in cases.items():
            try:
                fit_classifier(model, x, y, epochs=1, verbose=0, **kwargs)
                messages[name] = None
            except ValueError as error:
                messages[name] = str(error)
    try:
        with data_parallel(DEVICES + 1):
            pass
        messages["devices"] = None
    except ValueError as error:
        messages["devices"] = str(error)
    return messages


def check_reproduce() -> dict[str, Any]:
    """`rotkeras reproduce --devices all` on the small file given as the third argument."""
    from rotkeras.cli import main
    from rotkeras.cli.reproduce import phases, registry

    # One phase of each kind: a tutorial CNN on arrays, a composed model, the p4 model on
    # turned batches (a PyDataset), the sweep over them. The quick run on one device (in
    # tests/cli/reproduce) runs every phase.
    assert phases is not None  # imported for the registrations it makes
    for name in ("solution2_static", "solution2_onthefly", "full_circle"):
        registry.PHASES.pop(name)
    out = Path(tempfile.mkdtemp()) / "report"
    code = main(["reproduce", "--data", sys.argv[3], "--out", str(out), "--quick",
                 "--quiet", "--epochs", "1", "--batch-size", "32", "--devices", "all"])
    metrics = json.loads((out / "metrics.json").read_text())
    return {"code": code, "settings": metrics["meta"]["settings"],
            "models": metrics["models"], "report": (out / "report.md").read_text()}


CHECKS = {name[len("check_"):]: fn for name, fn in dict(globals()).items()
          if name.startswith("check_")}

if __name__ == "__main__":
    results = {name: CHECKS[name]() for name in sys.argv[2].split(",")}
    print("RESULT " + json.dumps(results))
