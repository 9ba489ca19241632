"""The angle in degrees predicted by an angle classifier."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras import ops as rotation_ops
from rotkeras._backend import TFDataLayer


@keras.saving.register_keras_serializable(package="rotkeras")
class PredictedAngle(TFDataLayer):
    """Turns angle-class probabilities into the predicted rotation in degrees.

    Class `c` of an angle classifier with `num_angles` outputs means "rotated by
    `c * 360 / num_angles` degrees counter-clockwise". The layer outputs that angle
    for the argmax class, in `[0, 360)`, or in `(-180, 180]` with `signed=True`
    (e.g. `-90` instead of `270`); 0 for a row holding a NaN or an infinite value,
    like `OrientationCorrection`, which leaves such an image as it is. Used by
    `rotkeras.models.orientation_corrected` to report the angle it corrected; a plain
    registered layer, so models using it save and load with the default `safe_mode`.

    Args:
        num_angles: Number of angle classes.
        signed: Report angles in `(-180, 180]` instead of `[0, 360)`.
        **kwargs: Base layer keyword arguments, such as `name`.

    Input shape:
        `(batch, num_angles)` probabilities or logits.

    Output shape:
        `(batch,)` float32 angles in degrees.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import PredictedAngle
        >>> probs = np.array([[0.1, 0.7, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]], "float32")
        >>> np.asarray(PredictedAngle(num_angles=4, signed=True)(probs)).tolist()
        [90.0, -90.0]
    """

    def __init__(self, num_angles: int = 4, signed: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.num_angles = check.check_positive_int(num_angles, "num_angles")
        self.signed = check.check_bool(signed, "signed")

    def _check(self, shape: Any) -> None:
        shape = tuple(shape)
        if len(shape) != 2 or (shape[-1] is not None and shape[-1] != self.num_angles):
            raise ValueError(
                f"PredictedAngle(num_angles={self.num_angles}) expects probabilities of shape "
                f"(batch, {self.num_angles}); received shape {shape}"
            )

    def call(self, inputs: Any) -> Any:
        self._check(inputs.shape)
        classes = ops.cast(rotation_ops.finite_argmax(inputs), "float32")
        angles = classes * (360.0 / self.num_angles)
        if self.signed:
            angles = ops.where(angles > 180.0, angles - 360.0, angles)
        return angles

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._check(input_shape)
        return (input_shape[0],)

    def compute_output_spec(self, inputs: Any) -> Any:
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype="float32")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"num_angles": self.num_angles, "signed": self.signed})
        return config
