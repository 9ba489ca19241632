"""Draws the photos the shipped digit reader misreads, next to the 28x28 image it saw.

Usage::

    python tools/reader_failures.py PHOTO_DIR [--out docs/img/reader_failures.png]

`PHOTO_DIR` holds labelled photos (folders `0`..`9`). Every photo is read upright; for each
misread one the figure shows the photo (letterboxed), the 28x28 input after
`HandwritingPreprocess`, the label and the reader's answer with its confidence.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photos")
    parser.add_argument("--out", default="docs/img/reader_failures.png")
    parser.add_argument("--max", type=int, default=16, help="most failures to draw")
    args = parser.parse_args()

    import keras
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import rotkeras

    reader = rotkeras.models.digit_reader()
    images, labels = rotkeras.datasets.load_image_folder(args.photos, size=256)
    digits, _ = reader.predict(images, batch_size=32, verbose=0)
    wrong = np.flatnonzero(digits.argmax(-1) != labels)[: args.max]
    preprocess = reader.get_layer("preprocess")
    seen = np.asarray(keras.ops.convert_to_numpy(preprocess(images[wrong])))[..., 0]
    print(f"{len(wrong)} of {len(labels)} photos misread (upright)")

    columns = 4
    rows = max(1, -(-len(wrong) // columns))
    fig, axes = plt.subplots(rows, 2 * columns, figsize=(2 * columns * 1.45, rows * 1.9))
    axes = np.atleast_2d(axes)
    for ax in axes.flat:
        ax.axis("off")
    for n, index in enumerate(wrong):
        row, col = divmod(n, columns)
        photo_ax, input_ax = axes[row, 2 * col], axes[row, 2 * col + 1]
        photo_ax.imshow(images[index])
        input_ax.imshow(seen[n], cmap="gray", vmin=0, vmax=1)
        guess = int(digits[index].argmax())
        photo_ax.set_title(f"label {labels[index]}", fontsize=12)
        input_ax.set_title(f"read {guess} ({digits[index, guess]:.0%})", fontsize=12,
                           color="#b00020")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
