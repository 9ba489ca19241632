"""`TFDataLayer`: the base of layers that also run inside `tf.data` and compile their calls.

See the package docstring, point 1: inside `tf.data` under JAX or PyTorch the layer computes
with Keras' TensorFlow backend (`self.ops`) or goes through `tf.py_function`; called eagerly on
its own it may run as one compiled function (`tf.function`, `jax.jit`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import keras

from rotkeras._backend.tf_data import (
    _ACTIVE_OPS,
    _TF_OPS,
    _is_eager,
    _is_jax_tracer,
    in_tf_graph,
    map_in_tf_graph,
    tf_data_is_native,
)


class TFDataLayer(keras.layers.Layer):
    """A layer that also works inside `tf.data` pipelines under JAX and PyTorch.

    Subclasses that write their computation with `self.ops` (and draw with
    `self.seed_generator_for(generator)`) and set `native_in_tf_data = True` run natively
    in a `tf.data` graph on every backend (`native_tf_data(inputs)` may refuse an input);
    the others go through `map_in_tf_graph`, with the output shapes and dtypes of the
    layer's `compute_output_spec`. With `compile_eager_calls = True`, calls of the layer on
    its own on one tensor (not a dict), eagerly on TensorFlow and JAX and in `tf.data` on
    every backend, run as one compiled function (XLA on TensorFlow unless
    `xla_in_compiled_calls = False`). Every other call is an ordinary Keras layer call.
    """

    native_in_tf_data = False
    compile_eager_calls = False
    xla_in_compiled_calls = True

    @property
    def ops(self) -> Any:
        """The ops of the running call: `keras.ops`, or TensorFlow's inside `tf.data`."""
        return self.__dict__.get("_rotkeras_ops", _ACTIVE_OPS)

    def called_alone(self) -> bool:
        """Whether the running call is the layer's own, not part of a model's (or another
        layer's) call: Keras' call context names the layer that entered it."""
        from keras.src.backend.common import global_state

        context = global_state.get_global_attribute("current_call_ctx")
        return context is None or context.entry_layer is self

    def native_tf_data(self, inputs: Any) -> bool:
        """Whether this input runs natively in a `tf.data` graph (see the class docstring)."""
        return self.native_in_tf_data

    def seed_generator_for(self, generator: keras.random.SeedGenerator) -> Any:
        """`generator`, or inside `tf.data` under another backend a TensorFlow seed
        generator with the same seed (made once, as Keras' own `tf.data` layers do)."""
        if self.ops is _ACTIVE_OPS:
            return generator
        cache = self.__dict__.setdefault("_rotkeras_tf_generators", {})
        if id(generator) not in cache:
            from keras.src.utils.backend_utils import DynamicBackend

            seed = getattr(generator, "_initial_seed", None)
            cache[id(generator)] = keras.random.SeedGenerator(
                seed, backend=DynamicBackend("tensorflow")
            )
        return cache[id(generator)]

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        first = keras.tree.flatten(inputs)[0]
        symbolic = isinstance(first, keras.KerasTensor)
        # A TensorFlow graph (tf.data, tf.function) holds the input; under JAX or PyTorch it
        # cannot hold their tensors (a JAX tracer is a JAX trace, e.g. `model.export`).
        graph = not symbolic and in_tf_graph() and not _is_jax_tracer(first)
        foreign = graph and not tf_data_is_native()
        if (
            not symbolic
            and (graph or _is_eager(first))
            and self._compiles(inputs, args, kwargs)
            and (not foreign or self.native_tf_data(inputs))
        ):
            return self._compiled_call(inputs, kwargs.get("training", True), graph)
        if foreign:
            if self.native_tf_data(inputs):
                return self._call_in_tensorflow(inputs, *args, **kwargs)
            return map_in_tf_graph(
                lambda packed: keras.layers.Layer.__call__(self, packed, *args, **kwargs),
                inputs,
                lambda symbolic: self.compute_output_spec(symbolic, *args, **kwargs),
            )
        return super().__call__(inputs, *args, **kwargs)

    def _compiles(self, inputs: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """Whether this call runs compiled: a layer that asks for it, called on its own
        (not inside a model) on one tensor, with nothing but a Python bool `training`."""
        from keras.src.backend.common import global_state

        return (
            self.compile_eager_calls
            and not isinstance(inputs, (dict, list, tuple))
            and not args
            and set(kwargs) <= {"training"}
            and isinstance(kwargs.get("training", True), bool)
            and global_state.get_global_attribute("current_call_ctx") is None
            and self.compiles_input(inputs)
        )

    def compiles_input(self, inputs: Any) -> bool:
        """Whether this input may run compiled (e.g. not where a run-time check is needed:
        XLA drops TensorFlow assertions)."""
        return True

    def _call_in_tensorflow(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        """The layer's call on TensorFlow tensors with `self.ops` switched to TensorFlow."""
        import tensorflow as tf

        inputs = keras.tree.map_structure(tf.convert_to_tensor, inputs)
        previous = self.__dict__.get("_rotkeras_ops")
        self.__dict__["_rotkeras_ops"] = _TF_OPS
        convert = self._convert_input_args
        self._convert_input_args = False
        try:
            return keras.layers.Layer.__call__(self, inputs, *args, **kwargs)
        finally:
            if previous is None:
                self.__dict__.pop("_rotkeras_ops", None)
            else:
                self.__dict__["_rotkeras_ops"] = previous
            self._convert_input_args = convert

    def _compiled_call(self, inputs: Any, training: bool, graph: bool) -> Any:
        """Runs the call as one compiled function, made once per layer and kind of call."""
        backend = keras.backend.backend()
        kind = "jax" if backend == "jax" and not graph else (
            "tensorflow" if backend == "tensorflow" else "foreign")
        cache = self.__dict__.setdefault("_rotkeras_compiled", {})
        if kind == "jax":
            inputs = keras.ops.convert_to_tensor(inputs)
            if kind not in cache:
                cache[kind] = _jax_layer_call(self)
            return cache[kind](inputs, training)
        import tensorflow as tf

        inputs = tf.convert_to_tensor(inputs)
        if kind == "foreign":
            # TensorFlow seed generators are made before tracing the compiled function.
            with _ops_switched(self):
                for value in list(vars(self).values()):
                    if isinstance(value, keras.random.SeedGenerator):
                        self.seed_generator_for(value)
        if kind not in cache:
            if kind == "foreign":

                def call(x: Any, training: bool) -> Any:
                    return self._call_in_tensorflow(x, training=training)
            else:

                def call(x: Any, training: bool) -> Any:
                    return keras.layers.Layer.__call__(self, x, training=training)

            # XLA fuses the whole call into one loop over the pixels (in tf.data too, where
            # the plain graph runs ~10x slower); no AutoGraph: no tensor-dependent Python
            # control flow. One trace per input signature and `training`.
            cache[kind] = tf.function(call, autograph=False,
                                      jit_compile=self.xla_in_compiled_calls)
        return cache[kind](inputs, training)


@contextlib.contextmanager
def _ops_switched(layer: TFDataLayer) -> Iterator[None]:
    layer.__dict__["_rotkeras_ops"] = _TF_OPS
    try:
        yield
    finally:
        layer.__dict__.pop("_rotkeras_ops", None)


def _jax_layer_call(layer: keras.layers.Layer) -> Callable[[Any, bool], Any]:
    """`layer.__call__(inputs, training=training)` as one `jax.jit` function; the layer's
    variables (its seed state) go in and out through a `keras.StatelessScope`."""
    import jax

    call = keras.layers.Layer.__call__
    variables = list(layer.variables)

    def pure(values: list[Any], inputs: Any, training: bool) -> tuple[Any, list[Any]]:
        mapping = list(zip(variables, values, strict=True))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            outputs = call(layer, inputs, training=training)
            new = [scope.get_current_value(v) for v in variables]
        return outputs, [v if n is None else n for v, n in zip(values, new, strict=True)]

    jitted = jax.jit(pure, static_argnames=("training",))

    def run(inputs: Any, training: bool) -> Any:
        outputs, values = jitted([v.value for v in variables], inputs, training=training)
        for variable, value in zip(variables, values, strict=True):
            variable.assign(value)
        return outputs

    return run
