"""rotkeras: Keras 3 layers and models that make handwritten-digit CNNs robust to rotation.

Submodules (`layers`, `models`, `datasets`, `metrics`) are imported on first use, so that
`import rotkeras` and the command line start without importing a Keras backend.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from rotkeras._version import __version__

_SUBMODULES = ("datasets", "layers", "metrics", "models")

if TYPE_CHECKING:  # pragma: no cover
    from rotkeras import datasets, layers, metrics, models


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"rotkeras.{name}")
    raise AttributeError(f"module 'rotkeras' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBMODULES])


__all__ = ["__version__", "datasets", "layers", "metrics", "models"]
