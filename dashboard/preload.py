"""The browser's share of the first page, started early: Streamlit's element code fetched with the page, and the
Plotly chart's run while the server is still on the first script run.

Streamlit loads an element's code only when the first element of that kind arrives, and the first page waited on it
(login → first page, bench/pages.py): the widgets' code came after the sidebar's first widgets, and Plotly's
(4.7 MB) was fetched, compiled and run (~0.5 s of the browser's main thread: plotly.js building itself) only when
the first chart arrived, at the end of the run. Now
- every page load's HTML carries a `Link: …; rel=modulepreload` header naming the code of the elements every page
  draws (ELEMENTS) and of all it imports, so the browser fetches and compiles it alongside its own bundle;
- a session's runs begin with a hidden element whose script imports the Plotly chart's code (`run_chart_code`), so
  the browser runs it while the server works on the page, not after.
The file names are read from Streamlit's own build manifest, so they follow its version; without them (an unreadable
manifest) neither is sent and the pages load as Streamlit loads them.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import streamlit as st

# The element code every page needs first (Streamlit's source paths, as its manifest names them).
CHART_ELEMENT = ("elements/PlotlyChart/PlotlyChart.tsx",)
ELEMENTS = (*CHART_ELEMENT, "elements/Metric/Metric.tsx", "elements/Html/Html.tsx",
            "widgets/Selectbox/Selectbox.tsx", "widgets/Multiselect/Multiselect.tsx", "widgets/Radio/Radio.tsx",
            "widgets/Checkbox/Checkbox.tsx", "widgets/ButtonGroup/ButtonGroup.tsx", "widgets/Button/Button.tsx")
CHART_CODE_KEY = "xb_chart_code"
MANIFEST = Path(st.__file__).parent / "static" / "manifest.json"
# Requests that are not page loads: Streamlit's own endpoints, its assets, media and our static files.
NOT_PAGES = ("/_stcore", "/static/", "/media/", "/app/static/", "/component/", "/favicon")


def code_files(manifest: object, elements: tuple[str, ...]) -> tuple[str, ...]:
    """The served paths of `elements`' code and of all the code it imports (`static/js/PlotlyChart….js`, …), the
    elements first, each once, from Streamlit's build manifest (source path → {"file", "imports"}); whatever in it
    is not of that shape is passed over."""
    if not isinstance(manifest, dict):
        return ()
    todo = [key for key, entry in manifest.items() if key.endswith(elements) and isinstance(entry, dict)]
    found: dict[str, str] = {}   # manifest key → file
    while todo:
        key = todo.pop(0)
        entry = manifest.get(key)
        if key in found or not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            continue
        found[key] = entry["file"]
        imports = entry.get("imports")
        todo.extend(k for k in (imports if isinstance(imports, list) else ()) if isinstance(k, str))
    return tuple(found.values())


@functools.cache
def element_files(elements: tuple[str, ...] = ELEMENTS) -> tuple[str, ...]:
    """code_files of `elements` in the installed Streamlit; none when its manifest cannot be read."""
    try:
        return code_files(json.loads(MANIFEST.read_text(encoding="utf-8")), elements)
    except (OSError, ValueError):
        return ()


@functools.cache
def link_header() -> bytes:
    """`</static/js/PlotlyChart….js>; rel=modulepreload, …` for ELEMENTS; empty when the manifest lacks them."""
    return ", ".join(f"</{file}>; rel=modulepreload" for file in element_files()).encode("latin-1")


def run_chart_code() -> None:
    """A hidden element whose script imports the Plotly chart's code: drawn first in every run, it has the browser
    run that code (once per page load: modules are run once) as soon as a session's first run begins, while the
    server is still working on the page, instead of when the first chart arrives at the end of it. The element
    stays from run to run (same content), so its script is not run again."""
    files = element_files(CHART_ELEMENT)
    if not files:
        return
    with st.container(key=CHART_CODE_KEY, border=False):
        st.html(f"<style>.st-key-{CHART_CODE_KEY} {{ display: none; }}</style>"
                f"<script>import({json.dumps('/' + files[0])});</script>", unsafe_allow_javascript=True)


class Preload:
    """ASGI middleware: the `Link: …; rel=modulepreload` header (link_header) on every page load's HTML response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "/")
        if scope["type"] != "http" or scope.get("method") != "GET" or path.startswith(NOT_PAGES):
            await self.app(scope, receive, send)
            return
        header = link_header()

        async def with_link(message: dict) -> None:
            if message["type"] == "http.response.start" and header:
                headers = list(message.get("headers", []))
                if any(k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in headers):
                    message = {**message, "headers": [*headers, (b"link", header)]}
            await send(message)

        await self.app(scope, receive, with_link)
