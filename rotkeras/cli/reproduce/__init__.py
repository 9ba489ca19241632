"""`rotkeras reproduce`: the tutorial's experiments end to end, resumable, with a report.

The run goes through the phases registered in `rotkeras.cli.reproduce.phases` (where a new
phase is added), in order: `reference`, `solution2_static`, `solution2_onthefly`,
`solution1`, `rotation_robust`, `full_circle`, `angle_sweep` and, with `--photos DIR`,
`photos`. Each finished phase is saved to `OUT/phases/<name>.json` and never redone; an
interrupted training resumes from its last finished epoch (`checkpoint`). The report
(`report.md`, `metrics.json`: `report`; figures: `figures`) is rebuilt from the phase files
at the end.

The modules import one way: `runner` (the `Runner` and `reproduce`) -> `phases` (one module
per group of phases) -> `registry` (`@phase`, `PHASES`), `report` -> `figures` -> the
library; `config` (`ReproduceConfig`), `checkpoint` and `progress` import nothing of the
application.
"""

from rotkeras.cli.reproduce.config import ReproduceConfig
from rotkeras.cli.reproduce.registry import phase_names
from rotkeras.cli.reproduce.runner import Runner, reproduce

__all__ = ["ReproduceConfig", "Runner", "phase_names", "reproduce"]
