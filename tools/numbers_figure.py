"""Draws photos of handwritten numbers with what `read_numbers` found: boxes, number, turn.

Usage::

    ROTKERAS_MNIST=mnist.npz python tools/numbers_figure.py [--out docs/img/numbers.png]

Three numbers composed from MNIST test digits by `make_synthetic_numbers` (seeded): one
upright, one turned by 90 degrees and tilted, one turned upside down with two digits that
touch. Each panel shows the photo, a box around every digit found (its digit and
confidence above it) and, under the photo, the number read and its orientation.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

PANELS = (
    {"numbers": ["46913"], "turns": (0,)},
    {"numbers": ["2086"], "turns": (90,), "tilt": 12.0},
    {"numbers": ["7159"], "turns": (180,), "touching": 1.0},
)


def draw(photo: np.ndarray, numbers: list, size: int = 320) -> np.ndarray:
    import cv2

    scale = size / max(photo.shape[:2])
    image = cv2.resize(photo, (round(photo.shape[1] * scale), round(photo.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA).copy()
    caption = []
    for number in numbers:
        for digit in number.digits:
            x0, y0, x1, y1 = (round(v * scale) for v in digit.box)
            cv2.rectangle(image, (x0, y0), (x1 - 1, y1 - 1), (0, 170, 0), 2)
            cv2.putText(image, f"{digit.digit}", (x0, max(12, y0 - 4)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.5, (200, 0, 0), 1, cv2.LINE_AA)
        caption.append(f"{number.text}  turned {number.orientation} deg")
    band = np.full((40, image.shape[1], 3), 255, np.uint8)
    cv2.putText(band, "; ".join(caption) or "(nothing found)", (8, 27),
                cv2.FONT_HERSHEY_SIMPLEX, 0.65, (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([image, band], axis=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/img/numbers.png")
    args = parser.parse_args()

    import cv2

    from rotkeras.datasets import make_synthetic_numbers
    from rotkeras.reading import read_numbers

    panels = []
    for index, panel in enumerate(PANELS):
        photos, _, _, _ = make_synthetic_numbers(1, size=320, seed=10 + index, **panel)
        found = read_numbers(photos[0])
        print(panel["numbers"][0], [(n.text, n.orientation) for n in found])
        panels.append(draw(photos[0], found))
        panels.append(np.full((panels[-1].shape[0], 8, 3), 255, np.uint8))
    figure = np.concatenate(panels[:-1], axis=1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out), figure[..., ::-1])
    print(f"written to {out}")


if __name__ == "__main__":
    main()
