"""Turning images upright given an angle classifier's prediction (RotNet-style)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rotkeras._validation import check_data_format, check_positive_int
from rotkeras.layers import _affine, _rotation
from rotkeras.layers._checks import check_numeric
from rotkeras.layers._tf_data import TFDataCompatibleLayer


@keras.saving.register_keras_serializable(package="rotkeras")
class OrientationCorrection(TFDataCompatibleLayer):
    """Rotates each image back by the angle an angle classifier predicts for it.

    Called like Keras' merge layers on `[images, angle_probabilities]`: for each
    sample, the predicted class `c = argmax(angle_probabilities)` means "the image is
    rotated by `c * 360 / num_angles` degrees counter-clockwise", and the layer turns
    the image by the opposite angle. With `num_angles=4` this is exact (a per-sample
    `np.rot90` by `-c`, pixels permuted, never interpolated), so
    `OrientationCorrection()` exactly undoes `RightAngleRotation(k=c)` when the
    prediction is right. With finer bins (e.g. `num_angles=360`, RotNet's 1-degree
    classes) the nearest quarter turn is done exactly and the remaining at most
    45 degrees with bilinear interpolation (points from outside the image are set to
    `fill_value`). Works inside any Keras model on every backend; not differentiable
    with respect to the probabilities (argmax).

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

    Example:

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
        self.num_angles = check_positive_int(num_angles, "num_angles")
        if isinstance(fill_value, bool) or not isinstance(fill_value, (int, float)):
            raise ValueError(f"`fill_value` must be a number; received fill_value={fill_value!r}")
        self.fill_value = float(fill_value)
        self.data_format = check_data_format(data_format)
        step = 360.0 / self.num_angles
        splits = [_affine.split_angle(c * step) for c in range(self.num_angles)]
        # Turning back by -angle: -(90 q + r) = 90 * (-q) + (-r).
        self._back_quarters = [(-q) % 4 for q, _ in splits]
        self._back_residuals = [-r for _, r in splits]
        self._needs_square = any(q % 2 for q in self._back_quarters)
        self._interpolates = any(r != 0.0 for r in self._back_residuals)

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
        if images_shape[0] == 0:
            raise ValueError(f"{name} received an empty batch: images of shape {images_shape}")
        if self._needs_square:
            h_axis, w_axis = _rotation.spatial_axes(4, self.data_format)
            height, width = images_shape[h_axis], images_shape[w_axis]
            if height is not None and width is not None and height != width:
                raise ValueError(
                    f"{name}(num_angles={self.num_angles}) needs square images (height == "
                    f"width) for 90/270-degree turns; received images of shape {images_shape}"
                )

    @staticmethod
    def _split_inputs(inputs: Any) -> tuple[Any, Any]:
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            length = len(inputs) if isinstance(inputs, (list, tuple)) else None
            raise ValueError(
                "OrientationCorrection must be called on a list of two tensors "
                "[images, angle_probabilities]; received "
                + (f"a list of {length}" if length is not None else type(inputs).__name__)
            )
        return inputs[0], inputs[1]

    def call(self, inputs: Any) -> Any:
        images, probs = self._split_inputs(inputs)
        images = ops.convert_to_tensor(images)
        probs = ops.convert_to_tensor(probs)
        check_numeric(images, "images")
        check_numeric(probs, "angle_probabilities")
        self._check_inputs(images.shape, probs.shape)
        classes = ops.cast(ops.argmax(probs, axis=-1), "int32")
        quarters = ops.take(ops.convert_to_tensor(self._back_quarters, "int32"), classes)
        out = _rotation.rotate_batch(
            images, quarters, self.data_format, allow_odd=self._needs_square
        )
        if not self._interpolates:
            return out
        residual = ops.take(ops.convert_to_tensor(self._back_residuals, "float32"), classes)
        dtype = keras.backend.standardize_dtype(images.dtype)
        floats = out if "float" in dtype else ops.cast(out, "float32")
        rotated = _affine.rotate_interpolated(floats, residual, self.data_format, self.fill_value)
        if "float" not in dtype:
            rotated = ops.round(rotated)
        rotated = ops.cast(rotated, dtype)
        exact = ops.reshape(ops.equal(residual, 0.0), (-1, 1, 1, 1))
        return ops.where(exact, out, rotated)

    def compute_output_shape(self, input_shape: Any) -> Any:
        images_shape, probs_shape = self._split_inputs(input_shape)
        self._check_inputs(images_shape, probs_shape)
        return tuple(images_shape)

    def _tf_output_signature(self, inputs: Any) -> Any:
        import tensorflow as tf

        images, _ = self._split_inputs(inputs)
        return tf.TensorSpec(images.shape, images.dtype)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "num_angles": self.num_angles,
                "fill_value": self.fill_value,
                "data_format": self.data_format,
            }
        )
        return config
