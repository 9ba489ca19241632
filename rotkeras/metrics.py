"""Metrics of rotkeras: the angle error of orientation (angle) classifiers."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from rotkeras import _validation as check

__all__ = ["AngleError", "angle_error"]


def angle_error(y_true_classes: Any, y_pred_classes: Any, num_angles: int) -> float:
    """Mean absolute circular error in degrees between two arrays of angle classes.

    Class `c` stands for `c * 360 / num_angles` degrees; the error of one pair is the
    smaller of the two ways around the circle, so it is at most 180 degrees
    (e.g. classes 359 and 1 of 360 are 2 degrees apart).

    Args:
        y_true_classes: Integer angle classes `(N,)`.
        y_pred_classes: Predicted integer angle classes `(N,)`.
        num_angles: Number of angle classes.

    Returns:
        The mean error in degrees (a Python float).

    Examples:
        >>> angle_error([0, 359, 90], [0, 1, 80], num_angles=360)
        4.0
    """
    num_angles = check.check_positive_int(num_angles, "num_angles")
    true = np.asarray(y_true_classes).reshape(-1)
    pred = np.asarray(y_pred_classes).reshape(-1)
    if true.shape != pred.shape:
        raise ValueError(
            "`y_true_classes` and `y_pred_classes` must have the same number of elements; "
            f"received shapes {np.shape(y_true_classes)} and {np.shape(y_pred_classes)}"
        )
    if true.size == 0:
        raise ValueError("`y_true_classes` is empty; received shape (0,)")
    for values, name in ((true, "y_true_classes"), (pred, "y_pred_classes")):
        if np.any((values < 0) | (values >= num_angles)) or np.any(values != np.round(values)):
            raise ValueError(
                f"`{name}` must hold angle classes in [0, {num_angles - 1}]; received "
                f"{name}={np.asarray(values).tolist()[:10]}"
            )
    diff = np.mod(true.astype(np.int64) - pred.astype(np.int64), num_angles)
    circular = np.minimum(diff, num_angles - diff)
    return float(np.mean(circular) * 360.0 / num_angles)


@keras.saving.register_keras_serializable(package="rotkeras")
class AngleError(keras.metrics.Metric):
    """Mean absolute circular angle error in degrees, RotNet's metric.

    For an angle classifier with `num_angles` classes (class `c` = rotated by
    `c * 360 / num_angles` degrees counter-clockwise), compares the true class with the
    argmax of the predicted probabilities and averages the circular distance in degrees
    (at most 180 per sample). Labels are sparse integer classes.

    Args:
        num_angles: Number of angle classes (360 for RotNet's 1-degree bins).
        name: Metric name.
        dtype: Dtype of the metric's result.

    Input shape:
        `y_true`: integer classes `(batch,)` or `(batch, 1)`.
        `y_pred`: probabilities or logits `(batch, num_angles)`.

    Output shape:
        A scalar, the mean error in degrees over everything seen since the last reset.

    Examples:
        >>> import numpy as np
        >>> metric = AngleError(num_angles=360)
        >>> probs = np.eye(360, dtype="float32")[[10, 350]]
        >>> metric.update_state(np.array([0, 0]), probs)
        >>> float(metric.result())
        10.0
    """

    def __init__(
        self, num_angles: int = 360, name: str = "angle_error", dtype: Any = None
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.num_angles = check.check_positive_int(num_angles, "num_angles")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = ops.convert_to_tensor(y_pred)
        if len(y_pred.shape) != 2 or (
            y_pred.shape[-1] is not None and y_pred.shape[-1] != self.num_angles
        ):
            raise ValueError(
                f"AngleError(num_angles={self.num_angles}) expects `y_pred` of shape "
                f"(batch, {self.num_angles}); received shape {tuple(y_pred.shape)}"
            )
        true = ops.reshape(ops.cast(ops.convert_to_tensor(y_true), "int32"), (-1,))
        true = check.check_class_labels(true, self.num_angles, "y_true")
        pred = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        diff = ops.mod(true - pred, self.num_angles)
        circular = ops.minimum(diff, self.num_angles - diff)
        errors = ops.cast(circular, "float32") * (360.0 / self.num_angles)
        if sample_weight is None:
            weights = ops.ones_like(errors)
        else:
            weights = ops.reshape(ops.cast(ops.convert_to_tensor(sample_weight), "float32"), (-1,))
            weights = ops.broadcast_to(weights, ops.shape(errors))
        self.total.assign_add(ops.cast(ops.sum(errors * weights), self.dtype))
        self.count.assign_add(ops.cast(ops.sum(weights), self.dtype))

    def result(self) -> Any:
        return ops.divide_no_nan(
            ops.cast(self.total, self.dtype), ops.cast(self.count, self.dtype)
        )

    def reset_state(self) -> None:
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"num_angles": self.num_angles})
        return config
