"""Exact per-sample rotation by right angles, for data augmentation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from rotkeras._validation import check_data_format
from rotkeras.layers import _compiled, _rotation
from rotkeras.layers._tf_data import TFDataCompatibleLayer


@keras.saving.register_keras_serializable(package="rotkeras")
class RandomRightAngleRotation(TFDataCompatibleLayer):
    """Rotates each image of a batch by a random multiple of 90 degrees during training.

    Every sample independently gets one of `angles` (degrees, counter-clockwise, like
    `np.rot90`), uniformly or with the given `probabilities`. The rotation is exact:
    pixels are permuted, never interpolated, so a rotated MNIST digit is still an
    MNIST digit. The layer is inactive (the identity) when `training=False`, e.g. in
    `model.predict` and `model.evaluate`; called directly it augments, like Keras'
    own augmentation layers.

    Unlike `keras.layers.RandomRotation`, the layer is compiled with the rest of the
    train step (XLA/jit on every backend). Called on its own it compiles its own code
    once per input shape (XLA on TensorFlow, also inside `tf.data`; `jax.jit` on JAX;
    PyTorch runs it eagerly), drawing exactly the rotations the traced code would. It
    works inside a model on the TensorFlow, JAX and PyTorch backends and inside
    `tf.data.Dataset.map` under any backend.

    Besides an image tensor, the layer accepts a dict with `"images"` and optional
    `"labels"`, `"segmentation_masks"` and `"bounding_boxes"` (a dict with `"boxes"`
    and `"labels"`, in `bounding_box_format`), like Keras' image preprocessing layers:
    masks and boxes are rotated with their image, labels pass through unchanged.

    Args:
        angles: Right angles to draw from, in degrees (multiples of 90, negative
            allowed: the tutorial uses `(90, -90, 180)`). Duplicates weigh more.
        probabilities: Optional probabilities of the `angles`, same length, summing
            to 1. Defaults to uniform.
        seed: Integer seed for reproducible rotations.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        bounding_box_format: Format of `bounding_boxes` (e.g. `"xyxy"`), needed only
            when boxes are passed.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        3D (unbatched) `(height, width, channels)` or 4D `(batch, height, width,
        channels)` tensor (channels first with `data_format="channels_first"`), any
        numeric dtype. Height and width must be equal if 90 or 270 degrees can be drawn;
        180 degrees works for any shape.

    Output shape:
        Same shape and dtype as the input.

    Example:

    >>> import numpy as np
    >>> from rotkeras.layers import RandomRightAngleRotation
    >>> layer = RandomRightAngleRotation(angles=(90, -90, 180), seed=0)
    >>> images = np.random.rand(8, 28, 28, 1).astype("float32")
    >>> layer(images).shape  # each image turned by 90, -90 or 180 degrees
    (8, 28, 28, 1)
    >>> bool(np.all(layer(images, training=False) == images))
    True

    As on-the-fly augmentation inside a model (the tutorial's Solution 2):

    >>> model = rotkeras.models.mnist_cnn(  # doctest: +SKIP
    ...     preprocessing=RandomRightAngleRotation(seed=0))
    """

    def __init__(
        self,
        angles: Sequence[int] = (0, 90, 180, 270),
        probabilities: Sequence[float] | None = None,
        seed: int | None = None,
        data_format: str | None = None,
        bounding_box_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._ks = _rotation.angles_to_ks(angles, "angles")
        self.angles = tuple(int(a) for a in angles)
        if probabilities is not None:
            probabilities = tuple(float(p) for p in probabilities)
            if len(probabilities) != len(self.angles):
                raise ValueError(
                    "`probabilities` must have one entry per angle; received "
                    f"probabilities={probabilities!r} for angles={self.angles!r}"
                )
            if any(p < 0 for p in probabilities) or abs(sum(probabilities) - 1.0) > 1e-6:
                raise ValueError(
                    "`probabilities` must be non-negative and sum to 1; received "
                    f"probabilities={probabilities!r}"
                )
        self.probabilities = probabilities
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(f"`seed` must be an integer or None; received seed={seed!r}")
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)
        self.data_format = check_data_format(data_format)
        self.bounding_box_format = bounding_box_format
        self._allow_odd = any(k % 2 for k in self._ks)
        self._convert_input_args = False
        self._allow_non_tensor_positional_args = True
        self.supports_jit = True
        self._transform: _compiled.CompiledTransform | None = None

    def _draw_quarter_turns(self, batch_size: Any) -> Any:
        table = ops.convert_to_tensor(self._ks, dtype="int32")
        if len(self._ks) == 1:
            return ops.zeros((batch_size,), dtype="int32") + table[0]
        if self.probabilities is None:
            index = keras.random.randint(
                (batch_size,), 0, len(self._ks), dtype="int32", seed=self.generator
            )
        else:
            logits = ops.log(ops.convert_to_tensor(self.probabilities, dtype="float32"))
            logits = ops.broadcast_to(ops.expand_dims(logits, 0), (batch_size, len(self._ks)))
            index = ops.reshape(
                keras.random.categorical(logits, 1, dtype="int32", seed=self.generator), (-1,)
            )
        return ops.take(table, index, axis=0)

    def call(self, inputs: Any, training: bool = True) -> Any:
        data, images, _ = _rotation.split_image_input(inputs)
        if self._allow_odd:
            _rotation.check_square(images, self.data_format, type(self).__name__)
        if not training:
            return inputs
        if self._transform is None:
            self._transform = _compiled.CompiledTransform(
                self._rotate_data, self._draw_for, self.generator
            )
        return _rotation.run_on_image_data(inputs, data, images, self._transform)

    def _draw_for(self, data: dict[str, Any]) -> Any:
        images = data["images"]
        return self._draw_quarter_turns(ops.shape(images)[0] if len(images.shape) == 4 else 1)

    def _rotate_data(self, k: Any, data: dict[str, Any]) -> dict[str, Any]:
        batched = len(data["images"].shape) == 4
        return _rotation.rotate_image_data(
            data,
            lambda x: self._rotate(x, k, batched),
            k,
            self.data_format,
            self.bounding_box_format,
        )

    def _rotate(self, images: Any, k: Any, batched: bool) -> Any:
        if not batched:
            images = ops.expand_dims(images, 0)
        out = _rotation.rotate_batch(images, k, self.data_format, allow_odd=self._allow_odd)
        return out if batched else ops.squeeze(out, 0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "angles": list(self.angles),
                "probabilities": None if self.probabilities is None else list(self.probabilities),
                "seed": self.seed,
                "data_format": self.data_format,
                "bounding_box_format": self.bounding_box_format,
            }
        )
        return config
