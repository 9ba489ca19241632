"""Layers that rotate images (and their masks and boxes) by right angles or any angle."""

from rotkeras.layers.rotation.random_any_angle_rotation import RandomAnyAngleRotation
from rotkeras.layers.rotation.random_right_angle_rotation import RandomRightAngleRotation
from rotkeras.layers.rotation.right_angle_rotation import RightAngleRotation

__all__ = ["RandomAnyAngleRotation", "RandomRightAngleRotation", "RightAngleRotation"]
