"""The `tf.data` bridge: `keras.ops` code inside TensorFlow graphs on every backend.

See the package docstring, point 1: a `tf.data` pipeline is a TensorFlow graph, which holds
TensorFlow tensors only, and Keras has no public way to ask whether one is being traced.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import keras
import numpy as np


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


class _Ops:
    """The `keras.ops` names (plus `random` and `image`) on one backend."""

    def __init__(self, tensorflow: bool) -> None:
        self.tensorflow = tensorflow

    def __getattr__(self, name: str) -> Any:
        if not self.tensorflow:
            value = {"random": keras.random, "image": keras.ops.image}.get(name)
            value = value if value is not None else getattr(keras.ops, name)
        else:
            # Keras' TensorFlow backend, as Keras' own `tf.data` layers use it.
            from keras.src.backend import tensorflow as tf_backend

            if name in ("random", "image"):
                value = getattr(tf_backend, name)
            else:
                for module in (tf_backend.numpy, tf_backend.core, tf_backend.math,
                               tf_backend.nn):
                    if hasattr(module, name):
                        value = getattr(module, name)
                        break
                else:
                    raise AttributeError(name)
        setattr(self, name, value)
        return value


_ACTIVE_OPS = _Ops(tensorflow=False)
_TF_OPS = _Ops(tensorflow=True)


def ops_for(tensorflow_graph: bool = False) -> Any:
    """`keras.ops` (with `.random` and `.image`), or Keras' TensorFlow backend under those
    names when `tensorflow_graph` (a `tf.data` graph under JAX or PyTorch)."""
    return _TF_OPS if tensorflow_graph else _ACTIVE_OPS


def affine_transform_is_batched(ops: Any) -> bool:
    """Whether `ops.image.affine_transform` is one batched kernel: TensorFlow's
    `ImageProjectiveTransformV3` and JAX's vectorised `map_coordinates` are; Keras' PyTorch
    version loops over the samples of the batch in Python (Keras 3.15)."""
    return ops is _TF_OPS or keras.backend.backend() != "torch"


def _is_jax_tracer(x: Any) -> bool:
    if keras.backend.backend() != "jax":
        return False
    import jax

    return isinstance(x, jax.core.Tracer)


def _is_tf_tensor(x: Any) -> bool:
    if "tensorflow" not in sys.modules:
        return False
    import tensorflow as tf

    return tf.is_tensor(x)


def _is_eager(x: Any) -> bool:
    """Whether `x` is a concrete value outside any trace (NumPy or an eager tensor)."""
    if isinstance(x, keras.KerasTensor):
        return False
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return not in_tf_graph()
    if backend == "jax":
        return not _is_jax_tracer(x) and not in_tf_graph()
    return False
