"""The settings of one `rotkeras reproduce` run."""

from __future__ import annotations

import dataclasses
from pathlib import Path


@dataclasses.dataclass
class ReproduceConfig:
    """Settings of one `rotkeras reproduce` run (see `rotkeras reproduce --help`).

    Examples:
        >>> from pathlib import Path
        >>> from rotkeras.cli.reproduce import ReproduceConfig
        >>> config = ReproduceConfig(out=Path("rotkeras-report"), quick=True)
        >>> config.train_epochs, config.train_batch_size, config.precision
        (1, 64, 'auto')
    """

    out: Path
    data: str | None = None
    epochs: int | None = None
    batch_size: int | None = None
    seed: int = 0
    quick: bool = False
    fresh: bool = False
    quiet: bool = False
    photos: Path | None = None
    precision: str = "auto"
    devices: int | str = 1

    @property
    def train_epochs(self) -> int:
        """Epochs of the tutorial's trainings: `--epochs`, else 10 (1 with `--quick`)."""
        return self.epochs_or(10)

    @property
    def train_batch_size(self) -> int:
        """Batch size of the tutorial's trainings: `--batch-size`, else 64."""
        return self.batch_size_or(64)

    def epochs_or(self, recipe: int) -> int:
        """`--epochs` if given, else a phase's own `recipe` (1 with `--quick`)."""
        if self.epochs is not None:
            return self.epochs
        return 1 if self.quick else recipe

    def batch_size_or(self, recipe: int) -> int:
        """`--batch-size` if given, else a phase's own `recipe`."""
        return recipe if self.batch_size is None else self.batch_size
