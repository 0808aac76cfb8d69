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


def _simulate(colour: str, matrix) -> tuple[float, float, float]:
    """A colour as a viewer with a red-green deficiency sees it (Machado et al. 2009, severity 1, linear RGB)."""
    def lin(c):
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    rgb = [lin(int(colour[i:i + 2], 16) / 255) for i in (1, 3, 5)]
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in matrix)


PROTAN = ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998))
DEUTAN = ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881))


@pytest.mark.parametrize("matrix", [PROTAN, DEUTAN], ids=["protanopia", "deuteranopia"])
def test_better_and_worse_stay_apart_for_colour_blind_viewers(matrix):
    # Issue 8 item 9: red #c0392b against green #0f8a6b collapsed into two similar browns.
    better, worse = _simulate(theme.BETTER, matrix), _simulate(theme.WORSE, matrix)
    assert sum((a - b) ** 2 for a, b in zip(better, worse, strict=True)) ** 0.5 > 0.35
    assert theme.direction_symbol("lower", 1.0) != theme.direction_symbol("lower", -1.0)  # a mark beside colour


def test_the_streamlit_theme_uses_the_same_better_and_worse():
    import tomllib
    from pathlib import Path

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert config["theme"]["redColor"].lower() == theme.WORSE and config["theme"]["greenColor"].lower() == theme.BETTER
