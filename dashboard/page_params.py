"""URL parameters a page owns (peers: `focus_firm`; explorer: `metrics`, `by`).

The shared filters are bound to the URL by app.py; a page's own choices follow the same rule: a widget
takes its value from the URL the first time it is drawn in a session (a copied link opens the same view),
and every change is written back to the URL. Values are ids, never display labels, so a link works in
either language. A bad value is dropped with a message, never a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboard.filters import plain, shown
from dashboard.i18n import t


def split(values: Sequence[str]) -> list[str]:
    """Repeated or comma-separated values, stripped, empties and repeats dropped, order kept."""
    out: list[str] = []
    for item in values:
        for part in str(item).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


def seed(key: str, param: str, options: Sequence[str], default: str | list[str], *,
         multi: bool = False, lang: str | None = None) -> list[str]:
    """Before drawing the widget `key`: on its first run in this session, its value from URL `param`.

    Returns the messages about dropped values (in `lang`) for the page to show with st.warning — each value cut
    to 40 characters and the message escaped, so that it reads as plain text, never as markdown; none on later runs.
    """
    if key in st.session_state:
        return []
    raw = st.query_params.get_all(param)
    if multi and raw and not split(raw):  # `?by=` : deliberately nothing chosen
        st.session_state[key] = []
        return []
    wanted = split(raw)
    kept = [v for v in wanted if v in options]
    messages = [t("bad_param_dropped", lang).format(name=param, value=shown(v)) for v in wanted if v not in options]
    if not multi and len(kept) > 1:
        messages += [t("bad_param_dropped", lang).format(name=param, value=shown(v)) for v in kept[1:]]
    messages = [plain(m) for m in messages]
    if multi:
        st.session_state[key] = kept or list(default)
    else:
        st.session_state[key] = kept[0] if kept else default
    return messages


def write(param: str, value: str | Sequence[str] | None) -> None:
    """Put the widget's value in the URL as comma-joined ids; an empty choice is kept as `param=` (it
    differs from the page's default). Written only when it differs, so a rerun adds no history entry."""
    text = value if isinstance(value, str) else ",".join(value or ())
    if st.query_params.get_all(param) != [text]:
        st.query_params[param] = text
