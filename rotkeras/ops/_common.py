"""Constants and small helpers shared by `rotkeras.ops` (internal)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from keras import ops

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("constant", "reflect", "wrap", "nearest")
#: The bounding-box formats of `keras.utils.bounding_boxes.convert_format`.
BOUNDING_BOX_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy",
                        "rel_yxyx", "rel_xywh", "rel_center_xywh")
#: Largest float32 angle whose whole degrees are exact (2**24): beyond, `rotate` refuses
#: angle tensors in float32 (NumPy arrays and Python numbers are reduced exactly).
MAX_FLOAT32_ANGLE = 2.0**24


def _check_one_per_image(batch: Any, values: Any, name: str, what: str = "images") -> None:
    """Raises unless the `(n,)` tensor `values` has one entry per image of `batch` (or one)."""
    if len(values.shape) != 1:
        return
    size, count = batch.shape[0], values.shape[0]
    if size is not None and count is not None and count not in (1, size):
        raise ValueError(
            f"`{name}` must be a scalar or have one entry per image; received {name} of shape "
            f"{tuple(values.shape)} for {what} of shape {tuple(batch.shape)}"
        )


def _cos_sin(angles: Any, xp: Any = ops) -> tuple[Any, Any]:
    """Cosine and sine of `angles` degrees, exactly 0 and +-1 at right angles."""
    angles = xp.convert_to_tensor(angles, "float32")
    turns = xp.round(angles / 90.0)
    radians = (angles - 90.0 * turns) * (math.pi / 180.0)
    cos_r, sin_r = xp.cos(radians), xp.sin(radians)
    index = xp.cast(xp.mod(turns, 4.0), "int32")
    cos_q = xp.take(xp.convert_to_tensor([1.0, 0.0, -1.0, 0.0]), index)
    sin_q = xp.take(xp.convert_to_tensor([0.0, 1.0, 0.0, -1.0]), index)
    return cos_q * cos_r - sin_q * sin_r, sin_q * cos_r + cos_q * sin_r


class _Sampling(NamedTuple):
    """How a rotation resamples: the options of `rotate` and the ops namespace `xp`
    (`keras.ops`, or TensorFlow's inside `tf.data`)."""

    interpolation: str
    fill_mode: str
    fill_value: float
    data_format: str
    xp: Any = ops


def _rotation_terms(
    angles: Any, height: Any, width: Any, xp: Any = ops
) -> tuple[Any, Any, Any, Any]:
    """`(cos, sin, cy, cx)` of a rotation by `angles` degrees about the centre `(cy, cx)`
    of a `height` x `width` image (pixel centres, float32)."""
    cos, sin = _cos_sin(angles, xp)
    cy = (xp.cast(height, "float32") - 1.0) / 2.0
    cx = (xp.cast(width, "float32") - 1.0) / 2.0
    return cos, sin, cy, cx


def _compute_dtype(dtype: str) -> str:
    """The float dtype resampling computes in for images of `dtype`."""
    return dtype if dtype in ("float32", "float64") else "float32"


def _cast_resampled(out: Any, dtype: str, xp: Any = ops) -> Any:
    """Resampled values `out` back in the images' `dtype` (integers rounded and clipped to
    the dtype's range)."""
    if "int" in dtype:
        info = np.iinfo(dtype)
        out = xp.clip(xp.round(out), float(info.min), float(info.max))
    return xp.cast(out, dtype)


def finite_argmax(scores: Any) -> Any:
    """Arg-max over the last axis of `(batch, classes)` scores, as int32; class 0 for rows
    holding a NaN or an infinite value (the backends' arg-max of such rows differ).

    Written with comparisons, max and min only (the first index holding the row's
    maximum), so that it converts to TFLite and ONNX, which lack float `isfinite` and
    some arg-max variants."""
    scores = ops.cast(scores, "float32")
    # |x| <= the largest float32 is False for NaN and for +-inf.
    is_finite = ops.abs(scores) <= np.finfo(np.float32).max
    finite = ops.all(is_finite, axis=-1)
    safe = ops.where(is_finite, scores, ops.zeros_like(scores))
    # `initial`: Keras refuses a max or min over a batch of no rows without one.
    top = ops.max(safe, axis=-1, keepdims=True, initial=-float(np.finfo(np.float32).max))
    classes = safe.shape[-1]
    if classes is None:  # a class count known only at run time
        index = ops.cast(ops.argmax(safe, axis=-1), "int32")
        return ops.where(finite, index, ops.zeros_like(index))
    positions = ops.arange(classes, dtype="float32")
    first = ops.min(ops.where(safe >= top, positions, float(classes)), axis=-1,
                    initial=float(classes))
    index = ops.cast(first, "int32")
    return ops.where(finite, index, ops.zeros_like(index))

