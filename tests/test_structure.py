"""The tests mirror the code: `tests/<package>/…/test_<module>.py` holds the tests of `<package>/…/<module>.py`, one
file per module, so a reader finds a module's tests without searching. Shared fixtures live in a `conftest.py`
and shared helpers in a plain module (no `test_` prefix); no test file imports another one."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
# Test files that check a rule across many modules rather than one module, and why.
CROSS_CUTTING = {
    "test_structure.py": "this file: where tests live",
    "test_layers.py": "the import structure of every package",
    "test_dependencies.py": "pyproject.toml, the lock and the imports of every package",
    "dashboard/test_browser.py": "every page in a real Chromium (one server and one browser for the module)",
    "dashboard/test_pages_select_nothing.py": "no page selects rows by firm (member scope lives in query/)",
    "dashboard/test_untrusted_text.py": "hostile text through every command and page that shows it",
    "dashboard/test_member_scope.py": "every page as a member: no other firm's name reaches the browser (issue 10)",
    "dashboard/test_member_browser.py": "a member in Chromium: no other firm in any websocket frame or download",
    "etl/test_faults.py": "kill -9, concurrent ingests and refused writes at every step (store, atomic, ingest, CLI)",
}


def files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("test_*.py") if ".venv" not in p.parts)


def module_under_test(path: Path) -> Path:
    relative = path.relative_to(TESTS)
    return ROOT.joinpath(*relative.parts[:-1], relative.name.removeprefix("test_"))


def test_every_test_file_is_named_for_the_module_it_tests():
    stray = [str(p.relative_to(TESTS)) for p in files()
             if str(p.relative_to(TESTS)) not in CROSS_CUTTING and not module_under_test(p).exists()]
    assert stray == [], ("name each test file for its module (tests/<package>/test_<module>.py) or list it in "
                         f"CROSS_CUTTING with the reason: {stray}")
    for name in CROSS_CUTTING:
        assert (TESTS / name).exists(), f"CROSS_CUTTING names a file that is gone: {name}"


def test_no_test_file_imports_another():
    found = []
    for path in files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.relative_to(TESTS)} imports {n}" for n in names
                      if n.startswith("tests.") and n.rpartition(".")[2].startswith("test_")]
    assert found == [], "move what is shared into a conftest.py fixture or a helper module:\n" + "\n".join(found)


def test_the_rule_names_the_module_a_test_file_belongs_to():
    assert module_under_test(TESTS / "query" / "test_export.py") == ROOT / "query" / "export.py"
    assert module_under_test(TESTS / "dashboard" / "views" / "test_map.py") == ROOT / "dashboard" / "views" / "map.py"
