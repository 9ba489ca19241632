"""Package-level promises: a cheap `import rotkeras`, an instant CLI, keras.ops-only layers."""

from __future__ import annotations

import concurrent.futures
import re
import subprocess
import sys
from pathlib import Path

import pytest
from keras.backend import backend as keras_backend

import rotkeras

# What this file proves does not depend on the Keras backend: run on TensorFlow only.
pytestmark = pytest.mark.backend_independent

ROOT = Path(rotkeras.__file__).resolve().parent
BACKEND_MODULES = ("keras", "tensorflow", "jax", "torch")


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_cli_answers_without_importing_keras(flag: str) -> None:
    out = _run(
        "import sys\n"
        "from rotkeras.cli import main\n"
        "try:\n"
        f"    main([{flag!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"loaded = [m for m in {BACKEND_MODULES!r} if m in sys.modules]\n"
        "print('LOADED', loaded)\n"
    )
    assert out.returncode == 0, out.stderr[-1500:]
    assert out.stderr == ""
    assert out.stdout.strip().endswith("LOADED []"), out.stdout
    if flag == "--version":
        assert out.stdout.splitlines()[0] == f"rotkeras {rotkeras.__version__}"


def test_version_prints_only_its_answer() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "rotkeras.cli", "--version"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0
    assert out.stdout == f"rotkeras {rotkeras.__version__}\n"
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines()
                if line.startswith("import time:")}
    assert not imported & set(BACKEND_MODULES), sorted(imported & set(BACKEND_MODULES))


def test_import_rotkeras_is_lazy_and_submodules_load_on_use() -> None:
    out = _run(
        "import sys, rotkeras\n"
        f"print([m for m in {BACKEND_MODULES!r} if m in sys.modules])\n"
        "print(rotkeras.layers.RightAngleRotation.__name__,"
        " rotkeras.ops.rotate_quarter_turns.__name__)\n"
    )
    assert out.returncode == 0, out.stderr[-1500:]
    assert out.stdout.splitlines() == ["[]", "RightAngleRotation rotate_quarter_turns"]


@pytest.mark.parametrize("imports", ["import rotkeras, keras", "import keras, rotkeras"])
def test_saved_model_loads_after_import_rotkeras_in_either_order(imports: str,
                                                                 tmp_path) -> None:
    import keras

    from rotkeras.layers import RandomRightAngleRotation, RightAngleRotation
    from rotkeras.metrics import AngleError

    inputs = keras.Input((4, 4, 1))
    x = RandomRightAngleRotation(seed=0)(RightAngleRotation(angle=90)(inputs))
    model = keras.Model(inputs, keras.layers.Flatten()(x))
    model.compile("adam", "mse", metrics=[AngleError(num_angles=16)])
    model.save(tmp_path / "m.keras")
    out = _run(
        f"{imports}\n"
        f"m = keras.saving.load_model({str(tmp_path / 'm.keras')!r})\n"
        "print([type(layer).__name__ for layer in m.layers[1:3]])\n"
    )
    assert out.returncode == 0, out.stderr[-1500:]
    assert out.stdout.strip().endswith("['RightAngleRotation', 'RandomRightAngleRotation']")


@pytest.mark.skipif(keras_backend() != "tensorflow",
                    reason="the import order does not depend on the backend (a fresh "
                           "process per module: run once)")
def test_any_module_imported_first_registers_the_layers() -> None:
    # Whichever rotkeras module imports Keras first in a process, rotkeras' classes end up
    # registered, and no module is met half-built (a circular ImportError). The modules
    # at risk are those outside rotkeras.layers that import Keras and that the layers and
    # metrics import (listed in a fresh process), plus a command module that imports one.
    listing = _run(
        "import re, sys, pathlib\n"
        "import rotkeras.layers, rotkeras.metrics\n"
        "for name, module in sorted(sys.modules.items()):\n"
        "    if name.startswith('rotkeras.') and not name.startswith('rotkeras.layers'):\n"
        "        text = pathlib.Path(module.__file__).read_text()\n"
        "        if re.search(r'^(import keras|from keras)\\b', text, re.M):\n"
        "            print(name)\n"
    )
    assert listing.returncode == 0, listing.stderr[-1500:]
    modules = [*listing.stdout.split(), "rotkeras.cli.reproduce.report"]
    assert "rotkeras._backend" in modules
    # One fresh process per module, two at a time (the processes mostly wait on imports).
    failures = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        runs = pool.map(lambda first: (first, _run(
            f"import {first}, keras\n"
            "print(keras.saving.get_registered_object('rotkeras>P4Conv2D').__name__)\n"
        )), modules)
        for first, out in runs:
            if out.returncode != 0 or not out.stdout.strip().endswith("P4Conv2D"):
                failures[first] = out.stderr[-600:]
    assert not failures, failures


def test_layers_ops_and_models_use_only_keras_apis() -> None:
    # Backend-specific code lives in the rotkeras/_backend/ package only.
    sources = [*(ROOT / "ops").rglob("*.py"), *(ROOT / "layers").rglob("*.py"),
               *(ROOT / "models").glob("*.py")]
    forbidden = re.compile(
        r"keras\.backend\.backend\(\)|^\s*(import|from)\s+(tensorflow|jax|torch)\b", re.M
    )
    offenders = {str(path.relative_to(ROOT)): forbidden.findall(path.read_text())
                 for path in sources}
    assert not {name: found for name, found in offenders.items() if found}
