"""Every `>>>` example in rotkeras' docstrings runs, and every public object has one.

The examples are what the API reference pages show (mkdocstrings renders the docstrings'
`Examples:` sections), so a broken example fails here before it reaches a reader. They run
on TensorFlow, the default backend (elsewhere they are skipped: `backend_independent`). An
example that needs data a test machine does not have (MNIST, a photo, a trained model) marks
its lines `# doctest: +SKIP` and says why in the surrounding text; there are few of them,
and `test_few_skipped_examples` keeps it that way.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import rotkeras

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

# The examples run on the default backend, as the API reference shows them; the objects they
# call are tested on every backend by their own tests.
pytestmark = pytest.mark.backend_independent

# The packages whose `__all__` is the public API (each object there needs an example).
PUBLIC_NAMESPACES = (
    "rotkeras.datasets",
    "rotkeras.evaluation",
    "rotkeras.layers",
    "rotkeras.metrics",
    "rotkeras.models",
    "rotkeras.ops",
    "rotkeras.training",
)
# At most this many `>>>` lines in the package may be skipped (they need MNIST, a photo or a
# trained model). Raise it only with a reason in the example's text.
MAX_SKIPPED_LINES = 12


def _public_modules() -> list[str]:
    """Every module of the package whose dotted name has no private (`_x`) part."""
    names = ["rotkeras"]
    for info in pkgutil.walk_packages(rotkeras.__path__, prefix="rotkeras."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def _doctests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = []
    for name in _public_modules():
        module = importlib.import_module(name)
        tests += [t for t in finder.find(module, name) if t.examples]
    return sorted(tests, key=lambda t: t.name)


DOCTESTS = _doctests()


@pytest.mark.parametrize("test", DOCTESTS, ids=[t.name for t in DOCTESTS])
def test_docstring_example(test: doctest.DocTest) -> None:
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    failures: list[str] = []

    def report(out: str) -> None:
        failures.append(out)

    test.globs = dict(test.globs)  # the finder shares the module's namespace
    runner.run(test, out=report, clear_globs=True)
    assert runner.failures == 0, "".join(failures)


def _documented_objects() -> set[str]:
    """Dotted names of the objects the docs pages render (`::: name` lines)."""
    names = set()
    for page in DOCS.rglob("*.md"):
        names |= set(re.findall(r"^::: ([\w.]+)\s*$", page.read_text(), flags=re.MULTILINE))
    return names


def _public_objects() -> dict[str, object]:
    objects: dict[str, object] = {}
    for namespace in PUBLIC_NAMESPACES:
        module = importlib.import_module(namespace)
        for name in module.__all__:
            objects[f"{namespace}.{name}"] = getattr(module, name)
    for dotted in _documented_objects():
        module_name, _, attr = dotted.rpartition(".")
        try:
            module = importlib.import_module(dotted)
        except ImportError:
            module = getattr(importlib.import_module(module_name), attr)
        if not isinstance(module, ModuleType):  # a module's page documents its members
            objects[dotted] = module
    return objects


def test_every_public_object_has_an_example() -> None:
    missing = sorted(
        name for name, obj in _public_objects().items()
        if ">>>" not in (inspect.getdoc(obj) or "")
    )
    assert not missing, f"public objects without an `Examples:` section: {missing}"


def test_examples_are_google_style_sections() -> None:
    """`>>>` lines sit in an indented `Examples:` section, so the docs render them as code."""
    wrong = []
    for path in sorted((ROOT / "rotkeras").rglob("*.py")):
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines, 1):
            if re.match(r"^\s*Example:\s*$", line):
                wrong.append(f"{path.relative_to(ROOT)}:{number}: 'Example:' (use 'Examples:')")
        for number, line in enumerate(lines, 1):
            if line.strip().startswith(">>>"):
                indent = len(line) - len(line.lstrip())
                header = next(
                    (lines[i] for i in range(number - 2, -1, -1)
                     if lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) < indent),
                    "",
                )
                if header.strip() != "Examples:":
                    wrong.append(f"{path.relative_to(ROOT)}:{number}: `>>>` outside Examples:")
    assert not wrong, "\n".join(wrong)


def test_few_skipped_examples() -> None:
    skipped = sum(
        1 for test in DOCTESTS for example in test.examples
        if example.options.get(doctest.SKIP)
    )
    assert skipped <= MAX_SKIPPED_LINES, f"{skipped} skipped doctest lines"


def test_every_public_object_is_on_an_api_page() -> None:
    rendered = set()
    for dotted in _documented_objects():
        module_name, _, attr = dotted.rpartition(".")
        try:
            rendered.add(id(importlib.import_module(dotted)))
        except ImportError:
            rendered.add(id(getattr(importlib.import_module(module_name), attr)))
    missing = []
    for namespace in PUBLIC_NAMESPACES:
        module = importlib.import_module(namespace)
        missing += [f"{namespace}.{n}" for n in module.__all__
                    if id(getattr(module, n)) not in rendered]
    assert not missing, f"public objects on no API page (add `::: name` lines): {missing}"
