"""The argument checks of `rotkeras._validation`, through the public API that uses them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rotkeras import _validation as check
from rotkeras.layers import RandomRightAngleRotation, RightAngleRotation
from tests.helpers import property_settings

NON_FINITE = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("bad", NON_FINITE)
def test_non_finite_probabilities_are_refused(bad) -> None:
    with pytest.raises(ValueError, match="finite"):
        RandomRightAngleRotation(probabilities=(bad, 0.5, 0.25, 0.25))


@pytest.mark.parametrize("seed", [2**64, 2**31, -1])
def test_seeds_outside_the_common_range_are_refused(seed) -> None:
    # 2**64 used to fail inside TensorFlow; JAX refuses negative seeds, torch >= 2**31.
    with pytest.raises(ValueError, match=rf"seed.*2\*\*31 - 1.*{seed}"):
        RandomRightAngleRotation(seed=seed)


def test_largest_seed_works() -> None:
    layer = RandomRightAngleRotation(seed=check.MAX_SEED)
    assert tuple(layer(np.zeros((2, 4, 4, 1), "float32")).shape) == (2, 4, 4, 1)


@given(st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=True, allow_infinity=True)))
@property_settings(max_examples=60)
def test_property_angles_are_accepted_exactly_when_right_angles(angle) -> None:
    ok = isinstance(angle, int) or (math.isfinite(angle) and angle % 90 == 0)
    ok = ok and angle % 90 == 0
    if ok:
        k = RightAngleRotation(angle=angle).k
        assert k == (int(angle) // 90) % 4
    else:
        with pytest.raises(ValueError, match="angle"):
            RightAngleRotation(angle=angle)


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                          st.integers(-3, 3)), min_size=1, max_size=5))
@property_settings(max_examples=60)
def test_property_probabilities_are_validated(probabilities) -> None:
    angles = (0, 90, 180, 270, -90)[: len(probabilities)]
    values = [float(p) for p in probabilities]
    valid = (
        all(math.isfinite(p) and p >= 0 for p in values)
        and abs(math.fsum(values) - 1.0) <= 1e-6
    )
    if valid:
        layer = RandomRightAngleRotation(angles=angles, probabilities=probabilities)
        assert layer.probabilities == tuple(values)
    else:
        with pytest.raises(ValueError, match="probabilities"):
            RandomRightAngleRotation(angles=angles, probabilities=probabilities)


@given(st.one_of(st.integers(), st.floats(), st.booleans(), st.text(max_size=3), st.none()))
@property_settings(max_examples=60)
def test_property_seeds_are_validated(seed) -> None:
    valid = seed is None or (
        isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed <= 2**31 - 1
    )
    if valid:
        assert RandomRightAngleRotation(seed=seed).seed == seed
    else:
        with pytest.raises(ValueError, match="seed"):
            RandomRightAngleRotation(seed=seed)


def test_array_arguments_are_sequences_too() -> None:
    layer = RandomRightAngleRotation(angles=np.array([0, 180]), probabilities=np.array([0.5, 0.5]))
    assert layer.angles == (0, 180) and layer.probabilities == (0.5, 0.5)
