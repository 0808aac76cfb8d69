"""The colour meanings every chart shares: better, worse, neutral by the metric's direction."""

from __future__ import annotations

import pytest

from dashboard import theme


@pytest.mark.parametrize(("direction", "delta", "colour"), [
    ("lower", 2.0, theme.WORSE),      # more complaints per 亿元: worse
    ("lower", -2.0, theme.BETTER),
    ("higher", 0.1, theme.BETTER),    # a higher mediation success rate: better
    ("higher", -0.1, theme.WORSE),
    (None, 5.0, theme.NEUTRAL),       # a count has no good direction
    ("lower", 0.0, theme.NEUTRAL),
    ("lower", None, theme.NEUTRAL),
])
def test_direction_colour_keeps_one_meaning(direction, delta, colour):
    assert theme.direction_colour(direction, delta) == colour


def test_every_icon_is_a_material_symbol_never_an_emoji_the_cjk_font_lacks():
    # Issue 8 item 10: 📭 beside st.warning drew as a crossed box (the meeting room's CJK font has no emoji).
    import ast
    from pathlib import Path

    found = []
    for path in sorted((Path(__file__).resolve().parents[2] / "dashboard").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for kw in getattr(node, "keywords", []) if isinstance(node, ast.Call) else []:
                if kw.arg != "icon":
                    continue
                value = kw.value
                ok = (isinstance(value, ast.Constant) and str(value.value).startswith(":material/")) or \
                    (isinstance(value, ast.Attribute) and value.attr.startswith("ICON_"))
                if not ok:
                    found.append(f"{path.name}:{node.lineno}: {ast.unparse(value)}")
    assert found == []
    icons = {k: v for k, v in vars(theme).items() if k.startswith("ICON_")}
    assert icons and all(v.startswith(":material/") and v.endswith(":") for v in icons.values())
