"""Data parallelism on the engine of each backend (see the package docstring, point 5)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import keras


def local_devices() -> list[str]:
    """The devices of this process that data parallelism would use, by name.

    JAX: `jax.local_devices()` (GPUs or TPUs when there are any, else the CPU devices, as
    many as `XLA_FLAGS=--xla_force_host_platform_device_count=N` makes). TensorFlow: the
    logical GPUs, else the logical CPUs (as many as `tf.config.
    set_logical_device_configuration` made). PyTorch: the CUDA devices, else `["cpu"]`.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return [str(device) for device in jax.local_devices()]
    if backend == "tensorflow":
        import tensorflow as tf

        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return [device.name for device in devices]
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu"]


@contextlib.contextmanager
def data_parallel_scope(count: int) -> Iterator[int]:
    """Data parallelism over the first `count` local devices while the block runs.

    JAX: `keras.distribution.DataParallel` over those devices (its `scope()`), which
    models built, trained, evaluated and loaded in the block use. TensorFlow:
    `tf.distribute.MirroredStrategy` over them (its `scope()`); models built in the block
    keep the strategy. With `count == 1` nothing changes. Yields `count`.

    Raises:
        ValueError: For more devices than there are, and for `count > 1` on PyTorch
            (Keras has no multi-device trainer for PyTorch).
    """
    devices = local_devices()
    if count > len(devices):
        raise ValueError(
            f"`devices` asks for {count} devices but this process has {len(devices)}: "
            f"{devices}"
        )
    if count == 1:
        yield 1
        return
    backend = keras.backend.backend()
    if backend == "jax":
        distribution = keras.distribution.DataParallel(
            devices=keras.distribution.list_devices()[:count]
        )
        with distribution.scope():
            yield count
    elif backend == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(devices[:count])
        with strategy.scope():
            yield count
    else:
        raise ValueError(
            f"Training on several devices needs the JAX or TensorFlow backend; the "
            f"{backend} backend has no data-parallel trainer in Keras. Received devices={count}"
        )


def replicas_in_sync(model: Any = None) -> int:
    """How many devices split each global batch when `model` trains now (1 without any).

    TensorFlow: the replicas of the `tf.distribute` strategy the model was built under
    (else the current one). JAX: the size of the batch axis of the current
    `keras.distribution` (all processes together). PyTorch: 1.
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
        return int(strategy.num_replicas_in_sync)
    if backend == "jax":
        distribution = keras.distribution.distribution()
        if distribution is None:
            return 1
        mesh = distribution.device_mesh
        axis = getattr(distribution, "batch_dim_name", None) or mesh.axis_names[0]
        return int(dict(zip(mesh.axis_names, mesh.shape, strict=True))[axis])
    return 1


def process_count(model: Any = None) -> int:
    """How many processes (machines) train together: `jax.process_count()` on JAX, the
    workers of a `MultiWorkerMirroredStrategy` on TensorFlow, else 1."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return int(jax.process_count())
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
        resolver = getattr(strategy, "cluster_resolver", None)
        if resolver is not None:
            return max(1, len(resolver.cluster_spec().as_dict().get("worker", [])))
    return 1


def replica_position() -> tuple[Any, int] | None:
    """`(replica id, replicas)` inside a `tf.distribute` replica with others; else `None`."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context.replica_id_in_sync_group, int(context.num_replicas_in_sync)


def draw_per_sample(draw: Callable[[Any], Any], batch_size: Any) -> Any:
    """Random numbers for the samples of this batch that differ between replicas.

    `draw(n)` draws one value (or row) per sample for `n` samples with `keras.random` and
    a `SeedGenerator`. On one device, and under `keras.distribution` on JAX (one program
    over the global batch), this is `draw(batch_size)`. Inside a `tf.distribute` replica,
    whose seed state every replica holds an identical copy of, `draw(batch_size)` would
    give every replica the same numbers; instead each replica draws for the global batch
    (`batch_size * replicas`) and keeps the slice of its own samples: replica `r` gets the
    numbers of samples `r * batch_size ...` of the global batch, exactly those one device
    would draw for it when the global batch is split evenly.
    """
    position = replica_position()
    if position is None:
        return draw(batch_size)
    replica, replicas = position
    values = draw(batch_size * replicas)
    start = keras.ops.cast(replica, "int32") * keras.ops.cast(batch_size, "int32")
    return keras.ops.take(values, start + keras.ops.arange(batch_size, dtype="int32"), axis=0)
