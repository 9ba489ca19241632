"""Training on several devices: `rotkeras.training.data_parallel` and what runs under it.

The multi-device checks run on two virtual CPU devices in a subprocess
(`tests/distributed_worker.py`), because the devices must be made before the backend
starts: JAX host-platform devices under `keras.distribution.DataParallel`, TensorFlow
logical CPUs under `tf.distribute.MirroredStrategy`. They run on the backend of the test
session (JAX or TensorFlow); PyTorch, which Keras cannot train on several devices, gets the
in-process checks only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

import rotkeras
from rotkeras import _backend
from rotkeras.cli import build_parser
from rotkeras.training import (
    data_parallel,
    fit_classifier,
    make_dataset,
    resolve_pipeline,
    resolve_steps_per_execution,
)

BACKEND = keras.backend.backend()
WORKER = Path(__file__).with_name("distributed_worker.py")
multi_device = pytest.mark.skipif(
    BACKEND not in ("jax", "tensorflow"),
    reason="Keras trains on several devices with JAX and TensorFlow only",
)


def run_worker(checks: str, *args: str, devices: int = 2) -> dict[str, Any]:
    """Runs `checks` of `tests/distributed_worker.py` on `devices` virtual CPU devices."""
    env = dict(os.environ, KERAS_BACKEND=BACKEND, TF_CPP_MIN_LOG_LEVEL="2",
               OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    process = subprocess.run(
        [sys.executable, str(WORKER), str(devices), checks, *args],
        env=env, capture_output=True, text=True, timeout=900,
    )
    lines = [line for line in process.stdout.splitlines() if line.startswith("RESULT ")]
    assert process.returncode == 0 and lines, (
        f"worker failed ({process.returncode}):\n{process.stdout[-4000:]}\n"
        f"{process.stderr[-4000:]}"
    )
    return json.loads(lines[-1][len("RESULT "):])


@pytest.fixture(scope="module")
def two_devices() -> dict[str, Any]:
    """The quick multi-device checks, in one subprocess (one start-up of the backend)."""
    return run_worker("draws,errors")


@pytest.fixture(scope="module")
def two_devices_training() -> dict[str, Any]:
    """Training on one device and on two, and saving and loading across layouts."""
    return run_worker("mnist_cnn,save_load")


# ------------------------------------------------------------------ in-process checks
def test_one_device_changes_nothing() -> None:
    with data_parallel(1) as replicas:
        assert replicas == 1
        model = rotkeras.models.mnist_cnn()
        assert _backend.replicas_in_sync(model) == 1
    assert _backend.replicas_in_sync() == 1


def test_data_parallel_validates_devices() -> None:
    with pytest.raises(ValueError, match="devices='some'"):
        data_parallel("some")
    with pytest.raises(ValueError, match="devices"):
        data_parallel(0)
    with pytest.raises(ValueError, match="asks for 10000 devices"):
        with data_parallel(10000):
            pass


@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch only")
def test_torch_has_no_multi_device_trainer(monkeypatch: pytest.MonkeyPatch) -> None:
    from rotkeras._backend import devices as backend_devices

    two_gpus = lambda: ["cuda:0", "cuda:1"]  # noqa: E731
    # The count is read through the package, the check through the module that defines it.
    monkeypatch.setattr(_backend, "local_devices", two_gpus)
    monkeypatch.setattr(backend_devices, "local_devices", two_gpus)
    with pytest.raises(ValueError, match="JAX or TensorFlow backend"):
        with data_parallel("all"):
            pass


def test_pipeline_on_several_devices_is_tf_data() -> None:
    assert resolve_pipeline("auto", replicas=2) == "tf.data"
    assert resolve_pipeline("tf.data", replicas=2) == "tf.data"
    with pytest.raises(ValueError, match="pipeline='numpy' cannot train on several devices"):
        resolve_pipeline("numpy", replicas=2)


def test_steps_per_execution_on_several_devices() -> None:
    auto = resolve_steps_per_execution("auto", 938, "tf.data", replicas=2)
    if BACKEND == "tensorflow":
        assert auto == 1  # Keras' multi-step loop fails under tf.distribute
        with pytest.raises(ValueError, match="TensorFlow on 2 devices"):
            resolve_steps_per_execution(2, 938, "tf.data", replicas=2)
    else:
        assert auto == resolve_steps_per_execution("auto", 938, "tf.data")
    assert resolve_steps_per_execution("auto", 938, "tf.data", replicas=1) == (
        14 if BACKEND == "tensorflow" else 1
    )


def test_make_dataset_drop_remainder(rng: np.random.Generator) -> None:
    x = rng.random((10, 4, 4, 1), dtype=np.float32)
    y = np.arange(10)
    kept = make_dataset(x, y, 4, epochs=2)
    dropped = make_dataset(x, y, 4, epochs=2, drop_remainder=True)
    assert int(kept.cardinality()) == 6 and int(dropped.cardinality()) == 4
    sizes = [int(batch[0].shape[0]) for batch in dropped]
    assert sizes == [4, 4, 4, 4]
    epochs = [np.concatenate([np.asarray(b[1]) for b in list(dropped)[i:i + 2]])
              for i in (0, 2)]
    # Every epoch leaves out two samples of its own order.
    assert all(len(set(e.tolist())) == 8 for e in epochs)


def test_cli_devices_option() -> None:
    parser = build_parser()
    base = ["reproduce", "--out", "x"]
    assert parser.parse_args(base).devices == 1
    assert parser.parse_args([*base, "--devices", "all"]).devices == "all"
    assert parser.parse_args([*base, "--devices", "4"]).devices == 4
    with pytest.raises(SystemExit):
        parser.parse_args([*base, "--devices", "0"])


def test_fit_classifier_on_one_device_unchanged(rng: np.random.Generator) -> None:
    """The last, smaller batch is trained on one device (like `model.fit`)."""
    x = rng.random((21, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 21).astype("int32")
    model = rotkeras.models.mnist_cnn()
    fit_classifier(model, x, y, epochs=1, batch_size=8, verbose=0)
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 3


# ------------------------------------------------------------ two virtual devices
@multi_device
def test_replicas_draw_different_rotations(two_devices: dict[str, Any]) -> None:
    draws = two_devices["draws"]
    for name in ("turns", "stroke"):
        on_one, on_two = draws["1"][name], draws["all"][name]
        # Replica 0 holds samples 0-7 of the global batch, replica 1 samples 8-15: they
        # draw different turns (stroke widths) ...
        assert on_two[:8] != on_two[8:], name
        # ... exactly those one device draws for the whole batch.
        np.testing.assert_allclose(on_two, on_one, rtol=0, atol=1e-5, err_msg=name)
    assert len(set(draws["all"]["turns"])) > 1


@multi_device
@pytest.mark.slow
def test_mnist_cnn_trains_like_on_one_device(two_devices_training: dict[str, Any]) -> None:
    """Same global batch, same seed: the same losses, weights, evaluation, predictions."""
    result = two_devices_training["mnist_cnn"]
    one, two = result["one"], result["all"]
    assert one["replicas"] == 1 and two["replicas"] == 2
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-4)
    np.testing.assert_allclose(two["weights"], one["weights"], rtol=1e-4)
    np.testing.assert_allclose(two["evaluate"], one["evaluate"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(two["predict"], one["predict"], atol=1e-5)
    # An odd number of images, padded to split over the devices, then trimmed.
    assert len(two["odd_predictions"]) == 65
    assert two["odd_predictions"] == one["odd_predictions"]
    assert two["steps_per_execution"] == 1
    assert one["steps_per_execution"] == (3 if BACKEND == "tensorflow" else 1)


@multi_device
@pytest.mark.slow
def test_save_on_one_layout_load_on_another(two_devices_training: dict[str, Any]) -> None:
    result = two_devices_training["save_load"]
    assert result["all_to_one"] < 1e-5
    assert result["one_to_all"] < 1e-5
    assert np.isfinite(result["loss_after_loading"])


@multi_device
def test_fit_classifier_refuses_uneven_splits(two_devices: dict[str, Any]) -> None:
    messages = two_devices["errors"]
    assert "must be a multiple of 2; received batch_size=5" in messages["batch"]
    assert "pipeline='numpy' cannot train on several devices" in messages["numpy"]
    assert "at least one full global batch of 64 samples; received 40" in messages["too_few"]
    assert "`validation_data` must hold a multiple of 2 samples" in messages["validation"]
    assert "asks for 3 devices but this process has 2" in messages["devices"]


@multi_device
@pytest.mark.slow
def test_ragged_last_batch() -> None:
    """71 samples at batch 16: the last 7 cannot split over 2 devices and are dropped;
    74: the last 10 can, and are trained on."""
    result = run_worker("ragged")["ragged"]
    assert result["71"]["steps"] == 4
    assert result["74"]["steps"] == 5
    assert all(np.isfinite(r["loss"]) for r in result.values())


@multi_device
@pytest.mark.slow
def test_rotation_robust_cnn_trains_like_on_one_device() -> None:
    """p4 layers, `RandomRightAngleRotation` and `RandomStrokeWidth` inside."""
    result = run_worker("rotation_robust_cnn")["rotation_robust_cnn"]
    one, two = result["one"], result["all"]
    assert two["replicas"] == 2
    np.testing.assert_allclose(two["loss"], one["loss"], rtol=1e-4)
    # The batch-norm offsets stay near 0 here: their gradients are tiny, and Adam's steps
    # (about 1e-3 each) turn float rounding there into differences of up to ~1e-4.
    np.testing.assert_allclose(two["weights"], one["weights"], rtol=1e-4, atol=5e-4)
    np.testing.assert_allclose(two["evaluate"], one["evaluate"], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(two["predict"], one["predict"], atol=1e-5)
    assert two["odd_predictions"] == one["odd_predictions"]


@multi_device
@pytest.mark.slow
def test_reproduce_on_all_devices(tmp_path: Path) -> None:
    """`rotkeras reproduce --devices all`: the whole run, the same report, on 2 devices."""
    rng = np.random.default_rng(0)
    data = tmp_path / "mnist.npz"
    np.savez(data, x_train=rng.integers(0, 256, (96, 28, 28), dtype=np.uint8),
             y_train=rng.integers(0, 10, 96).astype(np.uint8),
             x_test=rng.integers(0, 256, (25, 28, 28), dtype=np.uint8),
             y_test=rng.integers(0, 10, 25).astype(np.uint8))
    result = run_worker("reproduce", str(data))["reproduce"]
    assert result["code"] == 0
    assert result["settings"]["devices"] == 2
    assert "2 devices (data parallel, global batch 32)" in result["report"]
    assert "Reference CNN" in result["report"]
    for scores in result["models"].values():
        assert all(0.0 <= scores[k] <= 1.0 for k in ("upright", "rotated", "combined"))
