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

if TYPE_CHECKING:  # for annotations only: the runner imports the phases, not the reverse
    from rotkeras.cli.reproduce.runner import Runner

TUTORIAL_ANGLES = (90, -90, 180)
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


@dataclasses.dataclass
class Phase:
    """One registered phase (see `rotkeras.cli.reproduce.phases`).

    Attributes:
        name: File and key name (`phases/<name>.json`, `metrics.json["phases"][name]`).
        title: What the log says when the phase starts.
        run: The phase itself, `run(runner) -> dict`.
        trains: Training work in epochs over the training set, for the time-left estimate.
        model: Headline title of the classifier the phase trains and evaluates, if any.
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
    trains: float = 0.0
    model: str | None = None
    published: str = "—"
    confusion: tuple[str, ...] = ("rotated",)
    heading: str | None = None
    section_lines: Section | None = None
    figures: Figures | None = None
    enabled: Callable[[ReproduceConfig], bool] = _always

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


def percent(value: float | None) -> str:
    """`0.98765` -> `'98.77%'`; None -> a dash."""
    return "—" if value is None else f"{100 * value:.2f}%"
