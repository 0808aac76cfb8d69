"""The app's page loads tell the browser, in a `Link` header, to fetch and compile the code of the elements the pages
draw while the first script run is still on the server.

Streamlit loads an element's code when the first element of that kind arrives: the Plotly chart's (4.7 MB) came
only after the first run had finished, and compiling it was part of the wait for the first page (login → first
page, bench/pages.py). With `rel=modulepreload` the browser starts on it with the page, alongside the websocket and
the run. The file names are read from Streamlit's own build manifest, so they follow its version.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import streamlit

# The element code every page needs first (Streamlit's source paths, as its manifest names them).
ELEMENTS = ("elements/PlotlyChart/PlotlyChart.tsx", "elements/Metric/Metric.tsx")
MANIFEST = Path(streamlit.__file__).parent / "static" / "manifest.json"
# Requests that are not page loads: Streamlit's own endpoints, its assets, media and our static files.
NOT_PAGES = ("/_stcore", "/static/", "/media/", "/app/static/", "/component/", "/favicon")


@functools.cache
def link_header() -> bytes:
    """`</static/js/PlotlyChart….js>; rel=modulepreload, …` for ELEMENTS; empty when the manifest lacks them."""
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return b""
    files = [entry["file"] for source, entry in manifest.items()
             if isinstance(entry, dict) and source.endswith(ELEMENTS) and "file" in entry]
    return ", ".join(f"</{file}>; rel=modulepreload" for file in files).encode("latin-1")


class Preload:
    """ASGI middleware: a `Link: …; rel=modulepreload` header on every page load's HTML response."""

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
