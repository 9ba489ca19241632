"""The input pipeline of `fit_classifier`: a seeded `tf.data` pipeline or Keras' own.

On TensorFlow, `make_dataset` feeds the arrays: per-epoch permutations of the indices from a
stateless shuffle seeded by `(seed, epoch)`, one gather per batch, prefetching. On JAX and
PyTorch the arrays go to `model.fit` as they are (Keras' array iterator is the faster there).
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

import numpy as np

from rotkeras import _backend
from rotkeras import _validation as check

__all__ = ["make_dataset", "resolve_pipeline"]

PIPELINES = ("auto", "tf.data", "numpy")


def resolve_pipeline(pipeline: str = "auto", replicas: int = 1) -> str:
    """Returns the input pipeline `fit_classifier` uses: `"tf.data"` or `"numpy"`.

    Args:
        pipeline: `"auto"`, `"tf.data"` or `"numpy"` (plain `model.fit` on the arrays,
            like the tutorial). `"auto"` is `"tf.data"` on the TensorFlow backend and
            `"numpy"` on JAX and PyTorch: feeding a JAX train step from a `tf.data`
            pipeline made epochs longer on a small CPU (TensorFlow's threads compete
            with XLA's; see the "Performance" page). On several devices
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
