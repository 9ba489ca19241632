"""Rotation by any angle: the nearest quarter turns exactly, the rest resampled
(internal; see `rotkeras.ops`)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import keras
import numpy as np
from keras import ops

from rotkeras import _validation as check
from rotkeras.ops._common import (
    FILL_MODES,
    INTERPOLATIONS,
    MAX_FLOAT32_ANGLE,
    _cast_resampled,
    _compute_dtype,
    _rotation_terms,
    _Sampling,
)
from rotkeras.ops._quarter_turns import _quarter_turns_fixed, _quarter_turns_per_sample
from rotkeras.ops._resample import _resample


def rotate(
    images: Any,
    angles: Any,
    *,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format: str | None = None,
) -> Any:
    """Rotates images by any angle counter-clockwise around their centre.

    Each angle is split into the nearest right angle, done exactly as a pixel
    permutation (`rot90`), and a residual of at most 45 degrees (90 on non-square
    images), resampled. A sample whose angle is a multiple of 90 degrees is therefore
    exact, whatever the other samples of the batch get. The output has the input's
    shape: corners that leave the frame are cut, points from outside the input are
    filled according to `fill_mode`.

    Fill modes follow `keras.ops.image.affine_transform` (and `keras.layers.
    RandomRotation`), applied to the index of every pixel that is read:

    - `"constant"`: `(k k k k | a b c d | k k k k)`, `k = fill_value`;
    - `"reflect"`: `(d c b a | a b c d | d c b a)`;
    - `"wrap"`: `(a b c d | a b c d | a b c d)`;
    - `"nearest"`: `(a a a a | a b c d | d d d d)`.

    Unlike `keras.ops.image.affine_transform`, this compiles with XLA on TensorFlow
    (`jit_compile=True`) and runs vectorized on PyTorch.

    Args:
        images: Rank-3 or rank-4 image tensor, numeric dtype. Integer images are
            resampled in float32, rounded and clipped to their dtype's range; float16
            and bfloat16 images are resampled in float32.
        angles: Degrees counter-clockwise: a Python number (every image) or a float
            tensor of shape `(batch,)` (or a scalar tensor). A NaN or infinite entry of a
            tensor leaves its image unturned; a non-finite Python number is refused.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_mode: `"constant"`, `"reflect"`, `"wrap"` or `"nearest"`.
        fill_value: Value of points outside the image with `fill_mode="constant"`.
        data_format: `"channels_last"` or `"channels_first"`, or `None`.

    Returns:
        The rotated images, shape and dtype of `images`.

    Examples:
        >>> import numpy as np
        >>> from rotkeras import ops
        >>> x = np.zeros((2, 5, 5, 1), "float32"); x[:, 2, 4] = 1.0  # right of the centre
        >>> y = np.asarray(ops.rotate(x, np.array([90.0, 30.0]), data_format="channels_last"))
        >>> float(y[0, 0, 2, 0])  # 90 degrees: exactly at the top
        1.0
        >>> bool(0.0 < y[1].max() < 1.0)  # 30 degrees: interpolated
        True
    """
    data_format = check.check_data_format(data_format)
    interpolation = check.check_choice(interpolation, "interpolation", INTERPOLATIONS)
    fill_mode = check.check_choice(fill_mode, "fill_mode", FILL_MODES)
    fill_value = check.check_number(fill_value, "fill_value")
    images = ops.convert_to_tensor(images)
    rank = check.check_rank(
        images, "images", (3, 4),
        "a rank-3 (height, width, channels) or rank-4 (batch, height, width, channels) tensor",
    )
    check.check_numeric_dtype(images, "images")
    if isinstance(angles, numbers.Real) and not isinstance(angles, bool):
        angles = check.check_number(angles, "angles")
    else:
        angles = _angles_tensor(angles, images if rank == 4 else images[None])
    return rotate_checked(images, angles, interpolation=interpolation, fill_mode=fill_mode,
                          fill_value=fill_value, data_format=data_format, fused=False)


def rotate_checked(
    images: Any,
    angles: Any,
    *,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
    data_format: str,
    xp: Any = ops,
    fused: bool = False,
) -> Any:
    """`rotate` of a validated rank-3 or rank-4 image tensor by a Python float or a float32
    `(batch,)` tensor of finite angles, written with the ops namespace `xp` (`keras.ops`,
    or TensorFlow's inside `tf.data`). With `fused`, the rotation is Keras' fused
    `affine_transform` where it gives the same result (not for `"wrap"`, whose border
    differs on TensorFlow, nor float64, which it resamples in float32); it does not
    compile with XLA on TensorFlow, so only calls outside a model ask for it."""
    rank = len(images.shape)
    batch = images if rank == 4 else images[None]
    h_axis, w_axis = check.spatial_axes(4, data_format)
    height, width = batch.shape[h_axis], batch.shape[w_axis]
    # Quarter turns keep the frame only on square images; elsewhere half turns.
    square = height is not None and height == width
    step = 90.0 if square else 180.0
    sampling = _Sampling(interpolation, fill_mode, fill_value, data_format, xp)
    fused = (fused and fill_mode != "wrap"
             and keras.backend.standardize_dtype(images.dtype) != "float64")
    if fused:
        # One affine transform over the whole angle: at multiples of 90 degrees (180 on
        # non-square images) cosine and sine are exactly 0 and +-1 (`_cos_sin`), so every
        # pixel reads one input pixel at integer coordinates, with weight exactly 1.
        out = _affine_resample(batch, angles, sampling)
        return out if rank == 4 else out[0]
    if isinstance(angles, float):
        turns = round(angles / step)
        residual = angles - step * turns
        out = _quarter_turns_fixed(batch, int(turns * step // 90), h_axis, w_axis, xp)
        if residual != 0.0:
            out = _resample(out, residual, sampling)
    else:
        turns = xp.round(angles / step)
        residual = angles - step * turns
        k = xp.cast(turns, "int32") * int(step // 90)
        exact = _quarter_turns_per_sample(batch, k, h_axis, w_axis, square, xp)
        rotated = _resample(exact, residual, sampling)
        out = xp.where(xp.reshape(xp.equal(residual, 0.0), (-1, 1, 1, 1)), exact, rotated)
    return out if rank == 4 else out[0]


def _affine_resample(images: Any, angles: Any, sampling: _Sampling) -> Any:
    """Resamples a rank-4 batch rotated by `angles` with `keras.ops.image.affine_transform`
    (the same source coordinates as `_source_coordinates`)."""
    interpolation, fill_mode, fill_value, data_format, xp = sampling
    h_axis, w_axis = check.spatial_axes(4, data_format)
    shape = xp.shape(images)
    height = images.shape[h_axis] if images.shape[h_axis] is not None else shape[h_axis]
    width = images.shape[w_axis] if images.shape[w_axis] is not None else shape[w_axis]
    if isinstance(angles, float):
        angles = xp.zeros((shape[0],), "float32") + angles
    cos, sin, cy, cx = _rotation_terms(angles, height, width, xp)
    zeros = xp.zeros_like(cos)
    transform = xp.stack(
        [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, zeros, zeros],
        axis=-1,
    )
    dtype = keras.backend.standardize_dtype(images.dtype)
    out = xp.image.affine_transform(
        xp.cast(images, _compute_dtype(dtype)), transform, interpolation=interpolation,
        fill_mode=fill_mode, fill_value=fill_value, data_format=data_format,
    )
    return _cast_resampled(out, dtype, xp)


def _angles_tensor(angles: Any, batch: Any) -> Any:
    """`angles` as float32 `(batch,)`, broadcast from a scalar or a `(1,)` tensor."""
    if isinstance(angles, (str, bytes, bool)):
        raise check.ArgumentTypeError(
            f"`angles` must be a number or a float tensor; received angles={angles!r}"
        )
    if isinstance(angles, numbers.Real) and not math.isfinite(float(angles)):
        raise ValueError(f"`angles` must be a finite number; received angles={angles!r}")
    if not _is_backend_tensor(angles):
        angles = _reduce_on_host(angles)
    angles = ops.convert_to_tensor(angles)
    dtype = check.check_numeric_dtype(angles, "angles")
    if "int" in dtype:
        if dtype in ("int8", "uint8", "int16", "uint16"):
            angles = ops.cast(angles, "int32")  # 360 does not fit
        angles = ops.mod(angles, 360)  # exact for integers, on every backend
    elif dtype == "float64":
        # Reduced before float32 sees them (NaN and infinity stay as they are).
        angles = ops.where(ops.isfinite(angles), ops.mod(angles, 360.0), angles)
    elif not check._is_symbolic(angles):
        finite = ops.where(ops.isfinite(angles), angles, ops.zeros_like(angles))
        (angles,) = check.check_at_run_time(
            ops.all(ops.abs(finite) <= MAX_FLOAT32_ANGLE),
            "`angles` must be at most 2**24 = 16777216 degrees in size when given as a "
            "float tensor (float32 holds no fraction of a degree beyond, and the rotation "
            "would be off by up to 64 degrees at 1e9); reduce them modulo 360 first, or "
            "pass a NumPy array or a Python number, which rotkeras reduces exactly",
            guard=[angles],
        )
    if len(angles.shape) > 1 or (
        len(angles.shape) == 1
        and angles.shape[0] not in (None, 1)
        and batch.shape[0] is not None
        and angles.shape[0] != batch.shape[0]
    ):
        raise ValueError(
            "`angles` must be a scalar or have one angle per image; received angles of "
            f"shape {tuple(angles.shape)} for images of shape {tuple(batch.shape)}"
        )
    angles = ops.reshape(ops.cast(angles, "float32"), (-1,))
    # A NaN or infinite angle in a tensor (a broken angle model upstream) leaves its image
    # unturned, on every backend, as OrientationCorrection does with a broken row.
    angles = ops.where(ops.isfinite(angles), angles, ops.zeros_like(angles))
    return ops.broadcast_to(angles, (ops.shape(batch)[0],))


def _is_backend_tensor(value: Any) -> bool:
    """Whether `value` is a tensor of the backend (or symbolic), not host data."""
    return not isinstance(value, (np.ndarray, np.generic, list, tuple, numbers.Number))


def _reduce_on_host(angles: Any) -> Any:
    """NumPy or Python angles reduced modulo 360 exactly (float64), before float32 sees them.

    Non-finite angles stay as they are (an unturned image, see `_angles_tensor`); a
    non-numeric array is left for the dtype check.
    """
    array = np.asarray(angles)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        return angles
    if np.issubdtype(array.dtype, np.integer):
        wide = array.astype(np.uint64 if array.dtype.kind == "u" else np.int64)
        return np.mod(wide, wide.dtype.type(360)).astype(np.int32)
    wide = array.astype(np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(wide), np.mod(wide, 360.0), wide).astype(np.float32)

