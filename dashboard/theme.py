"""Colours with one meaning on every page, and the Plotly template for a projector.

WORSE is always vermillion (orange-red), BETTER always blue, NEUTRAL blue-grey: a reader who learnt the colours on
the overview reads the map and the peer charts the same way. Metric direction comes from the query layer
(`Metric.direction`: "lower" is better for complaint metrics, "higher" for mediation success, …).
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

# Okabe–Ito vermillion and blue: told apart with any colour vision (red against green is not, for one man in
# twelve), and apart in lightness too; charts add a mark or sign beside the colour (WORSE_SYMBOL …).
WORSE = "#d55e00"
BETTER = "#0072b2"
WORSE_SYMBOL = "diamond-x"   # the firm's marker on the peer bullets: crossed when worse than the median
BETTER_SYMBOL = "diamond"
REFERENCE = "#111827"        # the peer-median line and tick: neither better nor worse, and not the BETTER blue
NEUTRAL = "#5b6b82"
HIGHLIGHT = "#1f4e9c"      # the series the page is about (the association, the chosen firm)
MUTED = "#b8c2d0"          # context: other firms, the peer spread
LOW_BASE = "#e3a008"       # amber marker for low-base values
# Several firms on one chart: distinct, colour-blind-safe, none of them red or green so they never read
# as "worse" / "better".
SERIES = ("#1f4e9c", "#e3a008", "#7b3fa0", "#0b7fa8", "#8c5a2b", "#d45d9a", "#3a3a3a", "#6f8f00")
# Sequential scale for maps (light → dark blue); the map never implies good/bad by hue alone.
SEQUENTIAL = ("#eef3fa", "#c6d7ee", "#8fb2de", "#4f85c5", "#1f4e9c", "#0d2b5e")
# Diverging scale (better → neutral → worse) for maps of change or of the complaint index.
DIVERGING = (BETTER, "#f4f4f4", WORSE)

# Icons beside st.warning / st.info / st.error: Material Symbols, which Streamlit bundles (offline), never emoji —
# the meeting room's CJK font has no emoji and draws 📭 as a crossed box.
ICON_WARNING = ":material/warning:"
ICON_INFO = ":material/info:"
ICON_ERROR = ":material/error:"
ICON_MISSING = ":material/inbox:"

FONT_FAMILY = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
FONT_SIZE = 18
TEMPLATE_NAME = "xiaobao"


def direction_colour(direction: str | None, delta: float | None) -> str:
    """Colour of a change: WORSE when it moves the wrong way for this metric, BETTER the right way.

    Metrics without a direction (counts such as 投诉总量 or reach) and no change are NEUTRAL.
    """
    if delta is None or delta == 0 or direction not in ("lower", "higher"):
        return NEUTRAL
    good = delta < 0 if direction == "lower" else delta > 0
    return BETTER if good else WORSE


def direction_symbol(direction: str | None, delta: float | None) -> str:
    """The marker that says better / worse without colour: crossed when worse."""
    return WORSE_SYMBOL if direction_colour(direction, delta) == WORSE else BETTER_SYMBOL


def streamlit_delta_color(direction: str | None) -> str:
    """`st.metric(delta_color=…)`: "inverse" when lower is better, "off" when the metric has no direction."""
    return {"lower": "inverse", "higher": "normal"}.get(direction or "", "off")


def _template() -> go.layout.Template:
    return go.layout.Template(
        layout={
            "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#111827"},
            "title": {"font": {"size": FONT_SIZE + 4}},
            "colorway": list(SERIES),
            "paper_bgcolor": "#ffffff",
            "plot_bgcolor": "#ffffff",
            "hoverlabel": {"font": {"family": FONT_FAMILY, "size": FONT_SIZE - 2}},
            # Legends under the plot: above it they collide with the title on a narrow column.
            "legend": {"font": {"size": FONT_SIZE - 2}, "orientation": "h", "yanchor": "top", "y": -0.15,
                       "x": 0},
            "margin": {"l": 12, "r": 12, "t": 56, "b": 12},
            "xaxis": {"gridcolor": "#e5e9f0", "linecolor": "#6b7280", "tickfont": {"size": FONT_SIZE - 2},
                      "automargin": True},
            "yaxis": {"gridcolor": "#e5e9f0", "linecolor": "#6b7280", "tickfont": {"size": FONT_SIZE - 2},
                      "zerolinecolor": "#9ca3af", "automargin": True},
            "separators": ".,",
        }
    )


def register() -> str:
    """Register the template with Plotly (idempotent) and return its name."""
    if TEMPLATE_NAME not in pio.templates:
        pio.templates[TEMPLATE_NAME] = _template()
    return TEMPLATE_NAME


TEMPLATE = register()


# Headline tiles (st.metric) never cut a figure, its unit or its 环比/同比 with "…": Streamlit draws each line of a
# tile in one row with an ellipsis; here every line wraps inside the tile instead (at spaces, or between CJK
# characters), and the change badge and its description wrap under each other on a narrow tile.
TILE_CSS = """<style>
[data-testid="stMetric"] .stMarkdownEllipsis, [data-testid="stMetric"] .stMarkdownEllipsis p,
[data-testid="stMetricDeltaDescription"] {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  overflow-wrap: anywhere;
}
[data-testid="stMetric"] div:has(> [data-testid="stMetricDelta"]) { flex-wrap: wrap; row-gap: 0.25rem; }
[data-testid="stMetricValue"] { line-height: 1.15; font-size: clamp(1.8rem, 2.6vw, 2.6rem) !important; }
[data-testid="stPlotlyChart"] { contain: layout paint style; }
</style>"""
