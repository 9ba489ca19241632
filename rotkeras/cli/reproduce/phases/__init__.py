"""The phases of `rotkeras reproduce`, in the order they run and appear in the report.

A phase is a function of the `Runner` (`rotkeras.cli.reproduce.runner`) registered with
`@phase(...)` (`rotkeras.cli.reproduce.registry`): it returns a JSON-serialisable dict,
which the runner saves to `OUT/phases/<name>.json` once the phase has finished (a finished
phase is never redone). Its report section and figures, if any, are registered next to it.
**Adding a phase is a module in this folder, imported below in its place in the order**:
the runner, the resume logic, the log, `metrics.json` and `report.md` pick it up. For
example::

    @phase("every_angle", "a CNN trained on every angle", epochs=tutorial_epochs,
           epoch_cost=1.0, other_cost=0.5, model="CNN trained on every angle",
           heading="Every angle")
    def every_angle(run: Runner) -> dict[str, Any]:
        d = run.data()
        model = run.train("every_angle", build, d["x_train"], d["y_train"],
                          "every-angle CNN")        # resumable, saved as a .keras file
        return run.evaluate(model, "every_angle")  # upright / rotated / combined

    @every_angle.section
    def _(result: dict[str, Any], results: dict[str, Any]) -> list[str]:
        return ["Markdown lines of the section."]

A phase with `model=` trains and evaluates a digit classifier under its own name: it gets a
row in the headline table, a confusion matrix, and a curve in the accuracy-against-angle
phase (which therefore comes after every model phase). `epochs`, `epoch_cost` and
`other_cost` say what it costs, in epochs of the reference CNN (for the time-left
estimate); `enabled` decides per run whether it runs (e.g. `photos` only with `--photos`).
"""

# Imported for their registrations, in the order the phases run: the tutorial's networks,
# rotkeras' own, then the phases that measure every model phase's network.
# isort: off
from rotkeras.cli.reproduce.phases import tutorial  # noqa: F401
from rotkeras.cli.reproduce.phases import robust  # noqa: F401
from rotkeras.cli.reproduce.phases import angle_sweep  # noqa: F401
from rotkeras.cli.reproduce.phases import photos  # noqa: F401
# isort: on
