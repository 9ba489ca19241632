"""Tests of the recommended training path (`fit_classifier`)."""

from __future__ import annotations

import random
from pathlib import Path

import keras
import numpy as np
import pytest

import rotkeras
from rotkeras._backend import precision as backend_precision
from rotkeras.layers import RandomRightAngleRotation
from rotkeras.training import (
    fit_classifier,
    make_dataset,
    recommended_dtype_policy,
    resolve_pipeline,
    resolve_precision,
    resolve_steps_per_execution,
)
from tests.helpers import to_numpy


def _tiny_model(augment: bool = False) -> keras.Model:
    return rotkeras.models.mnist_cnn(
        preprocessing=RandomRightAngleRotation(seed=3) if augment else None
    )


def _data(rng: np.random.Generator, n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, n).astype("int32")
    return x, y


def _weights(model: keras.Model) -> list[np.ndarray]:
    return [to_numpy(w) for w in model.get_weights()]


def test_trains_for_the_requested_epochs(rng):
    x, y = _data(rng)
    model = _tiny_model(augment=True)
    before = _weights(model)
    history = fit_classifier(model, x, y, epochs=2, batch_size=16, seed=0, verbose=0)
    assert len(history.history["loss"]) == 2
    assert history.epoch == [0, 1]
    assert all(np.isfinite(history.history["loss"]))
    assert any(not np.array_equal(a, b) for a, b in zip(before, _weights(model), strict=True))


def test_initial_epoch_and_validation_data(rng):
    x, y = _data(rng)
    model = _tiny_model()
    history = fit_classifier(
        model, x, y, epochs=3, initial_epoch=1, batch_size=16, verbose=0,
        validation_data=(x[:10], y[:10]),
    )
    assert history.epoch == [1, 2]
    assert len(history.history["val_accuracy"]) == 2


@pytest.mark.slow
def test_same_seed_same_result(rng):
    x, y = _data(rng)
    results = []
    for _ in range(2):
        keras.utils.set_random_seed(7)
        model = _tiny_model(augment=True)
        fit_classifier(model, x, y, epochs=2, batch_size=16, seed=5, verbose=0)
        results.append(_weights(model))
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("pipeline", ["tf.data", "numpy"])
def test_one_update_per_batch(rng, pipeline):
    x, y = _data(rng, n=40)  # a partial last batch
    model = _tiny_model()
    history = fit_classifier(model, x, y, epochs=2, batch_size=16, verbose=0,
                             pipeline=pipeline)
    # ceil(40 / 16) = 3 updates per epoch, like model.fit on arrays.
    assert int(to_numpy(model.optimizer.iterations)) == 6
    assert history.epoch == [0, 1]


def test_steps_per_execution_override(rng):
    x, y = _data(rng, n=48)
    model = _tiny_model()
    if keras.backend.backend() == "torch":
        with pytest.raises(ValueError, match="PyTorch"):
            fit_classifier(model, x, y, epochs=1, batch_size=16, steps_per_execution=3)
        return
    history = fit_classifier(model, x, y, epochs=1, batch_size=16, verbose=0,
                             steps_per_execution=3)
    assert model.steps_per_execution == 3
    assert int(to_numpy(model.optimizer.iterations)) == 3
    assert np.isfinite(history.history["loss"][0])


def test_auto_steps_per_execution_runs_the_same_updates_as_one_step_per_call(rng):
    x, y = _data(rng, n=96)  # 6 steps per epoch at batch 16
    keras.utils.set_random_seed(4)
    one = _tiny_model(augment=True)
    initial = one.get_weights()
    kwargs = {"epochs": 2, "batch_size": 16, "seed": 3, "verbose": 0}
    fit_classifier(one, x, y, steps_per_execution=1, **kwargs)
    auto = _tiny_model(augment=True)
    auto.set_weights(initial)
    history = fit_classifier(auto, x, y, **kwargs)
    tf_data = keras.backend.backend() == "tensorflow"
    assert auto.steps_per_execution == (6 if tf_data else 1)
    assert history.epoch == [0, 1]
    assert int(to_numpy(auto.optimizer.iterations)) == 12
    # Same batches, same augmentation draws, same updates: only the grouping differs.
    for a, b in zip(_weights(one), _weights(auto), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_resolve_steps_per_execution():
    tf_backend = keras.backend.backend() == "tensorflow"
    # MNIST at batch 64: 938 = 2 * 7 * 67 steps per epoch.
    assert resolve_steps_per_execution("auto", 938, "tf.data") == (14 if tf_backend else 1)
    assert resolve_steps_per_execution("auto", 200, "tf.data") == (25 if tf_backend else 1)
    assert resolve_steps_per_execution("auto", 937, "tf.data") == 1  # a prime
    assert resolve_steps_per_execution("auto", 3, "tf.data") == (3 if tf_backend else 1)
    assert resolve_steps_per_execution("auto", 938, "numpy") == 1
    assert resolve_steps_per_execution(1, 937, "tf.data") == 1
    assert resolve_steps_per_execution(None, 938, "numpy", 1) == 1
    for bad in (0, -2, 2.0, True, "fast"):
        with pytest.raises(ValueError, match="steps_per_execution"):
            resolve_steps_per_execution(bad, 938, "tf.data")
    if keras.backend.backend() == "torch":
        with pytest.raises(ValueError, match="PyTorch"):
            resolve_steps_per_execution(2, 938, "numpy")
        return
    assert resolve_steps_per_execution(8, 937, "numpy") == 8
    assert resolve_steps_per_execution(None, 938, "tf.data", 7) == 7
    with pytest.raises(ValueError, match=r"938 steps.*steps_per_execution=8.*\[1, 2, 7, 14"):
        resolve_steps_per_execution(8, 938, "tf.data")
    with pytest.raises(ValueError, match="model's compiled steps_per_execution=8"):
        resolve_steps_per_execution(None, 938, "tf.data", 8)


def test_steps_per_execution_must_divide_a_tf_data_epoch(rng):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the tf.data pipeline is the default on TensorFlow only")
    x, y = _data(rng, n=40)  # 3 steps per epoch at batch 16
    model = _tiny_model()
    with pytest.raises(ValueError, match="divide the 3 steps"):
        fit_classifier(model, x, y, epochs=1, batch_size=16, steps_per_execution=2)
    history = fit_classifier(model, x, y, epochs=2, batch_size=16, verbose=0,
                             steps_per_execution=2, pipeline="numpy")
    assert int(to_numpy(model.optimizer.iterations)) == 6
    assert history.epoch == [0, 1]


class _StopAfter(keras.callbacks.Callback):
    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")


def test_backup_and_restore_resumes(rng, tmp_path: Path):
    x, y = _data(rng)
    backup = str(tmp_path / "backup")
    model = _tiny_model(augment=True)
    with pytest.raises(RuntimeError, match="interrupted"):
        fit_classifier(
            model, x, y, epochs=3, batch_size=16, verbose=0,
            callbacks=[keras.callbacks.BackupAndRestore(backup), _StopAfter(1)],
        )
    resumed = _tiny_model(augment=True)
    history = fit_classifier(
        resumed, x, y, epochs=3, batch_size=16, verbose=0,
        callbacks=[keras.callbacks.BackupAndRestore(backup)],
    )
    # Epochs 0 and 1 were backed up: only epoch 2 runs again.
    assert history.epoch == [2]
    assert int(to_numpy(resumed.optimizer.iterations)) == 6


def test_make_dataset_covers_every_sample_once_per_epoch():
    x = np.arange(10, dtype="float32").reshape(10, 1)
    y = np.arange(10)
    dataset = make_dataset(x, y, batch_size=4, seed=1, epochs=3)
    batches = [(xb.numpy(), yb.numpy()) for xb, yb in dataset]
    assert [len(b[1]) for b in batches] == [4, 4, 2] * 3  # each epoch ends with its own rest
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], yb)
    orders = [np.concatenate([b[1] for b in batches[i : i + 3]]) for i in (0, 3, 6)]
    for order in orders:
        assert sorted(order.tolist()) == list(range(10))
    assert orders[0].tolist() != orders[1].tolist()  # reshuffled every epoch
    # Epoch e's order depends only on (seed, e): a resumed pipeline repeats it exactly.
    resumed = make_dataset(x, y, batch_size=4, seed=1, epochs=3, initial_epoch=2)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in resumed]), orders[2])
    single = make_dataset(x, y, batch_size=4, seed=1, initial_epoch=1)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in single]), orders[1])
    unshuffled = make_dataset(x, y, batch_size=4, shuffle=False)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in unshuffled]), y)


def test_resuming_gives_the_same_weights(rng):
    x, y = _data(rng)
    keras.utils.set_random_seed(11)
    straight = _tiny_model()
    initial = straight.get_weights()
    # The tf.data pipeline (the default on TensorFlow) has (seed, epoch)-determined orders.
    kwargs = {"batch_size": 16, "seed": 2, "verbose": 0, "pipeline": "tf.data"}
    fit_classifier(straight, x, y, epochs=2, **kwargs)
    resumed = _tiny_model()
    resumed.set_weights(initial)
    fit_classifier(resumed, x, y, epochs=1, **kwargs)
    fit_classifier(resumed, x, y, epochs=2, initial_epoch=1, **kwargs)
    for a, b in zip(_weights(straight), _weights(resumed), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_tf_data_pipeline_leaves_global_random_state_alone(rng):
    x, y = _data(rng)
    model = _tiny_model()
    # Python's generator stands for all the global ones keras.utils.set_random_seed seeds.
    random.seed(123)
    expected = [random.random() for _ in range(3)]
    random.seed(123)
    fit_classifier(model, x, y, epochs=1, batch_size=16, seed=9, verbose=0, pipeline="tf.data")
    assert [random.random() for _ in range(3)] == expected
    # The numpy pipeline shuffles with the global generators: it seeds them.
    fit_classifier(model, x, y, epochs=1, batch_size=16, seed=9, verbose=0, pipeline="numpy")
    after_numpy_fit = [random.random() for _ in range(3)]
    fit_classifier(model, x, y, epochs=1, batch_size=16, seed=9, verbose=0, pipeline="numpy")
    assert [random.random() for _ in range(3)] == after_numpy_fit
    assert after_numpy_fit != expected


def test_auto_pipeline_per_backend():
    expected = "tf.data" if keras.backend.backend() == "tensorflow" else "numpy"
    assert resolve_pipeline("auto") == expected
    assert resolve_pipeline("numpy") == "numpy"


def test_bad_arguments(rng):
    x, y = _data(rng, n=8)
    model = _tiny_model()
    with pytest.raises(ValueError, match="same number of samples"):
        fit_classifier(model, x, y[:4], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        fit_classifier(model, x, y, epochs=1, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="pipeline"):
        resolve_pipeline("pandas")
    with pytest.raises(ValueError, match="uncompiled"):
        fit_classifier(rotkeras.models.mnist_cnn(compile=False), x, y, epochs=1, verbose=0)


@pytest.fixture
def cpu(monkeypatch):
    """Sets the CPU that `recommended_dtype_policy` sees: `cpu(machine, flags)`."""

    def set_cpu(machine: str, flags: set[str]) -> None:
        monkeypatch.setattr(backend_precision.platform, "machine", lambda: machine)
        monkeypatch.setattr(backend_precision, "_cpu_flags", lambda: set(flags))

    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    return set_cpu


def _has_gpu() -> bool:
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    if backend == "torch":
        import torch

        return torch.cuda.is_available()
    return False


@pytest.mark.parametrize("flag", ["avx512_bf16", "amx_bf16"])
def test_recommended_dtype_policy_on_a_bfloat16_cpu(cpu, flag):
    cpu("x86_64", {"sse2", "avx512f", flag})
    fast_bf16 = keras.backend.backend() in ("tensorflow", "torch") and not _has_gpu()
    assert recommended_dtype_policy() == ("mixed_bfloat16" if fast_bf16 else "float32")
    assert resolve_precision("auto") == recommended_dtype_policy()


def test_recommended_dtype_policy_is_float32_without_native_bfloat16(cpu, monkeypatch):
    cpu("x86_64", {"sse2", "avx2", "avx512f"})
    assert recommended_dtype_policy() == "float32"
    cpu("aarch64", {"avx512_bf16"})  # flags of another architecture are not trusted
    assert recommended_dtype_policy() == "float32"
    cpu("x86_64", {"avx512_bf16"})
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    expected = "mixed_bfloat16" if keras.backend.backend() == "torch" and not _has_gpu() \
        else "float32"
    assert recommended_dtype_policy() == expected


def test_cpu_flags_are_read_from_proc_cpuinfo():
    flags = backend_precision._cpu_flags()
    assert isinstance(flags, set)
    if Path("/proc/cpuinfo").exists() and "flags" in Path("/proc/cpuinfo").read_text():
        assert "fpu" in flags or "sse2" in flags


def test_resolve_precision():
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("mixed_bfloat16") == "mixed_bfloat16"
    assert resolve_precision() in ("float32", "mixed_bfloat16")
    with pytest.raises(ValueError, match="'bf16'"):
        resolve_precision("bf16")


def test_fit_classifier_trains_a_mixed_precision_model_with_augmentation(rng):
    model = rotkeras.models.mnist_cnn(preprocessing=RandomRightAngleRotation(seed=3),
                                      dtype="mixed_bfloat16")
    x, y = _data(rng)
    history = fit_classifier(model, x, y, epochs=2, batch_size=16, verbose=0)
    assert all(np.isfinite(history.history["loss"]))
    assert {w.dtype for w in model.weights} == {"float32"}


# ---------------------------------------------------------------- several outputs, PyDataset
def _joint_model() -> keras.Model:
    return rotkeras.models.rotation_robust_cnn(filters=(2, 2, 2, 4), hidden_units=8)


@pytest.mark.parametrize("pipeline", ["tf.data", "numpy"])
def test_tuple_labels_train_a_two_output_model(rng, pipeline):
    x, y = _data(rng, n=40)
    turns = rng.integers(0, 4, 40).astype("int32")
    model = _joint_model()
    history = fit_classifier(model, x, (y, turns), epochs=2, batch_size=16, verbose=0,
                             pipeline=pipeline, validation_data=(x[:8], (y[:8], turns[:8])))
    assert int(to_numpy(model.optimizer.iterations)) == 6
    assert all(np.isfinite(history.history["loss"]))
    assert len(history.history["val_loss"]) == 2
    # A list of arrays is the same as a tuple.
    fit_classifier(model, x, [y, turns], epochs=1, batch_size=16, verbose=0, pipeline=pipeline)
    assert int(to_numpy(model.optimizer.iterations)) == 9


def test_make_dataset_with_tuple_labels():
    x = np.arange(6, dtype="float32").reshape(6, 1)
    y = (np.arange(6), np.arange(6) * 10)
    batches = list(make_dataset(x, y, batch_size=4, seed=0))
    assert len(batches) == 2
    for xb, (digits, turns) in batches:
        np.testing.assert_array_equal(xb.numpy()[:, 0], digits.numpy())
        np.testing.assert_array_equal(turns.numpy(), 10 * digits.numpy())


def test_py_dataset_trains_and_resumes_at_initial_epoch(rng):
    from rotkeras.datasets import TurnedBatches

    x, y = _data(rng, n=48)
    keras.utils.set_random_seed(5)
    straight = _joint_model()
    initial = straight.get_weights()
    batches = TurnedBatches(x, y, batch_size=16, seed=1)
    history = fit_classifier(straight, batches, epochs=2, verbose=0)
    assert history.epoch == [0, 1]
    assert int(to_numpy(straight.optimizer.iterations)) == 6
    assert batches.epoch == 1  # epoch e of the training was the dataset's epoch e
    tf_data = keras.backend.backend() == "tensorflow"
    assert straight.steps_per_execution == (3 if tf_data else 1)
    # Resumed in a new process: a new dataset, started at epoch 1 by fit_classifier.
    resumed = _joint_model()
    resumed.set_weights(initial)
    fit_classifier(resumed, TurnedBatches(x, y, batch_size=16, seed=1), epochs=1, verbose=0)
    again = TurnedBatches(x, y, batch_size=16, seed=1)
    history = fit_classifier(resumed, again, epochs=2, initial_epoch=1, verbose=0)
    assert history.epoch == [1]
    for a, b in zip(_weights(straight), _weights(resumed), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_py_dataset_with_validation_data(rng):
    from rotkeras.datasets import TurnedBatches

    x, y = _data(rng, n=32)
    model = _joint_model()
    history = fit_classifier(
        model, TurnedBatches(x, y, batch_size=16, seed=0), epochs=1, verbose=0,
        validation_data=TurnedBatches(x[:8], y[:8], batch_size=8, shuffle=False),
    )
    assert len(history.history["val_loss"]) == 1
    history = fit_classifier(
        model, TurnedBatches(x, y, batch_size=16, seed=0), epochs=1, verbose=0,
        validation_data=(x[:8], (y[:8], np.zeros(8, "int32"))),
    )
    assert np.isfinite(history.history["val_loss"][0])


def test_bad_arguments_for_several_outputs_and_py_datasets(rng):
    from rotkeras.datasets import TurnedBatches

    x, y = _data(rng, n=16)
    joint = _joint_model()
    with pytest.raises(ValueError, match=r"one label array per output.*2 for.*received 1"):
        fit_classifier(joint, x, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"one label array per output.*1 for.*received 2"):
        fit_classifier(_tiny_model(), x, (y, y), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"y\[1\].shape=\(8,\)"):
        fit_classifier(joint, x, (y, y[:8]), epochs=1, verbose=0)
    batches = TurnedBatches(x, y, batch_size=8)
    with pytest.raises(ValueError, match="`y` must be None"):
        fit_classifier(joint, batches, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="`batch_size` must be None"):
        fit_classifier(joint, batches, epochs=1, batch_size=8, verbose=0)
    with pytest.raises(ValueError, match="`pipeline` must be 'auto'"):
        fit_classifier(joint, batches, epochs=1, pipeline="numpy", verbose=0)
    with pytest.raises(ValueError, match="epoch"):
        batches.set_epoch(-1)
