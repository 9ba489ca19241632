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
    """Tracks elapsed time and estimates the time left from the work still planned.

    Work is counted in epochs of the reference CNN over the training set: every phase says
    what its epochs and the rest of it cost in that unit (`Phase.cost`, measured once on a
    2-core CPU), and the seconds per unit are measured on the work done so far in this
    process, so the estimate adapts to the machine.

    Examples:
        >>> import io
        >>> clock = RunClock(10.0, stream=io.StringIO())
        >>> clock.eta() is None  # nothing measured yet
        True
        >>> clock.record(2.0, 30.0)  # 2 units took 30 s
        >>> clock.eta()  # 8 units left at 15 s each
        120.0
    """

    def __init__(self, planned_work: float, stream: TextIO | None = None) -> None:
        self.start = time.perf_counter()
        self.planned_work = float(planned_work)
        self.done_work = 0.0
        self.seconds = 0.0
        self.stream = stream or sys.stdout

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def record(self, work: float, seconds: float) -> None:
        """Counts `work` units done in `seconds`."""
        self.done_work += work
        self.seconds += seconds

    def skip(self, work: float) -> None:
        """Removes work that will not be done in this process (finished in an earlier run)."""
        self.planned_work = max(0.0, self.planned_work - work)

    def eta(self) -> float | None:
        """Seconds left: the work not done yet at the rate measured so far (None before)."""
        if self.done_work <= 0:
            return None
        rate = self.seconds / self.done_work
        return max(0.0, self.planned_work - self.done_work) * rate

    def say(self, message: str) -> None:
        eta = self.eta()
        suffix = f"elapsed {format_seconds(self.elapsed())}"
        if eta is not None:
            suffix += f", about {format_seconds(eta)} left"
        print(f"{message} [{suffix}]", file=self.stream, flush=True)


class EpochProgress(keras.callbacks.Callback):
    """Prints one line per epoch: phase, epoch, metrics, seconds per epoch, time left."""

    def __init__(self, clock: RunClock, label: str, epoch_work: float, epochs: int) -> None:
        super().__init__()
        self.clock = clock
        self.label = label
        self.epoch_work = epoch_work
        self.epochs = epochs
        self._start = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        seconds = time.perf_counter() - self._start
        self.clock.record(self.epoch_work, seconds)
        metrics = " ".join(
            f"{k}={v:.4f}" for k, v in (logs or {}).items() if "loss" in k or "acc" in k
        )
        self.clock.say(
            f"  {self.label}: epoch {epoch + 1}/{self.epochs} {metrics} ({seconds:.1f} s)"
        )
