"""What `fit_classifier` checks: its arguments, the data, and the loss while it trains.

Bad data must never train silently: non-finite inputs turn every weight into NaN after one
step, and class labels out of range train on garbage on JAX and fail inside TensorFlow. The
arrays are checked before training (unless `check_data=False`), and `StopOnNonFiniteLoss`
stops a training whose loss turns NaN or infinite, with an error that names where.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from rotkeras import _validation as check

__all__ = ["NonFiniteLossError", "StopOnNonFiniteLoss"]


def check_schedule(
    model: keras.Model, epochs: int, initial_epoch: int, seed: int, data_check: bool
) -> tuple[int, int, int]:
    """`fit_classifier`'s model and scalar arguments; returns `(epochs, initial_epoch, seed)`."""
    if not getattr(model, "compiled", False):
        raise ValueError(
            f"`model` must be compiled before training; received an uncompiled {model.name!r}"
        )
    epochs = check.check_positive_int(epochs, "epochs")
    initial_epoch = check.check_int(initial_epoch, "initial_epoch", minimum=0)
    if initial_epoch > epochs:
        raise ValueError(
            f"`initial_epoch` must be at most `epochs` ({epochs}), the epoch to train up to; "
            f"received initial_epoch={initial_epoch}"
        )
    seed = check.check_seed(seed, allow_none=False)
    check.check_bool(data_check, "check_data")
    return epochs, initial_epoch, seed


def check_arrays(model: keras.Model, x: np.ndarray, y: Any, validation_data: Any) -> None:
    """`check_data` of `fit_classifier` on the training arrays and array validation data."""
    check_data(model, x, y, "x", "y")
    if validation_data is not None and not isinstance(validation_data, keras.utils.PyDataset):
        check_data(model, *check.check_samples(*validation_data), "validation_data[0]",
                   "validation_data[1]")


class NonFiniteLossError(ValueError):
    """The training loss became NaN or infinite (raised by `fit_classifier`)."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops training with `NonFiniteLossError` once the loss is NaN or infinite.

    Unlike `keras.callbacks.TerminateOnNaN`, it raises an error that names the epoch and
    step, so that a training on bad data never ends as if it had worked. It reads the loss
    after each call of the train function (every `steps_per_execution` steps; the loss in
    the logs is the epoch's running mean, so a NaN step shows at the next call), on
    Keras' callback thread where there is one, so the steps do not wait for it.
    """

    async_safe = True  # Keras may run it on its callback thread: no wait for the device

    def __init__(self) -> None:
        super().__init__()
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self._check(logs, f"epoch {self._epoch + 1}, by step {batch + 1}")

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._check(logs, f"epoch {epoch + 1}")

    def _check(self, logs: dict[str, Any] | None, where: str) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        value = float(np.asarray(keras.ops.convert_to_numpy(loss)).reshape(-1)[0])
        if not math.isfinite(value):
            raise NonFiniteLossError(
                f"training stopped: the loss became {value} in {where}. Usual causes: NaN "
                "or infinite inputs or labels (fit_classifier checks arrays unless "
                "check_data=False), a learning rate too large, or float16 overflow"
            )


def check_data(model: keras.Model, x: np.ndarray, y: Any, x_name: str, y_name: str) -> None:
    """`check_data` of `fit_classifier`: finite inputs, labels in range for every output."""
    check.check_finite_array(x, x_name)
    targets = y if isinstance(y, tuple) else (y,)
    outputs = getattr(model, "outputs", None)
    for index, target in enumerate(targets):
        name = f"{y_name}[{index}]" if isinstance(y, tuple) else y_name
        classes = None
        if isinstance(outputs, (list, tuple)) and index < len(outputs):
            classes = outputs[index].shape[-1]
        sparse = target.ndim == 1 or (target.ndim == 2 and target.shape[-1] == 1)
        if sparse and isinstance(classes, int) and classes > 1:
            check.check_class_label_array(target, classes, name)
        elif np.issubdtype(np.asarray(target).dtype, np.number):
            check.check_finite_array(np.asarray(target), name)


def check_py_dataset(model: keras.Model, dataset: keras.utils.PyDataset) -> None:
    """`check_data` for the datasets whose arrays rotkeras knows (`TurnedBatches`)."""
    from rotkeras.datasets.turned_batches import TurnedBatches

    if isinstance(dataset, TurnedBatches):
        check_data(model, dataset.x, (dataset.y,), "x", "y")


def check_outputs(model: keras.Model, y: Any) -> None:
    """Labels `y` must match the model's outputs: one array per output."""
    outputs = getattr(model, "outputs", None)
    if not isinstance(outputs, (list, tuple)):
        return  # e.g. a subclassed model: Keras checks the structure itself
    given = len(y) if isinstance(y, tuple) else 1
    if given != len(outputs):
        example = " (e.g. y=(digits, turns) for rotation_robust_cnn)" if len(outputs) > 1 else ""
        raise ValueError(
            f"`y` must hold one label array per output of the model: {len(outputs)} for "
            f"{model.name!r}{example}; received {given}"
        )
