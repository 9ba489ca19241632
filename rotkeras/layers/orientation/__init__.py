"""Layers that read an angle classifier's prediction: the angle, and the image turned back."""

from rotkeras.layers.orientation.orientation_correction import OrientationCorrection
from rotkeras.layers.orientation.predicted_angle import PredictedAngle

__all__ = ["OrientationCorrection", "PredictedAngle"]
