"""How many train steps `fit_classifier` runs per call of the compiled train function.

Several steps per call save Keras' per-step Python and dispatch overhead on TensorFlow, where
the compiled function loops over them inside its graph; JAX and PyTorch run one step per
call. See the "Performance" page of the documentation for the measurements.
"""

from __future__ import annotations

import keras

from rotkeras import _backend
from rotkeras import _validation as check

__all__ = ["resolve_steps_per_execution"]

MAX_AUTO_STEPS_PER_EXECUTION = 32


def _divisors(number: int, limit: int) -> list[int]:
    """The divisors of `number` up to `limit`, in increasing order (always starts with 1)."""
    return [d for d in range(1, min(number, limit) + 1) if number % d == 0]


def resolve_steps_per_execution(
    steps_per_execution: int | str | None,
    steps_per_epoch: int,
    pipeline: str,
    model_steps_per_execution: int = 1,
    replicas: int = 1,
) -> int:
    """Returns the train steps per execution `fit_classifier` uses.

    Args:
        steps_per_execution: `"auto"`, a positive integer, or `None` (the model's
            compiled setting, `model_steps_per_execution`). `"auto"` is the largest
            divisor of `steps_per_epoch` up to 32 on the TensorFlow backend with the
            `tf.data` pipeline, and 1 elsewhere (JAX and PyTorch run one step per call;
            on PyTorch Keras allows nothing else).
        steps_per_epoch: Train steps per epoch (`ceil(N / batch_size)`).
        pipeline: The resolved pipeline, `"tf.data"` or `"numpy"`.
        model_steps_per_execution: The model's compiled `steps_per_execution`.
        replicas: Devices each global batch is split over. On TensorFlow with several,
            one step per execution: Keras' multi-step loop fails under `tf.distribute`
            (Keras 3.15.1, TensorFlow 2.21), so `"auto"` gives 1 there.

    Returns:
        The number of steps per execution.

    Raises:
        ValueError: For a value that is not `"auto"`, `None` or a positive integer; for
            more than one step on the PyTorch backend or on TensorFlow with several
            devices; and, with the `tf.data` pipeline,
            for a value that does not divide `steps_per_epoch` (its epochs are one
            continuous stream, so an execution would run into the next epoch's batches).

    Examples:
        >>> from rotkeras.training import resolve_steps_per_execution
        >>> resolve_steps_per_execution("auto", steps_per_epoch=938, pipeline="numpy")
        1
    """
    limit = _backend.max_steps_per_execution(replicas)
    if steps_per_execution == "auto":
        if not _backend.multi_step_execution_pays() or pipeline != "tf.data" or limit == 1:
            return 1
        return max(_divisors(steps_per_epoch, MAX_AUTO_STEPS_PER_EXECUTION))
    source = "steps_per_execution"
    if steps_per_execution is None:
        steps_per_execution = model_steps_per_execution
        source = "the model's compiled steps_per_execution"
    if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int):
        raise check.ArgumentTypeError(
            "`steps_per_execution` must be 'auto', None or a positive integer; received "
            f"steps_per_execution={steps_per_execution!r}"
        )
    if steps_per_execution < 1:
        raise ValueError(
            "`steps_per_execution` must be 'auto', None or a positive integer; received "
            f"steps_per_execution={steps_per_execution!r}"
        )
    if limit is not None and steps_per_execution > limit:
        where = "the PyTorch backend" if replicas == 1 else f"TensorFlow on {replicas} devices"
        raise ValueError(
            f"`steps_per_execution` must be 1 with {where}; received "
            f"{source}={steps_per_execution!r}"
        )
    if pipeline == "tf.data" and steps_per_epoch % steps_per_execution:
        divisors = _divisors(steps_per_epoch, 64)
        raise ValueError(
            f"With the tf.data pipeline, steps per execution must divide the {steps_per_epoch} "
            f"steps of an epoch (else an execution runs into the next epoch); received "
            f"{source}={steps_per_execution!r}. Use 'auto', one of {divisors}, or "
            "pipeline='numpy'."
        )
    return steps_per_execution


def set_steps_per_execution(model: keras.Model, steps_per_execution: int) -> None:
    """Sets a compiled model's `steps_per_execution`, rebuilding its step functions."""
    if steps_per_execution != model.steps_per_execution:
        # `steps_per_execution` is a public attribute of compiled models, and the step
        # functions are built from it: rebuild them with Keras' own `make_*_function`.
        model.steps_per_execution = steps_per_execution
        model.make_train_function(force=True)
        model.make_test_function(force=True)
        model.make_predict_function(force=True)
