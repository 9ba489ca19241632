"""Copies a finished `rotkeras reproduce` run into the docs ("Reproducing the article" page).

    python tools/import_report.py RUN_DIR [--docs docs]

Copies metrics.json and the figures to docs/reproducing/, then rewrites every generated region
of the pages (`tools/docs_generate.py --write`): the reproducing page, the home page's results
table and the orientation-correction tables quote that metrics.json. The command that made the
run is written by hand at the top of docs/reproducing.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    args = parser.parse_args()

    metrics = json.loads((args.run / "metrics.json").read_text())
    target = args.docs / "reproducing"
    if target.exists():
        shutil.rmtree(target)
    (target / "figures").mkdir(parents=True)
    for figure in metrics["figures"]:
        shutil.copy2(args.run / figure, target / figure)
    shutil.copy2(args.run / "metrics.json", target / "metrics.json")

    # The page quotes the run through generated regions (tools/docs_generate.py); scrub the
    # run's local photo folder from what the docs publish.
    _publish_names_only(target / "metrics.json")
    subprocess.run([sys.executable, str(Path(__file__).with_name("docs_generate.py")), "--write"],
                   check=True)
    print(f"copied metrics.json and {len(metrics['figures'])} figures; rewrote the pages")


def _publish_names_only(path: Path) -> None:
    metrics = json.loads(path.read_text())
    photos = metrics.get("phases", {}).get("photos")
    if photos:
        photos["files"] = [Path(f).name if Path(f).is_absolute() else f for f in photos["files"]]
    path.write_text(json.dumps(metrics, indent=2) + "\n")


if __name__ == "__main__":
    main()
