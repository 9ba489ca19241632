"""Keras layers of rotkeras."""

from rotkeras.layers.random_right_angle_rotation import RandomRightAngleRotation
from rotkeras.layers.right_angle_rotation import RightAngleRotation

__all__ = [
    "RandomRightAngleRotation",
    "RightAngleRotation",
]
