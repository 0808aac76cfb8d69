"""Presentation view (演示模式) for joint meetings: one slide per screen, paged with the keyboard or a clicker.

Each `ui.slide()` block is one slide. In presentation mode a script in the page (`st.html`, run in the app's own
document, so keys work from the first moment without a click into the page) makes every slide exactly the screen
under the top bar and sizes its plotly charts (drawn with `height="stretch"` by `ui.chart`) to what the slide has
left, so nothing is split across screens at 1920×1080 or 1280×720 and nothing is shrunk: a slide is scaled down
(CSS zoom) only as a last resort. What would not fit is selected in Python instead (`ui.for_screen` and its
siblings: fewer bars and rows, or a list split into slides). Next: → ↓ PageDown Space (a presenter's clicker
sends PageDown / PageUp or the arrows); previous: ← ↑ PageUp; Home / End: the section's first / last slide.
One section is on the page at a time (dashboard/sections.py): the key past its last (first) slide presses the
section bar's ▶ (◀), the server draws the next (previous) section, and its first (last) slide is shown.
Keys typed into a widget (a select box, a text field) are left alone. The quarter changes from the bar above the slides
(`quarter_bar`) without leaving the view; charts' fonts are enlarged with the page's text (`enlarge`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

# Plotly fonts on the projector, relative to the page's: the page's root size goes from 16 to 24 px.
FONT_SCALE = 1.4
MARKER = "xb_present"   # a container key: the script acts only while it is on the page
# The section bar's buttons (dashboard/sections.py draws them), which the script presses past a section's ends.
SECTION_PREV, SECTION_NEXT = "present_prev_section", "present_next_section"

SCRIPT = r"""
<script>
(() => {
  const w = window;
  if (w.__xbPresent) { w.__xbPresent.schedule(); return; }
  const SLIDES = '[class*="st-key-slide_"]';
  const on = () => !!document.querySelector('[class*="st-key-__MARKER__"]');
  const slides = () => [...document.querySelectorAll(SLIDES)].filter(s => s.offsetParent !== null);
  const header = () => {
    const h = document.querySelector('[data-testid="stHeader"]');
    return h ? Math.max(0, h.getBoundingClientRect().bottom) : 0;
  };
  const scroller = (el) => {
    for (let p = el && el.parentElement; p; p = p.parentElement) {
      const y = getComputedStyle(p).overflowY;
      if ((y === 'auto' || y === 'scroll') && p.scrollHeight > p.clientHeight) return p;
    }
    return document.scrollingElement;
  };
  const natural = (s) => {           // the height of a slide's content, in the slide's own (unzoomed) pixels
    const kids = [...s.children].filter(k => k.offsetParent !== null);
    if (!kids.length) return 0;
    const top = Math.min(...kids.map(k => k.offsetTop));
    return Math.max(...kids.map(k => k.offsetTop + Math.max(k.offsetHeight, k.scrollHeight))) - top;
  };
  const screen = () => Math.max(240, window.innerHeight - header() - 8);
  // Charts are sized to the slide, not the slide to the charts: each plotly chart (height "stretch", so it takes
  // its element's height) grows or shrinks until the slide is the screen's height, the difference shared by the
  // rows of charts stacked on it (charts side by side are a row). Only a slide whose charts would fall below
  // MIN_CHART, or that has no chart and is still too tall, is scaled down (CSS zoom), the last resort.
  const MIN_CHART = 240;
  const charts = (s) => [...s.querySelectorAll('[data-testid="stPlotlyChart"]')]
    .map(c => c.closest('.stElementContainer')).filter(c => c && c.offsetParent !== null);
  const rows = (list) => {            // charts whose heights overlap are side by side: one row
    const out = [];
    for (const c of list) {
      const box = c.getBoundingClientRect();
      const row = out.find(r => box.top < r.bottom && box.bottom > r.top);
      if (!row) { out.push({top: box.top, bottom: box.bottom, items: [c]}); continue; }
      row.items.push(c);
      row.top = Math.min(row.top, box.top);
      row.bottom = Math.max(row.bottom, box.bottom);
    }
    return out.map(r => r.items);
  };
  const reset = (s) => {
    s.style.zoom = s.style.height = s.style.minHeight = s.style.width = '';
    for (const c of s.querySelectorAll('.stElementContainer')) if (c.dataset.xbSized) {
      c.style.height = ''; delete c.dataset.xbSized;
    }
  };
  const sizeCharts = (s, avail) => {  // true when a chart's height changed
    const list = charts(s);
    if (!list.length) return false;
    const grid = rows(list);
    // what the slide has over (or under) the screen, shared by the rows: a row's charts grow or shrink by as much
    const delta = Math.floor((avail - natural(s) - 2) / grid.length);
    if (Math.abs(delta) <= 2) return false;
    let moved = false;
    for (const row of grid) {
      const each = Math.max(MIN_CHART, Math.max(...row.map(c => c.offsetHeight)) + delta);
      for (const c of row) {
        if (Math.abs(c.offsetHeight - each) <= 2) continue;
        c.style.height = each + 'px';
        c.dataset.xbSized = '1';
        moved = true;
      }
    }
    return moved;
  };
  // A block that changes height without a DOM change (a web font arriving, a chart's redraw) refits too.
  const watched = new WeakSet();
  const sizes = new ResizeObserver(() => schedule());
  function fit() {
    if (!on()) { for (const s of slides()) reset(s); return; }
    const avail = screen();
    let changed = false;
    for (const s of slides()) {
      for (const k of s.children) if (!watched.has(k)) { watched.add(k); sizes.observe(k); }
      const old = parseFloat(s.style.zoom || '1');
      if (old !== 1) s.style.zoom = '1';   // measured unscaled
      if (sizeCharts(s, avail)) changed = true;
      const h = natural(s);
      if (!h) { s.style.zoom = String(old); continue; }
      const z = Math.min(1, avail / h);
      s.style.zoom = String(z);
      s.style.width = z < 1 ? (100 / z) + '%' : '';   // as wide as the screen once scaled
      s.style.height = s.style.minHeight = (avail / z) + 'px';
      s.style.overflow = 'hidden';
      s.style.scrollMarginTop = (header() / z) + 'px';
      if (Math.abs(old - z) > 0.01) changed = true;
    }
    // plotly redraws its charts at their container's new size on a window resize
    if (changed) window.dispatchEvent(new Event('resize'));
    arrived();
  }
  let timer = 0;
  const schedule = () => { clearTimeout(timer); timer = setTimeout(fit, 120); };
  const EDGE = 6;   // px: a slide whose top is this close to the top bar is the one on screen
  const tops = () => slides().map(s => s.getBoundingClientRect().top - header());
  const atEnd = (s) => { const box = scroller(s); return box.scrollTop + box.clientHeight >= box.scrollHeight - 2; };
  // The slide on screen: the one at the top bar; or the last, when the page cannot scroll it up that far
  const current = () => {
    const t = tops(), all = slides();
    const at = t.findIndex(v => Math.abs(v) <= EDGE);
    if (at >= 0 || !all.length) return at;
    return atEnd(all[all.length - 1]) && t[t.length - 1] < window.innerHeight / 2 ? t.length - 1 : -1;
  };
  const target = (step) => {       // the slide `step` slides on from the one on screen (or from between two)
    const t = tops();
    const at = current();
    if (at >= 0) return at + step;
    const below = t.findIndex(v => v > EDGE);
    if (step > 0) return (below < 0 ? t.length : below) + step - 1;
    return (below < 0 ? t.length : below) + step;
  };
  const go = (i) => {
    const all = slides();
    if (!all.length) return;
    const slide = all[Math.max(0, Math.min(all.length - 1, i))];
    const box = scroller(slide);
    const delta = slide.getBoundingClientRect().top - header();
    box.scrollTo({top: box.scrollTop + delta, behavior: 'instant'});
  };
  // Past a section's first or last slide: the server draws the section before or after it (dashboard/sections.py);
  // once its slides have replaced these, the first of them is shown (the last, going back).
  const keyOf = (s) => [...s.classList].find(c => c.startsWith('st-key-slide_'));
  let pending = null;
  const turn = (step) => {
    const b = [...document.querySelectorAll(step > 0 ? '.st-key-__SECTION_NEXT__ button'
                                                      : '.st-key-__SECTION_PREV__ button')]
      .find(b => b.offsetParent !== null);   // a button with a tooltip has a hidden twin
    if (!b || b.disabled) return false;
    const mine = pending = {last: step < 0, from: slides().map(keyOf)};
    setTimeout(() => { if (pending === mine) pending = null; }, 15000);   // a run that never drew it: let go
    b.click();
    return true;
  };
  const arrived = () => {
    if (!pending) return;
    const now = slides();
    if (!now.length || now.some(s => pending.from.includes(keyOf(s)))) return;
    const last = pending.last;
    pending = null;
    go(last ? now.length - 1 : 0);
  };
  const where = () => { const i = current(); return i < 0 ? null : keyOf(slides()[i]); };
  const typing = (e) => {
    const t = e.target;
    return t && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) ||
                 (t.getAttribute && t.getAttribute('role') === 'combobox'));
  };
  document.addEventListener('keydown', (e) => {
    if (!on() || typing(e) || e.altKey || e.ctrlKey || e.metaKey) return;
    const all = slides().length;
    const step = {ArrowRight: 1, ArrowDown: 1, PageDown: 1, ' ': e.shiftKey ? -1 : 1,
                  ArrowLeft: -1, ArrowUp: -1, PageUp: -1, Home: -all, End: all}[e.key];
    if (step === undefined || !all) return;
    e.preventDefault();
    e.stopPropagation();
    const to = target(step);
    if (Math.abs(step) === 1 && (to < 0 || to >= all) && turn(step)) return;
    go(to);
  }, true);
  new MutationObserver(schedule).observe(document.body, {childList: true, subtree: true});
  window.addEventListener('resize', schedule);
  if (document.fonts) document.fonts.addEventListener('loadingdone', schedule);
  w.__xbPresent = {fit, go, current, where, slides, schedule, turning: () => !!pending};
  schedule();
})();
</script>
"""


def install() -> None:
    """The marker and the paging script (installed once per browser tab; it acts while the marker is on the
    page, i.e. in presentation mode)."""
    with st.container(key=MARKER, height=1, border=False):
        st.html(SCRIPT.replace("__MARKER__", MARKER).replace("__SECTION_NEXT__", SECTION_NEXT)
                .replace("__SECTION_PREV__", SECTION_PREV), unsafe_allow_javascript=True)


def quarter_bar(periods: Sequence[str], key: str, lang: str) -> None:
    """◀ previous quarter · the quarter · next quarter ▶ — changes the shared quarter (the sidebar's widget
    `key`, hidden on the projector) without leaving presentation mode."""
    current = st.session_state.get(key)
    if current not in periods:
        return
    i = list(periods).index(current)

    def move(to: str) -> None:
        st.session_state[key] = to

    before, now, after, _ = st.columns([2, 1.2, 2, 5], vertical_alignment="center")
    before.button(f"◀ {periods[i - 1]}" if i > 0 else "◀", key="present_prev_quarter", disabled=i == 0,
                  on_click=move, args=(periods[i - 1] if i > 0 else current,), width="stretch",
                  help="上一季度" if lang == "zh" else "Previous quarter")
    now.markdown(f"**{current}**")
    after.button(f"{periods[i + 1]} ▶" if i + 1 < len(periods) else "▶", key="present_next_quarter",
                 disabled=i + 1 >= len(periods), on_click=move,
                 args=(periods[i + 1] if i + 1 < len(periods) else current,), width="stretch",
                 help="下一季度" if lang == "zh" else "Next quarter")


def _size(fig: Any, path: str) -> float | None:
    """A font size as the figure or its template sets it (`xaxis.tickfont.size` …); None when neither does."""
    for layout in (fig.layout, fig.layout.template.layout if fig.layout.template else None):
        if layout is None:
            continue
        try:
            value = layout[path]
        except (KeyError, ValueError, AttributeError):
            value = None
        if value:
            return float(value)
    return None


FONT_PATHS = ("font.size", "title.font.size", "legend.font.size", "hoverlabel.font.size",
              "coloraxis.colorbar.tickfont.size")
AXIS_FONTS = ("tickfont", "title.font")


def enlarge(fig: Any, scale: float = FONT_SCALE) -> Any:
    """The figure's fonts (base, title, legend, every axis's ticks and title, annotations, text on bars, colour bars)
    and its margins (which hold titles and side labels) `scale` times larger, whether the figure or its template
    sets them."""
    sizes = {path: _size(fig, path) for path in FONT_PATHS}
    base = sizes["font.size"] or 18
    template = fig.layout.template.layout if fig.layout.template else None

    def axes(axis: Any, kind: str) -> None:   # xaxis, xaxis2 … (a subplot's axes too), and the y axes
        for path in AXIS_FONTS:
            own = axis[path].size
            from_template = template[f"{kind}.{path}.size"] if template is not None else None
            axis[path].size = round((own or from_template or base) * scale)

    for side in ("l", "r", "t", "b"):   # the margins hold the titles and the labels beside the plot
        own = fig.layout.margin[side]
        from_template = template.margin[side] if template is not None else None
        if own is not None or from_template is not None:
            fig.layout.margin[side] = round((own if own is not None else from_template) * scale)
    fig.for_each_xaxis(lambda a: axes(a, "xaxis"))
    fig.for_each_yaxis(lambda a: axes(a, "yaxis"))
    fig.update_layout({path: round(size * scale) for path, size in sizes.items() if size})
    for note in fig.layout.annotations or ():
        note.font.size = round((note.font.size or base) * scale)
    for trace in fig.data:
        font = getattr(trace, "textfont", None)
        if font is not None and font.size:
            font.size = round(font.size * scale)
        bar = getattr(trace, "colorbar", None)
        if bar is not None and bar.tickfont is not None:
            bar.tickfont.size = round((bar.tickfont.size or base) * scale)
    return fig
