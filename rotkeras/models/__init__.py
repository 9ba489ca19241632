"""Model factories and compositions of rotkeras."""

from rotkeras.models.angle_classifier import angle_classifier
from rotkeras.models.digit_reader import digit_found, digit_reader
from rotkeras.models.mnist_cnn import compile_classifier, mnist_cnn
from rotkeras.models.orientation_corrected import orientation_corrected
from rotkeras.models.rotation_robust_cnn import rotation_robust_cnn

__all__ = [
    "angle_classifier",
    "compile_classifier",
    "digit_found",
    "digit_reader",
    "mnist_cnn",
    "orientation_corrected",
    "rotation_robust_cnn",
]
