"""Making rotkeras layers usable in `tf.data` pipelines under every backend (internal).

On the TensorFlow backend a layer called inside `tf.data.Dataset.map` simply runs its
`keras.ops` code in the dataset graph. On JAX and PyTorch the dataset graph cannot hold
their tensors, so the call is routed through `tf.py_function`: the batch is handed to
the layer as NumPy, computed eagerly on the active backend, and handed back to the
pipeline with its static shape restored.
"""

from __future__ import annotations

import sys
from typing import Any

import keras
import numpy as np


def in_tf_graph() -> bool:
    """True when called while TensorFlow traces a graph (e.g. inside `Dataset.map`)."""
    if "tensorflow" not in sys.modules:
        return False
    import tensorflow as tf

    return tf.inside_function()


class TFDataCompatibleLayer(keras.layers.Layer):
    """Base class: a layer that also works inside `tf.data` under JAX and PyTorch."""

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        first = keras.tree.flatten(inputs)[0]
        if (
            keras.backend.backend() != "tensorflow"
            and not isinstance(first, keras.KerasTensor)
            and in_tf_graph()
        ):
            return self._call_through_py_function(inputs, *args, **kwargs)
        return super().__call__(inputs, *args, **kwargs)

    def _tf_output_signature(self, inputs: Any) -> Any:
        """Structure of `tf.TensorSpec`s of the outputs for graph-mode inputs.

        The default keeps every input's dtype and shape; layers that change them override it.
        """
        import tensorflow as tf

        return keras.tree.map_structure(lambda x: tf.TensorSpec(x.shape, x.dtype), inputs)

    def _call_through_py_function(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        import tensorflow as tf

        inputs = keras.tree.map_structure(tf.convert_to_tensor, inputs)
        flat_inputs = keras.tree.flatten(inputs)
        signature = self._tf_output_signature(inputs)
        flat_signature = keras.tree.flatten(signature)

        def run(*flat: Any) -> list[np.ndarray]:
            packed = keras.tree.pack_sequence_as(inputs, [np.asarray(t) for t in flat])
            outputs = keras.layers.Layer.__call__(self, packed, *args, **kwargs)
            return [
                np.asarray(keras.ops.convert_to_numpy(o)).astype(spec.dtype.as_numpy_dtype)
                for o, spec in zip(keras.tree.flatten(outputs), flat_signature, strict=True)
            ]

        dtypes = [spec.dtype for spec in flat_signature]
        flat_outputs = tf.py_function(run, flat_inputs, Tout=dtypes)
        for tensor, spec in zip(flat_outputs, flat_signature, strict=True):
            tensor.set_shape(spec.shape)
        return keras.tree.pack_sequence_as(signature, list(flat_outputs))
