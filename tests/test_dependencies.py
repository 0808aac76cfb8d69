"""The dependencies are honest, and the lock is the one `make install` put in the environment.

- Every third-party import resolves to a declared distribution: in the shipped packages to [project]
  dependencies; in tests/ and bench/ to those or the dev extra; in scripts/ also to the map extra.
- Every declared distribution is imported somewhere it may be, or is listed in NOT_IMPORTED with the reason.
- Every declared requirement (and the build backend) is pinned in requirements.lock at a version it allows, and
  what the lock pins is what is installed.

Only the standard library here (no `packaging`): pyproject.toml pins with == and the build backend with >=.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = ROOT / "requirements.lock"
SHIPPED = ("xiaobao", "core", "etl", "query", "auth", "dashboard", "fixtures", "deck")
# Where each folder's imports may come from (extras of pyproject.toml; "" is [project] dependencies).
ALLOWED = {**{d: ("",) for d in SHIPPED}, "tests": ("", "dev"), "bench": ("", "dev"), "scripts": ("", "dev", "map")}
# Declared but never imported, each for a reason.
NOT_IMPORTED = {
    "pyarrow": "DuckDB's relation .pl() (query/warehouse.py) converts through Arrow and fails without it",
    "ruff": "a command: make lint",
    "mypy": "a command: the type check",
    # Declared ahead of the code that imports them (issues 10 and 12), so the lock is written once.
    "uvicorn": "the server of `xiaobao serve`: Streamlit's st.App runner imports it (dashboard/server.py)",
}
LOCAL = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def split(requirement: str) -> tuple[str, str]:
    """'polars==2.1.0' → ('polars', '==2.1.0'); extras and markers are not used in pyproject.toml."""
    m = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*", requirement)
    assert m and "[" not in requirement and ";" not in requirement, f"unexpected requirement form: {requirement}"
    return norm(m[1]), m[2]


def declared(extra: str) -> dict[str, str]:
    reqs = PYPROJECT["project"]["dependencies"] if extra == "" else PYPROJECT["project"]["optional-dependencies"][extra]
    return dict(split(r) for r in reqs)


@cache
def locked() -> dict[str, tuple[str, str]]:
    """name → (version, marker) from requirements.lock."""
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]*?))?\s*\\?$", line)
        if m and applies_here(m[3] or ""):
            pins[norm(m[1])] = (m[2], (m[3] or "").strip())
    return pins


def applies_here(marker: str) -> bool:
    """False when the marker's Python version clause excludes this interpreter (the lock is universal, so one
    package can be pinned twice, e.g. `deprecated` for < 3.12 and >= 3.12); other clauses are kept."""
    here = sys.version_info[:3]
    ops = {"<": tuple.__lt__, "<=": tuple.__le__, ">": tuple.__gt__, ">=": tuple.__ge__, "==": tuple.__eq__,
           "!=": tuple.__ne__}
    for op, v in re.findall(r"python_full_version\s*(<=|>=|==|!=|<|>)\s*'([\d.]+)'", marker):
        if not ops[op](here, tuple(int(x) for x in v.split("."))):
            return False
    return True


def version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v.split("+")[0]))


def satisfies(version: str, spec: str) -> bool:
    clauses = [c.strip() for c in spec.split(",") if c.strip()]
    for clause in clauses:
        m = re.fullmatch(r"(==|>=)\s*([0-9][0-9A-Za-z.+-]*)", clause)
        assert m, f"this test understands == and >= only, not {clause!r}"
        if m[1] == "==" and version != m[2] or m[1] == ">=" and version_tuple(version) < version_tuple(m[2]):
            return False
    return True


# ── imports ───────────────────────────────────────────────────────────────────────────────────────────────────
def third_party_imports(folder: Path) -> dict[str, list[str]]:
    """Top-level module name → the files (relative) that import it, for every import not stdlib or local."""
    found: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.py")):
        siblings = {p.stem for p in path.parent.glob("*.py")}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in LOCAL or top in siblings:
                    continue
                found.setdefault(top, []).append(str(path.relative_to(ROOT)))
    return found


@cache
def installed_modules() -> dict[str, list[str]]:
    return metadata.packages_distributions()


def distributions(module: str) -> set[str]:
    """The distributions that install this top-level module; for one not installed, its name as a distribution."""
    return {norm(d) for d in installed_modules().get(module, [])} or {norm(module)}


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_every_import_is_declared(folder):
    allowed = {name for extra in ALLOWED[folder] for name in declared(extra)}
    undeclared = {module: files for module, files in third_party_imports(ROOT / folder).items()
                  if not distributions(module) & allowed}
    assert undeclared == {}, f"imported in {folder}/ but not declared for it in pyproject.toml"


def test_every_declared_dependency_is_used():
    imported: dict[str, set[str]] = {}
    for folder in ALLOWED:
        for module in third_party_imports(ROOT / folder):
            for dist in distributions(module):
                imported.setdefault(dist, set()).add(folder)
    unused = {}
    for extra in ("", *PYPROJECT["project"]["optional-dependencies"]):
        for name in declared(extra):
            folders = {f for f in imported.get(name, ()) if extra in ALLOWED[f]}
            if not folders and name not in NOT_IMPORTED:
                unused[name] = extra or "[project] dependencies"
    assert unused == {}, "declared but imported nowhere: remove them, or say why in NOT_IMPORTED"
    stale = {name for name in NOT_IMPORTED if name in imported}
    assert stale == set(), "now imported: take them out of NOT_IMPORTED"


def test_direct_dependencies_are_pinned_exactly():
    loose = [f"{n}{s}" for extra in ("", *PYPROJECT["project"]["optional-dependencies"])
             for n, s in declared(extra).items() if not re.fullmatch(r"==[^,]+", s)]
    assert loose == [], "pin with == (the lock pins what they pull in)"


# ── the lock ──────────────────────────────────────────────────────────────────────────────────────────────────
def test_the_lock_has_hashes_and_says_how_to_remake_it():
    text = LOCK.read_text(encoding="utf-8")
    assert "make lock" in text.splitlines()[1]
    packages = [line for line in text.splitlines() if re.match(r"[A-Za-z0-9]", line)]
    assert packages and all(line.rstrip().endswith("\\") for line in packages), "every pin carries --hash lines"
    assert "-e " not in text and "file://" not in text and "index-url" not in text


def test_the_lock_matches_pyproject():
    """Fails after pyproject.toml changes until `make lock` is run (map is not locked: see pyproject.toml)."""
    wanted = {**declared(""), **declared("dev"), **dict(split(r) for r in PYPROJECT["build-system"]["requires"])}
    wrong = {name: (spec, locked().get(name, ("missing",))[0]) for name, spec in wanted.items()
             if name not in locked() or not satisfies(locked()[name][0], spec)}
    assert wrong == {}, "pyproject.toml wants ≠ requirements.lock has: run `make lock`"
    assert not set(declared("map")) & set(locked()) - set(wanted), "the map extra is meant to stay out of the lock"


def test_what_the_lock_pins_is_installed():
    """The environment is the lock: fails in a .venv that `make install` did not bring up to date."""
    platform_only = {"sys_platform == 'win32'": sys.platform != "win32",
                     "sys_platform != 'darwin'": sys.platform == "darwin"}
    differ = {}
    for name, (version, marker) in locked().items():
        if marker and platform_only.get(marker, False):
            continue  # not for this platform
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            if marker:  # a marker this test does not evaluate: the package may rightly be absent
                continue
            have = "not installed"
        if have != version:
            differ[name] = (version, have)
    assert differ == {}, "lock version ≠ installed version: run `make install`"
