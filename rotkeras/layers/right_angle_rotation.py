"""Deterministic rotation by a fixed right angle."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rotkeras._validation import check_data_format
from rotkeras.layers import _compiled, _rotation
from rotkeras.layers._tf_data import TFDataCompatibleLayer


@keras.saving.register_keras_serializable(package="rotkeras")
class RightAngleRotation(TFDataCompatibleLayer):
    """Rotates every image by the same multiple of 90 degrees, in training and inference.

    The deterministic companion of `RandomRightAngleRotation`: for test-time rotation
    (building rotated test sets inside a model or a `tf.data` pipeline) and for turning
    images back (`RightAngleRotation(k=-k)` undoes `RightAngleRotation(k=k)`). Exact:
    equal to `np.rot90(image, k)` on the height and width axes.

    Give either `k` (quarter turns counter-clockwise, any integer) or `angle` (degrees,
    a multiple of 90), not both.

    Args:
        k: Number of quarter turns counter-clockwise.
        angle: Rotation in degrees counter-clockwise, a multiple of 90.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        bounding_box_format: Format of `bounding_boxes` in dict inputs (e.g. `"xyxy"`).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        3D `(height, width, channels)` or 4D `(batch, height, width, channels)` tensor
        (channels first with `data_format="channels_first"`), or a dict with `"images"`
        and optional `"labels"`, `"segmentation_masks"`, `"bounding_boxes"`. Height and
        width must be equal unless the rotation is 0 or 180 degrees.

    Output shape:
        Same shape and dtype as the input.

    Example:

    >>> import numpy as np
    >>> from rotkeras.layers import RightAngleRotation
    >>> x = np.arange(4, dtype="float32").reshape(1, 2, 2, 1)
    >>> y = RightAngleRotation(angle=90)(x)
    >>> bool(np.all(np.asarray(y) == np.rot90(x, 1, axes=(1, 2))))
    True
    """

    def __init__(
        self,
        k: int | None = None,
        angle: int | None = None,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (k is None) == (angle is None):
            raise ValueError(
                f"Pass exactly one of `k` and `angle`; received k={k!r}, angle={angle!r}"
            )
        if k is not None:
            if isinstance(k, bool) or not isinstance(k, int):
                raise ValueError(f"`k` must be an integer; received k={k!r}")
            self.k = k % 4
        else:
            self.k = _rotation.angle_to_k(angle, "angle")
        self.data_format = check_data_format(data_format)
        self.bounding_box_format = bounding_box_format
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self._transform: _compiled.CompiledTransform | None = None

    @property
    def angle(self) -> int:
        """The rotation in degrees counter-clockwise, in `0..270`."""
        return 90 * self.k

    def call(self, inputs: Any) -> Any:
        data, images, _ = _rotation.split_image_input(inputs)
        if self.k % 2:
            _rotation.check_square(images, self.data_format, type(self).__name__)
        if self._transform is None:
            self._transform = _compiled.CompiledTransform(self._rotate_data)
        return _rotation.run_on_image_data(inputs, data, images, self._transform)

    def _rotate_data(self, params: None, data: dict[str, Any]) -> dict[str, Any]:
        images = data["images"]
        batch = ops.shape(images)[0] if len(images.shape) == 4 else 1
        return _rotation.rotate_image_data(
            data,
            lambda x: _rotation.rotate_fixed(x, self.k, self.data_format),
            ops.full((batch,), self.k, dtype="int32"),
            self.data_format,
            self.bounding_box_format,
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "k": self.k,
                "data_format": self.data_format,
                "bounding_box_format": self.bounding_box_format,
            }
        )
        return config
