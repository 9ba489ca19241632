"""The Python code blocks of the docs pages run.

Each page is one test: its ```python blocks run in order in one namespace, in a fresh working
folder, so a block may use what an earlier block of the same page defined. The namespace starts
with a tiny MNIST-like data set, so that the pages' examples train in seconds:
`x_train, y_train, x_test, y_test` (256 training and 64 test images of 28x28x1 noise, float32 in
[0, 1], integer labels), and `$ROTKERAS_MNIST` names a Keras-format `mnist.npz` holding the same
images (so `rotkeras.datasets.load_mnist()` reads it).

HTML comments right before a block (invisible on the site) steer it:

- `<!-- docs-test: skip REASON -->`: the block is not run (say why);
- `<!-- docs-test: slow -->`: the page runs only with `-m slow`;
- `<!-- docs-test: requires rotkeras.models.digit_reader -->`: the page is skipped until that
  name exists;
- a hidden set-up block, run before the next block, for files or names the example assumes
  (a saved model, a folder of photos)::

      <!-- docs-test: setup
      model = rotkeras.models.mnist_cnn(); model.save("mnist_cnn.keras")
      -->
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"

# The pages' examples run on the default backend (TensorFlow), as a reader runs them; the
# layers and models they call are tested on every backend by their own tests.
pytestmark = pytest.mark.backend_independent

FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)[^\n]*\n(?P<code>.*?)^(?P=indent)```",
                   re.MULTILINE | re.DOTALL)
DIRECTIVE = re.compile(r"<!--\s*docs-test:\s*(?P<kind>skip|slow|requires)\b(?P<arg>[^>]*?)-->")
SETUP = re.compile(r"<!--\s*docs-test:\s*setup\s*\n(?P<code>.*?)-->", re.DOTALL)


@dataclass
class Page:
    path: Path
    blocks: list[tuple[int, str]] = field(default_factory=list)  # (line, code); setup too
    slow: bool = False
    requires: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    python_blocks: int = 0  # run or skipped, set-up blocks not counted


def parse(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")
    page = Page(path)
    events = [(m.start(), "setup", m) for m in SETUP.finditer(text)]
    events += [(m.start(), "fence", m) for m in FENCE.finditer(text)]
    events += [(m.start(), "directive", m) for m in DIRECTIVE.finditer(text)]
    pending: list[re.Match[str]] = []
    for start, kind, match in sorted(events, key=lambda e: e[0]):
        line = text.count("\n", 0, start) + 1
        if kind == "directive":
            pending.append(match)
        elif kind == "setup":
            page.blocks.append((line, match["code"]))
        elif match["lang"] in ("python", "py"):
            page.python_blocks += 1
            skip = False
            for directive in pending:
                argument = directive["arg"].strip()
                if directive["kind"] == "skip":
                    skip = True
                    page.skipped.append(f"line {line}: {argument}")
                elif directive["kind"] == "slow":
                    page.slow = True
                else:
                    page.requires.append(argument)
            if not skip:
                code = "\n".join(
                    row[len(match["indent"]):] for row in match["code"].splitlines())
                page.blocks.append((line, code))
            pending = []
        else:
            pending = []
    return page


def _pages() -> list[Page]:
    return [page for page in map(parse, sorted(DOCS.rglob("*.md"))) if page.blocks]


PAGES = _pages()


def _available(dotted: str) -> bool:
    module_name, _, attribute = dotted.rpartition(".")
    try:
        return hasattr(importlib.import_module(module_name), attribute)
    except ImportError:
        return False


def _tiny_mnist(folder: Path) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    raw = {
        "x_train": rng.integers(0, 256, (256, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, 256).astype(np.uint8),
        "x_test": rng.integers(0, 256, (64, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, 64).astype(np.uint8),
    }
    np.savez(folder / "mnist.npz", **raw)
    return {
        "x_train": raw["x_train"][..., None].astype("float32") / 255,
        "y_train": raw["y_train"].astype("int64"),
        "x_test": raw["x_test"][..., None].astype("float32") / 255,
        "y_test": raw["y_test"].astype("int64"),
    }


@pytest.mark.parametrize(
    "page",
    [pytest.param(p, marks=[pytest.mark.slow] if p.slow else []) for p in PAGES],
    ids=[p.path.relative_to(DOCS).as_posix() for p in PAGES],
)
def test_page_code_blocks_run(page: Page, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = [name for name in page.requires if not _available(name)]
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__docs__", **_tiny_mnist(tmp_path)}
    monkeypatch.setenv("ROTKERAS_MNIST", str(tmp_path / "mnist.npz"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    import keras

    # A page may set a global distribution (the devices page does): the tests after it in
    # this process must not train under it.
    previous = keras.distribution.distribution()
    try:
        for line, code in page.blocks:
            where = f"{page.path.relative_to(DOCS.parent)}:{line}"
            try:
                exec(compile(code, where, "exec"), namespace)  # noqa: S102
            except Exception as error:
                raise AssertionError(
                    f"the code block at {where} failed: {error!r}\n{code}") from error
    finally:
        keras.distribution.set_distribution(previous)


def test_blocks_are_found() -> None:
    """The parser sees the pages' blocks (a page with a python block is never silently empty)."""
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        fenced = len(re.findall(r"^[ \t]*```(?:python|py)\b", text, flags=re.MULTILINE))
        assert parse(path).python_blocks == fenced, path


def test_few_blocks_are_skipped() -> None:
    skipped = [f"{p.path.name} {s}" for p in PAGES for s in p.skipped]
    assert len(skipped) <= 4, skipped
    assert all(re.search(r"line \d+: \S", s) for s in skipped), "a skip needs a reason"
