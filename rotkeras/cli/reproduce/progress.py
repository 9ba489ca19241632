"""Progress reporting for long experiment runs (internal)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import keras


def format_seconds(seconds: float) -> str:
    """`75.3` -> `'1m15s'`."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class RunClock:
    """Tracks elapsed time and estimates the time left from the training work still planned.

    Work is counted in sample-epochs (training images x epochs); the rate is measured on the
    epochs trained so far in this process.
    """

    def __init__(self, planned_work: float, stream: TextIO | None = None) -> None:
        self.start = time.perf_counter()
        self.planned_work = float(planned_work)
        self.done_work = 0.0
        self.train_seconds = 0.0
        self.stream = stream or sys.stdout

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def record(self, work: float, seconds: float) -> None:
        self.done_work += work
        self.train_seconds += seconds

    def skip(self, work: float) -> None:
        """Removes work that will not be done in this process (finished in an earlier run)."""
        self.planned_work = max(0.0, self.planned_work - work)

    def eta(self) -> float | None:
        if self.done_work <= 0:
            return None
        rate = self.train_seconds / self.done_work
        return max(0.0, self.planned_work - self.done_work) * rate

    def say(self, message: str) -> None:
        eta = self.eta()
        suffix = f"elapsed {format_seconds(self.elapsed())}"
        if eta is not None:
            suffix += f", about {format_seconds(eta)} of training left"
        print(f"{message} [{suffix}]", file=self.stream, flush=True)


class EpochProgress(keras.callbacks.Callback):
    """Prints one line per epoch: phase, epoch, metrics, seconds per epoch, time left."""

    def __init__(self, clock: RunClock, label: str, samples: int, epochs: int) -> None:
        super().__init__()
        self.clock = clock
        self.label = label
        self.samples = samples
        self.epochs = epochs
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        seconds = time.perf_counter() - self._start
        self.clock.record(self.samples, seconds)
        metrics = " ".join(
            f"{k}={v:.4f}" for k, v in (logs or {}).items() if "loss" in k or "acc" in k
        )
        self.clock.say(
            f"  {self.label}: epoch {epoch + 1}/{self.epochs} {metrics} ({seconds:.1f} s)"
        )
