"""A page's sections, drawn one at a time: what is not on screen is neither asked for nor drawn.

At 1920×1080 a page shows its headline figures and one section; drawing the sections below the fold on every
filter change cost the browser ≈ 90 ms a chart (a Plotly chart is remounted on every change) and the server
their queries, for charts nobody was looking at (bench/pages.py). So:

- the normal view has the headlines on top and the sections as tabs; only the open tab's section runs;
- the presentation view shows one section at a time (the headlines are the first): its slides are paged by the
  keys in the browser, and the key past a section's last slide asks the server for the next section (the
  ◀ / ▶ buttons above the slide, which the paging script in dashboard/present.py presses).

The open section is kept per page for the session and in the URL (`section=<id>`, an id, never a label), so a
copied link opens the same section and the quarter changes without leaving it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import streamlit as st

from dashboard import page_params, present, theme, ui
from dashboard.context import current
from dashboard.i18n import pick

PARAM = "section"
HEADLINES = "headlines"
PREV, NEXT = present.SECTION_PREV, present.SECTION_NEXT   # the buttons the paging script presses
TABS, NAV = "xb_sections", "xb_section_nav"   # containers of the tabs and of the projector's ◀ ▶ (bench/pages.py)


@dataclass(frozen=True)
class Section:
    """One part of a page. `draw` draws it whole: its slides (`ui.slide`, one or more: a long list may be split
    across screens on the projector), their titles and their figures; nothing of it runs while it is closed."""

    key: str                    # an id, for the URL's `section=`
    label: str                  # the tab's label (short); on the projector, the ◀ ▶ bar says it
    draw: Callable[[], None]


def _state(page: str) -> str:
    return f"_section_{page}"


def show(page: str, headlines: Callable[[], None] | None, parts: Sequence[Section]) -> str:
    """Draw `page`'s headlines and its open section (normal view: the headlines and a tab per section;
    presentation view: one of them, headlines first). A page without headline figures passes None: its first
    section opens the projector. Returns the open section's key."""
    ctx = current()
    keys = [*([HEADLINES] if headlines else []), *(p.key for p in parts)]
    state = _state(page)
    first = keys[0] if ctx.present or not headlines or not parts else keys[1]   # the projector: the headlines
    for message in page_params.seed(state, PARAM, keys, first, lang=ctx.lang):
        st.warning(message, icon=theme.ICON_WARNING)
    if st.session_state[state] not in keys:
        st.session_state[state] = keys[0]
    if ctx.present:
        open_key = _present(state, keys, parts, headlines)
    else:
        if headlines:
            with ui.slide(HEADLINES):
                headlines()
        open_key = _tabs(state, parts)
    page_params.write(PARAM, open_key)
    return open_key


def _tabs(state: str, parts: Sequence[Section]) -> str:
    """One tab per section; only the open one's section runs (`on_change="rerun"`). The tabs' default is the
    section kept for the page, so a quarter change, a language switch or a return from the projector keeps it."""
    if not parts:
        return HEADLINES
    labels = [p.label for p in parts]
    kept = next((p for p in parts if p.key == st.session_state[state]), parts[0])
    with st.container(key=TABS, border=False):
        tabs = st.tabs(labels, default=kept.label, on_change="rerun")
        for part, tab in zip(parts, tabs, strict=True):
            if tab.open:
                st.session_state[state] = part.key
                with tab:
                    part.draw()
                return part.key
    return kept.key


def _move(state: str, to: str) -> None:
    st.session_state[state] = to


def _present(state: str, keys: list[str], parts: Sequence[Section], headlines: Callable[[], None] | None) -> str:
    """The open section's slides, and above them ◀ · n / total · its title · ▶ to the sections either side."""
    at = keys.index(st.session_state[state])
    titles = [*([pick({"zh": "主要指标", "en": "Headlines"})] if headlines else []), *(p.label for p in parts)]
    with st.container(key=NAV, border=False):
        before, now, after, _ = st.columns([1, 4, 1, 4], vertical_alignment="center")
    before.button("◀", key=PREV, disabled=at == 0, on_click=_move, args=(state, keys[max(0, at - 1)]),
                  width="stretch", help=pick({"zh": "上一部分", "en": "Previous section"}))
    now.text(f"{at + 1} / {len(keys)} · {titles[at]}")
    after.button("▶", key=NEXT, disabled=at + 1 >= len(keys), on_click=_move,
                 args=(state, keys[min(len(keys) - 1, at + 1)]), width="stretch",
                 help=pick({"zh": "下一部分", "en": "Next section"}))
    if keys[at] == HEADLINES and headlines:
        with ui.slide(HEADLINES):
            headlines()
    else:
        parts[at - len(keys) + len(parts)].draw()
    return keys[at]
