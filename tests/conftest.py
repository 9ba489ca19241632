"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `backend_independent` (packaging, generated docs) prove the same thing
    on every Keras backend: they run on TensorFlow and are skipped, visibly, elsewhere."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return
    skip = pytest.mark.skip(
        reason=f"backend-independent: runs on the TensorFlow backend, not again on {backend}"
    )
    for item in items:
        if item.get_closest_marker("backend_independent"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed() -> None:
    keras.utils.set_random_seed(1234)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """Path of the real MNIST file named by $ROTKERAS_MNIST (the test is skipped without it)."""
    value = os.environ.get("ROTKERAS_MNIST", "").strip()
    if not value or not Path(value).is_file():
        pytest.skip("set ROTKERAS_MNIST to a Keras-format mnist.npz to run integration tests")
    return Path(value)


@pytest.fixture
def tiny_mnist(tmp_path: Path, rng: np.random.Generator) -> Path:
    """A small Keras-format mnist.npz written by the test."""
    path = tmp_path / "mnist.npz"
    np.savez(
        path,
        x_train=rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        y_train=rng.integers(0, 10, 20).astype(np.uint8),
        x_test=rng.integers(0, 256, (8, 28, 28), dtype=np.uint8),
        y_test=rng.integers(0, 10, 8).astype(np.uint8),
    )
    return path
