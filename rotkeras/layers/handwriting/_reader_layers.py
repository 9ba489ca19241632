"""Small layers of the shipped digit reader's graph (internal, registered for `.keras` files).

- `DigitGate`: the reader's one "no digit" rule, inside the model. Its digit and
  orientation probabilities are multiplied by 1 when the 28x28 image holds ink and by
  0 when it is blank (`HandwritingPreprocess` found no ink with enough contrast), so the
  digit output sums to 1 for a photo with a digit and to 0 without one.
- `Retilt`: a 28x28 digit turned by a fixed angle, then boxed and centred again the way
  `HandwritingPreprocess` places a digit (longer side of the ink's box 20 pixels, centre
  of mass at (13.5, 13.5)), so a photo taken at a slant can be read straightened.
- `MostConfident`: of several readings (digits and orientation probabilities, one per
  candidate angle), keeps per sample the one whose top digit is most probable, with a
  bonus (log-probability) for the first (the unturned) candidate.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras.layers.handwriting._morphology import mass_quantile_bounds
from rotkeras.layers.handwriting._pipeline import centre_of_mass, resample_to_frame
from rotkeras.layers.handwriting._pixels import EPSILON
from rotkeras.layers.handwriting._thresholds import BOX_QUANTILES, STRONG_INK
from rotkeras.ops import rotate

_PAD = 6  # 28 + 2 * 6 = 40 > 28 * sqrt(2): a turned 20-pixel box stays in the frame


@keras.saving.register_keras_serializable(package="rotkeras")
class DigitGate(keras.layers.Layer):
    """`[digits, orientation, image]` -> the probabilities, zero where `image` is blank."""

    def call(self, inputs: Any) -> list[Any]:
        digits, orientation, image = inputs
        found = ops.max(ops.reshape(image, (ops.shape(image)[0], -1)), axis=1) > 0.0
        return [digits * ops.cast(found, digits.dtype)[:, None],
                orientation * ops.cast(found, orientation.dtype)[:, None]]

    def compute_output_shape(self, input_shape: Any) -> list[Any]:
        return [tuple(input_shape[0]), tuple(input_shape[1])]


@keras.saving.register_keras_serializable(package="rotkeras")
class Retilt(keras.layers.Layer):
    """Turns `(batch, 28, 28, 1)` digits by `angle` degrees and boxes them again."""

    def __init__(self, angle: float, box_size: int = 20, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.angle = check.check_number(angle, "angle", low=-180.0, high=180.0)
        self.box_size = check.check_positive_int(box_size, "box_size")

    def call(self, inputs: Any) -> Any:
        x = ops.cast(inputs, "float32")
        size = int(x.shape[1])
        padded = ops.pad(x, ((0, 0), (_PAD, _PAD), (_PAD, _PAD), (0, 0)))
        turned = rotate(padded, self.angle, fill_mode="constant", fill_value=0.0,
                        data_format="channels_last")[..., 0]
        out = rebox(turned, size, self.box_size)
        return out[..., None]

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        return tuple(input_shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"angle": self.angle, "box_size": self.box_size})
        return config


def rebox(ink: Any, output_size: int, box_size: int) -> Any:
    """`(B, H, W)` bright ink -> `(B, S, S)`: box to `box_size`, centre of mass centred."""
    peak = ops.max(ink, axis=(1, 2), keepdims=True)
    strong = ink * ops.cast(ink >= STRONG_INK * peak, "float32")
    y0, y1 = mass_quantile_bounds(ops.sum(strong, axis=2), *BOX_QUANTILES)
    x0, x1 = mass_quantile_bounds(ops.sum(strong, axis=1), *BOX_QUANTILES)
    box = ops.maximum(y1 - y0 + 1.0, x1 - x0 + 1.0)
    scale = box_size / ops.maximum(box, 1.0)
    cy, cx = centre_of_mass(ink, ops.sum(ink, axis=(1, 2)))
    out = resample_to_frame(ink, cy, cx, scale, scale, output_size)
    top = ops.max(out, axis=(1, 2), keepdims=True)
    return ops.clip(out / ops.maximum(top, EPSILON), 0.0, 1.0)


@keras.saving.register_keras_serializable(package="rotkeras")
class MostConfident(keras.layers.Layer):
    """`[digits_0, orientation_0, digits_1, orientation_1, ...]` -> the most confident pair.

    Also returns the index of the candidate kept, as float32 `(batch,)`.
    """

    def __init__(self, bonus: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bonus = check.check_number(bonus, "bonus", low=0.0)

    def call(self, inputs: Any) -> list[Any]:
        digits = ops.stack(inputs[0::2], axis=1)  # (B, K, 10)
        turns = ops.stack(inputs[1::2], axis=1)  # (B, K, 4)
        count = int(digits.shape[1])
        score = ops.log(ops.max(digits, axis=-1) + 1e-6)
        first = ops.convert_to_tensor([[self.bonus] + [0.0] * (count - 1)], dtype="float32")
        pick = ops.argmax(score + first, axis=1)
        weight = ops.one_hot(pick, count, dtype="float32")[:, :, None]
        return [ops.sum(digits * weight, axis=1), ops.sum(turns * weight, axis=1),
                ops.cast(pick, "float32")]

    def compute_output_shape(self, input_shape: Any) -> list[Any]:
        return [tuple(input_shape[0]), tuple(input_shape[1]), (input_shape[0][0],)]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["bonus"] = self.bonus
        return config
