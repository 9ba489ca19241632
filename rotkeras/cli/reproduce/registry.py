"""The phase registry of `rotkeras reproduce`: `@phase`, `Phase`, `PHASES`.

The phases themselves are in `rotkeras.cli.reproduce.phases` (see its docstring for how a
phase is added); the runner, the report and the figures read them from `PHASES`, in the
order they were registered. The tutorial's constants that phases and report share are
here too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rotkeras.cli.reproduce.config import ReproduceConfig
from rotkeras.datasets.tutorial import TUTORIAL_ANGLES  # noqa: F401 (the phases' import)
from rotkeras.evaluation.photos import percent  # noqa: F401 (the phases' import)

if TYPE_CHECKING:  # for annotations only: the runner imports the phases, not the reverse
    from rotkeras.cli.reproduce.runner import Runner

SWEEP_ANGLES = tuple(range(0, 360, 15))
# The tutorial's published numbers.
TUTORIAL = {
    "reference_upright": 0.9915,
    "solution2_combined": 0.9797,
}

Section = Callable[[dict[str, Any], dict[str, Any]], list[str]]
Figures = Callable[[dict[str, Any], Callable[[Any, str], None]], None]


def _always(config: ReproduceConfig) -> bool:
    return True


def _no_epochs(config: ReproduceConfig) -> int:
    return 0


def tutorial_epochs(config: ReproduceConfig) -> int:
    """The epochs of the tutorial's trainings (`--epochs`, else 10; 1 with `--quick`)."""
    return config.train_epochs


@dataclasses.dataclass
class Phase:
    """One registered phase (see `rotkeras.cli.reproduce.phases`).

    Attributes:
        name: File and key name (`phases/<name>.json`, `metrics.json["phases"][name]`).
        title: What the log says when the phase starts.
        run: The phase itself, `run(runner) -> dict`.
        epochs: `epochs(config)`: how many epochs the phase trains (0 if it trains none).
        epoch_cost: What one of its epochs costs, in epochs of the reference CNN over the
            training set (measured on a 2-core CPU), for the time-left estimate.
        other_cost: What the rest of the phase (evaluation, sweeps, figures) costs, in the
            same unit.
        model: Headline title of the classifier the phase trains and evaluates, if any.
        column: A short title for it, where a table has a column or row per model.
        published: The tutorial's number for that model (headline table).
        confusion: The test sets whose confusion matrices are drawn for the model.
        heading: Heading of the phase's report section (numbered), if it has one.
        section: `section(result, results) -> markdown lines` of the report section.
        figures: `figures(result, save)` draws the phase's figures with matplotlib and saves
            each with `save(figure, "name.png")`.
        enabled: Whether a run with a given config runs the phase.
    """

    name: str
    title: str
    run: Callable[[Runner], dict[str, Any]]
    epochs: Callable[[ReproduceConfig], int] = _no_epochs
    epoch_cost: float = 0.0
    other_cost: float = 0.0
    model: str | None = None
    column: str | None = None
    published: str = "—"
    confusion: tuple[str, ...] = ("rotated",)
    heading: str | None = None
    section_lines: Section | None = None
    figures: Figures | None = None
    enabled: Callable[[ReproduceConfig], bool] = _always

    def cost(self, config: ReproduceConfig) -> tuple[float, float]:
        """`(training, rest)`: what a run with `config` spends on the phase, in epochs of
        the reference CNN (the time-left estimate's unit)."""
        return self.epochs(config) * self.epoch_cost, self.other_cost

    @property
    def short_title(self) -> str | None:
        """`column`, else `model`."""
        return self.column or self.model

    def section(self, fn: Section) -> Section:
        """Decorator: registers `fn` as the phase's report section."""
        self.section_lines = fn
        return fn

    def figure(self, fn: Figures) -> Figures:
        """Decorator: registers `fn` as the phase's figure writer."""
        self.figures = fn
        return fn


PHASES: dict[str, Phase] = {}


def phase(name: str, title: str, **options: Any) -> Callable[[Callable[..., Any]], Phase]:
    """Decorator registering a phase function under `name` (see `Phase` for `options`)."""

    def register(run: Callable[[Runner], dict[str, Any]]) -> Phase:
        if name in PHASES:
            raise ValueError(f"a reproduce phase named {name!r} is already registered")
        PHASES[name] = Phase(name=name, title=title, run=run, **options)
        return PHASES[name]

    return register


def phase_names(config: ReproduceConfig) -> list[str]:
    """The phases a run with `config` goes through, in order."""
    return [p.name for p in PHASES.values() if p.enabled(config)]


def model_phases() -> dict[str, Phase]:
    """The phases that train and evaluate a digit classifier, by name, in order."""
    return {name: p for name, p in PHASES.items() if p.model is not None}
