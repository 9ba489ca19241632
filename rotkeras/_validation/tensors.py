"""Checks of shapes and tensors: static shapes and dtypes, and run-time checks in graphs.

They read only static shapes and dtypes, so they work on every backend, on symbolic
`KerasTensor`s and inside traced functions; where a size is known only when a TensorFlow
graph runs, `check_at_run_time` adds an assertion (see `rotkeras._backend`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rotkeras._validation.scalars import ArgumentTypeError, _is_int


def check_class_labels(labels: Any, num_classes: int, name: str) -> Any:
    """Raises unless every integer label of the tensor `labels` is in `[0, num_classes)`.

    Checked at once for concrete values and at run time inside a TensorFlow graph (see
    `check_at_run_time`); returns `labels`, guarded.
    """
    from keras import ops

    labels = ops.convert_to_tensor(labels)
    if _is_symbolic(labels):
        return labels
    inside = ops.all(ops.logical_and(labels >= 0, labels < num_classes))
    (labels,) = check_at_run_time(
        inside, f"`{name}` must hold class labels in [0, {num_classes - 1}]; received a label "
        "outside that range", guard=[labels],
    )
    return labels


def check_image_shape(value: object, name: str, min_size: int = 1) -> tuple[int, int, int]:
    """Checks a `(height, width, channels)` shape argument and returns it as ints."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ArgumentTypeError(
            f"`{name}` must be a (height, width, channels) tuple; received {name}={value!r}"
        )
    if len(value) != 3:
        raise ValueError(
            f"`{name}` must be a (height, width, channels) tuple; received {name}={value!r}"
        )
    if not all(_is_int(dim) for dim in value):
        raise ArgumentTypeError(f"`{name}` must contain integers; received {name}={value!r}")
    if any(dim < 1 for dim in value):
        raise ValueError(f"`{name}` must contain positive integers; received {name}={value!r}")
    if value[0] < min_size or value[1] < min_size:
        raise ValueError(
            f"`{name}` must have height and width of at least {min_size}; "
            f"received {name}={value!r}"
        )
    return int(value[0]), int(value[1]), int(value[2])


def spatial_axes(rank: int, data_format: str) -> tuple[int, int]:
    """Height and width axes of a rank-3 (unbatched) or rank-4 image tensor."""
    first = rank - 3 + (1 if data_format == "channels_first" else 0)
    return first, first + 1


def spatial_size(shape: Sequence[Any], data_format: str) -> tuple[Any, Any]:
    """Static `(height, width)` of an image tensor's shape (entries may be `None`)."""
    h_axis, w_axis = spatial_axes(len(shape), data_format)
    return shape[h_axis], shape[w_axis]


_NUMERIC_DTYPE_PREFIXES = ("float", "int", "uint", "bfloat")


def check_numeric_dtype(x: Any, name: str) -> str:
    """Returns the standardized dtype of tensor `x`; `ArgumentTypeError` unless numeric."""
    import keras

    dtype = keras.backend.standardize_dtype(x.dtype)
    if dtype == "bool" or not dtype.startswith(_NUMERIC_DTYPE_PREFIXES):
        raise ArgumentTypeError(f"`{name}` must have a numeric dtype; received dtype {dtype!r}")
    return dtype


def check_rank(x: Any, name: str, ranks: Sequence[int], what: str) -> int:
    """Returns the rank of `x`, which must be one of `ranks` (`what` describes them)."""
    rank = len(x.shape)
    if rank not in ranks:
        raise ValueError(f"`{name}` must be {what}; received shape {tuple(x.shape)}")
    return rank


def check_image_tensor(x: Any, name: str = "images") -> int:
    """Checks an image tensor: rank 3 or 4, numeric dtype; returns the rank.

    An empty batch is valid (Keras' rule for its preprocessing layers: an empty batch in,
    an empty batch out).
    """
    rank = check_rank(
        x, name, (3, 4),
        "a rank-3 (height, width, channels) or rank-4 (batch, height, width, channels) tensor",
    )
    check_numeric_dtype(x, name)
    return rank


def check_square(shape: Sequence[Any], data_format: str, what: str) -> None:
    """Raises if the static height and width of an image tensor's `shape` are known and differ."""
    _check_square(*spatial_size(shape, data_format), shape, what)


def check_square_tensor(x: Any, data_format: str, what: str) -> Any:
    """`check_square` on the static shape, and at run time where height or width is unknown.

    Returns `x`, which inside a `tf.function` or `tf.data` graph with an unknown height or
    width carries a TensorFlow assertion with the same message (raised when the graph runs,
    before anything computed from the returned tensor): use the returned tensor.
    """
    check_square(x.shape, data_format, what)
    height, width = spatial_size(x.shape, data_format)
    if (height is None or width is None) and not _is_symbolic(x):
        from keras import ops

        h_axis, w_axis = spatial_axes(len(x.shape), data_format)
        shape = ops.shape(x)
        (x,) = check_at_run_time(
            ops.equal(shape[h_axis], shape[w_axis]),
            f"{what} needs square images (height == width) for 90/270-degree rotations; "
            "received images of another height and width (height, width) =",
            [shape[h_axis], shape[w_axis]],
            guard=[x],
        )
    return x


def check_same_images(
    images: Any, other: Any, name: str, data_format: str, *, spatial: bool = True
) -> tuple[Any, Any]:
    """Raises unless `other` has the batch size (and height and width) of `images`.

    Compares static sizes where both are known, and at run time (see `check_square_tensor`)
    where one is only known then. Returns `(images, other)`, guarded by the run-time check.
    """
    rank = len(images.shape)
    axes = [0] if rank == 4 else []
    if spatial:
        axes += list(spatial_axes(rank, data_format))
    if len(other.shape) != rank:
        raise ValueError(
            f"`{name}` must match the images (shape {tuple(images.shape)}); received shape "
            f"{tuple(other.shape)}"
        )
    symbolic = _is_symbolic(images) or _is_symbolic(other)
    for axis in axes:
        what = "batch size" if axis == 0 and rank == 4 else "height and width"
        images, other = _check_same_size(images, other, axis, axis, symbolic, (
            f"`{name}` must have the {what} of the images; received {name} of shape "
            f"{tuple(other.shape)} for images of shape {tuple(images.shape)}"
        ))
    return images, other


def check_same_batch(images: Any, other: Any, name: str) -> tuple[Any, Any]:
    """Raises unless `other` has one entry per image of `images`; returns both, guarded."""
    symbolic = _is_symbolic(images) or _is_symbolic(other)
    return _check_same_size(images, other, 0, 0, symbolic, (
        f"`{name}` must have one entry per image; received {name} of shape "
        f"{tuple(other.shape)} for images of shape {tuple(images.shape)}"
    ))


def _check_same_size(
    a: Any, b: Any, axis_a: int, axis_b: int, symbolic: bool, message: str
) -> tuple[Any, Any]:
    size_a, size_b = a.shape[axis_a], b.shape[axis_b]
    if size_a is not None and size_b is not None:
        if size_a != size_b:
            raise ValueError(message)
        return a, b
    if symbolic:
        return a, b
    from keras import ops

    dim_a, dim_b = ops.shape(a)[axis_a], ops.shape(b)[axis_b]
    a, b = check_at_run_time(ops.equal(dim_a, dim_b), message + "; sizes", [dim_a, dim_b],
                             guard=[a, b])
    return a, b


def _is_symbolic(x: Any) -> bool:
    import keras

    return isinstance(x, keras.KerasTensor)


def check_at_run_time(
    condition: Any, message: str, values: Sequence[Any] = (), guard: Sequence[Any] = ()
) -> list[Any]:
    """Raises `ValueError(message)` when the scalar boolean tensor `condition` is false.

    Concrete (eager) values are checked at once; inside a TensorFlow graph the check is an
    assertion that raises `InvalidArgumentError` (with `message` and `values`) when the
    graph runs. Returns the tensors `guard`, which inside a graph depend on the assertion
    (so it runs before anything computed from them). JAX traces have static shapes, so
    only values (not shapes) go unchecked under `jax.jit`.
    """
    from rotkeras import _backend

    return _backend.assert_at_run_time(condition, message, values, guard)


def check_square_array(array: np.ndarray, what: str) -> None:
    """Raises unless the images of a `(N, H, W)` or `(N, H, W, C)` array are square."""
    _check_square(array.shape[1], array.shape[2], array.shape, what)


def _check_square(height: Any, width: Any, shape: Sequence[Any], what: str) -> None:
    if height is not None and width is not None and height != width:
        raise ValueError(
            f"{what} needs square images (height == width) for 90/270-degree rotations; "
            f"received images of shape {tuple(shape)} (height={height}, width={width}). "
            "Use only 0/180-degree angles for non-square images."
        )
