"""rotkeras: Keras 3 layers and models that make handwritten-digit CNNs robust to rotation.

Submodules (`rotkeras.layers`, `rotkeras.models`, `rotkeras.ops`, ...) are imported when
first used, so `import rotkeras` is cheap and does not start a Keras backend. Models
saved with rotkeras layers still load after a plain `import rotkeras`: the layers and
metrics are registered with Keras' serialization as soon as Keras is imported (right
away if it already is), before `keras.saving.load_model` can need them.

Errors: a wrong *type* of argument (a string for a number, a float for an integer, a
non-numeric tensor) raises `TypeError`; the right type with an unusable value (out of
range, wrong shape, not a multiple of 90 degrees) raises `ValueError`. Type errors are
also `ValueError`s, as in earlier versions. Every message names the value received.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from rotkeras import _registration
from rotkeras._version import __version__

_SUBMODULES = ("datasets", "evaluation", "layers", "metrics", "models", "ops", "training")

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"rotkeras.{name}")
        setattr(sys.modules[__name__], name, module)
        return module
    raise AttributeError(f"module 'rotkeras' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))


_registration.register_when_keras_is_imported()
