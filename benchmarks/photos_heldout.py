"""Leave-source-out accuracy of the shipped digit reader on a folder of labelled photos.

Each photo comes from a source (the repository of its writer, the `repo` column of
the folder's `SOURCES.csv`). The sources are split into `--folds` groups (grouped
k-fold); for every fold, each tunable choice of the reader (the orientation prior, the
tilt search and its prior) is picked on the other folds' photos and the photos of the
held-out fold are read with that choice. The table reports the held-out predictions
only, so no number comes from photos its settings were fitted on.

Views of every photo, as a camera would take it:

- upright; turned by 90, 180 and 270 degrees counter-clockwise (`np.rot90` of the
  decoded photo, before letterboxing, like `rotkeras.evaluation.evaluate_photos`);
- tilted by +-15, +-30 and +-45 degrees: the letterboxed 256x256 photo turned about its
  centre by `rotkeras.ops.rotate` (bilinear), the corners that come in filled with the
  paper's colour (the median colour of the letterboxed photo's border). With
  `--corners black` (or `white`) the photo is turned instead as an editor turns it: the
  decoded photo within its own frame (OpenCV, bilinear), the corners filled with black
  (white), then letterboxed as `rotkeras predict` does.

The letterboxed views are preprocessed by the reader's own `HandwritingPreprocess` layer
once (that is most of the cost; `--cache FILE` keeps the 28x28 images between runs,
keyed by a checksum of the preprocessing code and its settings). To choose the settings,
every candidate is scored on the training folds from one pass of the network per image
and angle (no shift average; the orientation prior applied exactly to the joint
probabilities), aiming at 97% upright, 96% turned and 95% tilted (the summed shortfall
is minimised; each extra angle must earn a quarter of a point). The held-out fold is
then read by the full reader with the chosen setting (shift average, tilt search, "no
digit" rule), as `rotkeras predict` does. A photo the reader finds no digit in counts as
wrong. `--no-tune` reads every photo with the shipped setting.

Run::

    KERAS_BACKEND=tensorflow python -m benchmarks.photos_heldout PHOTOS_DIR \\
        --out benchmarks/results/photos_heldout.json
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._common import machine

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "photos_heldout.json"
PHOTO_SIZE = 256
TURNS = (90, 180, 270)
TILTS = (15, -15, 30, -30, 45, -45)
#: The views, by name: ("turn", degrees) or ("tilt", degrees), counter-clockwise.
VIEWS = {"upright": ("turn", 0), **{str(t): ("turn", t) for t in TURNS},
         **{f"tilt{t:+d}": ("tilt", t) for t in TILTS}}
#: Candidate settings of the reader, tuned leave-source-out: the prior probability of
#: the upright turn (the other three share the rest) and the tilt search (angles tried,
#: degrees, and the log-bonus of the untilted reading).
PRIORS = (0.4, 0.5, 0.6, 0.75)
TILT_SEARCHES: tuple[tuple[tuple[int, ...], float], ...] = (
    ((), 0.0),
    ((-30, 30), 0.0),
    ((-30, 30), 0.25),
    ((-30, 30), 0.5),
    ((-30, 30), 1.0),
)
#: What the tuning aims at: upright, turned and tilted accuracy (the shortfall below
#: these is minimised).
TARGETS = {"upright": 0.97, "turned": 0.96, "tilted": 0.95}


# ------------------------------------------------------------------------------ data
def load_folder(root: str | Path) -> dict[str, Any]:
    """Files, labels, kinds and sources of the labelled photos in `root`."""
    from rotkeras.datasets.photos import label_from_path, list_images

    root = Path(root).expanduser()
    rows = {}
    sources = root / "SOURCES.csv"
    if sources.is_file():
        with open(sources, newline="", encoding="utf-8") as file:
            rows = {Path(r["file"]).as_posix(): r for r in csv.DictReader(file)}
    files, labels, kinds, groups = [], [], [], []
    for path in list_images(root):
        label = label_from_path(path, root)
        if label is None:
            continue
        key = path.relative_to(root).as_posix()
        row = rows.get(key, {})
        files.append(path)
        labels.append(label)
        kinds.append((row.get("kind") or "unlisted").strip())
        # Without a source, the name before the last "_" stands for the writer.
        groups.append((row.get("repo") or path.stem.rsplit("_", 1)[0]).lower())
    return {"root": str(root), "files": files, "labels": np.asarray(labels, np.int64),
            "kinds": np.asarray(kinds), "groups": np.asarray(groups)}


def tilt_photo(boxed: np.ndarray, angle: float) -> np.ndarray:
    """A letterboxed uint8 photo turned by `angle` degrees, the paper's colour filling in."""
    from keras import ops

    from rotkeras.ops import rotate

    image = boxed.astype(np.float32)
    border = np.concatenate([image[0], image[-1], image[:, 0], image[:, -1]])
    paper = np.median(border, axis=0)
    turned = rotate((image - paper)[None], float(angle), fill_mode="constant", fill_value=0.0)
    turned = np.asarray(ops.convert_to_numpy(turned))[0] + paper
    return np.clip(np.round(turned), 0, 255).astype(np.uint8)


#: Colours of the corners an editor fills in when it turns a photo (`--corners`).
CORNERS = {"black": 0, "white": 255}


def editor_turned(raw: np.ndarray, angle: float, corner: int) -> np.ndarray:
    """The decoded photo turned by `angle` degrees within its own frame, as an image
    editor turns it: bilinear, the corners that come in filled with grey level `corner`."""
    import cv2

    height, width = raw.shape[:2]
    turn = cv2.getRotationMatrix2D(((width - 1) / 2, (height - 1) / 2), float(angle), 1.0)
    value = (corner,) * (raw.shape[2] if raw.ndim == 3 else 1)
    return cv2.warpAffine(raw, turn, (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=value)


def view_photo(raw: np.ndarray, view: str, size: int = PHOTO_SIZE,
               corners: str = "paper") -> np.ndarray:
    """The letterboxed `size x size` photo of `view` (see `VIEWS`); `corners`: how the
    tilted views are made ("paper", or a colour of `CORNERS`)."""
    from rotkeras.datasets import letterbox

    how, angle = VIEWS[view]
    if how == "turn":
        return letterbox(np.ascontiguousarray(np.rot90(raw, angle // 90)), size)
    if corners != "paper":
        return letterbox(editor_turned(raw, angle, CORNERS[corners]), size)
    # Read as `rotkeras predict` reads a photo: through `letterbox`.
    return letterbox(tilt_photo(letterbox(raw, size), angle), size)


def preprocessing_key(preprocess: Any) -> str:
    """Checksum of the preprocessing code and the layer's settings (the cache key): the
    layer's package, `letterbox` and the views made here."""
    import rotkeras.datasets.photos as photos
    import rotkeras.datasets.turned_photos as turned
    import rotkeras.layers.handwriting as package

    digest = hashlib.sha256()
    sources = sorted(Path(package.__file__).parent.glob("*.py"))
    for source in [*sources, Path(photos.__file__), Path(turned.__file__), Path(__file__)]:
        digest.update(source.read_bytes())
    digest.update(json.dumps(preprocess.get_config(), sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def preprocessed_views(data: dict[str, Any], preprocess: Any, views: Sequence[str],
                       cache: str | None = None, chunk: int = 32,
                       corners: str = "paper") -> dict[str, np.ndarray]:
    """`{view: (N, 28, 28, 1) float32}` 28x28 images of every photo and view."""
    import keras

    from rotkeras.datasets import read_image

    key = preprocessing_key(preprocess) + ("" if corners == "paper" else f"-{corners}")
    cached: dict[str, np.ndarray] = {}
    cache_path = Path(cache) if cache else None
    if cache_path and cache_path.is_file():
        with np.load(cache_path) as npz:
            if str(npz["key"]) == key and int(npz["count"]) == len(data["files"]):
                cached = {v: npz[v] for v in views if v in npz.files}
    missing = [v for v in views if v not in cached]
    if missing:
        parts: dict[str, list[np.ndarray]] = {v: [] for v in missing}
        files = data["files"]
        for start in range(0, len(files), chunk):
            raws = [read_image(f) for f in files[start : start + chunk]]
            for view in missing:
                boxed = np.stack([view_photo(raw, view, corners=corners) for raw in raws])
                parts[view].append(np.asarray(keras.ops.convert_to_numpy(preprocess(boxed))))
        cached.update({v: np.concatenate(p).astype(np.float32) for v, p in parts.items()})
        if cache_path:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(cache_path, key=key, count=len(files), **cached)
    return {v: cached[v] for v in views}


# --------------------------------------------------------------------------- reading
def reader_core(prior: float | None, tilts: Sequence[float] = (), tilt_bonus: float = 0.0,
                shift_average: bool = True, weights: str | None = None) -> Any:
    """The reader's network on 28x28 images, with one candidate setting.

    `weights`: a weights file of the reader, or None for the shipped ones.
    """
    from rotkeras.models.digit_reader import CORE_NAME, digit_reader

    orientation_prior = None if prior is None else (prior, *(((1.0 - prior) / 3.0,) * 3))
    kwargs: dict[str, Any] = {"orientation_prior": orientation_prior,
                              "shift_average": shift_average}
    if tilts:
        kwargs.update(tilts=tuple(tilts), tilt_bonus=tilt_bonus)
    if weights is not None:
        kwargs["weights"] = weights
    return digit_reader(**kwargs).get_layer(CORE_NAME)


def read(core: Any, images: np.ndarray) -> np.ndarray:
    """Digit read from each 28x28 image; -1 where the reader finds no digit."""
    from rotkeras.models.digit_reader import digit_found

    digits = core.predict(images, batch_size=256, verbose=0)[0]
    return np.where(digit_found(digits), np.argmax(digits, axis=-1), -1)


def retilted(images: np.ndarray, angle: float) -> np.ndarray:
    """The 28x28 images turned by `angle` and boxed again, as the reader's tilt search does."""
    import keras

    from rotkeras.layers.handwriting._reader_layers import Retilt

    if not angle:
        return images
    return np.asarray(keras.ops.convert_to_numpy(Retilt(angle)(images)))


def fast_readings(images: dict[str, np.ndarray], angles: Sequence[float],
                  weights: str | None = None) -> dict[str, Any]:
    """What tuning needs, from one pass of the network (no shift average) per image.

    For every view and angle: the uniform-prior digit and turn probabilities and the
    joint probability of the digits with the upright turn, from which the reading with
    any orientation prior follows exactly: with prior `(p0, q, q, q)`, the digit
    probabilities are proportional to `(p0 - q) joint_upright + q digits_uniform`.
    """
    uniform = reader_core(None, shift_average=False, weights=weights)
    peaked = reader_core(1.0 - 3e-6, shift_average=False, weights=weights)
    out: dict[str, Any] = {}
    for angle in angles:
        for view, x in images.items():
            xa = retilted(x, angle)
            digits, turns = uniform.predict(xa, batch_size=512, verbose=0)
            upright = peaked.predict(xa, batch_size=512, verbose=0)[0] * turns[:, :1]
            out[(view, angle)] = (digits, upright)
    return out


def fast_read(readings: dict[Any, Any], view: str, prior: float, tilts: Sequence[float],
              bonus: float) -> np.ndarray:
    """Digits read with a candidate setting, from `fast_readings` (tuning only)."""
    q = (1.0 - prior) / 3.0
    candidates = []
    for angle in (0, *tilts):
        digits, upright = readings[(view, angle)]
        p = (prior - q) * upright + q * digits
        total = p.sum(-1, keepdims=True)
        candidates.append(np.where(total > 0, p / np.maximum(total, 1e-12), 0.0))
    stack = np.stack(candidates, 1)  # (N, K, 10)
    score = np.log(stack.max(-1) + 1e-6)
    score[:, 0] += bonus
    best = stack[np.arange(len(stack)), score.argmax(1)]
    return np.where(best.sum(-1) > 0.5, best.argmax(-1), -1)


def settings() -> list[dict[str, Any]]:
    """Every candidate setting (prior x tilt search)."""
    return [{"prior": prior, "tilts": list(tilts), "tilt_bonus": bonus}
            for prior, (tilts, bonus) in itertools.product(PRIORS, TILT_SEARCHES)]


def fold_of(groups: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """Fold index of every photo: its source's, sources dealt to balance the fold sizes."""
    names, counts = np.unique(groups, return_counts=True)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(names))
    order = order[np.argsort(-counts[order], kind="stable")]
    sizes = np.zeros(folds, np.int64)
    fold_of_source = {}
    for index in order:
        target = int(np.argmin(sizes))
        fold_of_source[names[index]] = target
        sizes[target] += counts[index]
    return np.asarray([fold_of_source[g] for g in groups])


def objective(correct: dict[str, np.ndarray], mask: np.ndarray) -> float:
    """What the tuning maximises: minus the summed shortfall below `TARGETS`."""
    scores = {
        "upright": correct["upright"][mask].mean(),
        "turned": np.mean([correct[str(t)][mask].mean() for t in TURNS]),
        "tilted": np.mean([correct[f"tilt{t:+d}"][mask].mean() for t in TILTS]),
    }
    return -float(sum(max(0.0, TARGETS[k] - v) for k, v in scores.items()))


def table(data: dict[str, Any], predictions: dict[str, np.ndarray]) -> dict[str, Any]:
    """Accuracy per group (all, each kind) and view, plus the 6/9 confusions."""
    labels = data["labels"]
    groups = {"all": np.ones(len(labels), bool)}
    for kind in sorted(set(data["kinds"].tolist())):
        groups[kind] = data["kinds"] == kind
    out: dict[str, Any] = {}
    for name, mask in groups.items():
        row = {v: float(np.mean(p[mask] == labels[mask])) for v, p in predictions.items()}
        row["turned"] = float(np.mean([row[str(t)] for t in TURNS]))
        row["tilted"] = float(np.mean([row[f"tilt{t:+d}"] for t in TILTS]))
        row["count"] = int(mask.sum())
        out[name] = row
    six_nine = {}
    for view, p in predictions.items():
        six_nine[view] = {
            "6 read as 9": int(np.sum((labels == 6) & (p == 9))),
            "9 read as 6": int(np.sum((labels == 9) & (p == 6))),
            "no digit": int(np.sum(p == -1)),
        }
    out["six_nine"] = six_nine
    return out


def run(photos: str, folds: int = 5, cache: str | None = None, tune: bool = True,
        seed: int = 0, weights: str | None = None, corners: str = "paper") -> dict[str, Any]:
    from rotkeras.models.digit_reader import digit_reader

    start = time.time()
    data = load_folder(photos)
    preprocess = digit_reader(weights=None).get_layer("preprocess")
    images = preprocessed_views(data, preprocess, list(VIEWS), cache, corners=corners)
    labels = data["labels"]
    fold = fold_of(data["groups"], folds, seed)
    shipped = {"prior": 0.5, "tilts": [], "tilt_bonus": 0.0}
    candidates = settings() if tune else [shipped]
    chosen = []
    if tune:
        angles = sorted({0, *(a for tilts, _ in TILT_SEARCHES for a in tilts)})
        readings = fast_readings(images, angles, weights)
        fast = [{v: fast_read(readings, v, c["prior"], c["tilts"], c["tilt_bonus"]) == labels
                 for v in VIEWS} for c in candidates]
    for k in range(folds):
        train, test = fold != k, fold == k
        best = 0
        if tune:
            scores = np.asarray([objective(correct, train) for correct in fast])
            # Each extra angle costs a full reading: it must earn a quarter of a point.
            cost = np.asarray([0.0025 * len(c["tilts"]) for c in candidates])
            best = int(np.argmax(scores - cost))
        chosen.append({"fold": k, "sources": sorted(set(data["groups"][test].tolist())),
                       "photos": int(test.sum()), "setting": candidates[best]})
    # Held-out readings through the full reader (shift average, tilt search, gate).
    held_out = {view: np.full(len(labels), -2) for view in VIEWS}
    distinct = {json.dumps(c["setting"], sort_keys=True) for c in chosen}
    for key in sorted(distinct):
        setting = json.loads(key)
        core = reader_core(setting["prior"], setting["tilts"], setting["tilt_bonus"],
                           weights=weights)
        mask = np.isin(fold, [c["fold"] for c in chosen
                              if json.dumps(c["setting"], sort_keys=True) == key])
        for view, x in images.items():
            held_out[view][mask] = read(core, x[mask])
    return {
        "machine": machine(),
        "photos": Path(photos).name,
        "count": len(labels),
        "sources": len(set(data["groups"].tolist())),
        "folds": folds,
        "corners": corners,
        "views": {v: list(VIEWS[v]) for v in VIEWS},
        "candidates": candidates,
        "chosen": chosen,
        "held_out": table(data, held_out),
        "files": [Path(f).relative_to(data["root"]).as_posix() for f in data["files"]],
        "labels": labels.tolist(),
        "kinds": data["kinds"].tolist(),
        "predictions": {v: p.tolist() for v, p in held_out.items()},
        "seconds": round(time.time() - start, 1),
    }


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def to_markdown(output: dict[str, Any]) -> str:
    """The held-out table: per kind, upright / each turn / turned / each tilt / tilted."""
    result = output["held_out"]
    tilt_cols = [f"tilt{t:+d}" for t in TILTS]
    header = (["kind", "photos", "upright"] + [f"{t}°" for t in TURNS] + ["turned"]
              + [f"{t:+d}°" for t in TILTS] + ["tilted"])
    lines = [f"Leave-source-out ({output['folds']} folds over {output['sources']} sources, "
             f"{output['count']} photos), every setting tuned on the other folds:", "",
             "| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for group, row in result.items():
        if group == "six_nine":
            continue
        cells = [group, str(row["count"]), _pct(row["upright"])]
        cells += [_pct(row[str(t)]) for t in TURNS] + [_pct(row["turned"])]
        cells += [_pct(row[c]) for c in tilt_cols] + [_pct(row["tilted"])]
        lines.append("| " + " | ".join(cells) + " |")
    errors = result["six_nine"]
    lines += ["", "6/9 confusions and photos without a digit found, per view: "
              + "; ".join(f"{v}: {e['6 read as 9']}/{e['9 read as 6']}/{e['no digit']}"
                          for v, e in errors.items())]
    lines += ["", "Settings chosen per fold: " + "; ".join(
        f"fold {c['fold']}: prior {c['setting']['prior']}, tilts {c['setting']['tilts']} "
        f"(bonus {c['setting']['tilt_bonus']})" for c in output["chosen"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos", help="folder of labelled photos (folders 0-9, SOURCES.csv)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--cache", default=None,
                        help="keep the preprocessed 28x28 views in this .npz file")
    parser.add_argument("--no-tune", action="store_true",
                        help="read with the shipped setting only (no tuning)")
    parser.add_argument("--out", default=str(DEFAULT_OUT),
                        help="write the JSON results here; '-' for none")
    parser.add_argument("--weights", default=None,
                        help="reader weights to measure (default: the shipped ones)")
    parser.add_argument("--corners", choices=("paper", *CORNERS), default="paper",
                        help="tilted views: the letterboxed photo turned, corners the "
                             "paper's colour (default), or the photo turned as an editor "
                             "does, corners black or white")
    args = parser.parse_args(argv)
    output = run(args.photos, args.folds, args.cache, not args.no_tune, weights=args.weights,
                 corners=args.corners)
    if args.out != "-":
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(output, f, indent=1)
    print(to_markdown(output))


if __name__ == "__main__":
    main()
