"""Keras layers of rotkeras, one subpackage per family.

- `rotkeras.layers.rotation`: `RandomRightAngleRotation`, `RandomAnyAngleRotation`,
  `RightAngleRotation`;
- `rotkeras.layers.orientation`: `OrientationCorrection`, `PredictedAngle`;
- `rotkeras.layers.handwriting`: `HandwritingPreprocess`, `RandomStrokeWidth`;
- `rotkeras.layers.p4`: the rotation-equivariant p4 layers.

Every layer is importable from here (`from rotkeras.layers import P4Conv2D`).
"""

from rotkeras.layers.handwriting import HandwritingPreprocess, RandomStrokeWidth
from rotkeras.layers.orientation import OrientationCorrection, PredictedAngle
from rotkeras.layers.p4 import (
    P4AveragePooling2D,
    P4BatchNormalization,
    P4Conv2D,
    P4MaxPooling2D,
    P4OrientationHead,
    P4Pooling2D,
    P4RotationPooling,
)
from rotkeras.layers.rotation import (
    RandomAnyAngleRotation,
    RandomRightAngleRotation,
    RightAngleRotation,
)

__all__ = [
    # handwriting
    "HandwritingPreprocess", "RandomStrokeWidth",
    # orientation
    "OrientationCorrection", "PredictedAngle",
    # p4
    "P4AveragePooling2D", "P4BatchNormalization", "P4Conv2D", "P4MaxPooling2D",
    "P4OrientationHead", "P4Pooling2D", "P4RotationPooling",
    # rotation
    "RandomAnyAngleRotation", "RandomRightAngleRotation", "RightAngleRotation",
]
