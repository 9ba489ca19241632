"""Argument and tensor checks of the whole package (internal).

One rule decides the exception, everywhere in rotkeras:

- **TypeError**: the value has the wrong type: a string where a number is expected, a
  float or a bool where an integer is expected, a tensor or array of a non-numeric dtype,
  an object that is not a layer or a model where one is expected.
- **ValueError**: the type is right, the value is not: out of range, the wrong shape or
  rank, not a multiple of 90 degrees, an empty batch, an unknown option name.

Type errors are raised as `ArgumentTypeError`, a `TypeError` that is also a `ValueError`:
earlier versions raised `ValueError` for some of them, and code that catches `ValueError`
keeps working. Every message names the argument and the value (or shape, or dtype) received.

The checks that look at tensors (`check_image_tensor`, `check_square`, ...) read only
static shapes and dtypes, so they work on every backend, on symbolic `KerasTensor`s and
inside traced functions; those that look at arrays (`check_image_array`, ...) take
anything `np.asarray` accepts.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

DATA_FORMATS = ("channels_last", "channels_first")


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (a `TypeError`, and a `ValueError` for compatibility)."""


# ----------------------------------------------------------------------------- scalars
def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_int(value: object, name: str, *, minimum: int | None = None) -> int:
    """Returns `value` as an int; it must be an integer (not a bool) and `>= minimum`."""
    if not _is_int(value):
        raise ArgumentTypeError(
            f"`{name}` must be an integer; received {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if minimum is not None and value < minimum:
        raise ValueError(f"`{name}` must be at least {minimum}; received {name}={value!r}")
    return int(value)


def check_positive_int(value: object, name: str) -> int:
    """Returns `value` as an int; it must be an integer of at least 1."""
    if _is_int(value) and value < 1:
        raise ValueError(f"`{name}` must be a positive integer; received {name}={value!r}")
    if not _is_int(value):
        raise ArgumentTypeError(
            f"`{name}` must be a positive integer; received {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    return int(value)


def check_number(
    value: object,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    high_inclusive: bool = True,
) -> float:
    """Returns `value` as a float; it must be a finite real number (not a bool) in range."""
    if not _is_real(value):
        raise ArgumentTypeError(
            f"`{name}` must be a number; received {name}={value!r} of type {type(value).__name__}"
        )
    number = float(value)
    below = low is not None and number < low
    above = high is not None and (number > high if high_inclusive else number >= high)
    if not math.isfinite(number) or below or above:
        bounds = f"[{low}, {high}{']' if high_inclusive else ')'}" if low is not None else ""
        where = f" in {bounds}" if bounds else ""
        raise ValueError(f"`{name}` must be a finite number{where}; received {name}={value!r}")
    return number


def check_learning_rate(value: object, name: str = "learning_rate") -> Any:
    """Returns `value`: a positive finite number (as a float), or a Keras schedule."""
    import keras

    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule):
        return value
    what = "a positive finite number or a keras.optimizers.schedules.LearningRateSchedule"
    if not _is_real(value):
        raise ArgumentTypeError(
            f"`{name}` must be {what}; received {name}={value!r} of type {type(value).__name__}"
        )
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"`{name}` must be {what}; received {name}={value!r}")
    return number


def check_num_classes(value: object, name: str = "num_classes") -> int:
    """Returns `value` as an int of at least 2: a softmax over one class always says 1.0."""
    number = check_int(value, name)
    if number < 2:
        raise ValueError(
            f"`{name}` must be at least 2 (a softmax over a single class always outputs 1.0, "
            f"whatever the input); received {name}={value!r}"
        )
    return number


def check_byte(value: object, name: str) -> int:
    """Returns `value` as an int; it must be an integer grey level in `[0, 255]`."""
    number = check_int(value, name)
    if not 0 <= number <= 255:
        raise ValueError(f"`{name}` must be a grey level in [0, 255]; received {name}={value!r}")
    return number


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


def check_bool(value: object, name: str) -> bool:
    """Returns `value`; it must be a Python bool."""
    if not isinstance(value, bool):
        raise ArgumentTypeError(
            f"`{name}` must be a bool; received {name}={value!r} of type {type(value).__name__}"
        )
    return value


def check_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """Returns `value`; it must be one of the strings `choices`."""
    if not isinstance(value, str):
        raise ArgumentTypeError(
            f"`{name}` must be one of {tuple(choices)}; received {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {tuple(choices)}; received {name}={value!r}")
    return value


#: Largest seed every backend's random generator accepts (PyTorch's int32 seeds).
MAX_SEED = 2**31 - 1


def check_seed(value: object, name: str = "seed", *, allow_none: bool = True) -> int | None:
    """Returns `value`; an integer in `[0, MAX_SEED]` (the range every backend accepts), or None.

    JAX keys are uint32 (no negative seeds), PyTorch's seed state is int32 and TensorFlow's
    int64: the common range is `0 .. 2**31 - 1`.
    """
    if value is None and allow_none:
        return None
    if not _is_int(value):
        what = "an integer or None" if allow_none else "an integer"
        raise ArgumentTypeError(
            f"`{name}` must be {what}; received {name}={value!r} of type {type(value).__name__}"
        )
    if not 0 <= value <= MAX_SEED:
        raise ValueError(
            f"`{name}` must be in [0, {MAX_SEED}] (2**31 - 1, the range every backend "
            f"accepts); received {name}={value!r}"
        )
    return int(value)


def check_data_format(value: str | None) -> str:
    """Resolves `None` to Keras' image data format and validates the value."""
    if value is None:
        import keras

        return keras.config.image_data_format()
    return check_choice(value, "data_format", DATA_FORMATS)


# ------------------------------------------------------------------------------ angles
def right_angle_to_k(angle: object, name: str = "angle") -> int:
    """Returns the counter-clockwise quarter turns (0..3) of `angle`, a multiple of 90 degrees."""
    if not _is_real(angle):
        raise ArgumentTypeError(
            f"`{name}` must be a multiple of 90 degrees; received {name}={angle!r} "
            f"of type {type(angle).__name__}"
        )
    if not math.isfinite(float(angle)) or float(angle) % 90 != 0:
        raise ValueError(
            f"`{name}` must be a multiple of 90 degrees (e.g. 90, -90, 180); "
            f"received {name}={angle!r}"
        )
    return int(round(float(angle) / 90)) % 4


def _check_sequence(value: object, name: str, what: str) -> Sequence[Any]:
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()  # a 1-D array is a sequence too
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ArgumentTypeError(
            f"`{name}` must be a non-empty sequence of {what}; received {name}={value!r} "
            f"of type {type(value).__name__}"
        )
    if not value:
        raise ValueError(
            f"`{name}` must be a non-empty sequence of {what}; received {name}={value!r}"
        )
    return value


def right_angles_to_ks(angles: object, name: str = "angles") -> tuple[int, ...]:
    """Validates a non-empty sequence of right angles; returns their quarter turns (0..3)."""
    values = _check_sequence(angles, name, "multiples of 90 degrees")
    ks = []
    for angle in values:
        try:
            ks.append(right_angle_to_k(angle, name))
        except ArgumentTypeError:
            raise ArgumentTypeError(
                f"`{name}` must contain multiples of 90 degrees; received {name}={angles!r}"
            ) from None
        except ValueError:
            raise ValueError(
                f"`{name}` must contain multiples of 90 degrees (e.g. 90, -90, 180); "
                f"received {name}={angles!r}"
            ) from None
    return tuple(ks)


def check_probabilities(
    probabilities: object, count: int, name: str = "probabilities", *, of: str = "angles"
) -> tuple[float, ...] | None:
    """`None`, or `count` non-negative numbers summing to 1 (returned as floats)."""
    if probabilities is None:
        return None
    values = _check_sequence(probabilities, name, "probabilities")
    if not all(_is_real(p) for p in values):
        raise ArgumentTypeError(f"`{name}` must contain numbers; received {name}={probabilities!r}")
    result = tuple(float(p) for p in values)
    if len(result) != count:
        raise ValueError(
            f"`{name}` must have one entry per {of[:-1]} ({count}); received {name}={result!r}"
        )
    if not all(math.isfinite(p) for p in result):
        raise ValueError(f"`{name}` must be finite numbers; received {name}={result!r}")
    if any(p < 0 for p in result) or abs(math.fsum(result) - 1.0) > 1e-6:
        raise ValueError(f"`{name}` must be non-negative and sum to 1; received {name}={result!r}")
    return result


# ------------------------------------------------------------------------------ shapes
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


# ------------------------------------------------------------------------------ tensors
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


# ------------------------------------------------------------------------------- arrays
def check_image_array(x: Any, name: str = "x") -> np.ndarray:
    """Returns `x` as a NumPy array of images `(N, H, W)` or `(N, H, W, C)`, N > 0, numeric."""
    array = np.asarray(x)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise ArgumentTypeError(f"`{name}` must be a numeric array; received dtype {array.dtype}")
    if array.ndim not in (3, 4):
        raise ValueError(
            f"`{name}` must have shape (N, H, W) or (N, H, W, C); received shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"`{name}` is empty; received shape {array.shape}")
    return array


def check_finite_array(array: np.ndarray, name: str) -> None:
    """Raises unless every value of the numeric array `array` is finite (no NaN, no infinity).

    One vectorised pass (integer arrays are finite by type and not looked at); the message
    gives the number of non-finite values and the first sample that holds one.
    """
    if array.dtype.kind not in "fc" or array.size == 0:
        return
    finite = np.isfinite(array)
    if finite.all():
        return
    count = int(finite.size - np.count_nonzero(finite))
    where = ""
    if array.ndim >= 1:
        rows = finite.reshape(array.shape[0], -1).all(axis=1)
        where = f", the first in sample {int(np.argmin(rows))}"
    raise ValueError(
        f"`{name}` must hold finite numbers; received {count} NaN or infinite value(s){where}. "
        "One is enough to turn every weight into NaN: fix or drop those samples"
    )


def check_class_label_array(labels: Any, num_classes: int, name: str = "y") -> np.ndarray:
    """Returns `labels` as an array; integer class labels in `[0, num_classes)`, whatever the dtype.

    Float labels must be finite whole numbers. One vectorised pass (`min`, `max`): the
    backends disagree on labels out of range (JAX trains on garbage, TensorFlow fails with
    an internal error), so they are refused before training.
    """
    array = np.asarray(labels)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.number):
        raise ArgumentTypeError(
            f"`{name}` must hold integer class labels; received dtype {array.dtype}"
        )
    if array.size == 0:
        return array
    if array.dtype.kind in "fc":
        check_finite_array(array, name)
        if not np.array_equal(array, np.round(array)):
            raise ValueError(
                f"`{name}` must hold integer class labels in [0, {num_classes - 1}]; received "
                "labels with a fractional part"
            )
    low, high = array.min(), array.max()
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"`{name}` must hold class labels in [0, {num_classes - 1}] (the model has "
            f"{num_classes} classes); received labels from {low.item()} to {high.item()}"
        )
    return array


def check_labels(y: Any, count: int, name: str = "y") -> np.ndarray | None:
    """`None`, or `y` as an array with one entry per sample (`count`)."""
    if y is None:
        return None
    labels = np.asarray(y)
    if labels.ndim == 0 or labels.shape[0] != count:
        raise ValueError(
            f"`{name}` must have one label per image ({count}); received shape {labels.shape}"
        )
    return labels


def check_samples(x: Any, y: Any) -> tuple[np.ndarray, Any]:
    """`x` and `y` as arrays of the same non-zero number of samples (training data).

    `y` may also hold one label array per model output: a tuple, or a list of NumPy
    arrays, e.g. `(digits, turns)`; it is returned as a tuple of arrays, each checked.
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"`x` must be a batch of samples (rank >= 2); received shape {x.shape}")
    if x.shape[0] == 0:
        raise ValueError(f"`x` must not be empty; received shape {x.shape}")
    if is_target_tuple(y):
        if not y:
            raise ValueError("`y` must hold at least one label array; received an empty tuple")
        targets = tuple(np.asarray(t) for t in y)
        for index, target in enumerate(targets):
            if target.shape[:1] != x.shape[:1]:
                raise ValueError(
                    "`x` and every label array of `y` must have the same number of samples; "
                    f"received x.shape={x.shape} and y[{index}].shape={target.shape}"
                )
        return x, targets
    y = np.asarray(y)
    if y.shape[:1] != x.shape[:1]:
        raise ValueError(
            "`x` and `y` must have the same number of samples; received "
            f"x.shape={x.shape} and y.shape={y.shape}"
        )
    return x, y


def is_target_tuple(y: Any) -> bool:
    """Whether `y` holds one label array per output: a tuple, or a list of NumPy arrays."""
    if isinstance(y, tuple):
        return True
    return isinstance(y, list) and bool(y) and all(isinstance(t, np.ndarray) for t in y)
