"""Package-level promises: keras.ops-only layers, ops and models."""

from __future__ import annotations

import re
from pathlib import Path

import rotkeras

ROOT = Path(rotkeras.__file__).resolve().parent


def test_layers_ops_and_models_use_only_keras_apis() -> None:
    # Backend-specific code lives in rotkeras/_backend.py only.
    sources = [ROOT / "ops.py", *(ROOT / "layers").glob("*.py"), *(ROOT / "models").glob("*.py")]
    forbidden = re.compile(
        r"keras\.backend\.backend\(\)|^\s*(import|from)\s+(tensorflow|jax|torch)\b", re.M
    )
    offenders = {str(path.relative_to(ROOT)): forbidden.findall(path.read_text())
                 for path in sources}
    assert not {name: found for name, found in offenders.items() if found}
