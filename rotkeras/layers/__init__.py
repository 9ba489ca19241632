"""Keras layers of rotkeras."""

from rotkeras.layers.handwriting_preprocess import HandwritingPreprocess
from rotkeras.layers.orientation_correction import OrientationCorrection
from rotkeras.layers.predicted_angle import PredictedAngle
from rotkeras.layers.random_right_angle_rotation import RandomRightAngleRotation
from rotkeras.layers.right_angle_rotation import RightAngleRotation

__all__ = [
    "HandwritingPreprocess",
    "OrientationCorrection",
    "PredictedAngle",
    "RandomRightAngleRotation",
    "RightAngleRotation",
]
