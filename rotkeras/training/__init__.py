"""The recommended way to train rotkeras models (what `rotkeras train` and `reproduce` use).

`fit_classifier` trains a compiled model on in-memory arrays the fast way for the
active backend while keeping the tutorial's recipe (same batch size, optimiser, loss,
number of updates, one shuffle per epoch), so results stay those of the tutorial:

- Input pipeline (`rotkeras.training.pipeline`): on TensorFlow, the arrays are fed
  through a `tf.data` pipeline: the *indices* are shuffled once per epoch (a stateless
  shuffle seeded by `(seed, epoch)`, so a resumed training sees the same batches as an
  uninterrupted one), batched, and each batch is gathered from the arrays in one op and
  prefetched, so input preparation overlaps the training step. On JAX and PyTorch,
  Keras' own array iterator is the faster: the arrays go to `model.fit` as they are.
  `pipeline=` forces either.
- Augmentation layers such as `rotkeras.layers.RandomRightAngleRotation` stay *inside*
  the model, where they are compiled into the train step with the network.
- Precision (`rotkeras.training.precision`): build the model with
  `dtype=recommended_dtype_policy()`. On TensorFlow and PyTorch CPUs with native
  bfloat16 instructions (AVX512-BF16 or AMX) that is `"mixed_bfloat16"` (bfloat16
  compute, float32 weights and outputs), which trains rotkeras' CNNs faster at equal
  accuracy there; elsewhere `"float32"`, the tutorial's precision.
- Steps per execution (`rotkeras.training.steps`): on TensorFlow with the `tf.data`
  pipeline, several train steps run per call of the compiled function
  (`steps_per_execution="auto"`: the largest divisor of the steps per epoch up to 32,
  e.g. 14 for MNIST at batch 64), which saves Keras' per-step Python and dispatch
  overhead. Dividing the epoch exactly keeps every epoch's batches and the number of
  updates those of `model.fit`. JAX and PyTorch run one step per call.
- `jit_compile` is the model's own, as set by `rotkeras.models.mnist_cnn(...)`:
  `jit_compile="auto"` uses XLA/jit where it pays (JAX always, TensorFlow on GPUs; not
  on a TensorFlow *CPU*, where XLA made this network's epochs longer).
- Several devices (`rotkeras.training.devices`): build, compile and train the model
  inside `with data_parallel():` (`keras.distribution.DataParallel` on JAX,
  `tf.distribute.MirroredStrategy` on TensorFlow). `batch_size` is then the *global*
  batch, split evenly over the devices; see `fit_classifier` for the last batch of an
  epoch and the "Training on many devices" page of the documentation.

The fit itself and the checks around it live in `rotkeras.training.fit` and
`rotkeras.training.checks`. Every name is importable from `rotkeras.training`. See the
"Performance" page of the documentation for the measurements behind each choice.
"""

from __future__ import annotations

# Names outside `__all__` are re-exported with `as` so that `rotkeras.training.X` keeps
# working for every name the module had before it became a package.
from rotkeras.training.checks import NonFiniteLossError as NonFiniteLossError
from rotkeras.training.checks import StopOnNonFiniteLoss as StopOnNonFiniteLoss
from rotkeras.training.devices import DEVICE_CHOICES as DEVICE_CHOICES
from rotkeras.training.devices import data_parallel
from rotkeras.training.fit import fit_classifier
from rotkeras.training.pipeline import PIPELINES as PIPELINES
from rotkeras.training.pipeline import make_dataset, resolve_pipeline
from rotkeras.training.precision import PRECISIONS as PRECISIONS
from rotkeras.training.precision import (
    cpu_has_native_bfloat16,
    recommended_dtype_policy,
    resolve_precision,
)
from rotkeras.training.steps import MAX_AUTO_STEPS_PER_EXECUTION as MAX_AUTO_STEPS_PER_EXECUTION
from rotkeras.training.steps import resolve_steps_per_execution

__all__ = [
    "cpu_has_native_bfloat16",
    "data_parallel",
    "fit_classifier",
    "make_dataset",
    "recommended_dtype_policy",
    "resolve_pipeline",
    "resolve_precision",
    "resolve_steps_per_execution",
]
