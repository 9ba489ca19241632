"""Rotation by quarter turns: exact, pixels permuted (internal; see `rotkeras.ops`)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import keras
from keras import ops

from rotkeras import _validation as check
from rotkeras.ops._common import _check_one_per_image


def rotate_quarter_turns(
    images: Any,
    quarter_turns: Any = 1,
    *,
    data_format: str | None = None,
    odd_quarter_turns: bool = True,
) -> Any:
    """Rotates images by quarter turns counter-clockwise, exactly (pixels are permuted).

    With an integer `quarter_turns` every image turns by that many quarter turns (90
    degrees each), like `np.rot90(image, quarter_turns)` on the height and width axes: an
    odd number swaps height and width of a non-square image. With a tensor of shape
    `(batch,)` each image turns by its own number of quarter turns: the output then has
    the input's shape, so odd values need square images. Per-sample turns are computed as
    one transpose and two flips, each selected per sample with `where` (no gathers), which
    compiles under XLA and `jax.jit`.

    Named so as not to shadow `keras.ops.rot90(array, k, axes)`, which turns any two axes
    of any array; this one turns images (`data_format`), per sample, and unlike
    `keras.ops.rot90` (Keras 3.15) is correct for non-square images on every backend.

    Args:
        images: Rank-3 or rank-4 image tensor (any dtype).
        quarter_turns: Number of quarter turns counter-clockwise: a Python integer (any,
            e.g. `-1`), or an integer tensor of shape `(batch,)` (or a scalar tensor) for
            per-sample turns.
        data_format: `"channels_last"` or `"channels_first"`, or `None`.
        odd_quarter_turns: For a tensor `quarter_turns` only: whether it may hold odd
            values (90 and 270 degrees). `False` skips the transpose, so non-square images
            can be turned by 0 or 180 degrees per sample; `quarter_turns` must then hold
            even values only.

    Returns:
        The rotated images, dtype of `images`.

    Examples:
        >>> import numpy as np
        >>> from rotkeras import ops
        >>> x = np.random.rand(3, 4, 4, 1).astype("float32")
        >>> y = ops.rotate_quarter_turns(x, np.array([0, 1, 3], "int32"),
        ...                              data_format="channels_last")
        >>> bool(np.all(np.asarray(y)[2] == np.rot90(x[2], 3)))
        True
    """
    return _rotate_checking(images, quarter_turns, data_format, odd_quarter_turns,
                            ("quarter_turns", "odd_quarter_turns", "rotate_quarter_turns"))


def rot90(images: Any, k: Any = 1, *, data_format: str | None = None,
          odd_turns: bool = True) -> Any:
    """Deprecated: `rotate_quarter_turns(images, k, odd_quarter_turns=odd_turns)`.

    The former name shadowed `keras.ops.rot90(array, k, axes)`, which has another
    signature. Works as before and warns with a `DeprecationWarning`.
    """
    warnings.warn(
        "rotkeras.ops.rot90 is deprecated; use rotkeras.ops.rotate_quarter_turns(images, "
        "quarter_turns, ...) (odd_turns is now odd_quarter_turns)",
        DeprecationWarning,
        stacklevel=2,
    )
    return _rotate_checking(images, k, data_format, odd_turns, ("k", "odd_turns", "rot90"))


def _rotate_checking(
    images: Any, turns: Any, data_format: str | None, odd: bool, names: tuple[str, str, str]
) -> Any:
    """`rotate_quarter_turns` with its arguments checked; `names` are the caller's names
    of the turns, of the odd-turns flag and of the function (for the messages)."""
    turns_name, odd_name, function = names
    data_format = check.check_data_format(data_format)
    images = ops.convert_to_tensor(images)
    rank = check.check_rank(
        images, "images", (3, 4),
        "a rank-3 (height, width, channels) or rank-4 (batch, height, width, channels) tensor",
    )
    h_axis, w_axis = check.spatial_axes(rank, data_format)
    if isinstance(turns, numbers.Integral) and not isinstance(turns, bool):
        return _quarter_turns_fixed(images, int(turns), h_axis, w_axis)
    check.check_bool(odd, odd_name)
    turns = _turns_tensor(turns, turns_name)
    _check_one_per_image(images if rank == 4 else images[None], turns, turns_name)
    if odd:
        images = check.check_square_tensor(images, data_format,
                                           f"{function} with per-sample turns")
    if rank == 3:
        out = _quarter_turns_per_sample(images[None], turns, h_axis + 1, w_axis + 1, odd)
        return out[0]
    return _quarter_turns_per_sample(images, turns, h_axis, w_axis, odd)


def _turns_tensor(turns: Any, name: str) -> Any:
    if isinstance(turns, bool) or isinstance(turns, (float, str)):
        raise check.ArgumentTypeError(
            f"`{name}` must be an integer or an integer tensor; received {name}={turns!r} "
            f"of type {type(turns).__name__}"
        )
    turns = ops.convert_to_tensor(turns)
    dtype = keras.backend.standardize_dtype(turns.dtype)
    if "int" not in dtype:
        raise check.ArgumentTypeError(
            f"`{name}` must have an integer dtype; received dtype {dtype!r}"
        )
    if len(turns.shape) > 1:
        raise ValueError(
            f"`{name}` must be a scalar or have shape (batch,); received shape "
            f"{tuple(turns.shape)}"
        )
    return turns


def rotate_quarter_turns_checked(
    images: Any, k: Any, data_format: str, odd_turns: bool = True, xp: Any = ops
) -> Any:
    """`rotate_quarter_turns` of a validated image tensor (rank 3 or 4, square where
    needed), written with the ops namespace `xp` (`keras.ops`, or TensorFlow's inside
    `tf.data`)."""
    rank = len(images.shape)
    h_axis, w_axis = check.spatial_axes(rank, data_format)
    if isinstance(k, numbers.Integral) and not isinstance(k, bool):
        return _quarter_turns_fixed(images, int(k), h_axis, w_axis, xp)
    if rank == 3:
        return _quarter_turns_per_sample(images[None], k, h_axis + 1, w_axis + 1, odd_turns, xp)[0]
    return _quarter_turns_per_sample(images, k, h_axis, w_axis, odd_turns, xp)


def _quarter_turns_fixed(images: Any, k: int, h_axis: int, w_axis: int, xp: Any = ops) -> Any:
    """Fixed quarter turns as a transpose and a flip (both exact, any shape)."""
    k %= 4
    if k == 0:
        return images
    if k == 2:
        return xp.flip(xp.flip(images, axis=h_axis), axis=w_axis)
    perm = list(range(len(images.shape)))
    perm[h_axis], perm[w_axis] = w_axis, h_axis
    # np.rot90: k=1 flips the rows of the transpose, k=3 its columns.
    return xp.flip(xp.transpose(images, perm), axis=h_axis if k == 1 else w_axis)


def _quarter_turns_per_sample(
    images: Any, k: Any, h_axis: int, w_axis: int, odd_turns: bool, xp: Any = ops
) -> Any:
    """Per-sample quarter turns of a rank-4 batch, selected per sample with `where`."""
    # mod twice: 0..3 also where an exported graph's modulo keeps the sign (ONNX).
    k = xp.reshape(xp.mod(xp.mod(xp.cast(k, "int32"), 4) + 4, 4), (-1, 1, 1, 1))
    out = images
    if odd_turns:
        perm = [0, 1, 2, 3]
        perm[h_axis], perm[w_axis] = w_axis, h_axis
        out = xp.where(xp.equal(xp.mod(k, 2), 1), xp.transpose(out, perm), out)
    # np.rot90: k=1 flips the rows of the transpose, k=2 both axes, k=3 the columns of
    # the transpose.
    flip_rows = xp.logical_or(xp.equal(k, 1), xp.equal(k, 2))
    flip_cols = xp.logical_or(xp.equal(k, 2), xp.equal(k, 3))
    out = xp.where(flip_rows, xp.flip(out, axis=h_axis), out)
    return xp.where(flip_cols, xp.flip(out, axis=w_axis), out)

