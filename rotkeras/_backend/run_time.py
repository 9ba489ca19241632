"""Checks of shapes known only at run time (see the package docstring, point 3)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from rotkeras._backend.tf_data import _is_tf_tensor, in_tf_graph


def assert_at_run_time(
    condition: Any, message: str, values: Any = (), guard: Any = ()
) -> list[Any]:
    """Raises `ValueError(message)` when the scalar boolean `condition` is false.

    A Python bool or an eager tensor is checked at once. A TensorFlow graph tensor gets a
    `tf.debugging.Assert`, which raises `InvalidArgumentError` with `message` and `values`
    when the graph runs; the tensors `guard` are returned through `tf.identity` under a
    control dependency on it, so nothing computed from them runs before the check. A JAX
    tracer cannot be checked (its shapes are static; the static checks have run already).
    Returns `guard` as a list.
    """
    guard = list(guard)
    if isinstance(condition, bool):
        if not condition:
            raise ValueError(message)
        return guard
    if isinstance(condition, keras.KerasTensor):
        return guard  # symbolic: the static checks are all there is
    if in_tf_graph() and _is_tf_tensor(condition):
        import tensorflow as tf

        assertion = tf.debugging.Assert(condition, [message, *values])
        with tf.control_dependencies([assertion]):
            return [tf.identity(t) for t in guard]
    if keras.backend.backend() == "jax":
        import jax

        if isinstance(condition, jax.core.Tracer):
            return guard
    if not bool(np.asarray(keras.ops.convert_to_numpy(condition))):
        shown = [int(np.asarray(keras.ops.convert_to_numpy(v))) for v in values]
        raise ValueError(f"{message} {tuple(shown)}" if shown else message)
    return guard
