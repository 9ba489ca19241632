"""The backend-specific code of rotkeras, all of it (internal).

Everything else in the package is written with `keras.ops`, `keras.random` and Keras'
public API, and never asks which backend runs. The pieces below cannot be: each says why.

1. **The `tf.data` bridge and compiled eager calls** (`TFDataLayer`, `ops_for`,
   `map_in_tf_graph`). A `tf.data` pipeline is a TensorFlow graph. On the TensorFlow
   backend `keras.ops` are TensorFlow ops and run in it directly; on JAX and PyTorch they
   produce JAX arrays or torch tensors, which a TensorFlow graph cannot hold. Like Keras'
   own preprocessing layers (which compute with `self.backend`, switched to TensorFlow
   inside `tf.data`), a layer that writes its computation with the namespace
   `self.ops` (the `keras.ops` names, plus `random` and `image`) runs natively in the
   graph: the bridge detects a TensorFlow graph (Keras has no public way to ask) and
   makes `self.ops` Keras' TensorFlow backend for the call, with a TensorFlow seed
   generator (`self.seed_generator_for(...)`). Layers that do not (and `map_in_tf_graph`)
   go through `tf.py_function`: the batch is handed over as NumPy, computed eagerly on
   the active backend and handed back with its static shape restored. Called eagerly
   outside a model, a layer that asks for it runs its call as one compiled function
   (`tf.function` on TensorFlow, `jax.jit` on JAX with its seed state passed in and out
   through a `keras.StatelessScope`), built lazily per layer: op-by-op dispatch costs
   more than moving the pixels. PyTorch runs eagerly (`torch.compile`'s start-up would
   dominate). Inside a model nothing changes: Keras already traces the call.
2. **Hardware probes for the training precision** (`bfloat16_kernels_pay`). Whether
   bfloat16 training pays depends on the backend's CPU kernels (oneDNN on TensorFlow,
   MKL-DNN on PyTorch, XLA on JAX), whose switches only the backend libraries expose.
3. **Checks of shapes known only at run time** (`assert_at_run_time`). Inside a
   TensorFlow graph (`tf.function`, `tf.data`) a tensor's height or width may be unknown
   until the graph runs; only a TensorFlow assertion can check it there. Eager values of
   every backend are checked directly; JAX traces always have static shapes.
4. **How Keras' trainers run and export on each backend** (`tf_data_is_native`,
   `multi_step_execution_pays`, `max_steps_per_execution`, `onnx_converter_modules`,
   `export_formats`, `exports_any_image_size`): facts about Keras' per-backend `fit`
   loops and exporters, which no public API reports.
5. **Data parallelism** (`data_parallel_scope`, `local_devices`, `replicas_in_sync`,
   `draw_per_sample`). Keras has one engine per backend: `keras.distribution` on JAX (one
   program over the global batch, sharded by XLA) and `tf.distribute` on TensorFlow (the
   step runs once per replica on its share of the batch); PyTorch has none in Keras.
   Under `tf.distribute` every replica holds an identical copy of each `SeedGenerator`
   state and would draw the *same* random numbers for its share of the batch;
   `draw_per_sample` makes every replica draw its own slice of the numbers one device
   would draw for the whole global batch instead (only `tf.distribute` reports which
   replica runs).

6. **Ops a backend's exporter cannot write** (`largest_values`). On JAX, `model.export`
   goes through jax2tf, which writes `jax.lax.top_k` (what `keras.ops.top_k` is on JAX) as
   a StableHLO composite op that TensorFlow's `XlaCallModule` cannot load, so the
   exported model fails to serve. A sort exports, and gives the same values in the same
   (descending) order as JAX's `top_k`; on TensorFlow, whose `top_k` exports to
   SavedModel, TFLite and ONNX, a full sort would cost about 15 times as much.

The functions that *return* `tf.data` pipelines (`rotkeras.training.make_dataset`,
`rotkeras.datasets.angle_dataset`) import TensorFlow themselves: a `tf.data.Dataset` is
what they make, on every backend, and they run only TensorFlow ops in it (or call
`map_in_tf_graph`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np

from rotkeras import _registration

__all__ = [
    "TFDataLayer",
    "assert_at_run_time",
    "bfloat16_kernels_pay",
    "affine_transform_is_batched",
    "data_parallel_scope",
    "draw_per_sample",
    "export_formats",
    "exports_any_image_size",
    "in_tf_graph",
    "largest_values",
    "local_devices",
    "map_in_tf_graph",
    "max_steps_per_execution",
    "multi_step_execution_pays",
    "onnx_converter_modules",
    "process_count",
    "replica_position",
    "replicas_in_sync",
    "ops_for",
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


# ------------------------------------------------------------------------- exportable ops
def largest_values(x: Any, k: int) -> Any:
    """The `k` largest values along the last axis of `x`, in an order of the backend's choosing.

    `keras.ops.top_k` where it exports; on JAX a sort, largest first, which gives exactly
    the values (and the order) of JAX's `top_k` and exports through jax2tf.
    """
    if keras.backend.backend() == "jax":
        return keras.ops.flip(keras.ops.sort(x, axis=-1)[..., -k:], axis=-1)
    values, _ = keras.ops.top_k(x, k, sorted=False)
    return values


# ------------------------------------------------------------------ training and precision
def export_formats() -> tuple[str, ...]:
    """The `model.export` formats Keras supports on the active backend.

    Keras exports a SavedModel (and from it TFLite) by tracing the model into a TensorFlow
    graph, which its PyTorch backend cannot do (`track` is not supported there); ONNX it
    exports from every backend. Keras does not report this, so it is written here.
    """
    if keras.backend.backend() == "torch":
        return ("onnx",)
    return ("tf_saved_model", "tflite", "onnx")


def exports_any_image_size() -> bool:
    """Whether a SavedModel of a reader of photos can take photos of any size.

    TensorFlow traces the model with unknown (`None`) sizes, for which
    `HandwritingPreprocess` has a path; on JAX Keras exports through jax2tf, which traces
    with symbolic sizes, and the layer's static working resolution cannot be chosen
    from a symbolic size. Keras does not report this, so it is written here.
    """
    return keras.backend.backend() == "tensorflow"


def onnx_converter_modules() -> tuple[str, ...]:
    """The Python packages Keras' ONNX export needs on the active backend.

    `model.export(format="onnx")` converts through tf2onnx on TensorFlow and with the
    backend's own exporter elsewhere; Keras does not report which, so it is written here.
    """
    return ("onnx", "tf2onnx") if keras.backend.backend() == "tensorflow" else ("onnx",)


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


def max_steps_per_execution(replicas: int = 1) -> int | None:
    """The most train steps per call Keras' trainer runs: 1 on PyTorch, else no limit.

    Also 1 on TensorFlow under a `tf.distribute` strategy with several replicas: Keras'
    multi-step loop fails there (`InvalidArgumentError` in `multi_step_on_iterator`,
    measured with Keras 3.15.1 and TensorFlow 2.21, arrays and `tf.data` alike).
    """
    backend = keras.backend.backend()
    if backend == "torch" or (backend == "tensorflow" and replicas > 1):
        return 1
    return None


# ------------------------------------------------------------------------ data parallelism
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


# Last line: Keras may have been imported by this module first (see rotkeras._registration).
_registration.module_ready(__name__)
