"""Inference throughput (images/second) of the digit models and the photo preprocessing.

Rows, measured in one process on the active Keras backend with `model.predict`
(compiled, batches of `batch_size`):

- `mnist_cnn` on 28x28 digits;
- the orientation-corrected model (`rotkeras.models.orientation_corrected(classifier,
  angle_classifier())`): angle model + exact rotation back + classifier;
- `HandwritingPreprocess` on 256x256 RGB photos (alone, and followed by `mnist_cnn`).

Weights are untrained: speed does not depend on them. Rows whose building blocks are
missing are skipped with a message.

Run on its own::

    KERAS_BACKEND=tensorflow python -m benchmarks.inference [--quick]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from benchmarks._common import best_rate, machine, markdown_table

PHOTO_SIZE = 256


def _photos(n: int, digits: np.ndarray, seed: int) -> tuple[np.ndarray, str]:
    try:
        from rotkeras.datasets import make_synthetic_photos

        digits_u8 = np.clip(digits[..., 0] * 255, 0, 255).astype("uint8")
        photos, _ = make_synthetic_photos(
            n, digits_u8, np.zeros(len(digits_u8), "int64"), size=PHOTO_SIZE, seed=seed
        )
        return photos, "rotkeras.datasets.make_synthetic_photos"
    except ImportError:
        rng = np.random.default_rng(seed)
        photos = rng.integers(180, 250, (n, PHOTO_SIZE, PHOTO_SIZE, 3)).astype("uint8")
        photos[:, 60:200, 120:136] = 30  # a dark stroke on paper
        return photos, "flat synthetic paper with a stroke"


def run(quick: bool = False, seed: int = 0, batch_size: int = 256) -> dict[str, Any]:
    """Measures every row; returns a JSON-serialisable dict."""
    import keras

    from rotkeras.models import mnist_cnn

    rng = np.random.default_rng(seed)
    n_digits = 512 if quick else 4096
    n_photos = 16 if quick else 64
    min_seconds = 0.1 if quick else 2.0
    repeats = 1 if quick else 3
    digits = rng.random((n_digits, 28, 28, 1), dtype=np.float32)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []

    def measure(name: str, model: keras.Model, x: np.ndarray, bs: int) -> None:
        rate = best_rate(lambda: model.predict(x, batch_size=bs, verbose=0), len(x),
                         min_seconds=min_seconds, repeats=repeats)
        rows.append({"model": name, "input": "x".join(map(str, x.shape[1:])) + f" {x.dtype}",
                     "batch_size": bs, "images_per_second": rate})

    keras.utils.set_random_seed(seed)
    classifier = mnist_cnn()
    measure("mnist_cnn", classifier, digits, batch_size)
    try:
        from rotkeras.models import angle_classifier, orientation_corrected
    except ImportError as error:
        notes.append(f"orientation-corrected model skipped: {error}")
    else:
        corrected = orientation_corrected(classifier, angle_classifier())
        measure("orientation_corrected(mnist_cnn, angle_classifier)", corrected, digits,
                batch_size)
    try:
        from rotkeras.layers import HandwritingPreprocess
    except ImportError as error:
        notes.append(f"HandwritingPreprocess skipped: {error}")
    else:
        photos, source = _photos(n_photos, digits, seed)
        notes.append(f"photos: {len(photos)} x {photos.shape[1:]} uint8 from {source}")
        photo_bs = 64
        inputs = keras.Input(shape=photos.shape[1:], dtype="uint8")
        preprocess = keras.Model(inputs, HandwritingPreprocess()(inputs))
        measure("HandwritingPreprocess (photos)", preprocess, photos, photo_bs)
        full = keras.Model(inputs, classifier(HandwritingPreprocess()(inputs)))
        measure("HandwritingPreprocess + mnist_cnn (photos)", full, photos, photo_bs)
    base = rows[0]["images_per_second"]
    for row in rows:
        row["vs_mnist_cnn"] = row["images_per_second"] / base
    return {
        "benchmark": "inference",
        "backend": keras.backend.backend(),
        "quick": quick,
        "rows": rows,
        "notes": notes,
        "machine": machine(),
    }


def to_markdown(result: dict[str, Any]) -> str:
    """The result of `run` as a markdown table."""
    table = markdown_table(
        ["model", "input", "batch", "images/s", "relative to mnist_cnn"],
        [
            [r["model"], r["input"], r["batch_size"], r["images_per_second"],
             f"{r['vs_mnist_cnn']:.3g}x"]
            for r in result["rows"]
        ],
    )
    notes = "".join(f"\n- {note}" for note in result["notes"])
    return table + ("\n" + notes if notes else "")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short timings (smoke test)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    args = parser.parse_args(argv)
    result = run(quick=args.quick)
    print(json.dumps(result, indent=2) if args.json else to_markdown(result))


if __name__ == "__main__":
    main()
