"""Deprecated alias of `rotkeras.training` (kept for code written against earlier versions)."""

import warnings

from rotkeras.training import *  # noqa: F403
from rotkeras.training import __all__  # noqa: F401

warnings.warn(
    "rotkeras.experiments.training moved to rotkeras.training; import it from there",
    DeprecationWarning,
    stacklevel=2,
)
