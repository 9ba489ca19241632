"""Rotation-equivariant layers on the group p4 (translations and quarter turns).

p4 feature maps are `(batch, height, width, 4, channels)`: axis 3 holds the four
orientations.

Spatial pooling is `P4MaxPooling2D` or `P4AveragePooling2D` (`P4Pooling2D(mode=...)` is
deprecated); `P4RotationPooling` pools over the orientations.
"""

from rotkeras.layers.p4.p4_average_pooling2d import P4AveragePooling2D
from rotkeras.layers.p4.p4_batch_normalization import P4BatchNormalization
from rotkeras.layers.p4.p4_conv2d import P4Conv2D
from rotkeras.layers.p4.p4_max_pooling2d import P4MaxPooling2D
from rotkeras.layers.p4.p4_orientation_head import P4OrientationHead
from rotkeras.layers.p4.p4_pooling2d import P4Pooling2D
from rotkeras.layers.p4.p4_rotation_pooling import P4RotationPooling

__all__ = [
    "P4AveragePooling2D",
    "P4BatchNormalization",
    "P4Conv2D",
    "P4MaxPooling2D",
    "P4OrientationHead",
    "P4Pooling2D",
    "P4RotationPooling",
]
