"""The import structure: layers import downwards only, no module imports itself round a circle, and the layer
diagram in docs/ARCHITECTURE.md is the one the code has (the test reads the diagram from the document)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "etl", "query", "auth", "fixtures", "deck", "dashboard", "xiaobao")
DIAGRAM = re.compile(r"<!-- layers -->\n```\n(?P<body>.*?)```", re.DOTALL)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The project modules `module` imports, wherever the import stands (lazy ones in functions count),
    except under `if TYPE_CHECKING:` (never executed)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            # `from query import catalog` imports the module query.catalog; `from query import Filters` the package
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: imports(p, m, set(modules)) for m, p in modules.items()}


def layer_edges(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {p: set() for p in PACKAGES}
    for module, targets in edges.items():
        result[module.split(".")[0]] |= {t.split(".")[0] for t in targets} - {module.split(".")[0]}
    return result


def documented() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    match = DIAGRAM.search(text)
    assert match, "docs/ARCHITECTURE.md has no <!-- layers --> diagram"
    result = {}
    for line in match["body"].strip().splitlines():
        layer, _, below = line.partition("→")
        result[layer.split()[0]] = {b.strip() for b in below.split(",") if b.strip() and b.strip() != "(nothing)"}
    return result


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), as sorted lists."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_round_a_circle():
    assert cycles(graph()) == []


def test_layers_import_only_what_the_architecture_diagram_allows_and_the_diagram_is_current():
    assert layer_edges(graph()) == documented()


def test_the_core_imports_no_layer_and_no_layer_imports_streamlit_below_the_dashboard():
    edges = layer_edges(graph())
    assert edges["core"] == set()
    for package in ("core", "etl", "query", "auth", "fixtures", "deck"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names} | \
                    {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            assert not any(n.split(".")[0] == "streamlit" for n in names), path


def test_nothing_in_the_product_or_the_benchmarks_imports_the_tests():
    for folder in (*PACKAGES, "bench", "scripts"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"^\s*(from|import) tests\b", text, re.MULTILINE), path
            assert "sys.path.insert" not in text or path.name == "app.py", path


def test_the_checker_finds_a_circle_and_an_upward_import():
    # The checks themselves can fail: a made-up graph with a circle and a core module importing the dashboard.
    edges = {"core.a": {"dashboard.b"}, "dashboard.b": {"core.a"}, "etl.c": set()}
    assert cycles(edges) == [["core.a", "dashboard.b"]]
    assert layer_edges(edges)["core"] == {"dashboard"}


def test_relative_and_lazy_imports_are_seen(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("from .x import y\n\ndef f():\n    import core.layout\n\n"
                      "if TYPE_CHECKING:\n    import etl.read\n")
    assert imports(source, "query.m", {"query.x", "core.layout", "etl.read"}) == {"query.x", "core.layout"}
