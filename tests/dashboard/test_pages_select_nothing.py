"""Member scope lives in the query layer: no dashboard module picks rows of a query result by firm or firm type
(that is `Filters` and `Scope`, applied by query/). A page that did would show a member whatever it forgot."""

from __future__ import annotations

import ast
from pathlib import Path

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboard"
FIRM_COLUMNS = ("firm_id", "firm_type")


def firm_selections(source: str, name: str) -> list[str]:
    """`frame.filter(…)` calls whose condition reads a firm column, as `name:line: source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "filter":
            condition = " ".join(ast.unparse(a) for a in [*node.args, *(k.value for k in node.keywords)])
            if any(f"'{c}'" in condition or f'"{c}"' in condition for c in FIRM_COLUMNS):
                found.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_dashboard_module_selects_rows_by_firm():
    found = [hit for path in sorted(DASHBOARD.rglob("*.py"))
             for hit in firm_selections(path.read_text(encoding="utf-8"), str(path.relative_to(DASHBOARD.parent)))]
    assert found == [], "select firms through Filters in the query layer:\n" + "\n".join(found)


def test_the_check_sees_the_selections_pages_used_to_make():
    before = ('peers = peers.filter(pl.col("firm_id").is_in(list(ctx.filters.firms)))\n'
              'firms = firms.filter(pl.col("firm_type") == ctx.filters.firm_type)\n'
              'kept = frame.filter(status == "accepted")\n')
    assert [hit.split(":")[1] for hit in firm_selections(before, "page.py")] == ["1", "2"]
