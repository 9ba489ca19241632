"""Model factories and compositions of rotkeras."""

from rotkeras.models.mnist_cnn import compile_classifier, mnist_cnn

__all__ = [
    "compile_classifier",
    "mnist_cnn",
]
