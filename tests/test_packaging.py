"""What `pip install rotkeras` gets: the sdist, the wheel, the installed package and its metadata.

The distributions under test come from $ROTKERAS_DIST_DIR (one sdist and one wheel, as
`.ci/wheel` builds them); without it they are built once per session from the checkout with
`python -m build`. ROTKERAS_TEST_WHEEL_INSTALL=1 says that the suite runs against a wheel
installed in a fresh environment: rotkeras must then be imported from site-packages, installed
from exactly that wheel. $ROTKERAS_SOURCE names the checkout when the tests run from a copy of
tests/; $ROTKERAS_TEST_EXTRAS lists the extras that must be installed (default: dev).
"""

from __future__ import annotations

import ast
import base64
import csv
import email.parser
import email.policy
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import rotkeras

EXTRAS = {"jax", "torch", "plot", "docs", "dev", "export"}
PYTHON_VERSIONS = ("3.10", "3.11", "3.12", "3.13")  # what the dependencies have wheels for
WHEEL_INSTALL = os.environ.get("ROTKERAS_TEST_WHEEL_INSTALL", "") == "1"
PACKAGE = Path(rotkeras.__file__).resolve().parent
TESTS = Path(__file__).resolve().parent
FIRST_PARTY = {"rotkeras", "tests", "benchmarks", "tools"}
HEX64 = re.compile(r"^(?:sha256:)?([0-9a-fA-F]{64})$")


def _source_dir() -> Path | None:
    value = os.environ.get("ROTKERAS_SOURCE", "").strip()
    candidate = Path(value) if value else TESTS.parent
    if (candidate / "pyproject.toml").is_file() and (candidate / "rotkeras").is_dir():
        return candidate.resolve()
    return None


SOURCE = _source_dir()
needs_source = pytest.mark.skipif(
    SOURCE is None, reason="needs the source checkout (set ROTKERAS_SOURCE)"
)


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """The sdist and the wheel: from $ROTKERAS_DIST_DIR, else built from the checkout."""
    folder = os.environ.get("ROTKERAS_DIST_DIR", "").strip()
    if folder:
        out = Path(folder)
    else:
        if SOURCE is None:
            pytest.skip("no checkout to build from and no ROTKERAS_DIST_DIR")
        if importlib.util.find_spec("build") is None:
            pytest.skip("building needs `build` (the [dev] extra)")
        out = tmp_path_factory.mktemp("dist")
        command = [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out)]
        # Offline and fast where hatchling is installed (the [dev] extra); isolated otherwise.
        attempts = [[*command, "--no-isolation"]] if importlib.util.find_spec("hatchling") else []
        for attempt in [*attempts, command]:
            done = subprocess.run([*attempt, str(SOURCE)], capture_output=True, text=True)
            if done.returncode == 0:
                break
        assert done.returncode == 0, done.stdout + done.stderr
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, f"want one wheel and one sdist in {out}"
    return Dists(sdist=sdists[0], wheel=wheels[0])


# ---------------------------------------------------------------------------- helpers


def _wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return [name for name in archive.namelist() if not name.endswith("/")]


def _wheel_read(wheel: Path, suffix: str) -> bytes:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(suffix)]
        return archive.read(name)


def _metadata(wheel: Path) -> email.message.Message:
    parser = email.parser.BytesParser(policy=email.policy.compat32)
    return parser.parsebytes(_wheel_read(wheel, ".dist-info/METADATA"))


def _sdist_names(sdist: Path) -> list[str]:
    with tarfile.open(sdist) as archive:
        members = [m.name for m in archive.getmembers() if m.isfile()]
    top = {name.split("/", 1)[0] for name in members}
    assert len(top) == 1, f"sdist has several top folders: {sorted(top)}"
    return [name.split("/", 1)[1] for name in members]


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((SOURCE / "pyproject.toml").read_text(encoding="utf-8"))


def _package_files(source: Path) -> set[str]:
    """The files under source/rotkeras that a wheel must hold: what git does not ignore."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "rotkeras"],
            cwd=source, capture_output=True, text=True, check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a git checkout
        listed = [
            path.relative_to(source).as_posix()
            for path in (source / "rotkeras").rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        ]
    return {name for name in listed if (source / name).is_file()}


def _requirements():
    from packaging.requirements import Requirement

    return [Requirement(text) for text in importlib.metadata.requires("rotkeras") or []]


def _in_extra(requirement, extra: str) -> bool:
    marker = requirement.marker
    if extra == "":
        return marker is None or marker.evaluate({"extra": ""})
    return marker is not None and marker.evaluate({"extra": extra}) and not marker.evaluate(
        {"extra": ""}
    )


# ---------------------------------------------------------------------- package data


def read_manifest(path: Path) -> dict[str, str]:
    """{relative file name: sha256 hex} from a checksum manifest; {} if `path` is none.

    Manifests are `SHA256SUMS` or `*.sha256` files in the format of `sha256sum`
    (`<hex>  <name>` per line) and JSON files that give a `sha256` for file names, either as
    `{"name": "<hex>"}`, `{"name": {"sha256": "<hex>"}}` or a list of objects with `sha256`
    and one of `path`, `file`, `filename`, `name`. Names are relative to the manifest's folder.
    """
    entries: dict[str, str] = {}
    if path.name == "SHA256SUMS" or path.suffix == ".sha256":
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                digest, name = line.strip().split(maxsplit=1)
                entries[name.lstrip("*")] = digest.lower()
    elif path.suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return {}
        _json_entries(data, entries)
    return entries


def _json_entries(node: object, entries: dict[str, str]) -> None:
    names = ("path", "file", "filename", "name")
    if isinstance(node, dict):
        digest = node.get("sha256")
        name = next((node[k] for k in names if isinstance(node.get(k), str)), None)
        if isinstance(digest, str) and HEX64.match(digest) and name:
            entries[name] = HEX64.match(digest).group(1).lower()
            return
        for key, value in node.items():
            if isinstance(value, str) and HEX64.match(value) and key not in ("sha256",):
                entries[key] = HEX64.match(value).group(1).lower()
            elif isinstance(value, dict) and isinstance(value.get("sha256"), str) and not any(
                isinstance(value.get(k), str) for k in names
            ):
                if HEX64.match(value["sha256"]):
                    entries[key] = HEX64.match(value["sha256"]).group(1).lower()
            else:
                _json_entries(value, entries)
    elif isinstance(node, list):
        for item in node:
            _json_entries(item, entries)


def find_manifests(package: Path) -> list[Path]:
    """Checksum manifests anywhere in the package folder."""
    return sorted(
        path for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and read_manifest(path)
    )


MANIFESTS = find_manifests(PACKAGE)


@pytest.mark.parametrize(
    "manifest",
    MANIFESTS or [None],
    ids=[m.relative_to(PACKAGE).as_posix() for m in MANIFESTS] or ["no-manifest"],
)
def test_package_data_is_installed_and_intact(manifest: Path | None) -> None:
    """Every file a checksum manifest of the installed package lists is there, unchanged."""
    if manifest is None:
        pytest.skip("the package has no checksum manifest (SHA256SUMS) yet")
    problems = []
    for name, digest in read_manifest(manifest).items():
        file = manifest.parent / name
        if not file.is_file():
            problems.append(f"{name}: listed in {manifest.name}, missing from {file.parent}")
        elif hashlib.sha256(file.read_bytes()).hexdigest() != digest:
            problems.append(f"{name}: sha256 differs from {manifest.name}")
    assert not problems, "\n".join(problems)


def test_read_manifest_formats(tmp_path: Path) -> None:
    a, b = "a" * 64, "B" * 64
    (tmp_path / "SHA256SUMS").write_text(f"# weights\n{a}  reader.keras\n{b} *sub/x.bin\n")
    assert read_manifest(tmp_path / "SHA256SUMS") == {"reader.keras": a, "sub/x.bin": b.lower()}
    for data in (
        {"reader.keras": a},
        {"files": {"reader.keras": {"sha256": a, "bytes": 3}}},
        {"files": [{"path": "reader.keras", "sha256": f"sha256:{a}"}]},
    ):
        (tmp_path / "manifest.json").write_text(json.dumps(data))
        assert read_manifest(tmp_path / "manifest.json") == {"reader.keras": a}
    (tmp_path / "config.json").write_text(json.dumps({"name": "reader", "layers": 3}))
    assert read_manifest(tmp_path / "config.json") == {}
    assert find_manifests(tmp_path) == [tmp_path / "SHA256SUMS", tmp_path / "manifest.json"]


@needs_source
def test_wheel_holds_every_package_file(dists: Dists) -> None:
    """Modules and package data: the wheel has every file under rotkeras/ and nothing else."""
    expected = _package_files(SOURCE)
    built = {name for name in _wheel_names(dists.wheel) if name.startswith("rotkeras/")}
    missing, extra = sorted(expected - built), sorted(built - expected)
    assert not missing and not extra, f"missing from the wheel: {missing}; unexpected: {extra}"


# ----------------------------------------------------------------- installed package


@pytest.mark.skipif(not WHEEL_INSTALL, reason="the suite runs against a checkout")
def test_rotkeras_is_the_installed_wheel(dists: Dists) -> None:
    """rotkeras comes from site-packages, installed from the wheel, not from a checkout."""
    purelib = Path(sysconfig.get_path("purelib")).resolve()
    assert PACKAGE.is_relative_to(purelib), f"rotkeras imported from {PACKAGE}, not {purelib}"
    if SOURCE is not None:
        assert not PACKAGE.is_relative_to(SOURCE), f"rotkeras imported from the checkout {SOURCE}"
    distribution = importlib.metadata.distribution("rotkeras")
    direct_url = json.loads(distribution.read_text("direct_url.json") or "{}")
    assert not direct_url.get("dir_info", {}).get("editable"), "an editable install"
    installed = {str(f): f for f in distribution.files or []}
    record = list(csv.reader(_wheel_read(dists.wheel, ".dist-info/RECORD").decode().splitlines()))
    for name, digest, _ in record:
        if not digest:  # RECORD itself
            continue
        assert name in installed, f"{name} is in the wheel, not installed"
        on_disk = Path(installed[name].locate()).read_bytes()
        assert _record_hash(on_disk) == digest, f"installed {name} differs from the wheel's"
    wheel_files = {row[0] for row in record}
    strays = [
        name for name in installed
        if name.startswith("rotkeras/") and "__pycache__" not in name and name not in wheel_files
    ]
    assert not strays, f"installed files that are not in the wheel: {strays}"


def test_version_agrees_everywhere() -> None:
    """`rotkeras.__version__`, the installed metadata and `rotkeras --version` agree."""
    assert importlib.metadata.version("rotkeras") == rotkeras.__version__
    script = shutil.which("rotkeras", path=sysconfig.get_path("scripts"))
    if script is None:
        pytest.skip("no rotkeras console script in this environment")
    out = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"rotkeras {rotkeras.__version__}"


def test_distributions_carry_the_version(dists: Dists) -> None:
    """Wheel name, sdist name and metadata all carry the version of rotkeras/_version.py."""
    source = _wheel_read(dists.wheel, "rotkeras/_version.py").decode()
    (version,) = re.findall(r"^__version__ = \"([^\"]+)\"$", source, re.M)
    assert dists.wheel.name.startswith(f"rotkeras-{version}-")
    assert dists.sdist.name == f"rotkeras-{version}.tar.gz"
    assert _metadata(dists.wheel)["Version"] == version


@needs_source
def test_version_has_one_source() -> None:
    """The version is written once, in rotkeras/_version.py; pyproject.toml reads it."""
    project = _pyproject()
    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "rotkeras/_version.py"
    version = rotkeras.__version__
    copies = [
        path.relative_to(SOURCE).as_posix()
        for path in (SOURCE / "rotkeras").rglob("*.py")
        if path.name != "_version.py"
        and (re.search(r"^__version__\s*=", text := path.read_text(encoding="utf-8"), re.M)
             or f'"{version}"' in text)
    ]
    assert not copies, f"the version is repeated in {copies}"


# ---------------------------------------------------------------------------- metadata


def test_wheel_metadata(dists: Dists) -> None:
    metadata = _metadata(dists.wheel)
    assert metadata["Name"] == "rotkeras"
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert metadata["Description-Content-Type"] == "text/markdown"
    license_text = _wheel_read(dists.wheel, ".dist-info/licenses/LICENSE").decode()
    assert "Apache License" in license_text and "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text, "not the full license text"
    entry_points = _wheel_read(dists.wheel, ".dist-info/entry_points.txt").decode()
    assert re.search(r"^\[console_scripts\]\s*^rotkeras = rotkeras\.cli:main$", entry_points, re.M)


def test_classifiers_are_valid_and_match_requires_python(dists: Dists) -> None:
    from packaging.specifiers import SpecifierSet

    trove = pytest.importorskip("trove_classifiers")
    metadata = _metadata(dists.wheel)
    classifiers = metadata.get_all("Classifier") or []
    unknown = [c for c in classifiers if c not in trove.classifiers]
    assert not unknown, f"not trove classifiers (PyPI rejects them): {unknown}"
    deprecated = [c for c in classifiers if c in getattr(trove, "deprecated_classifiers", {})]
    assert not deprecated, f"deprecated classifiers: {deprecated}"
    versions = tuple(
        c.rsplit(" ", 1)[1] for c in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    )
    assert versions == PYTHON_VERSIONS
    requires_python = SpecifierSet(metadata["Requires-Python"])
    assert requires_python == SpecifierSet(f">={PYTHON_VERSIONS[0]}")
    assert all(f"{v}.0" in requires_python for v in versions)
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running not in PYTHON_VERSIONS:
        pytest.fail(f"these tests run on Python {running}, which the classifiers do not list")


def test_extras_are_named_by_what_they_enable(dists: Dists) -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    metadata = _metadata(dists.wheel)
    assert set(metadata.get_all("Provides-Extra") or []) == EXTRAS
    by_extra: dict[str, set[str]] = {extra: set() for extra in ["", *EXTRAS]}
    for text in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(text)
        for extra in by_extra:
            if _in_extra(requirement, extra):
                by_extra[extra].add(canonicalize_name(requirement.name))
    assert {"keras", "tensorflow"} <= by_extra[""]
    assert by_extra["jax"] == {"jax"}
    assert by_extra["torch"] == {"torch"}
    assert by_extra["plot"] == {"matplotlib"}
    assert {"onnx", "onnxruntime", "tf2onnx", "ai-edge-litert"} == by_extra["export"]
    assert "mkdocs" in by_extra["docs"]
    # mkdocstrings formats signatures with ruff or black, else prints them on one line.
    assert by_extra["docs"] & {"ruff", "black"}, "the [docs] extra lacks a code formatter"
    assert {"pytest", "hypothesis", "build", "twine"} <= by_extra["dev"]


def _expected_extras() -> set[str]:
    value = os.environ.get("ROTKERAS_TEST_EXTRAS", "dev")
    return {name.strip() for name in value.split(",") if name.strip()}


@pytest.mark.parametrize("extra", ["", *sorted(EXTRAS)], ids=["base", *sorted(EXTRAS)])
def test_extra_is_installed(extra: str) -> None:
    """The installed requirements satisfy the base dependencies and the extras asked for.

    $ROTKERAS_TEST_EXTRAS lists the extras this environment was installed with (default dev);
    an extra not in it is checked only as far as its packages are installed.
    """
    requirements = [r for r in _requirements() if _in_extra(r, extra)]
    if extra:
        assert requirements, f"the installed metadata has no [{extra}] extra"
    expected = extra == "" or extra in _expected_extras()
    problems, absent = [], []
    for requirement in requirements:
        try:
            version = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            absent.append(requirement.name)
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{requirement.name} {version} does not satisfy {requirement}")
    assert not problems, "\n".join(problems)
    if absent and expected:
        pytest.fail(f"[{extra or 'base'}]: not installed: {absent}")
    if absent:
        pytest.skip(f"[{extra}] is not installed here (missing {absent})")


def _imported_modules(paths: list[Path]) -> dict[str, str]:
    """{top-level module: first file importing it} of third-party imports in `paths`."""
    stdlib = set(sys.stdlib_module_names)
    found: dict[str, str] = {}
    for root in paths:
        for file in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in stdlib and top not in FIRST_PARTY and top != "__future__":
                        found.setdefault(top, file.name)
    return found


# Modules whose distribution has another name, for when the distribution is not installed.
MODULE_TO_DISTRIBUTION = {
    "cv2": "opencv-python-headless",
    "sklearn": "scikit-learn",
    "jaxlib": "jax",
    "trove_classifiers": "trove-classifiers",
}


@functools.cache
def _packages_distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distributions(module: str) -> set[str]:
    from packaging.utils import canonicalize_name

    names = _packages_distributions().get(module, [])
    names = names or [MODULE_TO_DISTRIBUTION.get(module, module)]
    return {canonicalize_name(name) for name in names}


@pytest.mark.parametrize(
    ("what", "extras"),
    [("package", ("jax", "torch", "plot", "export")),
     ("tests", ("jax", "torch", "plot", "dev", "export"))],
)
def test_every_import_is_a_declared_dependency(what: str, extras: tuple[str, ...]) -> None:
    """rotkeras imports only its dependencies (optional ones: from an extra); the tests and
    benchmarks only what the [dev] extra adds to those."""
    from packaging.utils import canonicalize_name

    allowed = {
        canonicalize_name(r.name)
        for r in _requirements()
        for extra in ("", *extras)
        if _in_extra(r, extra)
    }
    roots = [PACKAGE] if what == "package" else [TESTS, TESTS.parent / "benchmarks"]
    undeclared = {
        module: file
        for module, file in _imported_modules([r for r in roots if r.is_dir()]).items()
        if not _distributions(module) & allowed
    }
    assert not undeclared, f"imported but not declared: {undeclared}"


# ------------------------------------------------------------------------------ sdist


def test_sdist_contents(dists: Dists) -> None:
    """The sdist builds the same wheel and carries the license, changelog and tests."""
    names = set(_sdist_names(dists.sdist))
    for required in ("LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml", "PKG-INFO",
                     "tests/conftest.py"):
        assert required in names, f"{required} is not in the sdist"
    package = {name for name in _wheel_names(dists.wheel) if name.startswith("rotkeras/")}
    assert package <= names, f"in the wheel, not in the sdist: {sorted(package - names)}"
    junk = [n for n in names if re.search(r"(^|/)(__pycache__|\.venv|dist|\.git)/|\.pyc$", n)]
    assert not junk, f"build leftovers in the sdist: {junk}"
    with tarfile.open(dists.sdist) as archive:
        (member,) = [m for m in archive.getmembers() if m.name.endswith("/LICENSE")]
        sdist_license = archive.extractfile(member).read()
    assert sdist_license == _wheel_read(dists.wheel, ".dist-info/licenses/LICENSE")


# ------------------------------------------------------------------------------- docs


@needs_source
def test_documented_wheel_contents(dists: Dists) -> None:
    """docs/install.md lists the wheel's folders, file counts and sizes (small drifts pass)."""
    spec = importlib.util.spec_from_file_location(
        "wheel_contents", SOURCE / "tools" / "wheel_contents.py"
    )
    tool = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = tool  # dataclasses look their module up
    spec.loader.exec_module(tool)
    documented = tool.parse(tool.section((SOURCE / "docs" / "install.md").read_text("utf-8")))
    problems = tool.compare(documented, tool.summarize(dists.wheel))
    assert not problems, (
        "docs/install.md no longer describes the wheel:\n" + "\n".join(problems)
        + "\nrewrite it with: python tools/wheel_contents.py --write"
    )


@needs_source
def test_install_docs_name_the_extras_and_python_versions() -> None:
    text = (SOURCE / "docs" / "install.md").read_text(encoding="utf-8")
    for extra in EXTRAS:
        assert f"`[{extra}]`" in text, f"docs/install.md does not describe the [{extra}] extra"
    versions = f"Python {PYTHON_VERSIONS[0]} to {PYTHON_VERSIONS[-1]}"
    assert versions in text
    assert versions in (SOURCE / "README.md").read_text(encoding="utf-8")
