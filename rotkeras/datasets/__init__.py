"""Data sets: MNIST, real digits (ARDIS, UCI), rotated test sets and photos of handwritten digits.

The submodules load when one of their names is first used, so reading photos
(`read_image`, `letterbox`) does not import Keras.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rotkeras.datasets.ardis import load_ardis
    from rotkeras.datasets.mnist import load_mnist, to_float_images
    from rotkeras.datasets.photos import (
        collect_files,
        letterbox,
        load_image_folder,
        read_image,
    )
    from rotkeras.datasets.rotated import (
        RotatedSet,
        angle_dataset,
        combined_test_set,
        rotate_images,
        rotate_right_angles,
    )
    from rotkeras.datasets.synthetic_numbers import make_synthetic_numbers
    from rotkeras.datasets.synthetic_photos import make_synthetic_photos
    from rotkeras.datasets.turned_batches import TurnedBatches
    from rotkeras.datasets.turned_photos import paint_turned_corners, straighten_turned_photo
    from rotkeras.datasets.uci_digits import load_uci_digits

_MODULES = {
    "RotatedSet": "rotated",
    "TurnedBatches": "turned_batches",
    "angle_dataset": "rotated",
    "collect_files": "photos",
    "combined_test_set": "rotated",
    "letterbox": "photos",
    "load_ardis": "ardis",
    "load_image_folder": "photos",
    "load_mnist": "mnist",
    "load_uci_digits": "uci_digits",
    "make_synthetic_numbers": "synthetic_numbers",
    "make_synthetic_photos": "synthetic_photos",
    "paint_turned_corners": "turned_photos",
    "read_image": "photos",
    "rotate_images": "rotated",
    "rotate_right_angles": "rotated",
    "straighten_turned_photo": "turned_photos",
    "to_float_images": "mnist",
}

__all__ = [
    "RotatedSet",
    "TurnedBatches",
    "angle_dataset",
    "collect_files",
    "combined_test_set",
    "letterbox",
    "load_ardis",
    "load_image_folder",
    "load_mnist",
    "load_uci_digits",
    "make_synthetic_numbers",
    "make_synthetic_photos",
    "paint_turned_corners",
    "read_image",
    "rotate_images",
    "rotate_right_angles",
    "straighten_turned_photo",
    "to_float_images",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'rotkeras.datasets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"rotkeras.datasets.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULES))
