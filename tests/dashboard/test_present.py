"""dashboard/present.py: in Chromium, presentation mode at 1280×720 and 1920×1080 — every slide fits the screen
under the top bar (nothing cut, nothing split), PageDown / PageUp and the arrows move one slide from the very
first key press (no click into the page), and the quarter changes without leaving the view; chart fonts are
enlarged on the projector."""

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
                                                                            "legend": {"font": {"size": 20}}})
    fig.add_annotation(text="注", font={"size": 10})
    present.enlarge(fig, 1.5)
    assert fig.layout.font.size == round(theme.FONT_SIZE * 1.5)
    assert fig.layout.xaxis.tickfont.size == round((theme.FONT_SIZE - 2) * 1.5)   # from the template
    assert fig.layout.legend.font.size == 30 and fig.layout.annotations[0].font.size == 15
    assert fig.data[0].textfont.size == 15


@pytest.mark.browser
@pytest.mark.parametrize(("width", "height"), SCREENS)
def test_each_slide_fits_the_screen_and_keys_move_one_slide(page, app_url, width, height):
    page.set_viewport_size({"width": width, "height": height})
    for name in ("", "outreach"):
        open_page(page, f"{app_url}/{name}?present=1")
        page.wait_for_function(FITTED)
        page.wait_for_timeout(500)
        shown = page.evaluate(MEASURE)
        assert len(shown["slides"]) >= 4, shown
        for slide in shown["slides"]:
            assert slide["height"] <= shown["screen"] + 1, (width, name, slide)
            assert slide["cut"] <= 2, (width, name, slide)   # scaled to fit: nothing hidden below
        # the first key works without a click into the page
        at = []
        for key in ("PageDown", "PageDown", "ArrowRight", "ArrowDown", "PageUp", "ArrowLeft", "ArrowUp"):
            page.keyboard.press(key)
            page.wait_for_timeout(150)
            at.append(page.evaluate("() => window.__xbPresent.current()"))
        assert at == [0, 1, 2, 3, 2, 1, 0], (width, name, at)
        screenshot(page, f"present_{name or 'overview'}_{width}")


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
