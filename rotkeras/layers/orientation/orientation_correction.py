"""Turning images upright given an angle classifier's prediction (RotNet-style)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras import ops as rotation_ops
from rotkeras._backend import TFDataLayer
from rotkeras.layers._config import with_attributes


@keras.saving.register_keras_serializable(package="rotkeras")
class OrientationCorrection(TFDataLayer):
    """Rotates each image back by the angle an angle classifier predicts for it.

    Called like Keras' merge layers on `[images, angle_probabilities]`: for each
    sample, the predicted class `c = argmax(angle_probabilities)` means "the image is
    rotated by `c * 360 / num_angles` degrees counter-clockwise", and the layer turns
    the image by the opposite angle. With `num_angles=4` this is exact (a per-sample
    `np.rot90` by `-c`, pixels permuted, never interpolated), so
    `OrientationCorrection()` exactly undoes `RightAngleRotation(angle=90 * c)` when the
    prediction is right. With finer bins (e.g. `num_angles=360`, RotNet's 1-degree
    classes) the rotation is `rotkeras.ops.rotate`: the nearest quarter turn exactly,
    the remaining at most 45 degrees with bilinear interpolation (points from outside
    the image are set to `fill_value`), and still exact for classes at right angles.
    Works inside any Keras model on every backend; not differentiable with respect to
    the probabilities (argmax). A row of probabilities with a NaN or an infinite value
    (a broken angle model) leaves its image as it is, on every backend. An empty batch
    gives an empty batch.

    Args:
        num_angles: Number of angle classes of the probabilities (4 for quarter turns).
        fill_value: Value of pixels coming from outside the image in interpolated
            rotations (0 = MNIST's black background).
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        A list of two tensors: images `(batch, height, width, channels)` (channels
        first with `data_format="channels_first"`) and angle probabilities (or logits)
        `(batch, num_angles)`. Images must be square when a 90/270-degree turn is
        possible (always, for `num_angles=4`).

    Output shape:
        The images' shape and dtype.

    Examples:
        >>> import numpy as np
        >>> from rotkeras.layers import OrientationCorrection
        >>> x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
        >>> rotated = np.rot90(x, 1, axes=(1, 2))          # turned by 90 degrees
        >>> probs = np.array([[0.0, 1.0, 0.0, 0.0]], "float32")  # class 1 = 90 degrees
        >>> y = OrientationCorrection(num_angles=4)([rotated, probs])
        >>> bool(np.all(np.asarray(y) == x))
        True
    """

    def __init__(
        self,
        num_angles: int = 4,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_angles = check.check_positive_int(num_angles, "num_angles")
        self.fill_value = check.check_number(fill_value, "fill_value")
        self.data_format = check.check_data_format(data_format)
        # Turning back by -(c * 360 / num_angles) degrees, c the predicted class.
        self._back_angles = [-c * 360.0 / self.num_angles for c in range(self.num_angles)]
        self._right_angles_only = all(a % 90 == 0 for a in self._back_angles)
        self._needs_square = self._right_angles_only and any(a % 180 for a in self._back_angles)
        # The images keep their dtype under mixed precision too, as documented.
        self.autocast = False

    def _check_inputs(self, images_shape: Any, probs_shape: Any) -> None:
        images_shape, probs_shape = tuple(images_shape), tuple(probs_shape)
        name = type(self).__name__
        if len(images_shape) != 4:
            raise ValueError(
                f"{name} expects images of rank 4 (batch, height, width, channels); "
                f"received images of shape {images_shape}"
            )
        if len(probs_shape) != 2:
            raise ValueError(
                f"{name} expects angle probabilities of shape (batch, {self.num_angles}); "
                f"received shape {probs_shape}"
            )
        if probs_shape[-1] is not None and probs_shape[-1] != self.num_angles:
            raise ValueError(
                f"{name}(num_angles={self.num_angles}) expects angle probabilities of shape "
                f"(batch, {self.num_angles}); received shape {probs_shape}. Set `num_angles` "
                "to the number of outputs of the angle model."
            )
        if (
            images_shape[0] is not None
            and probs_shape[0] is not None
            and images_shape[0] != probs_shape[0]
        ):
            raise ValueError(
                f"{name} needs one angle prediction per image; received images of shape "
                f"{images_shape} (batch {images_shape[0]}) and angle probabilities of shape "
                f"{probs_shape} (batch {probs_shape[0]})"
            )
        if self._needs_square:
            check.check_square(images_shape, self.data_format,
                               f"{name}(num_angles={self.num_angles})")

    @staticmethod
    def _split_inputs(inputs: Any) -> tuple[Any, Any]:
        if not isinstance(inputs, (list, tuple)):
            raise check.ArgumentTypeError(
                "OrientationCorrection must be called on a list of two tensors "
                f"[images, angle_probabilities]; received {type(inputs).__name__}"
            )
        if len(inputs) != 2:
            raise ValueError(
                "OrientationCorrection must be called on a list of two tensors "
                f"[images, angle_probabilities]; received a list of {len(inputs)}"
            )
        return inputs[0], inputs[1]

    def call(self, inputs: Any) -> Any:
        images, probs = self._split_inputs(inputs)
        images = ops.convert_to_tensor(images)
        probs = ops.convert_to_tensor(probs)
        check.check_numeric_dtype(images, "images")
        check.check_numeric_dtype(probs, "angle_probabilities")
        self._check_inputs(images.shape, probs.shape)
        what = f"{type(self).__name__}(num_angles={self.num_angles})"
        if self._needs_square:
            images = check.check_square_tensor(images, self.data_format, what)
        images, probs = check.check_same_batch(images, probs, "angle_probabilities")
        classes = rotation_ops.finite_argmax(probs)
        if self._right_angles_only:
            # Quarter turns in 0..3, looked up: no modulo of negative numbers in the graph
            # (ONNX exports get those wrong).
            turns = [int(round(a / 90.0)) % 4 for a in self._back_angles]
            k = ops.take(ops.convert_to_tensor(turns, "int32"), classes)
            return rotation_ops.rotate_quarter_turns(images, k, data_format=self.data_format,
                                                     odd_quarter_turns=self._needs_square)
        angles = ops.take(ops.convert_to_tensor(self._back_angles, "float32"), classes)
        return rotation_ops.rotate(images, angles, fill_value=self.fill_value,
                                   data_format=self.data_format)

    def compute_output_shape(self, input_shape: Any) -> Any:
        images_shape, probs_shape = self._split_inputs(input_shape)
        self._check_inputs(images_shape, probs_shape)
        return tuple(images_shape)

    def compute_output_spec(self, inputs: Any) -> Any:
        images, probs = self._split_inputs(inputs)
        self._check_inputs(images.shape, probs.shape)
        return keras.KerasTensor(images.shape, dtype=images.dtype)

    def get_config(self) -> dict[str, Any]:
        return with_attributes(super().get_config(), self, "num_angles", "fill_value",
                               "data_format")
