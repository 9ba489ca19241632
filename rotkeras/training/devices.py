"""Training on several local devices: `data_parallel`, and the rules a global batch follows.

Data parallelism runs on the engine of the backend (`keras.distribution` on JAX,
`tf.distribute` on TensorFlow; see `rotkeras._backend`). `fit_classifier` then splits every
global batch evenly over the devices: `global_batch_rules` checks the batch and the data and
says whether an epoch's last batch must be dropped.
"""

from __future__ import annotations

import contextlib
from typing import Any

import keras

from rotkeras import _backend
from rotkeras import _validation as check

__all__ = ["data_parallel"]

DEVICE_CHOICES = ("all",)


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


def global_batch_rules(
    model: keras.Model, samples: int, batch_size: int, replicas: int, validation_data: Any
) -> bool:
    """Checks training data for `replicas` devices; returns whether to drop the last batch.

    With one device nothing is checked and nothing dropped. On several, `batch_size` (the
    global batch) must be a multiple of the devices, the data must hold one global batch at
    least, and array `validation_data` a multiple of the devices.

    Raises:
        ValueError: For a batch, data or validation data that do not split over the devices.
    """
    if replicas == 1:
        return False
    if batch_size % replicas:
        raise ValueError(
            f"On {replicas} devices `batch_size` (the global batch) must be a multiple "
            f"of {replicas}; received batch_size={batch_size}"
        )
    if samples < batch_size:
        raise ValueError(
            f"On {replicas} devices training needs at least one full global batch of "
            f"{batch_size} samples; received {samples} samples"
        )
    # The last batch must split evenly over the devices: kept when it does, on one
    # machine. On several, always dropped: the engines split each global batch per
    # process by its static size (Keras' DataParallel rebatches and shards).
    drop_remainder = (samples % batch_size) % replicas != 0 or _backend.process_count(model) > 1
    if (validation_data is not None
            and not isinstance(validation_data, keras.utils.PyDataset)
            and len(validation_data[0]) % replicas):
        raise ValueError(
            f"On {replicas} devices `validation_data` must hold a multiple of {replicas} "
            f"samples (each device gets the same share); received {len(validation_data[0])}"
        )
    return drop_remainder
