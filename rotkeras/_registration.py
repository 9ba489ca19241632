"""Registering rotkeras' layers and metrics with Keras once Keras is imported (internal).

`keras.saving.load_model` finds custom classes only if they were registered (by importing
the modules that define them) before it runs. `import rotkeras` must not import Keras, which
starts a backend (seconds with TensorFlow), so it cannot import those modules itself.
Instead it registers them:

- right away, when Keras is already imported (the import then costs little);
- otherwise at the end of Keras' own import, whenever that happens: a finder on
  `sys.meta_path` wraps the loader of the `keras` package, and after the package has run
  it imports `rotkeras.layers` and `rotkeras.metrics`. The finder removes itself on first
  use, so it acts once and stays out of every other import.

So `import rotkeras; import keras; keras.saving.load_model(...)` works in either order,
and `rotkeras --version` never imports Keras.

One module needs care: `rotkeras._backend` imports Keras, and the layers derive classes
from it. When it is the first module to import Keras (e.g. `import
rotkeras.cli.reproduce.report` in a fresh process), registering at the end of Keras' import
would import the layers while `rotkeras._backend` is still half-built. So registering waits
until that module calls `module_ready` on its last line.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

# The modules that define rotkeras' serializable classes.
SERIALIZABLE_MODULES = ("rotkeras.layers", "rotkeras.metrics")


# Modules that import Keras and that the serializable classes need complete.
NEEDED_COMPLETE = ("rotkeras._backend",)
_ready: set[str] = set()
_pending = False


def register() -> None:
    """Imports the modules of rotkeras' serializable classes (they register themselves)."""
    for name in SERIALIZABLE_MODULES:
        importlib.import_module(name)


def _waiting() -> bool:
    """Whether a module of `NEEDED_COMPLETE` is being imported right now."""
    return any(name in sys.modules and name not in _ready for name in NEEDED_COMPLETE)


def _register_or_wait() -> None:
    global _pending
    _pending = _waiting()
    if not _pending:
        register()


def module_ready(name: str) -> None:
    """Called by a module of `NEEDED_COMPLETE` on its last line: registers if that waited."""
    _ready.add(name)
    if _pending:
        _register_or_wait()


class _RegisteringLoader(importlib.abc.Loader):
    """Runs Keras' own loader, then `register()`; delegates everything else to it."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        _register_or_wait()

    def __getattr__(self, name: str) -> Any:  # resource readers, get_data, is_package, ...
        return getattr(self._loader, name)


class _KerasImportFinder(importlib.abc.MetaPathFinder):
    """Wraps the loader of the top-level `keras` package, once."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "keras":
            return None
        _remove_finder()
        spec = importlib.util.find_spec("keras")
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _RegisteringLoader(spec.loader)
        return spec


def _remove_finder() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _KerasImportFinder)]


def register_when_keras_is_imported() -> None:
    """Registers now if Keras is imported, else as soon as it is (see the module docstring)."""
    if "keras" in sys.modules:
        register()
    elif not any(isinstance(f, _KerasImportFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _KerasImportFinder())
