"""Copies a finished `rotkeras reproduce` run into the docs ("Reproducing the article" page).

    python tools/import_report.py RUN_DIR --command "rotkeras reproduce ..." [--docs docs]

Writes docs/reproducing.md (the run's report.md with a header naming the command, the machine
and the wall time) and copies metrics.json and the figures to docs/reproducing/.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--command", required=True, help="the exact command that made the run")
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    parser.add_argument("--shared-machine", action="store_true",
                        help="say that other jobs shared the machine during the run")
    parser.add_argument("--preamble", default="",
                        help="a paragraph to put after the header (e.g. what --photos held)")
    args = parser.parse_args()

    metrics = json.loads((args.run / "metrics.json").read_text())
    report = (args.run / "report.md").read_text()
    target = args.docs / "reproducing"
    if target.exists():
        shutil.rmtree(target)
    (target / "figures").mkdir(parents=True)
    for figure in metrics["figures"]:
        shutil.copy2(args.run / figure, target / figure)
    shutil.copy2(args.run / "metrics.json", target / "metrics.json")

    meta = metrics["meta"]
    wall = sum(s for s in meta["wall_seconds"].values() if s)
    body = report.split("\n", 1)[1].replace("](figures/", "](reproducing/figures/")
    header = [
        "# Reproducing the article",
        "",
        "Everything on this page comes from one full run of",
        "",
        "```bash",
        args.command,
        "```",
        "",
        f"on {meta['machine']} (CPU only), Keras {meta['keras']} on the {meta['backend']} "
        f"backend, finished {meta['written']} after {wall / 60:.0f} minutes of wall time"
        + (" (other jobs shared the machine)" if args.shared_machine else "")
        + ". Every number is also in [metrics.json](reproducing/metrics.json).",
        "",
    ]
    if args.preamble:
        header += [args.preamble, ""]
    (args.docs / "reproducing.md").write_text("\n".join(header) + body)
    print(f"wrote {args.docs / 'reproducing.md'} and {len(metrics['figures'])} figures")


if __name__ == "__main__":
    main()
