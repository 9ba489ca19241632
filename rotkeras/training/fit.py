"""`fit_classifier`: the recommended fit, with its branches (arrays on either pipeline, or a
`keras.utils.PyDataset`) as helpers of their own."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
import numpy as np

from rotkeras import _backend
from rotkeras import _validation as check
from rotkeras.training.checks import (
    StopOnNonFiniteLoss,
    check_arrays,
    check_outputs,
    check_py_dataset,
    check_schedule,
)
from rotkeras.training.devices import global_batch_rules
from rotkeras.training.pipeline import PIPELINES, make_dataset, resolve_pipeline
from rotkeras.training.steps import resolve_steps_per_execution, set_steps_per_execution

__all__ = ["fit_classifier"]


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
            `tf.random.set_seed` clears TensorFlow's kernel caches, so the next train
            steps rebuild their kernels). A `PyDataset` shuffles with its own seed. Seed
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
            `np.isfinite` over `x`; `False` skips it, e.g. for arrays too large to scan
            twice. Data from a `PyDataset` are
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
    epochs, initial_epoch, seed = check_schedule(model, epochs, initial_epoch, seed, check_data)
    fit_kwargs: dict[str, Any] = {
        "epochs": epochs,
        "callbacks": [*callbacks, StopOnNonFiniteLoss()],
        "initial_epoch": initial_epoch,
        "verbose": verbose,
    }
    if isinstance(x, keras.utils.PyDataset):
        if check_data:
            check_py_dataset(model, x)
        return _fit_py_dataset(model, x, y, batch_size, pipeline, steps_per_execution,
                               validation_data, fit_kwargs)
    x, y = check.check_samples(x, y)
    check_outputs(model, y)
    if check_data:
        check_arrays(model, x, y, validation_data)
    batch_size = check.check_positive_int(64 if batch_size is None else batch_size, "batch_size")
    replicas = _backend.replicas_in_sync(model)
    resolved = resolve_pipeline(pipeline, replicas)
    drop_remainder = global_batch_rules(model, x.shape[0], batch_size, replicas, validation_data)
    if drop_remainder:
        steps_per_epoch = x.shape[0] // batch_size
    else:
        steps_per_epoch = math.ceil(x.shape[0] / batch_size)
    set_steps_per_execution(model, resolve_steps_per_execution(
        steps_per_execution, steps_per_epoch, resolved, model.steps_per_execution, replicas
    ))
    # Array validation data as checked arrays (a PyDataset goes to model.fit as it is).
    validation_data = _validation_arrays(validation_data)
    if resolved == "numpy":
        keras.utils.set_random_seed(seed)  # Keras' array iterator shuffles with these
        return model.fit(x, y, batch_size=batch_size, shuffle=True,
                         validation_data=validation_data, **fit_kwargs)
    fit_kwargs["steps_per_epoch"] = steps_per_epoch
    return _fit_tf_data(model, x, y, batch_size, seed, drop_remainder, validation_data,
                        fit_kwargs)


def _validation_arrays(validation_data: Any) -> Any:
    """`validation_data` with arrays checked (`check_samples`); a `PyDataset` or None as is."""
    if validation_data is not None and not isinstance(validation_data, keras.utils.PyDataset):
        return check.check_samples(*validation_data)
    return validation_data


def _fit_tf_data(
    model: keras.Model,
    x: np.ndarray,
    y: Any,
    batch_size: int,
    seed: int,
    drop_remainder: bool,
    validation_data: Any,
    fit_kwargs: dict[str, Any],
) -> keras.callbacks.History:
    """`fit_classifier` on arrays through `make_dataset` (`pipeline="tf.data"`)."""
    # All epochs in one dataset, each in the order given by (seed, epoch): identical
    # batches whether or not the training was interrupted and resumed at `initial_epoch`.
    dataset = make_dataset(x, y, batch_size, shuffle=True, seed=seed,
                           epochs=fit_kwargs["epochs"], initial_epoch=fit_kwargs["initial_epoch"],
                           drop_remainder=drop_remainder)
    if validation_data is not None and not isinstance(validation_data, keras.utils.PyDataset):
        # A multiple of the batch size (so of the devices): with a validation set that
        # splits evenly over the devices, so does its last batch.
        validation_data = make_dataset(
            *validation_data, batch_size * max(1, 256 // batch_size), shuffle=False
        )
    return model.fit(dataset, shuffle=False, validation_data=validation_data, **fit_kwargs)


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
    set_steps_per_execution(model, resolve_steps_per_execution(
        steps_per_execution, steps_per_epoch, on_tf_data, model.steps_per_execution,
        _backend.replicas_in_sync(model),
    ))
    fit_kwargs["validation_data"] = _validation_arrays(validation_data)
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
