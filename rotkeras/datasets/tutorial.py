"""The settings of the rotation tutorial that rotkeras reproduces, as public constants.

Every default of rotkeras that follows the tutorial reads these, so they are the one place
to look them up (or to pass them on explicitly).

Examples:
    >>> from rotkeras.datasets.tutorial import PHOTO_SIZE, TUTORIAL_ANGLES, TUTORIAL_TURNS
    >>> TUTORIAL_ANGLES
    (90, -90, 180)
    >>> [round(p, 3) for p in TUTORIAL_TURNS], PHOTO_SIZE
    ([0.5, 0.167, 0.167, 0.167], 256)
"""

from __future__ import annotations

TUTORIAL_ANGLES: tuple[int, ...] = (90, -90, 180)
"""The tutorial's rotated test set turns each image by one of these angles (degrees,
counter-clockwise), drawn uniformly: the default `angles` of
`rotkeras.datasets.rotate_right_angles` and of the rotated-set evaluations."""

TUTORIAL_TURNS: tuple[float, float, float, float] = (0.5, 1.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0)
"""Probabilities of 0, 1, 2 and 3 quarter turns in the tutorial's mix: upright half of
the time, each other right angle a sixth (the mix of its "combined" test set). The default
of `TurnedBatches(probabilities=...)` and of the models' `orientation_prior`."""

PHOTO_SIZE: int = 256
"""Side of the square, in pixels, that photos are letterboxed to before they are read
(`rotkeras.datasets.letterbox`, `rotkeras.datasets.make_synthetic_photos`)."""
