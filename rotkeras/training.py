"""The recommended way to train rotkeras models (what `rotkeras train` and `reproduce` use).

`fit_classifier` trains a compiled model on in-memory arrays the fast way for the
active backend while keeping the tutorial's recipe (same batch size, optimiser, loss,
number of updates, one shuffle per epoch), so results stay those of the tutorial:

- On TensorFlow, the arrays are fed through a `tf.data` pipeline: the *indices* are
  shuffled once per epoch (a stateless shuffle seeded by `(seed, epoch)`, so a resumed
  training sees the same batches as an uninterrupted one), batched, and each batch is
  gathered from the arrays in one op and prefetched, so input preparation overlaps the
  training step. On JAX and PyTorch, Keras' own array iterator is faster (measured):
  the arrays go to `model.fit` as they are. `pipeline=` forces either.
- Augmentation layers such as `rotkeras.layers.RandomRightAngleRotation` stay *inside*
  the model, where they are compiled into the train step with the network.
- Precision: build the model with `dtype=recommended_dtype_policy()`. On TensorFlow and
  PyTorch CPUs with native bfloat16 instructions (AVX512-BF16 or AMX) that is
  `"mixed_bfloat16"` (bfloat16 compute, float32 weights and outputs), which trained this
  network about 20% faster at equal accuracy on this project's machines; elsewhere
  `"float32"`, the tutorial's precision.
- Steps per execution: on TensorFlow with the `tf.data` pipeline, several train steps
  run per call of the compiled function (`steps_per_execution="auto"`: the largest
  divisor of the steps per epoch up to 32, e.g. 14 for MNIST at batch 64), which saves
  Keras' per-step Python and dispatch overhead (about 10% of the CPU time per step for
  this network on a 2-core CPU). Dividing the epoch exactly keeps every epoch's batches
  and the number of updates those of `model.fit`. JAX and PyTorch run one step per call.
- `jit_compile` is the model's own, as set by `rotkeras.models.mnist_cnn(...)`:
  `jit_compile="auto"` uses XLA/jit where it pays (JAX always, TensorFlow on GPUs; XLA on
  a TensorFlow *CPU* is about twice as slow per epoch for this network, measured in
  `benchmarks/`).

- Several devices: build, compile and train the model inside `with data_parallel():`
  (`keras.distribution.DataParallel` on JAX, `tf.distribute.MirroredStrategy` on
  TensorFlow). `batch_size` is then the *global* batch, split evenly over the devices;
  see `fit_classifier` for the last batch of an epoch and the "Training on many devices"
  page of the documentation.

See the "Performance" page of the documentation for measurements.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
import platform
import sys
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from rotkeras import _backend
from rotkeras import _validation as check

__all__ = [
    "cpu_has_native_bfloat16",
    "data_parallel",
    "fit_classifier",
    "make_dataset",
    "recommended_dtype_policy",
    "resolve_pipeline",
    "resolve_precision",
    "resolve_steps_per_execution",
]

PIPELINES = ("auto", "tf.data", "numpy")
DEVICE_CHOICES = ("all",)
PRECISIONS = ("auto", "float32", "mixed_bfloat16")
MAX_AUTO_STEPS_PER_EXECUTION = 32
_BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def _cpu_flags() -> set[str]:
    """The CPU feature flags Linux reports (an empty set elsewhere or when unreadable)."""
    if not sys.platform.startswith("linux"):
        return set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as file:
            for line in file:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


def cpu_has_native_bfloat16() -> bool:
    """Whether this x86-64 CPU computes in bfloat16 natively (AVX512-BF16 or AMX-BF16).

    Examples:
        >>> from rotkeras.training import cpu_has_native_bfloat16
        >>> cpu_has_native_bfloat16() in (True, False)  # True on e.g. AMD EPYC with AVX512-BF16
        True
    """
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    return bool(_cpu_flags() & set(_BF16_CPU_FLAGS))


def recommended_dtype_policy() -> str:
    """Returns the dtype policy that trains rotkeras' CNNs fastest here at equal accuracy.

    `"mixed_bfloat16"` (bfloat16 compute, float32 weights, float32 output layer; see
    `rotkeras.models.mnist_cnn`) where it was measured to pay: the TensorFlow backend
    on a CPU with native bfloat16 instructions and oneDNN on (TensorFlow's default),
    and the PyTorch backend on such a CPU. Measured on a 2-core AMD EPYC with
    AVX512-BF16, full MNIST, 3 epochs: TensorFlow 0.75-0.77x the CPU time per epoch of
    float32 at equal test accuracy (98.88% vs 98.97%, 98.99% vs 98.96% for two seeds);
    PyTorch 0.67x. Everywhere else `"float32"`, the tutorial's precision: JAX on a CPU
    (bfloat16 measured 1.06x slower there), CPUs without bfloat16 instructions (it
    would be emulated), and GPUs (not measured).

    Returns:
        `"mixed_bfloat16"` or `"float32"`.

    Examples:
        >>> import rotkeras
        >>> from rotkeras.training import recommended_dtype_policy
        >>> policy = recommended_dtype_policy()
        >>> model = rotkeras.models.mnist_cnn(dtype=policy)
        >>> policy in ("float32", "mixed_bfloat16")
        True
    """
    if _backend.bfloat16_kernels_pay() and cpu_has_native_bfloat16():
        return "mixed_bfloat16"
    return "float32"


def resolve_precision(precision: str = "auto") -> str:
    """Resolves a `--precision` choice: `"auto"` becomes `recommended_dtype_policy()`.

    Args:
        precision: `"auto"`, `"float32"` or `"mixed_bfloat16"`.

    Returns:
        `"float32"` or `"mixed_bfloat16"`.

    Examples:
        >>> from rotkeras.training import resolve_precision
        >>> resolve_precision("float32")
        'float32'
        >>> resolve_precision("auto") in ("float32", "mixed_bfloat16")
        True
    """
    check.check_choice(precision, "precision", PRECISIONS)
    return recommended_dtype_policy() if precision == "auto" else precision


def resolve_pipeline(pipeline: str = "auto", replicas: int = 1) -> str:
    """Returns the input pipeline `fit_classifier` uses: `"tf.data"` or `"numpy"`.

    Args:
        pipeline: `"auto"`, `"tf.data"` or `"numpy"` (plain `model.fit` on the arrays,
            like the tutorial). `"auto"` is `"tf.data"` on the TensorFlow backend and
            `"numpy"` on JAX and PyTorch: feeding a JAX train step from a `tf.data`
            pipeline made epochs about twice as long on a 2-core CPU (TensorFlow's
            threads compete with XLA's), see `benchmarks/`. On several devices
            (`replicas > 1`) it is always `"tf.data"`, which alone controls the last
            batch of an epoch (see `fit_classifier`).
        replicas: Devices each global batch is split over (`1`: one device).

    Returns:
        The resolved pipeline name.

    Raises:
        ValueError: For an unknown name, and for `"numpy"` with `replicas > 1`.

    Examples:
        >>> from rotkeras.training import resolve_pipeline
        >>> resolve_pipeline("numpy")
        'numpy'
        >>> resolve_pipeline("auto") in ("tf.data", "numpy")  # "tf.data" on TensorFlow
        True
    """
    check.check_choice(pipeline, "pipeline", PIPELINES)
    if replicas > 1:
        if pipeline == "numpy":
            raise ValueError(
                "pipeline='numpy' cannot train on several devices (Keras' array iterator "
                "keeps a last batch that may not split evenly over them); received "
                f"pipeline='numpy' with {replicas} devices. Use 'auto' or 'tf.data'."
            )
        return "tf.data"
    if pipeline == "auto":
        if _backend.tf_data_is_native() and importlib.util.find_spec("tensorflow"):
            return "tf.data"
        return "numpy"
    return pipeline


def data_parallel(devices: int | str = "all") -> contextlib.AbstractContextManager[int]:
    """Trains, evaluates and predicts on several local devices while the block runs.

    Data parallelism with the engine of the backend: `keras.distribution.DataParallel`
    on JAX, `tf.distribute.MirroredStrategy` on TensorFlow. Every device holds the whole
    model and computes the step on its share of each global batch; the gradients are
    averaged over the devices, so a step equals one step on one device with the same
    global batch (up to float rounding). Build, compile, train, evaluate, save and load
    the model inside the block (on JAX `keras.distribution` applies only there; on
    TensorFlow a model keeps the strategy it was built under). The block yields the
    number of devices. With one device it changes nothing, on every backend.

    Random layers (`RandomRightAngleRotation`, `RandomStrokeWidth`, the dropout of
    `P4OrientationHead`) draw different numbers on every device: with a seed, exactly
    the numbers one device draws for the same global batch.

    Args:
        devices: `"all"` (every local GPU or TPU, else every CPU device: on JAX as many
            as `XLA_FLAGS=--xla_force_host_platform_device_count=N` makes, on TensorFlow
            the logical CPUs configured with `tf.config.set_logical_device_configuration`)
            or how many of them to use.

    Returns:
        A context manager that yields the number of devices.

    Raises:
        ValueError: For more devices than there are, and for several devices on the
            PyTorch backend (Keras has no multi-device trainer for PyTorch).

    Examples:
        >>> import numpy as np
        >>> import rotkeras
        >>> from rotkeras.training import data_parallel, fit_classifier
        >>> x = np.random.rand(64, 28, 28, 1).astype("float32")
        >>> y = np.random.randint(0, 10, 64)
        >>> with data_parallel("all") as replicas:
        ...     model = rotkeras.models.mnist_cnn()
        ...     history = fit_classifier(model, x, y, epochs=1, batch_size=32 * replicas,
        ...                              verbose=0)
        >>> len(history.history["loss"])
        1
    """
    if devices == "all":
        count = len(_backend.local_devices())
    elif isinstance(devices, str):
        raise ValueError(
            f"`devices` must be 'all' or a positive integer; received devices={devices!r}"
        )
    else:
        count = check.check_positive_int(devices, "devices")
    return _backend.data_parallel_scope(count)


def _divisors(number: int, limit: int) -> list[int]:
    """The divisors of `number` up to `limit`, in increasing order (always starts with 1)."""
    return [d for d in range(1, min(number, limit) + 1) if number % d == 0]


def resolve_steps_per_execution(
    steps_per_execution: int | str | None,
    steps_per_epoch: int,
    pipeline: str,
    model_steps_per_execution: int = 1,
    replicas: int = 1,
) -> int:
    """Returns the train steps per execution `fit_classifier` uses.

    Args:
        steps_per_execution: `"auto"`, a positive integer, or `None` (the model's
            compiled setting, `model_steps_per_execution`). `"auto"` is the largest
            divisor of `steps_per_epoch` up to 32 on the TensorFlow backend with the
            `tf.data` pipeline, and 1 elsewhere (JAX and PyTorch run one step per call;
            on PyTorch Keras allows nothing else).
        steps_per_epoch: Train steps per epoch (`ceil(N / batch_size)`).
        pipeline: The resolved pipeline, `"tf.data"` or `"numpy"`.
        model_steps_per_execution: The model's compiled `steps_per_execution`.
        replicas: Devices each global batch is split over. On TensorFlow with several,
            one step per execution: Keras' multi-step loop fails under `tf.distribute`
            (Keras 3.15.1, TensorFlow 2.21), so `"auto"` gives 1 there.

    Returns:
        The number of steps per execution.

    Raises:
        ValueError: For a value that is not `"auto"`, `None` or a positive integer; for
            more than one step on the PyTorch backend or on TensorFlow with several
            devices; and, with the `tf.data` pipeline,
            for a value that does not divide `steps_per_epoch` (its epochs are one
            continuous stream, so an execution would run into the next epoch's batches).

    Examples:
        >>> from rotkeras.training import resolve_steps_per_execution
        >>> resolve_steps_per_execution("auto", steps_per_epoch=938, pipeline="numpy")
        1
    """
    limit = _backend.max_steps_per_execution(replicas)
    if steps_per_execution == "auto":
        if not _backend.multi_step_execution_pays() or pipeline != "tf.data" or limit == 1:
            return 1
        return max(_divisors(steps_per_epoch, MAX_AUTO_STEPS_PER_EXECUTION))
    source = "steps_per_execution"
    if steps_per_execution is None:
        steps_per_execution = model_steps_per_execution
        source = "the model's compiled steps_per_execution"
    if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int):
        raise check.ArgumentTypeError(
            "`steps_per_execution` must be 'auto', None or a positive integer; received "
            f"steps_per_execution={steps_per_execution!r}"
        )
    if steps_per_execution < 1:
        raise ValueError(
            "`steps_per_execution` must be 'auto', None or a positive integer; received "
            f"steps_per_execution={steps_per_execution!r}"
        )
    if limit is not None and steps_per_execution > limit:
        where = "the PyTorch backend" if replicas == 1 else f"TensorFlow on {replicas} devices"
        raise ValueError(
            f"`steps_per_execution` must be 1 with {where}; received "
            f"{source}={steps_per_execution!r}"
        )
    if pipeline == "tf.data" and steps_per_epoch % steps_per_execution:
        divisors = _divisors(steps_per_epoch, 64)
        raise ValueError(
            f"With the tf.data pipeline, steps per execution must divide the {steps_per_epoch} "
            f"steps of an epoch (else an execution runs into the next epoch); received "
            f"{source}={steps_per_execution!r}. Use 'auto', one of {divisors}, or "
            "pipeline='numpy'."
        )
    return steps_per_execution


def make_dataset(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int = 64,
    *,
    shuffle: bool = True,
    seed: int = 0,
    epochs: int | None = None,
    initial_epoch: int = 0,
    drop_remainder: bool = False,
) -> Any:
    """Builds the recommended `tf.data` pipeline over in-memory arrays.

    The order of epoch `e` is a fixed permutation of the sample indices drawn from
    `(seed, e)` alone (a stateless shuffle), so a training resumed at epoch `e` sees
    exactly the batches an uninterrupted one would. Indices are batched and every
    batch is gathered from the arrays with a single op, then prefetched; shuffling
    indices rather than samples avoids filling a shuffle buffer with the whole data set.

    Args:
        x: Inputs, `(N, ...)`.
        y: Targets, `(N, ...)`, or a tuple of them (one per model output).
        batch_size: Batch size (each epoch's last batch may be smaller, like `model.fit`).
        shuffle: Whether to shuffle (differently every epoch).
        seed: Shuffle seed.
        epochs: With `None`, the dataset is one epoch (epoch `initial_epoch`'s order);
            otherwise it holds epochs `initial_epoch .. epochs - 1` back to back
            (`ceil(N / batch_size)` batches each), to be used with `steps_per_epoch`.
        initial_epoch: First epoch in the dataset.
        drop_remainder: Whether to drop each epoch's last batch when it is smaller than
            `batch_size` (then every epoch has `N // batch_size` batches, and the dropped
            samples differ from epoch to epoch when shuffling).

    Returns:
        A `tf.data.Dataset` of `(x_batch, y_batch)` (`y_batch` a tuple when `y` is).

    Examples:
        >>> import numpy as np
        >>> from rotkeras.training import make_dataset
        >>> x, y = np.zeros((10, 28, 28, 1), "float32"), np.zeros(10, "int64")
        >>> [int(images.shape[0]) for images, labels in make_dataset(x, y, batch_size=4)]
        [4, 4, 2]
    """
    import tensorflow as tf

    x, y = check.check_samples(x, y)
    num = x.shape[0]
    x_t = tf.constant(x)
    y_t = tuple(tf.constant(t) for t in y) if isinstance(y, tuple) else tf.constant(y)
    last = initial_epoch + 1 if epochs is None else epochs
    seed_t = tf.constant(check.check_seed(seed, allow_none=False), tf.int64)

    def epoch_indices(epoch: Any) -> Any:
        indices = tf.range(num, dtype=tf.int64)
        if shuffle:
            indices = tf.random.experimental.stateless_shuffle(
                indices, seed=tf.stack([seed_t, epoch])
            )
        return tf.data.Dataset.from_tensor_slices(indices).batch(
            batch_size, drop_remainder=drop_remainder
        )

    dataset = tf.data.Dataset.range(initial_epoch, last).flat_map(epoch_indices)
    # flat_map hides the length; Keras needs it to end evaluation loops cleanly.
    per_epoch = num // batch_size if drop_remainder else math.ceil(num / batch_size)
    batches = max(last - initial_epoch, 0) * per_epoch
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    dataset = dataset.map(
        lambda i: (tf.gather(x_t, i), tf.nest.map_structure(lambda t: tf.gather(t, i), y_t)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    return dataset.prefetch(tf.data.AUTOTUNE)


def fit_classifier(
    model: keras.Model,
    x: np.ndarray | keras.utils.PyDataset,
    y: np.ndarray | tuple[np.ndarray, ...] | None = None,
    *,
    epochs: int = 10,
    batch_size: int | None = None,
    seed: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    initial_epoch: int = 0,
    verbose: int | str = "auto",
    validation_data: tuple[np.ndarray, Any] | keras.utils.PyDataset | None = None,
    pipeline: str = "auto",
    steps_per_execution: int | str | None = "auto",
    check_data: bool = True,
) -> keras.callbacks.History:
    """Trains a compiled classifier on in-memory arrays, the fast way for the backend.

    Same recipe as `model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=True)`
    (same number of updates per epoch, one fresh seeded shuffle per epoch), run with
    several steps per call of the compiled function where that is exact (see
    `steps_per_execution`). On the TensorFlow backend the data go through a prefetching
    `tf.data` pipeline whose epoch orders depend only on `(seed, epoch)` (see
    `make_dataset`), so resuming at `initial_epoch` reproduces an uninterrupted run; on
    JAX and PyTorch through Keras' array iterator (the faster there). Works with
    `keras.callbacks.BackupAndRestore` and any other callback, on the TensorFlow, JAX and
    PyTorch backends.

    Models with several outputs, such as `rotkeras.models.rotation_robust_cnn()` (digits
    and orientation), take one label array per output: `y=(digits, turns)`. Training data
    that make their own batches, such as `rotkeras.datasets.TurnedBatches` (batches of
    turned images labelled `(digits, turns)`), are passed as `x` alone, a
    `keras.utils.PyDataset`: they go to `model.fit` as they are, with the same
    steps-per-execution choice. A dataset with a `set_epoch(epoch)` method (like
    `TurnedBatches`) is read epoch by epoch instead, each set with `set_epoch` right
    before its first batch, so that epoch `e` is exactly the dataset's epoch `e` and a
    training resumed at `initial_epoch` sees the batches of an uninterrupted one.

    On several devices (a model built, compiled and trained inside `data_parallel()`, or
    under any `keras.distribution` on JAX or `tf.distribute` strategy on TensorFlow):
    `batch_size` is the global batch and must be a multiple of the number of devices
    `R`; the data always go through the `tf.data` pipeline (on JAX too); each epoch's
    last, smaller batch is kept when it splits evenly over the devices (a multiple of
    `R` samples, as for MNIST's 60,000 at batch 64 on 2, 4 or 8 devices) and dropped
    otherwise (always on several machines), so that every device gets the same number
    of samples in every step and the step's loss is the global batch's mean;
    `validation_data`, if any, must hold a multiple of `R` samples; one step per
    execution on TensorFlow (see `steps_per_execution`). Everything else (seeded epoch
    orders, resuming) is as on one device.

    Args:
        model: A compiled Keras model (augmentation layers, if any, inside it), e.g.
            from `rotkeras.models.mnist_cnn(...)`.
        x: Training inputs, float32 `(N, H, W, C)`; or a `keras.utils.PyDataset` of
            `(inputs, labels)` batches (then `y` and `batch_size` stay unset).
        y: Integer labels `(N,)` (or one-hot, matching the model's loss); for a model
            with several outputs, a tuple of such arrays, one per output.
        epochs: Number of epochs to train up to.
        batch_size: Batch size for arrays (default 64; on several devices the global batch,
            over all of them).
        seed: Shuffle seed for arrays. With the `tf.data` pipeline, epoch `e`'s order
            comes from `(seed, e)` alone and no global random state is touched; with the
            `"numpy"` pipeline Keras' array iterator shuffles with the global generators,
            which are seeded first with `keras.utils.set_random_seed(seed)` (only there:
            `tf.random.set_seed` clears TensorFlow's kernel caches, which costs the
            next train steps about 0.1 s). A `PyDataset` shuffles with its own seed. Seed
            a model's own unseeded randomness, such as dropout, with
            `keras.utils.set_random_seed` before building it.
        callbacks: Keras callbacks (e.g. `keras.callbacks.BackupAndRestore`).
        initial_epoch: Epoch to start from.
        verbose: Passed to `model.fit`.
        validation_data: Optional `(x_val, y_val)` arrays (`y_val` a tuple for several
            outputs) or a `keras.utils.PyDataset`, evaluated after every epoch.
        pipeline: `"auto"` (default: `"tf.data"` on the TensorFlow backend, `"numpy"`
            on JAX and PyTorch), `"tf.data"` or `"numpy"` (plain `model.fit` on the
            arrays). Only `"auto"` with a `PyDataset`, which is its own pipeline.
        steps_per_execution: Train steps per call of the compiled train function.
            `"auto"` (default): the largest divisor of the steps per epoch up to 32 on
            TensorFlow with the `tf.data` pipeline or a `PyDataset` on one device (14 for
            MNIST at batch 64), else 1; an integer: that many (it must divide the steps per
            epoch with the `tf.data` pipeline or a `PyDataset`, and be 1 on PyTorch and on
            TensorFlow with several devices); `None`: the model's compiled setting. The
            model keeps the value used (`model.steps_per_execution`), so later calls with
            the same value reuse its compiled functions.
        check_data: Whether to check the arrays before training (default True): every
            input finite (no NaN or infinity: one makes every weight NaN after a step),
            and class labels whole numbers in `[0, classes)` for every output with
            integer labels (out-of-range labels train on garbage on JAX and fail inside
            TensorFlow). One vectorised pass over the data, about as long as a pass of
            `np.isfinite` over `x` (a few tens of milliseconds for MNIST); `False` skips
            it, e.g. for arrays too large to scan twice. Data from a `PyDataset` are
            checked only where it is a `rotkeras.datasets.TurnedBatches`. Whatever
            this setting, training stops with `NonFiniteLossError` (naming the epoch and
            step) as soon as the loss is NaN or infinite.

    Returns:
        The `History` of `model.fit`.

    Raises:
        NonFiniteLossError: When the training loss becomes NaN or infinite.
        ValueError: For an uncompiled model, `epochs` below 1 or `initial_epoch`
            outside `[0, epochs]`, non-finite inputs or labels out of range (with
            `check_data`), arrays of different lengths, labels that
            do not match the model's outputs, or `y`/`batch_size`/`pipeline` given with
            a `PyDataset`; and on several devices for a batch size that is not a multiple
            of the devices, fewer samples than one global batch, `pipeline="numpy"` or
            `validation_data` whose size is not a multiple of the devices.

    Examples:
        >>> import numpy as np
        >>> import rotkeras
        >>> from rotkeras.training import fit_classifier
        >>> model = rotkeras.models.mnist_cnn()
        >>> x = np.random.rand(32, 28, 28, 1).astype("float32")
        >>> y = np.random.randint(0, 10, 32)
        >>> history = fit_classifier(model, x, y, epochs=1, batch_size=16, verbose=0)
        >>> len(history.history["loss"])
        1
        >>> joint = rotkeras.models.rotation_robust_cnn()  # outputs: digits, orientation
        >>> batches = rotkeras.datasets.TurnedBatches(x, y, batch_size=16, seed=0)
        >>> history = fit_classifier(joint, batches, epochs=1, verbose=0)
        >>> len(history.history["loss"])
        1
    """
    if not getattr(model, "compiled", False):
        raise ValueError(
            f"`model` must be compiled before training; received an uncompiled {model.name!r}"
        )
    epochs = check.check_positive_int(epochs, "epochs")
    initial_epoch = check.check_int(initial_epoch, "initial_epoch", minimum=0)
    if initial_epoch > epochs:
        raise ValueError(
            f"`initial_epoch` must be at most `epochs` ({epochs}), the epoch to train up to; "
            f"received initial_epoch={initial_epoch}"
        )
    seed = check.check_seed(seed, allow_none=False)
    check.check_bool(check_data, "check_data")
    fit_kwargs: dict[str, Any] = {
        "epochs": epochs,
        "callbacks": [*callbacks, StopOnNonFiniteLoss()],
        "initial_epoch": initial_epoch,
        "verbose": verbose,
    }
    if isinstance(x, keras.utils.PyDataset):
        if check_data:
            _check_py_dataset(model, x)
        return _fit_py_dataset(model, x, y, batch_size, pipeline, steps_per_execution,
                               validation_data, fit_kwargs)
    x, y = check.check_samples(x, y)
    _check_outputs(model, y)
    if check_data:
        _check_data(model, x, y, "x", "y")
        if validation_data is not None and not isinstance(validation_data, keras.utils.PyDataset):
            _check_data(model, *check.check_samples(*validation_data), "validation_data[0]",
                        "validation_data[1]")
    batch_size = check.check_positive_int(64 if batch_size is None else batch_size, "batch_size")
    replicas = _backend.replicas_in_sync(model)
    resolved = resolve_pipeline(pipeline, replicas)
    drop_remainder = False
    if replicas > 1:
        if batch_size % replicas:
            raise ValueError(
                f"On {replicas} devices `batch_size` (the global batch) must be a multiple "
                f"of {replicas}; received batch_size={batch_size}"
            )
        if x.shape[0] < batch_size:
            raise ValueError(
                f"On {replicas} devices training needs at least one full global batch of "
                f"{batch_size} samples; received {x.shape[0]} samples"
            )
        # The last batch must split evenly over the devices: kept when it does, on one
        # machine. On several, always dropped: the engines split each global batch per
        # process by its static size (Keras' DataParallel rebatches and shards).
        drop_remainder = ((x.shape[0] % batch_size) % replicas != 0
                          or _backend.process_count(model) > 1)
        if (validation_data is not None
                and not isinstance(validation_data, keras.utils.PyDataset)
                and len(validation_data[0]) % replicas):
            raise ValueError(
                f"On {replicas} devices `validation_data` must hold a multiple of {replicas} "
                f"samples (each device gets the same share); received {len(validation_data[0])}"
            )
    if drop_remainder:
        steps_per_epoch = x.shape[0] // batch_size
    else:
        steps_per_epoch = math.ceil(x.shape[0] / batch_size)
    _set_steps_per_execution(model, resolve_steps_per_execution(
        steps_per_execution, steps_per_epoch, resolved, model.steps_per_execution, replicas
    ))
    if resolved == "numpy":
        keras.utils.set_random_seed(seed)  # Keras' array iterator shuffles with these
        if validation_data is not None and not isinstance(validation_data, keras.utils.PyDataset):
            validation_data = check.check_samples(*validation_data)
        fit_kwargs["validation_data"] = validation_data
        return model.fit(x, y, batch_size=batch_size, shuffle=True, **fit_kwargs)
    # All epochs in one dataset, each in the order given by (seed, epoch): identical
    # batches whether or not the training was interrupted and resumed at `initial_epoch`.
    dataset = make_dataset(x, y, batch_size, shuffle=True, seed=seed, epochs=epochs,
                           initial_epoch=initial_epoch, drop_remainder=drop_remainder)
    fit_kwargs["steps_per_epoch"] = steps_per_epoch
    if isinstance(validation_data, keras.utils.PyDataset):
        fit_kwargs["validation_data"] = validation_data
    elif validation_data is not None:
        x_val, y_val = check.check_samples(*validation_data)
        # A multiple of the batch size (so of the devices): with a validation set that
        # splits evenly over the devices, so does its last batch.
        fit_kwargs["validation_data"] = make_dataset(
            x_val, y_val, batch_size * max(1, 256 // batch_size), shuffle=False
        )
    return model.fit(dataset, shuffle=False, **fit_kwargs)


class NonFiniteLossError(ValueError):
    """The training loss became NaN or infinite (raised by `fit_classifier`)."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops training with `NonFiniteLossError` once the loss is NaN or infinite.

    Unlike `keras.callbacks.TerminateOnNaN`, it raises an error that names the epoch and
    step, so that a training on bad data never ends as if it had worked. It reads the loss
    after each call of the train function (every `steps_per_execution` steps; the loss in
    the logs is the epoch's running mean, so a NaN step shows at the next call), on
    Keras' callback thread where there is one, so the steps do not wait for it.
    """

    async_safe = True  # Keras may run it on its callback thread: no wait for the device

    def __init__(self) -> None:
        super().__init__()
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._check(logs, f"epoch {self._epoch + 1}, by step {batch + 1}")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._check(logs, f"epoch {epoch + 1}")

    def _check(self, logs: dict[str, Any] | None, where: str) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        value = float(np.asarray(keras.ops.convert_to_numpy(loss)).reshape(-1)[0])
        if not math.isfinite(value):
            raise NonFiniteLossError(
                f"training stopped: the loss became {value} in {where}. Usual causes: NaN "
                "or infinite inputs or labels (fit_classifier checks arrays unless "
                "check_data=False), a learning rate too large, or float16 overflow"
            )


def _check_data(model: keras.Model, x: np.ndarray, y: Any, x_name: str, y_name: str) -> None:
    """`check_data` of `fit_classifier`: finite inputs, labels in range for every output."""
    check.check_finite_array(x, x_name)
    targets = y if isinstance(y, tuple) else (y,)
    outputs = getattr(model, "outputs", None)
    for index, target in enumerate(targets):
        name = f"{y_name}[{index}]" if isinstance(y, tuple) else y_name
        classes = None
        if isinstance(outputs, (list, tuple)) and index < len(outputs):
            classes = outputs[index].shape[-1]
        sparse = target.ndim == 1 or (target.ndim == 2 and target.shape[-1] == 1)
        if sparse and isinstance(classes, int) and classes > 1:
            check.check_class_label_array(target, classes, name)
        elif np.issubdtype(np.asarray(target).dtype, np.number):
            check.check_finite_array(np.asarray(target), name)


def _check_py_dataset(model: keras.Model, dataset: keras.utils.PyDataset) -> None:
    """`check_data` for the datasets whose arrays rotkeras knows (`TurnedBatches`)."""
    from rotkeras.datasets.turned_batches import TurnedBatches

    if isinstance(dataset, TurnedBatches):
        _check_data(model, dataset.x, (dataset.y,), "x", "y")


def _check_outputs(model: keras.Model, y: Any) -> None:
    """Labels `y` must match the model's outputs: one array per output."""
    outputs = getattr(model, "outputs", None)
    if not isinstance(outputs, (list, tuple)):
        return  # e.g. a subclassed model: Keras checks the structure itself
    given = len(y) if isinstance(y, tuple) else 1
    if given != len(outputs):
        example = " (e.g. y=(digits, turns) for rotation_robust_cnn)" if len(outputs) > 1 else ""
        raise ValueError(
            f"`y` must hold one label array per output of the model: {len(outputs)} for "
            f"{model.name!r}{example}; received {given}"
        )


def _set_steps_per_execution(model: keras.Model, steps_per_execution: int) -> None:
    if steps_per_execution != model.steps_per_execution:
        # `steps_per_execution` is a public attribute of compiled models, and the step
        # functions are built from it: rebuild them with Keras' own `make_*_function`.
        model.steps_per_execution = steps_per_execution
        model.make_train_function(force=True)
        model.make_test_function(force=True)
        model.make_predict_function(force=True)


def _fit_py_dataset(
    model: keras.Model,
    dataset: keras.utils.PyDataset,
    y: Any,
    batch_size: int | None,
    pipeline: str,
    steps_per_execution: int | str | None,
    validation_data: Any,
    fit_kwargs: dict[str, Any],
) -> keras.callbacks.History:
    """`fit_classifier` on a `keras.utils.PyDataset` (which batches and shuffles itself)."""
    kind = type(dataset).__name__
    if y is not None:
        raise ValueError(
            f"`y` must be None when `x` is a keras.utils.PyDataset ({kind} yields its own "
            f"labels); received y of type {type(y).__name__}"
        )
    if batch_size is not None:
        raise ValueError(
            f"`batch_size` must be None when `x` is a keras.utils.PyDataset ({kind} makes its "
            f"own batches); received batch_size={batch_size!r}"
        )
    check.check_choice(pipeline, "pipeline", PIPELINES)
    if pipeline != "auto":
        raise ValueError(
            f"`pipeline` must be 'auto' when `x` is a keras.utils.PyDataset ({kind} is its own "
            f"input pipeline); received pipeline={pipeline!r}"
        )
    steps_per_epoch = len(dataset)
    if steps_per_epoch < 1:
        raise ValueError(f"`x` must yield at least one batch; {kind} has {steps_per_epoch}")
    # Keras runs a PyDataset through tf.data on TensorFlow: several steps per call pay
    # there as for arrays, as long as they divide the epoch.
    on_tf_data = "tf.data" if resolve_pipeline("auto") == "tf.data" else "numpy"
    _set_steps_per_execution(model, resolve_steps_per_execution(
        steps_per_execution, steps_per_epoch, on_tf_data, model.steps_per_execution,
        _backend.replicas_in_sync(model),
    ))
    if validation_data is not None and not isinstance(validation_data, keras.utils.PyDataset):
        validation_data = check.check_samples(*validation_data)
    fit_kwargs["validation_data"] = validation_data
    if not callable(getattr(dataset, "set_epoch", None)):
        return model.fit(dataset, **fit_kwargs)
    # An epoch-aware dataset is read as one stream of epochs, each set right before its
    # first batch is read: with Keras' own PyDataset loop, TensorFlow prefetches the next
    # epoch's first batches before `on_epoch_end` redraws the epoch, so epochs would mix.
    fit_kwargs["steps_per_epoch"] = steps_per_epoch
    return model.fit(_epoch_stream(dataset, fit_kwargs["initial_epoch"], fit_kwargs["epochs"]),
                     shuffle=False, **fit_kwargs)


def _epoch_stream(dataset: Any, first: int, last: int) -> Any:
    """The batches of epochs `first .. last - 1` of an epoch-aware dataset, in order."""
    for epoch in range(first, last):
        dataset.set_epoch(epoch)
        for index in range(len(dataset)):
            yield dataset[index]
