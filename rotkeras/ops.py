"""Rotations of images and bounding boxes, written with `keras.ops` only.

Every rotation in rotkeras (its layers, data sets and benchmarks) is one of these
functions. They run on the TensorFlow, JAX and PyTorch backends, eagerly and inside
compiled functions (`tf.function`, XLA, `jax.jit`, `torch.compile`), with static shapes
and no Python control flow on tensor values.

Conventions, shared by every function:

- Angles are in degrees, **counter-clockwise as displayed** (row 0 on top), around the
  image centre: pixel-index coordinates `((height - 1) / 2, (width - 1) / 2)`, which is
  `(height / 2, width / 2)` in the continuous coordinates of bounding boxes.
- A rotation by `90 * k` degrees is `np.rot90(image, k)` on the height and width axes.
- Right angles are **exact**: pixels are permuted, never interpolated, including when a
  batch mixes right angles with other angles (`rotate` picks the permutation for those
  samples). On non-square images this holds for 0 and 180 degrees; 90 and 270 degrees
  there keep the frame and sample on pixel centres when `height - width` is even.
- `images` are rank 3 `(height, width, channels)` or rank 4 `(batch, height, width,
  channels)`, channels first with `data_format="channels_first"`; `data_format=None`
  means `keras.config.image_data_format()`. Outputs keep the input's dtype.

Examples:
    >>> import numpy as np
    >>> from rotkeras import ops
    >>> x = np.arange(6, dtype="float32").reshape(1, 2, 3, 1)
    >>> np.asarray(ops.rot90(x, 1, data_format="channels_last"))[0, ..., 0]
    array([[2., 5.],
           [1., 4.],
           [0., 3.]], dtype=float32)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import keras
import numpy as np
from keras import ops

from rotkeras import _validation as check

__all__ = ["rot90", "rotate", "rotate_bounding_boxes"]

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("constant", "reflect", "wrap", "nearest")
#: The bounding-box formats of `keras.utils.bounding_boxes.convert_format`.
BOUNDING_BOX_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy",
                        "rel_yxyx", "rel_xywh", "rel_center_xywh")
#: Largest float32 angle whose whole degrees are exact (2**24): beyond, `rotate` refuses
#: angle tensors in float32 (NumPy arrays and Python numbers are reduced exactly).
MAX_FLOAT32_ANGLE = 2.0**24


# -------------------------------------------------------------------- right angles
def rot90(
    images: Any,
    k: Any = 1,
    *,
    data_format: str | None = None,
    odd_turns: bool = True,
) -> Any:
    """Rotates images by quarter turns counter-clockwise, exactly (pixels are permuted).

    With an integer `k` every image turns by `k` quarter turns, like
    `np.rot90(image, k)` on the height and width axes: an odd `k` swaps height and width
    of a non-square image. With a tensor `k` of shape `(batch,)` each image turns by its
    own number of quarter turns: the output then has the input's shape, so odd values need
    square images. Per-sample turns are computed as one transpose and two flips, each
    selected per sample with `where` (no gathers), which compiles under XLA and `jax.jit`.

    Unlike `keras.ops.rot90` (Keras 3.15), this is correct for non-square images on every
    backend.

    Args:
        images: Rank-3 or rank-4 image tensor (any dtype).
        k: Number of quarter turns counter-clockwise: a Python integer (any, e.g. `-1`),
            or an integer tensor of shape `(batch,)` (or a scalar tensor) for per-sample
            turns.
        data_format: `"channels_last"` or `"channels_first"`, or `None`.
        odd_turns: For a tensor `k` only: whether it may hold odd values (90 and 270
            degrees). `False` skips the transpose, so non-square images can be turned by
            0 or 180 degrees per sample; `k` must then hold even values only.

    Returns:
        The rotated images, dtype of `images`.

    Examples:
        >>> import numpy as np
        >>> from rotkeras import ops
        >>> x = np.random.rand(3, 4, 4, 1).astype("float32")
        >>> y = ops.rot90(x, np.array([0, 1, 3], "int32"), data_format="channels_last")
        >>> bool(np.all(np.asarray(y)[2] == np.rot90(x[2], 3)))
        True
    """
    data_format = check.check_data_format(data_format)
    images = ops.convert_to_tensor(images)
    rank = check.check_rank(
        images, "images", (3, 4),
        "a rank-3 (height, width, channels) or rank-4 (batch, height, width, channels) tensor",
    )
    h_axis, w_axis = check.spatial_axes(rank, data_format)
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        return _rot90_fixed(images, int(k), h_axis, w_axis)
    check.check_bool(odd_turns, "odd_turns")
    k = _turns_tensor(k)
    _check_one_per_image(images if rank == 4 else images[None], k, "k")
    if odd_turns:
        images = check.check_square_tensor(images, data_format, "rot90 with per-sample turns")
    if rank == 3:
        out = _rot90_per_sample(images[None], k, h_axis + 1, w_axis + 1, odd_turns)
        return out[0]
    return _rot90_per_sample(images, k, h_axis, w_axis, odd_turns)


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


def _turns_tensor(k: Any) -> Any:
    if isinstance(k, bool) or isinstance(k, (float, str)):
        raise check.ArgumentTypeError(
            f"`k` must be an integer or an integer tensor; received k={k!r} "
            f"of type {type(k).__name__}"
        )
    k = ops.convert_to_tensor(k)
    dtype = keras.backend.standardize_dtype(k.dtype)
    if "int" not in dtype:
        raise check.ArgumentTypeError(f"`k` must have an integer dtype; received dtype {dtype!r}")
    if len(k.shape) > 1:
        raise ValueError(
            f"`k` must be a scalar or have shape (batch,); received shape {tuple(k.shape)}"
        )
    return k


def _rot90_fixed(images: Any, k: int, h_axis: int, w_axis: int) -> Any:
    """Fixed quarter turns as a transpose and a flip (both exact, any shape)."""
    k %= 4
    if k == 0:
        return images
    if k == 2:
        return ops.flip(ops.flip(images, axis=h_axis), axis=w_axis)
    perm = list(range(len(images.shape)))
    perm[h_axis], perm[w_axis] = w_axis, h_axis
    # np.rot90: k=1 flips the rows of the transpose, k=3 its columns.
    return ops.flip(ops.transpose(images, perm), axis=h_axis if k == 1 else w_axis)


def _rot90_per_sample(images: Any, k: Any, h_axis: int, w_axis: int, odd_turns: bool) -> Any:
    """Per-sample quarter turns of a rank-4 batch, selected per sample with `where`."""
    # mod twice: 0..3 also where an exported graph's modulo keeps the sign (ONNX).
    k = ops.reshape(ops.mod(ops.mod(ops.cast(k, "int32"), 4) + 4, 4), (-1, 1, 1, 1))
    out = images
    if odd_turns:
        perm = [0, 1, 2, 3]
        perm[h_axis], perm[w_axis] = w_axis, h_axis
        out = ops.where(ops.equal(ops.mod(k, 2), 1), ops.transpose(out, perm), out)
    # np.rot90: k=1 flips the rows of the transpose, k=2 both axes, k=3 the columns of
    # the transpose.
    flip_rows = ops.logical_or(ops.equal(k, 1), ops.equal(k, 2))
    flip_cols = ops.logical_or(ops.equal(k, 2), ops.equal(k, 3))
    out = ops.where(flip_rows, ops.flip(out, axis=h_axis), out)
    return ops.where(flip_cols, ops.flip(out, axis=w_axis), out)


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
    top = ops.max(safe, axis=-1, keepdims=True)
    classes = safe.shape[-1]
    if classes is None:  # a class count known only at run time
        index = ops.cast(ops.argmax(safe, axis=-1), "int32")
        return ops.where(finite, index, ops.zeros_like(index))
    positions = ops.arange(classes, dtype="float32")
    first = ops.min(ops.where(safe >= top, positions, float(classes)), axis=-1)
    index = ops.cast(first, "int32")
    return ops.where(finite, index, ops.zeros_like(index))


# ----------------------------------------------------------------------- any angle
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
    batch = images if rank == 4 else images[None]
    h_axis, w_axis = check.spatial_axes(4, data_format)
    height, width = batch.shape[h_axis], batch.shape[w_axis]
    # Quarter turns keep the frame only on square images; elsewhere half turns.
    square = height is not None and height == width
    step = 90.0 if square else 180.0
    resample = {"interpolation": interpolation, "fill_mode": fill_mode,
                "fill_value": fill_value, "data_format": data_format}
    if isinstance(angles, numbers.Real) and not isinstance(angles, bool):
        angle = check.check_number(angles, "angles")
        turns = round(angle / step)
        residual = angle - step * turns
        out = _rot90_fixed(batch, int(turns * step // 90), h_axis, w_axis)
        if residual != 0.0:
            out = _resample(out, residual, **resample)
    else:
        angles = _angles_tensor(angles, batch)
        turns = ops.round(angles / step)
        residual = angles - step * turns
        k = ops.cast(turns, "int32") * int(step // 90)
        exact = _rot90_per_sample(batch, k, h_axis, w_axis, odd_turns=square)
        rotated = _resample(exact, residual, **resample)
        out = ops.where(ops.reshape(ops.equal(residual, 0.0), (-1, 1, 1, 1)), exact, rotated)
    return out if rank == 4 else out[0]


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


def _cos_sin(angles: Any) -> tuple[Any, Any]:
    """Cosine and sine of `angles` degrees, exactly 0 and +-1 at right angles."""
    angles = ops.convert_to_tensor(angles, "float32")
    turns = ops.round(angles / 90.0)
    radians = (angles - 90.0 * turns) * (math.pi / 180.0)
    cos_r, sin_r = ops.cos(radians), ops.sin(radians)
    index = ops.cast(ops.mod(turns, 4.0), "int32")
    cos_q = ops.take(ops.convert_to_tensor([1.0, 0.0, -1.0, 0.0]), index)
    sin_q = ops.take(ops.convert_to_tensor([0.0, 1.0, 0.0, -1.0]), index)
    return cos_q * cos_r - sin_q * sin_r, sin_q * cos_r + cos_q * sin_r


def _source_coordinates(angles: Any, height: Any, width: Any) -> tuple[Any, Any]:
    """Input `(row, col)` read by every output pixel; `(H, W)` or `(batch, H, W)`.

    An output pixel `(x, y)` (column, row) reads the input point
    `(cos x - sin y + cx - cos cx + sin cy, sin x + cos y + cy - sin cx - cos cy)`, as
    the rows of `keras.ops.image.affine_transform`'s transforms.
    """
    cos, sin = _cos_sin(angles)
    cos, sin = cos[..., None, None], sin[..., None, None]
    cy = (ops.cast(height, "float32") - 1.0) / 2.0
    cx = (ops.cast(width, "float32") - 1.0) / 2.0
    rows = ops.arange(height, dtype="float32")[:, None] - cy
    cols = ops.arange(width, dtype="float32")[None, :] - cx
    return sin * cols + cos * rows + cy, cos * cols - sin * rows + cx


def _fill_index(index: Any, size: int, fill_mode: str) -> tuple[Any, Any]:
    """Maps pixel indices to `[0, size)` by `fill_mode`; also returns which were inside."""
    inside = ops.logical_and(index >= 0, index < size)
    if fill_mode == "wrap":
        index = ops.mod(index, size)
    elif fill_mode == "reflect":
        index = ops.mod(index, 2 * size)
        index = ops.where(index >= size, 2 * size - 1 - index, index)
    else:  # "constant" (inside decides) and "nearest"
        index = ops.clip(index, 0, size - 1)
    return index, inside


def _resample(
    images: Any,
    angles: Any,
    *,
    interpolation: str,
    fill_mode: str,
    fill_value: float,
    data_format: str,
) -> Any:
    """Resamples a rank-4 batch rotated by `angles` (a Python number or `(batch,)`)."""
    if data_format == "channels_first":
        out = _resample(ops.transpose(images, (0, 2, 3, 1)), angles,
                        interpolation=interpolation, fill_mode=fill_mode,
                        fill_value=fill_value, data_format="channels_last")
        return ops.transpose(out, (0, 3, 1, 2))
    height, width, channels = images.shape[1], images.shape[2], images.shape[3]
    shape = ops.shape(images)
    if height is None or width is None:
        height, width = shape[1], shape[2]
    shared = isinstance(angles, float)  # one angle: the same coordinates for every image
    src_y, src_x = _source_coordinates(angles, height, width)
    if interpolation == "nearest":
        offsets, weights = [(0, 0)], None
        y0, x0 = ops.floor(src_y + 0.5), ops.floor(src_x + 0.5)
    else:
        offsets = [(0, 0), (0, 1), (1, 0), (1, 1)]
        y0, x0 = ops.floor(src_y), ops.floor(src_x)
        fy, fx = src_y - y0, src_x - x0
        weights = [(1.0 - fy) * (1.0 - fx), (1.0 - fy) * fx, fy * (1.0 - fx), fy * fx]
    y0, x0 = ops.cast(y0, "int32"), ops.cast(x0, "int32")
    indices, inside = [], []
    for dy, dx in offsets:
        rows, rows_in = _fill_index(y0 + dy, height, fill_mode)
        cols, cols_in = _fill_index(x0 + dx, width, fill_mode)
        indices.append(rows * width + cols)
        inside.append(ops.logical_and(rows_in, cols_in))
    # One gather reads every neighbour of every output pixel.
    index = ops.stack(indices, axis=-3)  # (..., neighbours, H, W)
    if shared:
        values = ops.take(ops.reshape(images, (shape[0], -1, shape[3])),
                          ops.reshape(index, (-1,)), axis=1)
    else:
        pixels = height * width
        index = index + ops.reshape(ops.arange(shape[0], dtype="int32") * pixels, (-1, 1, 1, 1))
        values = ops.take(ops.reshape(images, (-1, shape[3])), ops.reshape(index, (-1,)), axis=0)
    values = ops.reshape(values, (shape[0], len(offsets), height, width, channels or shape[3]))
    inside = ops.stack(inside, axis=-3)[..., None]
    if shared:
        inside = inside[None]
    dtype = keras.backend.standardize_dtype(images.dtype)
    if weights is None:  # nearest: the read values themselves, in the input's dtype
        if fill_mode == "constant":
            fill = ops.cast(ops.convert_to_tensor(fill_value), dtype)
            values = ops.where(inside, values, fill)
        return values[:, 0]
    compute = dtype if dtype in ("float32", "float64") else "float32"
    values = ops.cast(values, compute)
    if fill_mode == "constant":
        values = ops.where(inside, values, ops.cast(fill_value, compute))
    weight = ops.cast(ops.stack(weights, axis=-3)[..., None], compute)
    if shared:
        weight = weight[None]
    out = ops.sum(values * weight, axis=1)
    if "int" in dtype:
        info = np.iinfo(dtype)
        out = ops.clip(ops.round(out), float(info.min), float(info.max))
    return ops.cast(out, dtype)


# ------------------------------------------------------------------- bounding boxes
def rotate_bounding_boxes(
    boxes: Any,
    angles: Any,
    *,
    height: Any,
    width: Any,
    bounding_box_format: str = "xyxy",
) -> Any:
    """Rotates bounding boxes with their image (`rotate` and `rot90` conventions).

    Each box becomes the smallest axis-aligned box enclosing its four rotated corners.
    At right angles that is the rotated box itself, exactly (`rot90` of a square image
    maps a box onto the pixels its content moved to). Boxes are not clipped to the
    frame: at other angles, or 90/270 degrees of a non-square image, they may reach
    outside it (clip them with `keras.utils.bounding_boxes.clip_to_image_size`).

    Args:
        boxes: Float tensor `(batch, num_boxes, 4)` or `(num_boxes, 4)` in
            `bounding_box_format`.
        angles: Degrees counter-clockwise: a Python number or a tensor of shape
            `(batch,)` (or a scalar tensor).
        height: Height of the image the boxes belong to (int or scalar tensor).
        width: Width of the image (int or scalar tensor).
        bounding_box_format: A Keras bounding-box format (`"xyxy"`, `"rel_xyxy"`,
            `"xywh"`, `"center_xywh"`, `"yxyx"`, ...; see
            `keras.utils.bounding_boxes.convert_format`).

    Returns:
        float32 boxes, same shape and format.

    Examples:
        >>> import numpy as np
        >>> from rotkeras import ops
        >>> box = np.array([[2.0, 1.0, 6.0, 3.0]])  # xyxy in an 8x8 image
        >>> np.asarray(ops.rotate_bounding_boxes(box, 90, height=8, width=8)).tolist()
        [[1.0, 2.0, 3.0, 6.0]]
    """
    if not isinstance(bounding_box_format, str):
        raise check.ArgumentTypeError(
            "`bounding_box_format` must be a Keras bounding-box format name such as 'xyxy'; "
            f"received bounding_box_format={bounding_box_format!r}"
        )
    check.check_choice(bounding_box_format, "bounding_box_format", BOUNDING_BOX_FORMATS)
    for name, size in (("height", height), ("width", width)):
        if isinstance(size, numbers.Number):
            if check.check_number(size, name) <= 0:
                raise ValueError(f"`{name}` must be positive (the image's size in pixels); "
                                 f"received {name}={size!r}")
        elif not check._is_symbolic(size):
            check.check_at_run_time(
                ops.all(ops.convert_to_tensor(size) > 0),
                f"`{name}` must be positive (the image's size in pixels)",
            )
    convert = keras.utils.bounding_boxes.convert_format
    boxes = ops.cast(ops.convert_to_tensor(boxes), "float32")
    rank = check.check_rank(
        boxes, "boxes", (2, 3), "(batch, num_boxes, 4) or (num_boxes, 4)"
    )
    if boxes.shape[-1] not in (None, 4):
        raise ValueError(f"`boxes` must have 4 coordinates; received shape {tuple(boxes.shape)}")
    xyxy = convert(boxes, source=bounding_box_format, target="xyxy", height=height, width=width)
    if isinstance(angles, numbers.Real) and not isinstance(angles, bool):
        angles = check.check_number(angles, "angles")
    else:
        angles = ops.cast(ops.convert_to_tensor(angles), "float32")
        if len(angles.shape) > 1 or (rank == 2 and len(angles.shape) == 1
                                     and angles.shape[0] not in (None, 1)):
            raise ValueError(
                "`angles` must be a scalar or have one angle per image (batch,); received "
                f"angles of shape {tuple(angles.shape)} for boxes of shape {tuple(boxes.shape)}"
            )
        if len(angles.shape) == 1 and rank == 3:
            _check_one_per_image(boxes, angles, "angles", "boxes")
            angles = angles[:, None]
    cos, sin = _cos_sin(angles)
    cx = ops.cast(width, "float32") / 2.0
    cy = ops.cast(height, "float32") / 2.0
    xs = [xyxy[..., 0] - cx, xyxy[..., 2] - cx]
    ys = [xyxy[..., 1] - cy, xyxy[..., 3] - cy]
    new_x = [cos * x + sin * y for x in xs for y in ys]
    new_y = [cos * y - sin * x for x in xs for y in ys]

    def extent(values: list[Any]) -> tuple[Any, Any]:
        low, high = values[0], values[0]
        for value in values[1:]:
            low, high = ops.minimum(low, value), ops.maximum(high, value)
        return low, high

    x1, x2 = extent(new_x)
    y1, y2 = extent(new_y)
    rotated = ops.stack([x1 + cx, y1 + cy, x2 + cx, y2 + cy], axis=-1)
    return convert(rotated, source="xyxy", target=bounding_box_format, height=height,
                   width=width)
