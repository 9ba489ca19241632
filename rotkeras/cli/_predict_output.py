"""What `rotkeras predict` prints: the predictions as a table, CSV or JSON, and a summary.

Also the checks of what it writes (`--save-inputs`) and the one-line reasons it gives
for a file it could not classify.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

#: The output formats of `rotkeras predict` and `rotkeras read`.
FORMATS = ("table", "csv", "json")


@dataclass
class Prediction:
    """The result of one file: the top-k digits, and the orientation when the model gives one."""

    file: str
    digits: list[tuple[int, float]]
    orientation: tuple[int, float] | None = None
    label: int | None = None
    #: Degrees (counter-clockwise) by which the photo was turned within its frame.
    tilt: float = 0.0

    @property
    def digit(self) -> int:
        return self.digits[0][0]

    @property
    def confidence(self) -> float:
        return self.digits[0][1]


def failure_reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    message = text[0] if text else ""
    if isinstance(error, (FileNotFoundError, ValueError)) and message:
        return message
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def check_image_output(path: str | os.PathLike[str], option: str) -> Path:
    """Checks, before any work, that an image can be written at `path` (format, folder)."""
    import cv2

    target = Path(path).expanduser()
    if target.is_dir():
        raise ValueError(f"{option}: {target} is a folder; give an image file name (.png)")
    if not target.suffix or not cv2.haveImageWriter(str(target)):
        raise ValueError(
            f"{option}: cannot write images of type {target.suffix or '(no extension)'!r} "
            f"({target}); use .png or .jpg"
        )
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise ValueError(f"{option}: cannot create {target} (folder {parent} is not writable)")
    return target


def _columns(top_k: int, orientation: bool, labelled: bool) -> list[str]:
    columns = ["file", "digit", "confidence"]
    if orientation:
        columns += ["orientation", "orientation_confidence", "tilt"]
    for rank in range(2, top_k + 1):
        columns += [f"digit_{rank}", f"confidence_{rank}"]
    if labelled:
        columns.append("label")
    return columns


def _row(p: Prediction, top_k: int, orientation: bool, labelled: bool) -> list[Any]:
    row: list[Any] = [p.file, p.digit, p.confidence]
    if orientation:
        # the tilt is measured to a tenth of a degree: written so, not as the other floats
        row += [*p.orientation, f"{p.tilt:.1f}"] if p.orientation else ["", "", ""]
    for rank in range(1, top_k):
        row += list(p.digits[rank]) if rank < len(p.digits) else ["", ""]
    if labelled:
        row.append(p.label)
    return row


def write_predictions(
    predictions: Sequence[Prediction], output_format: str, top_k: int, out: TextIO,
    *, labelled: bool = False,
) -> None:
    """Writes the predictions as a table, CSV or a JSON list (see `run_predict`)."""
    orientation = any(p.orientation is not None for p in predictions)
    if output_format == "json":
        items = []
        for p in predictions:
            item: dict[str, Any] = {"file": p.file, "digit": p.digit,
                                    "confidence": round(p.confidence, 6)}
            if p.orientation is not None:
                item["orientation"] = p.orientation[0]
                item["orientation_confidence"] = round(p.orientation[1], 6)
                item["tilt"] = round(p.tilt, 1)
            item["top_k"] = [{"digit": d, "probability": round(c, 6)} for d, c in p.digits]
            if labelled:
                item["label"] = p.label
            items.append(item)
        print(json.dumps(items, indent=2), file=out)
        return
    columns = _columns(top_k, orientation, labelled)
    rows = [_row(p, top_k, orientation, labelled) for p in predictions]
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([f"{v:.6f}" if isinstance(v, float) else v for v in row])
        out.write(buffer.getvalue())
        return
    if not rows:
        return
    cells = [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i])
                    for i, c in enumerate(columns)).rstrip(), file=out)
    for row in cells:
        print("  ".join(v.ljust(widths[0]) if i == 0 else v.rjust(widths[i])
                        for i, v in enumerate(row)).rstrip(), file=out)


def accuracy_summary(predictions: Sequence[Prediction]) -> dict[str, Any]:
    """Per-label counts and accuracy of labelled predictions, plus the total."""
    per_label: dict[int, list[int]] = {}
    for p in predictions:
        if p.label is None:
            continue
        counts = per_label.setdefault(p.label, [0, 0])
        counts[0] += 1
        counts[1] += int(p.digit == p.label)
    total = sum(c[0] for c in per_label.values())
    correct = sum(c[1] for c in per_label.values())
    return {
        "per_label": {
            label: {"files": n, "correct": k, "accuracy": k / n}
            for label, (n, k) in sorted(per_label.items())
        },
        "files": total,
        "correct": correct,
        "accuracy": correct / total if total else 0.0,
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The summary of `accuracy_summary` as a small table."""
    lines = ["label  files  correct  accuracy"]
    for label, item in summary["per_label"].items():
        lines.append(f"{label:>5}  {item['files']:>5}  {item['correct']:>7}  "
                     f"{item['accuracy']:>8.1%}")
    lines.append(f"{'all':>5}  {summary['files']:>5}  {summary['correct']:>7}  "
                 f"{summary['accuracy']:>8.1%}")
    return "\n".join(lines)
