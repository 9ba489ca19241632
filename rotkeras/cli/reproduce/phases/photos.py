"""Photos of handwriting, upright and turned, through every model (`--photos DIR`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rotkeras.cli.reproduce.registry import model_phases, phase
from rotkeras.evaluation import evaluate_photos, photo_report_lines, with_shipped_reader

if TYPE_CHECKING:  # annotations only: the runner imports the phases, not the reverse
    from rotkeras.cli.reproduce.runner import Runner


@phase("photos", "photos of handwriting, upright and turned, every model", other_cost=9.0,
       heading="Photos of handwriting", enabled=lambda config: config.photos is not None)
def photos(run: Runner) -> dict[str, Any]:
    models, notes = with_shipped_reader({name: run.model(name) for name in model_phases()})
    return evaluate_photos(run.config.photos, models, run.out / "figures", notes=notes)


@photos.section
def _photos_section(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
    if "turned" not in result:  # a phase file written before the turned photos
        return list(result.get("report_lines", []))
    titles = {name: p.short_title for name, p in model_phases().items() if p.model}
    mnist = {name: results[name] for name in model_phases() if name in results}
    return photo_report_lines(result, mnist, titles)
