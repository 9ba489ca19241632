"""Helpers shared by the model factories (internal): dtype policies, compiling, preprocessing."""

from __future__ import annotations

from collections.abc import Sequence

import keras

from rotkeras import _validation as check


def preprocessing_layers(
    preprocessing: keras.layers.Layer | Sequence[keras.layers.Layer] | None,
) -> list[keras.layers.Layer]:
    """The `preprocessing` argument of a model factory as a list of layers, checked.

    Raises:
        TypeError: If it is neither a layer, a sequence of layers nor None.
    """
    if preprocessing is None:
        return []
    if isinstance(preprocessing, keras.layers.Layer):
        return [preprocessing]
    if isinstance(preprocessing, (str, bytes)) or not isinstance(preprocessing, Sequence):
        raise check.ArgumentTypeError(
            "`preprocessing` must be a keras Layer, a sequence of layers or None; "
            f"received {type(preprocessing).__name__}: {preprocessing!r}"
        )
    layers = list(preprocessing)
    for layer in layers:
        if not isinstance(layer, keras.layers.Layer):
            raise check.ArgumentTypeError(
                "`preprocessing` must be a keras Layer or a sequence of layers; "
                f"received an element of type {type(layer).__name__}: {layer!r}"
            )
    return layers


def resolve_dtype_policy(
    dtype: str | keras.DTypePolicy | None,
) -> tuple[keras.DTypePolicy, keras.DTypePolicy]:
    """Returns the dtype policies of a classifier's hidden layers and of its output layer.

    Args:
        dtype: A dtype policy name (`"float32"`, `"mixed_bfloat16"`, ...), a
            `keras.DTypePolicy`, or `None` for Keras' global policy.

    Returns:
        `(policy, output_policy)`: `output_policy` is float32 when `policy` is mixed
        (compute dtype different from the variable dtype), else `policy` itself.
    """
    if dtype is None:
        policy = keras.config.dtype_policy()
    elif isinstance(dtype, keras.DTypePolicy):
        policy = dtype
    elif isinstance(dtype, str):
        try:
            policy = keras.dtype_policies.get(dtype)
        except ValueError as error:
            raise ValueError(
                "`dtype` must be a Keras dtype policy name such as 'float32' or "
                f"'mixed_bfloat16', a keras.DTypePolicy or None; received dtype={dtype!r}"
            ) from error
    else:
        raise check.ArgumentTypeError(
            "`dtype` must be a Keras dtype policy name, a keras.DTypePolicy or None; "
            f"received {type(dtype).__name__}: {dtype!r}"
        )
    if not isinstance(policy, keras.DTypePolicy) or type(policy) is not keras.DTypePolicy:
        # Quantized policies (int8, float8, ...) are for inference of built models.
        raise ValueError(
            "`dtype` must be a float dtype policy such as 'float32' or 'mixed_bfloat16'; "
            f"received dtype={dtype!r} ({policy!r})"
        )
    if policy.compute_dtype != policy.variable_dtype:
        return policy, keras.DTypePolicy(policy.variable_dtype)
    return policy, policy


def compile_classifier(
    model: keras.Model,
    *,
    learning_rate: float = 1e-3,
    one_hot_labels: bool = False,
    jit_compile: bool | str = "auto",
    steps_per_execution: int = 1,
    metrics: Sequence[object] = ("accuracy",),
) -> keras.Model:
    """Compiles a softmax classifier with the tutorial's recipe (Adam + cross-entropy).

    Args:
        model: The model to compile (in place).
        learning_rate: Adam learning rate.
        one_hot_labels: `categorical_crossentropy` if true, else
            `sparse_categorical_crossentropy` (integer labels).
        jit_compile: Passed to `model.compile`.
        steps_per_execution: Passed to `model.compile`.
        metrics: Metrics to track.

    Returns:
        The same model, compiled.

    Examples:
        >>> import keras
        >>> from rotkeras.models import compile_classifier
        >>> model = keras.Sequential([
        ...     keras.Input((28, 28, 1)),
        ...     keras.layers.Flatten(),
        ...     keras.layers.Dense(10, activation="softmax"),
        ... ])
        >>> model = compile_classifier(model, learning_rate=1e-3)
        >>> model.loss
        'sparse_categorical_crossentropy'
    """
    loss = "categorical_crossentropy" if one_hot_labels else "sparse_categorical_crossentropy"
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=check.check_learning_rate(learning_rate)),
        loss=loss,
        metrics=list(metrics),
        jit_compile=jit_compile,
        steps_per_execution=check.check_positive_int(steps_per_execution, "steps_per_execution"),
    )
    if model.built:
        # Create Adam's slots now: a model saved before any training then stores them, and
        # loading it does not warn that the optimizer's variables do not match.
        model.optimizer.build(model.trainable_variables)
    return model


def compile_joint(
    model: keras.Model,
    *,
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule = 1e-3,
    orientation_loss_weight: float = 1.0,
    weight_decay: float = 0.0,
    jit_compile: bool | str = "auto",
) -> keras.Model:
    """Compiles a `[classes, orientation]` model: Adam, sparse cross-entropy on both.

    Args:
        model: A model whose outputs are class and orientation probabilities.
        learning_rate: Adam learning rate (a float or a schedule).
        orientation_loss_weight: Weight of the orientation loss.
        weight_decay: Decoupled weight decay: AdamW when positive, else Adam.
        jit_compile: Passed to `model.compile`.

    Returns:
        The same model, compiled; `fit` takes labels `(classes, turns)`.

    Examples:
        >>> import rotkeras
        >>> model = rotkeras.models.rotation_robust_cnn(compile=False)
        >>> model = rotkeras.models.compile_joint(model, learning_rate=2e-3, weight_decay=0.02)
        >>> type(model.optimizer).__name__
        'AdamW'
    """
    orientation_loss_weight = check.check_number(
        orientation_loss_weight, "orientation_loss_weight", low=0.0
    )
    weight_decay = check.check_number(weight_decay, "weight_decay", low=0.0)
    learning_rate = check.check_learning_rate(learning_rate)
    optimizer = (
        keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=float(weight_decay))
        if weight_decay
        else keras.optimizers.Adam(learning_rate=learning_rate)
    )
    model.compile(
        optimizer=optimizer,
        loss=["sparse_categorical_crossentropy", "sparse_categorical_crossentropy"],
        loss_weights=[1.0, float(orientation_loss_weight)],
        metrics=[["accuracy"], ["accuracy"]],
        jit_compile=jit_compile,
    )
    if model.built:
        model.optimizer.build(model.trainable_variables)
    return model
