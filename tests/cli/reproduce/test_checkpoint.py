"""Crash-safe per-epoch checkpoints of `rotkeras reproduce`."""

from __future__ import annotations

import numpy as np

from rotkeras.cli.reproduce import checkpoint
from rotkeras.models import mnist_cnn


def test_checkpoint_round_trip_restores_weights_and_epoch(tmp_path, rng) -> None:
    x = rng.random((32, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 32)
    model = mnist_cnn()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[checkpoint.EpochCheckpoint(tmp_path / "backup")])
    assert [p.name for p in sorted((tmp_path / "backup").glob("*.h5"))] == [
        "epoch-0002.weights.h5"]
    fresh = mnist_cnn()
    assert checkpoint.restore(fresh, tmp_path / "backup") == 2
    np.testing.assert_allclose(fresh.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert checkpoint.restore(mnist_cnn(), tmp_path / "nothing") == 0
