"""dashboard/preload.py: page loads carry a modulepreload Link header naming the element code Streamlit serves;
its assets, endpoints and non-HTML answers carry none."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

import streamlit

from dashboard import preload


def test_the_header_names_the_plotly_and_metric_code_streamlit_ships():
    header = preload.link_header().decode()
    files = [part.split(">")[0].lstrip("<").lstrip("/") for part in header.split(", ")]
    assert len(files) == 2 and all("rel=modulepreload" in part for part in header.split(", "))
    assert any("PlotlyChart" in f for f in files) and any("Metric" in f for f in files)
    static = Path(streamlit.__file__).parent / "static"
    assert all((static / f).is_file() for f in files)


def served(path: str, content_type: bytes, method: str = "GET") -> list[tuple[bytes, bytes]]:
    """The headers the middleware sends for a request to `path` answered with `content_type`."""
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": b""})

    async def send(message):
        sent.append(message)

    # a loop of its own in a thread of its own (a browser test's loop may be running in this one)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, preload.Preload(app)({"type": "http", "path": path, "method": method}, None,
                                                       send)).result()
    return sent[0]["headers"]


def test_only_html_page_loads_get_the_header():
    link = (b"link", preload.link_header())
    assert link in served("/", b"text/html; charset=utf-8")
    assert link in served("/complaints", b"text/html")
    assert link not in served("/static/js/index.js", b"text/html")      # an asset
    assert link not in served("/_stcore/health", b"text/plain")
    assert link not in served("/app/static/china_provinces.geojson", b"application/json")
    assert link not in served("/complaints", b"application/json")        # not a page
    assert link not in served("/", b"text/html", method="POST")
