"""Data sets: MNIST, rotated test sets and photos of handwritten digits."""

from rotkeras.datasets.mnist import load_mnist, to_float_images

__all__ = [
    "load_mnist",
    "to_float_images",
]
