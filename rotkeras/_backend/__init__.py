"""The backend-specific code of rotkeras, all of it (internal).

Everything else in the package is written with `keras.ops`, `keras.random` and Keras'
public API, and never asks which backend runs. The pieces below cannot be: each says why.
They live in this one package, one module per topic, so that a reader (or a test) finds
every backend branch in one place and the rest of rotkeras stays backend-neutral; import
them from `rotkeras._backend`, which re-exports them all.

1. **The `tf.data` bridge and compiled eager calls** (`TFDataLayer`, `ops_for`,
   `map_in_tf_graph`; modules `tf_data` and `layer`). A `tf.data` pipeline is a TensorFlow
   graph. On the TensorFlow backend `keras.ops` are TensorFlow ops and run in it directly;
   on JAX and PyTorch they produce JAX arrays or torch tensors, which a TensorFlow graph
   cannot hold. Like Keras' own preprocessing layers (which compute with `self.backend`,
   switched to TensorFlow inside `tf.data`), a layer that writes its computation with the
   namespace `self.ops` (the `keras.ops` names, plus `random` and `image`) runs natively in
   the graph: the bridge detects a TensorFlow graph (Keras has no public way to ask) and
   makes `self.ops` Keras' TensorFlow backend for the call, with a TensorFlow seed
   generator (`self.seed_generator_for(...)`). Layers that do not (and `map_in_tf_graph`)
   go through `tf.py_function`: the batch is handed over as NumPy, computed eagerly on the
   active backend and handed back with its static shape restored. Called eagerly outside a
   model, a layer that asks for it runs its call as one compiled function (`tf.function` on
   TensorFlow, `jax.jit` on JAX with its seed state passed in and out through a
   `keras.StatelessScope`), built lazily per layer: op-by-op dispatch costs more than
   moving the pixels. PyTorch runs eagerly (`torch.compile`'s start-up would dominate).
   Inside a model nothing changes: Keras already traces the call.
2. **Hardware probes for the training precision** (`bfloat16_kernels_pay`,
   `cpu_has_native_bfloat16`; module `precision`). Whether bfloat16 training pays depends
   on the backend's CPU kernels (oneDNN on TensorFlow, MKL-DNN on PyTorch, XLA on JAX),
   whose switches only the backend libraries expose, and on the CPU's own bfloat16
   instructions, read from the flags the operating system reports; both probes sit together
   here.
3. **Checks of shapes known only at run time** (`assert_at_run_time`, module `run_time`).
   Inside a TensorFlow graph (`tf.function`, `tf.data`) a tensor's height or width may be
   unknown until the graph runs; only a TensorFlow assertion can check it there. Eager
   values of every backend are checked directly; JAX traces always have static shapes.
4. **How Keras' trainers run and export on each backend** (`tf_data_is_native`,
   `multi_step_execution_pays`, `max_steps_per_execution`, `onnx_converter_modules`,
   `export_formats`, `exports_any_image_size`; module `trainers`): facts about Keras'
   per-backend `fit` loops and exporters, which no public API reports.
5. **Data parallelism** (`data_parallel_scope`, `local_devices`, `replicas_in_sync`,
   `draw_per_sample`; module `devices`). Keras has one engine per backend:
   `keras.distribution` on JAX (one program over the global batch, sharded by XLA) and
   `tf.distribute` on TensorFlow (the step runs once per replica on its share of the
   batch); PyTorch has none in Keras. Under `tf.distribute` every replica holds an
   identical copy of each `SeedGenerator` state and would draw the *same* random numbers
   for its share of the batch; `draw_per_sample` makes every replica draw its own slice of
   the numbers one device would draw for the whole global batch instead (only
   `tf.distribute` reports which replica runs).
6. **Ops a backend's exporter cannot write** (`largest_values`, module `exportable`). On
   JAX, `model.export` goes through jax2tf, which writes `jax.lax.top_k` (what
   `keras.ops.top_k` is on JAX) as a StableHLO composite op that TensorFlow's
   `XlaCallModule` cannot load, so the exported model fails to serve. A sort exports, and
   gives the same values in the same (descending) order as JAX's `top_k`; on TensorFlow,
   whose `top_k` exports to SavedModel, TFLite and ONNX, a full sort would cost about 15
   times as much.

The functions that *return* `tf.data` pipelines (`rotkeras.training.make_dataset`,
`rotkeras.datasets.angle_dataset`) import TensorFlow themselves: a `tf.data.Dataset` is
what they make, on every backend, and they run only TensorFlow ops in it (or call
`map_in_tf_graph`).
"""

from __future__ import annotations

# Keras first: this package may be the first module of rotkeras to import it (see the last
# line and rotkeras._registration).
import keras  # noqa: F401

from rotkeras import _registration
from rotkeras._backend.devices import (
    data_parallel_scope,
    draw_per_sample,
    local_devices,
    process_count,
    replica_position,
    replicas_in_sync,
)
from rotkeras._backend.exportable import largest_values
from rotkeras._backend.layer import TFDataLayer
from rotkeras._backend.precision import bfloat16_kernels_pay, cpu_has_native_bfloat16
from rotkeras._backend.run_time import assert_at_run_time
from rotkeras._backend.tf_data import (
    affine_transform_is_batched,
    in_tf_graph,
    map_in_tf_graph,
    ops_for,
    tf_data_is_native,
)
from rotkeras._backend.trainers import (
    export_formats,
    exports_any_image_size,
    max_steps_per_execution,
    multi_step_execution_pays,
    onnx_converter_modules,
)

__all__ = [
    "TFDataLayer",
    "affine_transform_is_batched",
    "assert_at_run_time",
    "bfloat16_kernels_pay",
    "cpu_has_native_bfloat16",
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
    "ops_for",
    "process_count",
    "replica_position",
    "replicas_in_sync",
    "tf_data_is_native",
]


# Last line: Keras may have been imported by this package first (see rotkeras._registration).
_registration.module_ready(__name__)
