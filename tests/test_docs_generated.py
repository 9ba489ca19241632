"""The numbers on the docs pages are the numbers of their results files.

The generated regions of the pages (`<!-- generated:NAME -->`) are written by
`tools/docs_generate.py` from `docs/reproducing/metrics.json` (the full `rotkeras reproduce`
run), `benchmarks/results/results.json` (the benchmark suite) and the `rotkeras` argument
parser. A page edited by hand, a results file replaced without rewriting the pages, or a
command-line option added without its reference fails here; `python tools/docs_generate.py
--write` fixes it.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.backend_independent

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _tool():
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "tools" /
                                                  "docs_generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool():
    return _tool()


def test_pages_match_their_results_files(tool) -> None:
    stale = tool.stale_pages()
    assert not stale, (
        "pages differ from their results files (run `python tools/docs_generate.py --write`): "
        + ", ".join(str(p.relative_to(ROOT)) for p in stale)
    )


def test_a_changed_number_is_caught(tool) -> None:
    """The check sees a single digit changed inside a generated region."""
    page = DOCS / "index.md"
    text = page.read_text(encoding="utf-8")
    region = tool.REGION.search(text)
    assert region is not None, "the home page has no generated results table"
    body = region["body"]
    digit = re.search(r"\d", body)
    changed = body[: digit.start()] + str((int(digit[0]) + 1) % 10) + body[digit.end():]
    edited = text[: region.start("body")] + changed + text[region.end("body"):]
    assert tool.render(edited, tool.generators()) == text


def test_every_command_has_a_generated_reference(tool) -> None:
    text = (DOCS / "api" / "cli.md").read_text(encoding="utf-8")
    for command in ["rotkeras", *tool._command_names()]:
        assert f"<!-- generated:cli:{command} -->" in text, f"docs/api/cli.md lacks {command}"


def test_every_region_has_a_generator(tool) -> None:
    names = set(tool.generators())
    for page in DOCS.rglob("*.md"):
        for match in tool.REGION.finditer(page.read_text(encoding="utf-8")):
            assert match["name"] in names, f"{page.name}: unknown region {match['name']}"


def test_regions_are_blocks(tool) -> None:
    """A region inside a paragraph or a list item would break it (an HTML comment line ends
    Markdown's paragraph): regions stand alone, with blank lines around them."""
    for page in DOCS.rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for match in tool.REGION.finditer(text):
            before = text[: match.start()]
            after = text[match.end():]
            assert not match["indent"], f"{page.name}: region {match['name']} is indented"
            assert before == "" or before.endswith("\n\n"), f"{page.name}: {match['name']}"
            assert after == "" or after.startswith("\n\n") or after == "\n", (
                f"{page.name}: {match['name']} needs a blank line after it")


def test_pages_speak_to_users() -> None:
    """No local paths of the machines that made the runs, no talk of the project's process."""
    pattern = re.compile(r"/work/|/tmp/|/home/|\bsessions?\b|this project's", re.IGNORECASE)
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{page.relative_to(ROOT)}:{number}: {line.strip()}")
    text = (DOCS / "reproducing" / "metrics.json").read_text(encoding="utf-8")
    if re.search(r"/work/|/tmp/|/home/", text):
        found.append("docs/reproducing/metrics.json holds a local path")
    assert not found, "\n".join(found)
