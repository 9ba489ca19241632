"""Model factories and compositions of rotkeras."""

from rotkeras.models._common import compile_classifier, compile_joint
from rotkeras.models.angle_classifier import angle_classifier
from rotkeras.models.digit_reader import digit_found, digit_reader
from rotkeras.models.export import export_model
from rotkeras.models.mnist_cnn import mnist_cnn
from rotkeras.models.orientation_corrected import orientation_corrected
from rotkeras.models.photo_input import embedded_preprocess, takes_photos
from rotkeras.models.rotation_robust_cnn import rotation_robust_cnn

__all__ = [
    "angle_classifier",
    "compile_classifier",
    "compile_joint",
    "digit_found",
    "digit_reader",
    "embedded_preprocess",
    "export_model",
    "mnist_cnn",
    "orientation_corrected",
    "rotation_robust_cnn",
    "takes_photos",
]
