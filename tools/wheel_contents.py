"""Writes or checks the "What the wheel contains" section of docs/install.md.

    python tools/wheel_contents.py --write             # build a wheel, rewrite the section
    python tools/wheel_contents.py dist/rotkeras-*.whl --check

The section lies between the markers `<!-- wheel-contents:begin -->` and
`<!-- wheel-contents:end -->`: the wheel's name, its size, and one row per folder with the number
of files and their unpacked size. `--check` (and tests/test_packaging.py) accepts small drifts of
size and file count, so the section is rewritten at each release or when a folder appears or goes,
not for every edit.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "install.md"
BEGIN = "<!-- wheel-contents:begin -->"
END = "<!-- wheel-contents:end -->"

# What a user finds in each folder; a folder without an entry gets an empty cell.
DESCRIPTIONS = {
    "rotkeras/": "top-level modules: `import rotkeras`, version, metrics",
    "rotkeras/_backend/": "internal: the backend-specific code, one module per topic",
    "rotkeras/_validation/": "internal: the argument and tensor checks",
    "rotkeras/cli/": "the `rotkeras` command and its subcommands",
    "rotkeras/cli/reproduce/": "`rotkeras reproduce`: runner, phase registry, report, figures",
    "rotkeras/cli/reproduce/phases/": "the phases of `rotkeras reproduce`",
    "rotkeras/datasets/": "MNIST and real digit sets, rotated test sets, reading photos",
    "rotkeras/evaluation/": "accuracy on rotated sets, per angle and on photos",
    "rotkeras/layers/": "the Keras layers (`from rotkeras.layers import X`)",
    "rotkeras/layers/handwriting/": "layers for photos of handwriting and their pipeline",
    "rotkeras/layers/orientation/": "layers that read an angle classifier's prediction",
    "rotkeras/layers/p4/": "the rotation-equivariant p4 layers",
    "rotkeras/layers/rotation/": "the rotation layers",
    "rotkeras/ops/": "rotations of images and bounding boxes (`rotkeras.ops`)",
    "rotkeras/models/": "model factories and compositions",
    "rotkeras/reading/": "reading handwritten numbers in photos",
    "rotkeras/training/": "the recommended training path: fit, pipeline, precision, devices",
    "rotkeras/weights/": "pretrained weights and their checksums",
    ".dist-info/": "package metadata, entry point, file list with hashes",
    ".dist-info/licenses/": "the Apache-2.0 license",
}

# Allowed drift between the documented and the actual wheel.
FILES_PER_FOLDER = 2  # files more or fewer in a folder
FOLDER_SIZE = (8_000, 0.25)  # bytes or fraction of the actual size, whichever is larger
WHEEL_SIZE = (16_000, 0.20)


@dataclass
class Folder:
    files: int = 0
    size: int = 0


@dataclass
class WheelSummary:
    name: str
    size: int  # bytes of the .whl file (download size)
    files: int
    unpacked: int
    folders: dict[str, Folder] = field(default_factory=dict)


def summarize(wheel: Path) -> WheelSummary:
    """Sizes and file counts of a wheel, per folder."""
    wheel = Path(wheel)
    with zipfile.ZipFile(wheel) as archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
    folders: dict[str, Folder] = {}
    for info in entries:
        folder = info.filename.rsplit("/", 1)[0] + "/" if "/" in info.filename else "./"
        entry = folders.setdefault(folder, Folder())
        entry.files += 1
        entry.size += info.file_size
    return WheelSummary(
        name=wheel.name,
        size=wheel.stat().st_size,
        files=len(entries),
        unpacked=sum(info.file_size for info in entries),
        folders=dict(sorted(folders.items(), key=lambda item: (".dist-info" in item[0], item[0]))),
    )


def format_size(size: int) -> str:
    if size < 1_000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1e3:.1f} kB"
    return f"{size / 1e6:.2f} MB"


def parse_size(text: str) -> int:
    number, unit = text.strip().replace(",", "").split()
    return round(float(number) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit])


def _description(folder: str) -> str:
    if folder in DESCRIPTIONS:
        return DESCRIPTIONS[folder]
    match = re.search(r"\.dist-info/.*", folder)
    return DESCRIPTIONS.get(match.group(0), "") if match else ""


def render(summary: WheelSummary) -> str:
    """The markdown section, markers included."""
    lines = [
        BEGIN,
        f"`{summary.name}` (pure Python, any platform): **{format_size(summary.size)}** to "
        "download,",
        f"{summary.files} files, {format_size(summary.unpacked)} unpacked.",
        "",
        "| Folder | Files | Unpacked | What it holds |",
        "|---|---:|---:|---|",
    ]
    for folder, entry in summary.folders.items():
        lines.append(
            f"| `{folder}` | {entry.files} | {format_size(entry.size)} | {_description(folder)} |"
        )
    lines.append(END)
    return "\n".join(lines)


def section(text: str) -> str:
    """The documented section of `text` (markers included); ValueError without one."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no {BEGIN} ... {END} section")
    return text[start : end + len(END)]


def parse(markdown: str) -> WheelSummary:
    """Reads back what `render` wrote."""
    head = re.search(
        r"`([^`]+\.whl)`[^*]*\*\*([^*]+)\*\* to\s+download,\s+(\d+) files,\s+([\d.,]+ \w+) "
        r"unpacked",
        markdown,
    )
    if head is None:
        raise ValueError("the section does not name the wheel, its size and its file count")
    folders = {
        match.group(1): Folder(int(match.group(2)), parse_size(match.group(3)))
        for match in re.finditer(r"^\| `([^`]+)` \| (\d+) \| ([\d.,]+ \w+) \|", markdown, re.M)
    }
    return WheelSummary(
        name=head.group(1),
        size=parse_size(head.group(2)),
        files=int(head.group(3)),
        unpacked=parse_size(head.group(4)),
        folders=folders,
    )


def _close(documented: int, actual: int, tolerance: tuple[int, float]) -> bool:
    absolute, fraction = tolerance
    return abs(documented - actual) <= max(absolute, fraction * actual)


def compare(documented: WheelSummary, actual: WheelSummary) -> list[str]:
    """What differs beyond the allowed drift; empty when the documentation still holds."""
    problems = []
    if documented.name != actual.name:
        problems.append(f"wheel name: documented {documented.name}, built {actual.name}")
    if not _close(documented.size, actual.size, WHEEL_SIZE):
        problems.append(
            f"wheel size: documented {format_size(documented.size)}, "
            f"built {format_size(actual.size)}"
        )
    if not _close(documented.unpacked, actual.unpacked, WHEEL_SIZE):
        problems.append(
            f"unpacked size: documented {format_size(documented.unpacked)}, "
            f"built {format_size(actual.unpacked)}"
        )
    if abs(documented.files - actual.files) > FILES_PER_FOLDER * max(1, len(actual.folders)):
        problems.append(f"file count: documented {documented.files}, built {actual.files}")
    for folder in sorted(set(documented.folders) | set(actual.folders)):
        doc, real = documented.folders.get(folder), actual.folders.get(folder)
        if doc is None:
            problems.append(f"{folder}: in the wheel ({real.files} files), not documented")
        elif real is None:
            problems.append(f"{folder}: documented, not in the wheel")
        else:
            if abs(doc.files - real.files) > FILES_PER_FOLDER:
                problems.append(f"{folder}: documented {doc.files} files, built {real.files}")
            if not _close(doc.size, real.size, FOLDER_SIZE):
                problems.append(
                    f"{folder}: documented {format_size(doc.size)}, built {format_size(real.size)}"
                )
    return problems


def build_wheel(outdir: Path, source: Path = ROOT) -> Path:
    """Builds the wheel of `source` into `outdir` with `python -m build` and returns its path."""
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(source)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -m build failed:\n{done.stdout}{done.stderr}")
    (wheel,) = Path(outdir).glob("*.whl")
    return wheel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", nargs="?", help="the wheel (default: build one here)")
    parser.add_argument("--doc", default=str(DOC), help=f"default: {DOC.relative_to(ROOT)}")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="rewrite the section")
    action.add_argument("--check", action="store_true", help="exit 1 if the section has drifted")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = Path(args.wheel) if args.wheel else build_wheel(Path(tmp))
        actual = summarize(wheel)
    doc = Path(args.doc)
    if args.write:
        text = doc.read_text(encoding="utf-8")
        doc.write_text(text.replace(section(text), render(actual)), encoding="utf-8")
        print(f"{doc}: wheel contents of {actual.name} written")
    elif args.check:
        problems = compare(parse(section(doc.read_text(encoding="utf-8"))), actual)
        for problem in problems:
            print(f"{doc}: {problem}", file=sys.stderr)
        if problems:
            print(f"rewrite it with: python {Path(__file__).relative_to(ROOT)} --write",
                  file=sys.stderr)
            return 1
        print(f"{doc}: wheel contents of {actual.name} as documented")
    else:
        print(render(actual))
    return 0


if __name__ == "__main__":
    sys.exit(main())
