"""`rotkeras read`: reading handwritten numbers (several digits, any way up) in photos.

Each file is read on its own terms: a file that cannot be read, or in which no digit is
found, is reported on stderr with its reason, the others are still read and printed, and
the exit status is then 1.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from rotkeras._shipped import READER_WEIGHTS
from rotkeras.cli.predict import FORMATS, collect_files, failure_reason
from rotkeras.datasets.photos import read_image
from rotkeras.reading.numbers import ORIENTATIONS

#: Columns of the table and CSV outputs: one row per number.
COLUMNS = ("file", "number", "orientation", "orientation_confidence", "tilt", "confidence",
           "box", "digit_confidences", "digit_boxes")


def run_read(
    inputs: Sequence[str | os.PathLike[str]],
    *,
    weights: str | os.PathLike[str] | None = None,
    polarity: str = "auto",
    orientation: str = "photo",
    output_format: str = "table",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Reads the numbers in photos and prints them; returns an exit code.

    Every photo is read with `read_image` (EXIF orientation applied) and
    `rotkeras.reading.read_numbers` (`polarity` and `orientation` are its arguments).
    Output (`out`): with `output_format="table"` a table with a header line, one row per
    number (file, number, orientation in degrees counter-clockwise, its confidence, the
    number's confidence, its box
    `x_min,y_min,x_max,y_max` in pixels of the photo, then the digits' confidences and
    boxes separated by spaces); `"csv"` the same columns as CSV; `"json"` a JSON list
    with one object per file: `{"file", "numbers": [{"text", "confidence",
    "orientation", "orientation_confidence", "box", "digits": [{"digit", "confidence",
    "box"}]}]}`.

    Examples:
        >>> import io, json, tempfile
        >>> import cv2, numpy as np
        >>> from rotkeras.cli.read import run_read
        >>> photo = np.full((100, 200, 3), 235, np.uint8)
        >>> photo[25:75, 60:66] = 20; photo[25:75, 130:136] = 20  # "11"
        >>> path = tempfile.mkdtemp() + "/eleven.png"
        >>> _ = cv2.imwrite(path, photo)
        >>> text = io.StringIO()
        >>> run_read([path], output_format="json", out=text)
        0
        >>> json.loads(text.getvalue())[0]["numbers"][0]["text"]
        '11'
    """
    from rotkeras.reading import read_numbers

    out = out or sys.stdout
    err = err or sys.stderr
    if output_format not in FORMATS:
        raise ValueError(f"--format must be one of {FORMATS}; received {output_format!r}")
    if orientation not in ORIENTATIONS:
        raise ValueError(f"--orientation must be one of {ORIENTATIONS}; received "
                         f"{orientation!r}")
    if weights not in (None, *READER_WEIGHTS) and not os.path.isfile(weights):
        raise FileNotFoundError(f"--weights: weights file not found: {weights}")
    files = collect_files(inputs)
    if not files:
        raise ValueError(f"No image files found in {[str(i) for i in inputs]}")
    results: list[tuple[str, list[Any]]] = []
    failures: list[tuple[str, str]] = []
    for file in files:
        try:
            numbers = read_numbers(read_image(file), weights=weights or "numbers",
                                   polarity=polarity, orientation=orientation)
        except Exception as error:  # noqa: BLE001 - one bad file must not end the run
            failures.append((str(file), failure_reason(error)))
            continue
        if not numbers:
            failures.append((str(file), "no digit found (no ink with enough contrast)"))
            continue
        results.append((str(file), numbers))
    write_numbers(results, output_format, out)
    for name, reason in failures:
        print(f"rotkeras read: error: {name}: {reason}", file=err)
    if failures:
        print(f"rotkeras read: {len(failures)} of {len(files)} file(s) could not be read",
              file=err)
        return 1
    return 0


def write_numbers(results: Sequence[tuple[str, Sequence[Any]]], output_format: str,
                  out: TextIO) -> None:
    """Writes `(file, numbers)` pairs as a table, CSV or a JSON list (see `run_read`)."""
    if output_format == "json":
        items = [{"file": file, "numbers": [n.to_dict() for n in numbers]}
                 for file, numbers in results]
        print(json.dumps(items, indent=2), file=out)
        return
    rows = [
        [file, n.text, n.orientation, f"{n.orientation_confidence:.3f}", f"{n.tilt:.1f}",
         f"{n.confidence:.3f}", _box(n.box),
         " ".join(f"{d.confidence:.3f}" for d in n.digits),
         " ".join(_box(d.box) for d in n.digits)]
        for file, numbers in results for n in numbers
    ]
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)
        out.write(buffer.getvalue())
        return
    if not rows:
        return
    cells = [[str(v) for v in row] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(COLUMNS)]
    for row in [list(COLUMNS), *cells]:
        print("  ".join(v.ljust(widths[i]) if i in (0, 1, 6, 7, 8) else v.rjust(widths[i])
                        for i, v in enumerate(row)).rstrip(), file=out)


def _box(box: Sequence[int]) -> str:
    return ",".join(str(int(v)) for v in box)
