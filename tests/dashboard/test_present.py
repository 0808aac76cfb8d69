"""dashboard/present.py: in Chromium, presentation mode at 1280×720 and 1920×1080 — every slide of every section
fits the screen under the top bar (nothing cut, nothing split), PageDown / PageUp and the arrows move one slide from
the very first key press (no click into the page), past a section's last slide into the next section (drawn by the
server, dashboard/sections.py) and back, and the quarter changes without leaving the view; chart fonts are enlarged
on the projector."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dashboard import present, theme
from fixtures.browser import open_page, screenshot, wait_settled

SCREENS = ((1280, 720), (1920, 1080))
FITTED = """() => { const p = window.__xbPresent; return !!p && p.slides().length > 0 &&
                   p.slides().every(s => s.style.height); }"""
MEASURE = """() => { const p = window.__xbPresent; const top = document.querySelector('[data-testid="stHeader"]')
                     .getBoundingClientRect().bottom;
  return {screen: innerHeight - top, slides: p.slides().map(s => ({key: [...s.classList].find(c =>
          c.startsWith('st-key-slide_')), height: s.getBoundingClientRect().height,
          cut: s.scrollHeight - s.clientHeight}))}; }"""


def test_chart_fonts_are_enlarged_whether_the_figure_or_its_template_sets_them():
    fig = go.Figure(go.Bar(x=[1], y=["甲"], textfont={"size": 10}), layout={"template": theme.register(),
                                                                            "legend": {"font": {"size": 20}},
                                                                            "xaxis2": {"anchor": "y2"},
                                                                            "margin": {"r": 100}})
    fig.add_annotation(text="注", font={"size": 10})
    present.enlarge(fig, 1.5)
    assert fig.layout.xaxis2.tickfont.size == round((theme.FONT_SIZE - 2) * 1.5)   # a subplot's axis too
    assert fig.layout.margin.r == 150 and fig.layout.margin.t == round(56 * 1.5)   # the room for the labels
    assert fig.layout.font.size == round(theme.FONT_SIZE * 1.5)
    assert fig.layout.xaxis.tickfont.size == round((theme.FONT_SIZE - 2) * 1.5)   # from the template
    assert fig.layout.legend.font.size == 30 and fig.layout.annotations[0].font.size == 15
    assert fig.data[0].textfont.size == 15


# Every page with slides, and the smallest zoom the fallback may use: at 0.9 the projector's 24 px type is 21.6 px,
# and its chart ticks (the page's 16 px × present.FONT_SCALE = 22) are 19.8 px, both above the normal page's.
PAGES = ("", "complaints", "mediation", "outreach", "map", "peers", "submissions")
MIN_ZOOM = 0.9
KEYS = ("PageDown", "PageDown", "ArrowRight", "ArrowDown", "PageUp", "ArrowLeft", "ArrowUp")
# Per slide: its zoom, height and hidden overflow, and the smallest tick label of its charts times its zoom.
SLIDES = """() => { const p = window.__xbPresent; const top = document.querySelector('[data-testid="stHeader"]')
                    .getBoundingClientRect().bottom;
  return {screen: innerHeight - top, slides: p.slides().map(s => {
    const zoom = parseFloat(s.style.zoom || '1');
    const ticks = [...s.querySelectorAll('.xtick text, .ytick text')].map(t => parseFloat(t.style.fontSize));
    return {key: [...s.classList].find(c => c.startsWith('st-key-slide_')), zoom,
            height: s.getBoundingClientRect().height, cut: s.scrollHeight - s.clientHeight,
            tick: ticks.length ? Math.min(...ticks) * zoom : null}; })}; }"""
TICKS = """() => Math.min(...[...document.querySelectorAll('.xtick text, .ytick text')]
                           .map(t => parseFloat(t.style.fontSize)))"""


def settled_slides(page) -> dict:
    """The slides' measures once the script has sized them and they no longer change (charts redraw after)."""
    page.wait_for_function(FITTED)
    before = None
    for _ in range(30):
        page.wait_for_timeout(200)
        shown = page.evaluate(SLIDES)
        if shown == before:
            return shown
        before = shown
    return before


def test_the_withheld_note_is_shown_once_a_page_and_on_the_projector_once_a_slide():
    from streamlit.testing.v1 import AppTest

    from dashboard.context import WITHHELD_NOTE

    def app() -> None:
        import polars as pl

        from dashboard import ui
        from dashboard.context import PageContext, publish

        held, clear = pl.DataFrame({"withheld": [True]}), pl.DataFrame({"withheld": [False]})
        for projector in (False, True):
            ctx = PageContext(wh=None, filters=None, lang="zh", period="2025Q1", present=projector, periods=())
            publish(ctx)
            ctx.noted(clear)
            ctx.noted(held)
            ctx.noted(held, held)
            for key in ("a", "b"):
                with ui.slide(f"{key}_{projector}"):
                    ctx.noted(held)
                    ctx.noted(held)

    at = AppTest.from_function(app).run()
    assert not at.exception
    notes = [c.value for c in at.caption]
    # the normal view: once; the projector: once outside the slides and once on each of the two
    assert notes == [WITHHELD_NOTE["zh"]] * 4


def test_on_the_projector_a_long_ranking_keeps_its_ends_and_says_so():
    from streamlit.testing.v1 import AppTest

    def app() -> None:
        import polars as pl
        import streamlit as st

        from dashboard import ui
        from dashboard.context import PageContext, publish

        frame = pl.DataFrame({"firm": [f"F{i:02d}" for i in range(21)], "v": [*range(1, 21), None]})
        for projector in (False, True):
            ctx = PageContext(wh=None, filters=None, lang="zh", period="2025Q1", present=projector, periods=())
            publish(ctx)
            st.session_state[f"rows_{projector}"] = ui.rows_for_screen(frame, "v", ctx, label="值")["v"].to_list()
            st.session_state[f"kept_{projector}"] = ui.rows_for_screen(frame, "v", ctx, label="值", ordered=True)[
                "firm"].to_list()
            st.session_state[f"bars_{projector}"] = ui.for_screen(frame, "v", most=ui.FIRM_BARS, label="值", ctx=ctx)

    at = AppTest.from_function(app).run()
    assert not at.exception
    assert at.session_state["rows_False"] == [*range(1, 21), None]   # the normal view: every row
    assert at.session_state["bars_False"] == 30
    assert at.session_state["rows_True"] == [20, 19, 18, 3, 2, 1]   # the projector: 3 highest, 3 lowest
    assert at.session_state["kept_True"] == ["F00", "F01", "F02", "F17", "F18", "F19"]   # in the frame's order
    assert at.session_state["bars_True"] == 8
    notes = [c.value for c in at.caption]
    assert notes == ["演示模式只显示值最高、最低各 3 项（共 20 项）；全部见普通视图或导出。"] * 2 + \
        ["演示模式只显示值最高、最低各 4 项（共 20 项）；全部见普通视图或导出。"]


WHERE = "() => window.__xbPresent.where()"


def checked(page, name: str, width: int, normal: float) -> str | None:
    """Once the view has settled (a section's slides drawn by the server, fitted by the script): every slide on the
    page fits the screen at full type. Returns the slide on screen."""
    page.wait_for_function("() => !window.__xbPresent.turning()")   # a section asked of the server has arrived
    wait_settled(page)
    shown = settled_slides(page)
    assert shown["slides"], (name, width)
    for slide in shown["slides"]:
        where = (name or "overview", width, slide)
        assert slide["height"] <= shown["screen"] + 1, where     # one screen each
        assert slide["cut"] <= 2, where                           # nothing hidden below
        assert slide["zoom"] >= MIN_ZOOM, where                   # not shrunk below the page's type
        assert slide["tick"] is None or slide["tick"] >= normal, where
    return page.evaluate(WHERE)


def walk(page, key: str, name: str, width: int, normal: float) -> list[str | None]:
    """`key` pressed until the view stops moving, every section's slides checked on the way: the slides passed,
    in order (a section's last slide → the next section, drawn by the server: dashboard/sections.py)."""
    passed = [checked(page, name, width, normal)]
    for _ in range(40):
        page.keyboard.press(key)
        page.wait_for_timeout(150)
        now = checked(page, name, width, normal)
        if now == passed[-1]:
            return passed
        passed.append(now)
    raise AssertionError((name, width, passed))


@pytest.mark.browser
def test_every_slide_of_every_section_fits_both_screens_at_full_type_and_keys_page_through_them(page, app_url):
    open_page(page, f"{app_url}/")
    normal = page.evaluate(TICKS)   # the normal view's chart text
    assert normal == theme.FONT_SIZE - 2
    for name in PAGES:
        page.set_viewport_size({"width": 1280, "height": 720})
        open_page(page, f"{app_url}/{name}?present=1")
        # freshly opened, from the first key (no click into the page): slide by slide to the last section's last
        forward = walk(page, "PageDown", name, 1280, normal)
        assert forward[0] is None and forward[1] is not None, (name, forward)   # the first key: the first slide
        assert (forward[1] == "st-key-slide_headlines") == (name != "peers"), (name, forward)   # peers has none
        deck = forward[1:]
        assert len(deck) == len(set(deck)) >= 3, (name, deck)   # the headlines and at least two sections' slides
        assert page.locator(".st-key-present_next_section button:visible").first.is_disabled()   # the last section
        screenshot(page, f"present_{name or 'overview'}_1280_last")
        # the other screen: the same view, resized (the script refits), and back to the first slide
        page.set_viewport_size({"width": 1920, "height": 1080})
        checked(page, name, 1920, normal)   # refitted to the new screen
        page.evaluate("() => window.__xbPresent.go(window.__xbPresent.slides().length - 1)")   # still the last
        page.wait_for_timeout(150)
        backward = walk(page, "PageUp", name, 1920, normal)
        assert backward == deck[::-1], (name, backward)      # the same slides, one at a time, back to the first
        screenshot(page, f"present_{name or 'overview'}_1920")
        if name in ("", "complaints"):   # every paging key, across sections both ways
            at = []
            for key in KEYS:
                page.keyboard.press(key)
                page.wait_for_timeout(150)
                at.append(checked(page, name, 1920, normal))
            assert at == [deck[i] for i in (1, 2, 3, 4, 3, 2, 1)], (name, at)


@pytest.mark.browser
def test_the_quarter_changes_without_leaving_the_view(page, app_url, e2e_warehouse):
    from query import Warehouse

    periods = Warehouse(e2e_warehouse[0]).periods()
    page.set_viewport_size({"width": 1280, "height": 720})
    open_page(page, f"{app_url}/?present=1")
    page.get_by_role("button", name=f"◀ {periods[-2]}").click()
    page.wait_for_url(lambda url: f"period={periods[-2]}" in url)
    wait_settled(page)
    assert page.locator("h1").first.inner_text().endswith(periods[-2])
    assert page.get_by_role("button", name=f"{periods[-1]} ▶").is_visible()   # still presenting
    page.wait_for_function(FITTED)
    page.keyboard.press("PageDown")
    page.wait_for_timeout(150)
    assert page.evaluate("() => window.__xbPresent.current()") == 0
