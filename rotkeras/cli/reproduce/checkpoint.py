"""Crash-safe per-epoch checkpoints for resumable training (internal).

Keras' `BackupAndRestore` overwrites its weights file in place, so a process killed while
it writes leaves a file that cannot be read. Here every epoch's weights (model and optimizer)
go to a new file, and a small `state.json`, replaced atomically, names the latest complete
one: whatever moment the process dies, the state points at a complete file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import keras

from rotkeras import _io

STATE_FILE = "state.json"


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves model and optimizer weights after every epoch, atomically, into `directory`."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        super().__init__()
        self.directory = Path(directory)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        name = f"epoch-{epoch + 1:04d}.weights.h5"
        _io.save_atomically(self.directory / name, self.model.save_weights)
        _io.write_json(self.directory / STATE_FILE, {"epochs_done": epoch + 1, "weights": name})
        for old in self.directory.glob("epoch-*.weights.h5"):
            if old.name != name:
                old.unlink()


def restore(model: keras.Model, directory: str | os.PathLike[str]) -> int:
    """Loads the latest checkpoint in `directory` into `model`; returns the epochs it had done.

    Returns 0 (and leaves the model alone) when there is no complete checkpoint.
    """
    state_path = Path(directory) / STATE_FILE
    if not state_path.exists():
        return 0
    state = _io.read_json(state_path)
    weights = Path(directory) / state["weights"]
    if not weights.exists():
        return 0
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(weights)
    return int(state["epochs_done"])
