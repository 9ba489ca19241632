"""Checks of right angles and of probabilities over them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from rotkeras._validation.scalars import ArgumentTypeError, _is_real


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
