"""A classifier head that reads p4 features under each of the four possible turns."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

from rotkeras import _backend
from rotkeras import _validation as check
from rotkeras.layers.p4._core import ORIENTATIONS, check_p4_shape


def _check_prior(prior: Sequence[float] | None) -> tuple[float, ...] | None:
    values = check.check_probabilities(prior, 4, "orientation_prior", of="turns")
    if values is not None and min(values) <= 0:
        raise ValueError(
            "`orientation_prior` must give every turn a positive probability; received "
            f"orientation_prior={values!r}"
        )
    return values


@keras.saving.register_keras_serializable(package="rotkeras")
class P4OrientationHead(keras.layers.Layer):
    """Classifies p4 features jointly over the class and the input's quarter turn.

    The input is a p4 feature vector `(batch, 4, channels)`, e.g. the output of a stack
    of `P4Conv2D` layers reduced to one pixel. For each hypothesis "the input is the
    upright image turned by `t` quarter turns counter-clockwise" the head turns the
    features back (a cyclic shift of the rotation axis by `-t`) and scores every class
    with the same small dense network. A softmax over all `(class, turn)` pairs gives
    the joint probability; the layer returns both marginals:

    - `classes`: `(batch, num_classes)`, the class probabilities summed over turns;
    - `orientation`: `(batch, 4)`, the probability of each turn (index `t`: turned by
      `90 * t` degrees counter-clockwise), summed over classes.

    With p4-equivariant features, turning the input by 90 degrees moves the joint
    scores by one turn, so a head trained on upright images only reads turned images
    too, and learns to tell an upright 6 from a 9 turned by 180 degrees from upright
    examples of both. `orientation_prior` multiplies the joint probability by a prior
    over the four turns (e.g. "upright half of the time"); with `None` (uniform) the
    class output is exactly invariant to quarter turns and the orientation output
    turns with the input.

    Train it with the orientation label 0 on upright images (or the true turn on
    turned ones), for example `loss=["sparse_categorical_crossentropy"] * 2`.

    Args:
        num_classes: Number of classes.
        hidden_units: Width of the hidden dense layer shared by the four hypotheses
            (0 for a linear head).
        orientation_prior: None (uniform) or the four prior probabilities of the turns
            0, 90, 180 and 270 degrees counter-clockwise.
        dropout: Dropout rate on the hidden layer during training.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Input shape:
        `(batch, 4, channels)`.

    Output shape:
        A list `[(batch, num_classes), (batch, 4)]` of probabilities (float32 under a
        mixed precision policy, like a softmax output layer should be).

    Examples:
        >>> from keras.ops import convert_to_numpy as to_numpy
        >>> import numpy as np
        >>> from rotkeras.layers import P4OrientationHead
        >>> head = P4OrientationHead(10, hidden_units=16)
        >>> features = np.random.rand(2, 4, 8).astype("float32")
        >>> classes, orientation = head(features)
        >>> tuple(classes.shape), tuple(orientation.shape)
        ((2, 10), (2, 4))
        >>> turned_classes, turned_orientation = head(np.roll(features, 1, axis=1))
        >>> bool(np.allclose(to_numpy(turned_classes), to_numpy(classes), atol=1e-6))
        True
        >>> bool(np.allclose(to_numpy(turned_orientation),
        ...                  np.roll(to_numpy(orientation), 1, axis=1), atol=1e-6))
        True
    """

    def __init__(
        self,
        num_classes: int,
        hidden_units: int = 128,
        orientation_prior: Sequence[float] | None = None,
        dropout: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.num_classes = check.check_num_classes(num_classes)
        self.hidden_units = check.check_int(hidden_units, "hidden_units", minimum=0)
        self.orientation_prior = _check_prior(orientation_prior)
        self.dropout = check.check_number(dropout, "dropout", low=0.0, high=1.0,
                                          high_inclusive=False)
        self.seed_generator = keras.random.SeedGenerator() if self.dropout else None

    def _check_input_shape(self, input_shape: Sequence[int | None]) -> int:
        return check_p4_shape(input_shape, type(self).__name__, ranks=(3,),
                              hint=" (p4 maps reduced to one pixel, e.g. by P4MaxPooling2D)")

    def build(self, input_shape: Sequence[int | None]) -> None:
        channels = self._check_input_shape(input_shape)
        first = self.hidden_units or self.num_classes
        # Weights of the classifier that reads the upright hypothesis, laid out by the
        # orientation and channel of the p4 vector they multiply.
        self.kernel = self.add_weight(
            name="kernel", shape=(4, channels, first), initializer="glorot_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(first,), initializer="zeros")
        if self.hidden_units:
            # Class scores in float32 under mixed precision.
            self.score_kernel = self.add_weight(
                name="score_kernel",
                shape=(self.hidden_units, self.num_classes),
                initializer="glorot_uniform",
                autocast=False,
            )
            self.score_bias = self.add_weight(
                name="score_bias", shape=(self.num_classes,), initializer="zeros", autocast=False
            )

    def _hypotheses(self, inputs: Any) -> Any:
        """`(batch, 4, units)`: the first dense layer applied to the four turned-back inputs.

        Turning the features back by `t` (a cyclic shift by `-t`) before a dense layer is
        the same as shifting its weights by `+t`, so the four hypotheses are one matrix
        product with the four shifted weight blocks side by side.
        """
        kernel = ops.cast(ops.convert_to_tensor(self.kernel), self.compute_dtype)
        channels, units = int(kernel.shape[1]), int(kernel.shape[2])
        turns = range(ORIENTATIONS)
        bank = ops.stack([ops.roll(kernel, t, axis=0) if t else kernel for t in turns], axis=2)
        bank = ops.reshape(bank, (4 * channels, 4 * units))
        flat = ops.reshape(ops.cast(inputs, self.compute_dtype), (-1, 4 * channels))
        out = ops.reshape(ops.matmul(flat, bank), (-1, 4, units))
        return out + ops.cast(self.bias, self.compute_dtype)

    def call(self, inputs: Any, training: bool | None = None) -> list[Any]:
        scores = self._hypotheses(inputs)
        if self.hidden_units:
            hidden = ops.relu(scores)
            if self.dropout and training:
                # One mask for the four hypotheses keeps them comparable.
                # Under tf.distribute each replica draws its own samples' masks.
                keep = _backend.draw_per_sample(
                    lambda count: keras.random.dropout(
                        ops.ones((count, 1, self.hidden_units), hidden.dtype), self.dropout,
                        seed=self.seed_generator,
                    ),
                    ops.shape(hidden)[0],
                )
                hidden = hidden * keep
            scores = ops.matmul(ops.cast(hidden, "float32"), self.score_kernel) + self.score_bias
        scores = ops.cast(scores, "float32")  # (batch, 4, classes)
        flat = ops.reshape(scores, (-1, 4 * self.num_classes))
        if self.orientation_prior is not None:
            # One log prior per (turn, class) score, turn-major like `flat`.
            log_prior = [
                math.log(p) for p in self.orientation_prior for _ in range(self.num_classes)
            ]
            flat = flat + ops.convert_to_tensor([log_prior], dtype="float32")
        joint = ops.reshape(ops.softmax(flat, axis=-1), (-1, 4, self.num_classes))
        return [ops.sum(joint, axis=1), ops.sum(joint, axis=2)]

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> list[tuple[Any, ...]]:
        self._check_input_shape(input_shape)
        return [(input_shape[0], self.num_classes), (input_shape[0], 4)]

    def compute_output_spec(self, inputs: Any, training: bool | None = None) -> list[Any]:
        self._check_input_shape(inputs.shape)
        batch = inputs.shape[0]
        return [
            keras.KerasTensor((batch, self.num_classes), dtype="float32"),
            keras.KerasTensor((batch, 4), dtype="float32"),
        ]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "hidden_units": self.hidden_units,
                "orientation_prior": None
                if self.orientation_prior is None
                else list(self.orientation_prior),
                "dropout": self.dropout,
            }
        )
        return config
