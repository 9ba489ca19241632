"""`rotkeras.reading.read_numbers` on photos of handwritten numbers, upright and turned.

Three sets:

- a development set of real photos (`--dev DIR`: images and a `MANIFEST.csv` with the
  columns `file`, `repository`, `number`, `kind`), each photo read upright and turned by
  90, 180 and 270 degrees. `read_numbers` fits no weights on these photos, but its
  segmentation thresholds were chosen on one half of the sources (`source_halves`: grouped
  by repository, about half the photos each); the scores are given for all photos, for
  each half and per kind. Only the held-out half's scores are free of that choice;
- a fresh set (`--fresh DIR`, the same layout), gathered from other sources after
  `read_numbers`' thresholds were set and scored only, never looked at to choose them;
- synthetic numbers composed from the MNIST test digits (`make_synthetic_numbers`):
  separate digits, touching digits, tilted lines, all four turns.

Scores: whole numbers read exactly (the digits of the numbers found, ordered along the
reading direction of the longest, equal the label: each photo holds one number on one
line); digits right (label length minus the edit distance, over all label digits);
orientation right (the orientation of the longest number found). Photos are read with
`read_numbers`' default, one orientation for the whole photo; on numbers that contain a 6
or a 9 the same scores with `orientation="number"` (each number decides its own turn) and
`orientation="digit"` (each digit decides its own) show what deciding jointly changes.
Cost: seconds per photo for a 5-digit number (512x512 photo) on the CPU, the median of
`--repeats` reads after a warm-up.

Photos are read with `read_numbers`' default weights (`digit_reader(weights="numbers")`);
`--compare shipped` scores the development and fresh sets with the reader's default weights
too (or with a weights file: `--compare PATH.weights.h5`), and `--mnist` both on MNIST's
test digits, side by side; `--turns 0` reads the photos upright only, a quick comparison.

Run::

    ROTKERAS_MNIST=mnist.npz python -m benchmarks.numbers --dev numbers-dev \\
        --fresh numbers-fresh --compare shipped --out benchmarks/results/numbers.json
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import machine

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "numbers.json"
TURNS = (0, 90, 180, 270)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between two strings."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def reading(numbers: list[Any]) -> tuple[str, int | None]:
    """The digits of all numbers found, in the reading order of the longest number (the
    labels are one number on one line), and the longest number's orientation."""
    if not numbers:
        return "", None
    longest = max(numbers, key=lambda n: len(n.text))
    dx, dy = ((1, 0), (0, -1), (-1, 0), (0, 1))[longest.orientation // 90]
    digits = [d for n in numbers for d in n.digits]
    digits.sort(key=lambda d: (d.box[0] + d.box[2]) * dx + (d.box[1] + d.box[3]) * dy)
    return "".join(str(d.digit) for d in digits), longest.orientation


def score(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Exact numbers, digits right and orientation right over `items`."""
    if not items:
        return {"photos": 0}
    digits = sum(len(i["label"]) for i in items)
    right = sum(max(0, len(i["label"]) - edit_distance(i["text"], i["label"])) for i in items)
    return {
        "photos": len(items),
        "exact": round(float(np.mean([i["text"] == i["label"] for i in items])), 4),
        "digits": round(right / digits, 4),
        "orientation": round(float(np.mean([i["orientation"] == i["turn"] for i in items])), 4),
    }


def evaluate(photos: list[np.ndarray], labels: list[str], groups: dict[str, list[str]],
             *, turns: tuple[int, ...] = TURNS, orientation: str = "photo",
             turned_already: list[int] | None = None,
             weights: str = "numbers") -> dict[str, Any]:
    """Scores `read_numbers` on the photos, each turned by every angle of `turns`."""
    from rotkeras.reading import read_numbers

    items = []
    for index, (photo, label) in enumerate(zip(photos, labels, strict=True)):
        for turn in turns:
            image = np.ascontiguousarray(np.rot90(photo, turn // 90))
            text, got = reading(read_numbers(image, orientation=orientation, weights=weights))
            truth = (turn + (turned_already[index] if turned_already else 0)) % 360
            items.append({"index": index, "label": label, "text": text, "orientation": got,
                          "turn": truth})
    result: dict[str, Any] = {"all": score(items)}
    result["upright"] = score([i for i in items if i["turn"] == 0])
    result["turned"] = score([i for i in items if i["turn"] != 0])
    for name, members in groups.items():
        wanted = set(members)
        result.setdefault("by", {})[name] = score(
            [i for i in items if str(i["index"]) in wanted])
    result["items"] = items
    result["failures"] = [
        {k: i[k] for k in ("index", "label", "text", "orientation", "turn")}
        for i in items if i["text"] != i["label"] or i["orientation"] != i["turn"]
    ][:40]
    return result


def load_dev(folder: Path) -> tuple[list[np.ndarray], list[dict[str, str]]]:
    from rotkeras.datasets import read_image

    with open(folder / "MANIFEST.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("file")]
    photos, kept = [], []
    for row in rows:
        path = folder / row["file"]
        if path.is_file():
            photos.append(read_image(path))
            kept.append(row)
    return photos, kept


def source_halves(repositories: list[str]) -> list[int]:
    """Splits the sources (repositories, case-folded) into two halves of about as many
    photos each, largest source first into the lighter half: 0 for the half on which
    `read_numbers`' segmentation thresholds were chosen, 1 for the held-out half, which
    was only ever scored."""
    counts: dict[str, int] = defaultdict(int)
    for repository in repositories:
        counts[repository.lower()] += 1
    load, half = [0, 0], {}
    for repository, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        side = 0 if load[0] <= load[1] else 1
        half[repository] = side
        load[side] += count
    return [half[r.lower()] for r in repositories]


def by_half(items: list[dict[str, Any]], rows: list[dict[str, str]]) -> dict[str, Any]:
    """Upright and turned scores of each half of the sources (`source_halves`)."""
    halves = source_halves([r["repository"] for r in rows])
    result = {}
    for side, name in ((0, "tuning_sources"), (1, "held_out_sources")):
        members = {i for i, h in enumerate(halves) if h == side}
        chosen = [i for i in items if i["index"] in members]
        result[name] = {
            "photos": len(members),
            "sources": len({rows[i]["repository"].lower() for i in members}),
            "upright": score([i for i in chosen if i["turn"] == 0]),
            "turned": score([i for i in chosen if i["turn"] != 0]),
        }
    return result


def seconds_per_photo(repeats: int) -> dict[str, Any]:
    from rotkeras.datasets import make_synthetic_numbers
    from rotkeras.reading import read_numbers

    photos, numbers, _, _ = make_synthetic_numbers(repeats + 1, length=5, size=512, seed=99)
    read_numbers(photos[0])  # warm-up: building and compiling the reader
    times = []
    for photo in photos[1:]:
        start = time.perf_counter()
        read_numbers(photo)
        times.append(time.perf_counter() - start)
    return {"seconds_per_photo": round(float(np.median(times)), 3),
            "photo": "512x512, one 5-digit number", "repeats": repeats,
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def _label(weights: str) -> str:
    """How the results name the weights: a shipped name, or a weights file's name (not its
    folder)."""
    return weights if weights in ("numbers", "shipped") else Path(weights).name


def _turns(text: str) -> tuple[int, ...]:
    """`--turns`: right angles, comma separated."""
    try:
        turns = tuple(int(t) for t in text.split(","))
    except ValueError:
        turns = ()
    if not turns or any(t not in TURNS for t in turns):
        raise argparse.ArgumentTypeError(f"expected right angles from {TURNS}, comma "
                                         f"separated; received {text!r}")
    return turns


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev", default=None, help="folder of the development set")
    parser.add_argument("--fresh", default=None,
                        help="folder of a set gathered after the thresholds were set "
                             "(same layout as --dev; scored only)")
    parser.add_argument("--synthetic", type=int, default=40,
                        help="synthetic photos per condition (default 40; 0: none)")
    parser.add_argument("--compare", default=None, metavar="WEIGHTS",
                        help="also score the development and fresh sets with these reader "
                             "weights (e.g. 'shipped': the single-digit reader's)")
    parser.add_argument("--mnist", default=os.environ.get("ROTKERAS_MNIST") or None,
                        help="Keras-format mnist.npz: also score the reader weights on MNIST's "
                             "test digits (default: $ROTKERAS_MNIST)")
    parser.add_argument("--turns", type=_turns, default=TURNS, metavar="0,90,180,270",
                        help="turns of each development and fresh photo to read (default: "
                             "all four; 0: upright only, a quick comparison of weights)")
    parser.add_argument("--repeats", type=int, default=5, help="timed reads (default 5)")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"machine": machine()}
    compare: dict[str, Any] = {}
    result["cost"] = seconds_per_photo(args.repeats)
    print(json.dumps(result["cost"]), flush=True)
    if args.dev and (Path(args.dev) / "MANIFEST.csv").is_file():
        photos, rows = load_dev(Path(args.dev))
        labels = [r["number"] for r in rows]
        groups: dict[str, list[str]] = defaultdict(list)
        for i, row in enumerate(rows):
            groups[f"kind={row.get('kind', '')}"].append(str(i))
        dev = evaluate(photos, labels, dict(groups), turns=args.turns)
        dev["sources"] = len({r["repository"].lower() for r in rows})
        dev.update(by_half(dev["items"], rows))
        dev["files"] = [r["file"] for r in rows]
        six_nine = [i for i, label in enumerate(labels) if set(label) & {"6", "9"}]
        dev["six_nine"] = {
            "photos": len(six_nine),
            "photo": score([i for i in dev["items"] if i["index"] in set(six_nine)]),
            **{mode: evaluate([photos[i] for i in six_nine], [labels[i] for i in six_nine],
                              {}, orientation=mode, turns=args.turns)["all"]
               for mode in ("number", "digit")},
        }
        result["dev"] = dev
        print(json.dumps({k: dev[k] for k in ("all", "upright", "turned", "sources")}),
              flush=True)
        if args.compare:
            other = evaluate(photos, labels, {}, weights=args.compare, turns=args.turns)
            other.update(by_half(other.pop("items"), rows))
            compare["dev"] = other
    if args.fresh and (Path(args.fresh) / "MANIFEST.csv").is_file():
        photos, rows = load_dev(Path(args.fresh))
        fresh = evaluate(photos, [r["number"] for r in rows], {}, turns=args.turns)
        fresh["sources"] = len({r["repository"].lower() for r in rows})
        fresh["files"] = [r["file"] for r in rows]
        result["fresh"] = fresh
        print(json.dumps({k: fresh[k] for k in ("upright", "turned", "sources")}), flush=True)
        if args.compare:
            other = evaluate(photos, [r["number"] for r in rows], {}, weights=args.compare,
                             turns=args.turns)
            other.pop("items")
            compare["fresh"] = other
    if compare:
        result["compare"] = {"weights": _label(args.compare), **compare}
        print("compare", args.compare, json.dumps(
            {k: v["upright"] for k, v in compare.items()}), flush=True)
    if args.mnist:
        from benchmarks.photos import mnist_scores
        from rotkeras.models import digit_reader

        names = ["numbers", *([args.compare] if args.compare else [])]
        result["mnist"] = mnist_scores({_label(name): digit_reader(name) for name in names},
                                       args.mnist)
        print("mnist", json.dumps(result["mnist"]), flush=True)
    if args.synthetic:
        from rotkeras.datasets import make_synthetic_numbers

        synthetic = {}
        conditions = {"separate": {}, "tilted_15": {"tilt": 15.0},
                      "touching_0.3": {"touching": 0.3}}
        for name, kwargs in conditions.items():
            photos, numbers, _, turns = make_synthetic_numbers(
                args.synthetic, length=(2, 5), size=256, seed=2024, turns=TURNS, **kwargs)
            synthetic[name] = evaluate(list(photos), numbers, {}, turns=(0,),
                                       turned_already=[int(t) for t in turns])
            print(name, json.dumps(synthetic[name]["all"]), flush=True)
        photos, numbers, _, turns = make_synthetic_numbers(
            4 * args.synthetic, length=(2, 5), size=256, seed=7, turns=TURNS)
        keep = [i for i, n in enumerate(numbers) if set(n) & {"6", "9"}]
        for mode in ("photo", "digit"):  # one number per photo: "number" is "photo"
            synthetic[f"six_nine_{mode}"] = evaluate(
                [photos[i] for i in keep], [numbers[i] for i in keep], {}, turns=(0,),
                turned_already=[int(turns[i]) for i in keep], orientation=mode)["all"]
            print(f"six_nine_{mode}", json.dumps(synthetic[f"six_nine_{mode}"]), flush=True)
        result["synthetic"] = synthetic
    for part in (result.get("dev"), result.get("fresh"),
                 *(result.get("synthetic") or {}).values()):
        if isinstance(part, dict):
            part.pop("items", None)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
