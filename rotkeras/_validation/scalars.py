"""Checks of scalar arguments: integers, numbers, bools, choices, seeds, data formats."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

DATA_FORMATS = ("channels_last", "channels_first")


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (a `TypeError`, and a `ValueError` for compatibility)."""


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
