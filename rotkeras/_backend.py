"""The backend-specific code of rotkeras, all of it (internal).

Everything else in the package is written with `keras.ops`, `keras.random` and Keras'
public API, and never asks which backend runs. The pieces below cannot be: each says why.

1. **The `tf.data` bridge** (`TFDataLayer`, `map_in_tf_graph`). A `tf.data` pipeline is
   a TensorFlow graph. On the TensorFlow backend `keras.ops` are TensorFlow ops and run
   in it directly; on JAX and PyTorch they produce JAX arrays or torch tensors, which a
   TensorFlow graph cannot hold. The bridge detects a TensorFlow graph (Keras has no
   public way to ask) and routes the computation through `tf.py_function`: the batch is
   handed over as NumPy, computed eagerly on the active backend and handed back with its
   static shape restored (from the layer's `compute_output_spec`).
2. **Hardware probes for the training precision** (`bfloat16_kernels_pay`). Whether
   bfloat16 training pays depends on the backend's CPU kernels (oneDNN on TensorFlow,
   MKL-DNN on PyTorch, XLA on JAX), whose switches only the backend libraries expose.
3. **Checks of shapes known only at run time** (`assert_at_run_time`). Inside a
   TensorFlow graph (`tf.function`, `tf.data`) a tensor's height or width may be unknown
   until the graph runs; only a TensorFlow assertion can check it there. Eager values of
   every backend are checked directly; JAX traces always have static shapes.
4. **How Keras' trainers run on each backend** (`tf_data_is_native`,
   `multi_step_execution_pays`, `max_steps_per_execution`): facts about Keras' per-backend
   `fit` loops, which no public API reports.

The functions that *return* `tf.data` pipelines (`rotkeras.training.make_dataset`,
`rotkeras.datasets.angle_dataset`) import TensorFlow themselves: a `tf.data.Dataset` is
what they make, on every backend, and they run only TensorFlow ops in it (or call
`map_in_tf_graph`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

__all__ = [
    "TFDataLayer",
    "assert_at_run_time",
    "bfloat16_kernels_pay",
    "in_tf_graph",
    "map_in_tf_graph",
    "max_steps_per_execution",
    "multi_step_execution_pays",
    "tf_data_is_native",
]


# ---------------------------------------------------------------------- tf.data bridge
def in_tf_graph() -> bool:
    """True while TensorFlow traces a graph (e.g. a `Dataset.map` function)."""
    if "tensorflow" not in sys.modules:
        return False
    import tensorflow as tf

    return tf.inside_function()


def tf_data_is_native() -> bool:
    """Whether `keras.ops` run inside `tf.data` graphs as they are (the TensorFlow backend)."""
    return keras.backend.backend() == "tensorflow"


def _tensor_spec(x: Any) -> Any:
    import tensorflow as tf

    return tf.TensorSpec(x.shape, x.dtype)


def map_in_tf_graph(
    fn: Callable[..., Any], inputs: Any, output_spec: Callable[[Any], Any] | None = None
) -> Any:
    """Calls `fn(inputs)` from inside a TensorFlow graph, on any backend.

    On the TensorFlow backend `fn` runs in the graph. Elsewhere it runs eagerly on the
    active backend through `tf.py_function`, on NumPy copies of `inputs`; its outputs come
    back as TensorFlow tensors with the dtypes and static shapes `output_spec(inputs)`
    gives (a structure of `keras.KerasTensor`s for a structure of symbolic inputs; by
    default every output is shaped like its input).

    Args:
        fn: A function of `keras.ops` code, called with one structure of tensors.
        inputs: A structure (tensor, tuple, dict) of TensorFlow graph tensors.
        output_spec: Maps symbolic inputs to symbolic outputs; `None` keeps the inputs'.

    Returns:
        The structure of `fn`'s outputs, as TensorFlow graph tensors.
    """
    if tf_data_is_native():
        return fn(inputs)
    import tensorflow as tf

    inputs = keras.tree.map_structure(tf.convert_to_tensor, inputs)
    symbolic = keras.tree.map_structure(
        lambda t: keras.KerasTensor(tuple(t.shape.as_list()), dtype=t.dtype.name), inputs
    )
    specs = symbolic if output_spec is None else output_spec(symbolic)
    signature = keras.tree.map_structure(_tensor_spec, specs)
    flat_signature = keras.tree.flatten(signature)

    def run(*flat: Any) -> list[np.ndarray]:
        packed = keras.tree.pack_sequence_as(inputs, [np.asarray(t) for t in flat])
        outputs = fn(packed)
        return [
            np.asarray(keras.ops.convert_to_numpy(o)).astype(spec.dtype.as_numpy_dtype)
            for o, spec in zip(keras.tree.flatten(outputs), flat_signature, strict=True)
        ]

    flat_outputs = tf.py_function(
        run, keras.tree.flatten(inputs), Tout=[spec.dtype for spec in flat_signature]
    )
    for tensor, spec in zip(flat_outputs, flat_signature, strict=True):
        tensor.set_shape(spec.shape)
    return keras.tree.pack_sequence_as(signature, list(flat_outputs))


class TFDataLayer(keras.layers.Layer):
    """A layer that also works inside `tf.data` pipelines under JAX and PyTorch.

    Called on TensorFlow graph tensors while another backend is active, the call goes
    through `map_in_tf_graph`, with the output shapes and dtypes of the layer's
    `compute_output_spec`. Every other call is an ordinary Keras layer call.
    """

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        first = keras.tree.flatten(inputs)[0]
        if (
            not tf_data_is_native()
            and not isinstance(first, keras.KerasTensor)
            and in_tf_graph()
        ):
            return map_in_tf_graph(
                lambda packed: keras.layers.Layer.__call__(self, packed, *args, **kwargs),
                inputs,
                lambda symbolic: self.compute_output_spec(symbolic, *args, **kwargs),
            )
        return super().__call__(inputs, *args, **kwargs)


# ------------------------------------------------------------------ run-time checks
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
    if keras.backend.backend() == "tensorflow" and in_tf_graph():
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


# ------------------------------------------------------------------ training and precision
def bfloat16_kernels_pay() -> bool:
    """Whether the backend's CPU kernels train rotkeras' CNNs faster in mixed bfloat16.

    True for TensorFlow with oneDNN on (its default) and for PyTorch with MKL-DNN, both
    without a GPU, *provided the CPU has native bfloat16 instructions* (the caller checks
    that); false on JAX (XLA's CPU convolutions were slower in bfloat16) and with a GPU
    (not measured).
    """
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return False
        return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1").strip().lower() not in ("0", "false")
    if backend == "torch":
        import torch

        return not torch.cuda.is_available() and torch.backends.mkldnn.is_available()
    return False


def multi_step_execution_pays() -> bool:
    """Whether several train steps per call save time (TensorFlow only).

    On TensorFlow the compiled train function then loops over the steps inside its graph;
    on JAX Keras loops over single steps in Python, and PyTorch runs one step per call.
    """
    return keras.backend.backend() == "tensorflow"


def max_steps_per_execution() -> int | None:
    """The most train steps per call Keras' trainer accepts: 1 on PyTorch, else no limit."""
    return 1 if keras.backend.backend() == "torch" else None
