"""Keras layers of rotkeras."""

from rotkeras.layers.handwriting_preprocess import HandwritingPreprocess
from rotkeras.layers.orientation_correction import OrientationCorrection
from rotkeras.layers.p4_batch_normalization import P4BatchNormalization
from rotkeras.layers.p4_conv2d import P4Conv2D
from rotkeras.layers.p4_orientation_head import P4OrientationHead
from rotkeras.layers.p4_pooling2d import P4Pooling2D
from rotkeras.layers.p4_rotation_pooling import P4RotationPooling
from rotkeras.layers.predicted_angle import PredictedAngle
from rotkeras.layers.random_any_angle_rotation import RandomAnyAngleRotation
from rotkeras.layers.random_right_angle_rotation import RandomRightAngleRotation
from rotkeras.layers.random_stroke_width import RandomStrokeWidth
from rotkeras.layers.right_angle_rotation import RightAngleRotation

__all__ = [
    "HandwritingPreprocess",
    "OrientationCorrection",
    "P4BatchNormalization",
    "P4Conv2D",
    "P4OrientationHead",
    "P4Pooling2D",
    "P4RotationPooling",
    "PredictedAngle",
    "RandomAnyAngleRotation",
    "RandomRightAngleRotation",
    "RandomStrokeWidth",
    "RightAngleRotation",
]
