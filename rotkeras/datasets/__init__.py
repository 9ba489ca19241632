"""Data sets: MNIST, rotated test sets and photos of handwritten digits."""

from rotkeras.datasets.mnist import load_mnist, to_float_images
from rotkeras.datasets.photos import collect_files, letterbox, load_image_folder, read_image
from rotkeras.datasets.rotated import (
    RotatedSet,
    angle_dataset,
    combined_test_set,
    rotate_images,
    rotate_right_angles,
)
from rotkeras.datasets.synthetic_photos import make_synthetic_photos
from rotkeras.datasets.turned_batches import TurnedBatches

__all__ = [
    "RotatedSet",
    "TurnedBatches",
    "angle_dataset",
    "collect_files",
    "combined_test_set",
    "letterbox",
    "load_image_folder",
    "load_mnist",
    "make_synthetic_photos",
    "read_image",
    "rotate_images",
    "rotate_right_angles",
    "to_float_images",
]
