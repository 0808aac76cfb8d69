"""dashboard/preload.py: page loads carry a modulepreload Link header naming the element code Streamlit serves;
its assets, endpoints and non-HTML answers carry none."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from pathlib import Path

import streamlit

from dashboard import preload


def test_the_header_names_the_elements_code_and_all_it_imports_as_streamlit_ships_it():
    header = preload.link_header().decode()
    files = [part.split(">")[0].lstrip("<").lstrip("/") for part in header.split(", ")]
    assert all(part.endswith("; rel=modulepreload") for part in header.split(", "))
    static = Path(streamlit.__file__).parent / "static"
    assert all((static / f).is_file() for f in files) and len(set(files)) == len(files)
    for name in ("PlotlyChart", "Metric", "Html", "Selectbox", "Multiselect", "Radio", "Checkbox", "ButtonGroup"):
        assert any(f.startswith(f"static/js/{name}.") for f in files), name
    manifest = json.loads(preload.MANIFEST.read_text(encoding="utf-8"))
    plotly = next(v for k, v in manifest.items() if k.endswith("PlotlyChart/PlotlyChart.tsx"))
    assert {manifest[k]["file"] for k in plotly["imports"]} <= set(files)   # what the chart's code imports too


def test_code_files_follows_imports_to_the_end_once_each_and_skips_what_is_malformed():
    manifest = {
        "src/elements/Chart/Chart.tsx": {"file": "js/Chart.1.js", "imports": ["_a.js", "_b.js"]},
        "_a.js": {"file": "js/a.2.js", "imports": ["_c.js", "_a.js"]},          # a loop back to itself
        "_b.js": {"file": "js/b.3.js", "imports": ["_a.js", "_missing.js", 7]},  # a shared one, a missing one, junk
        "_c.js": {"file": "js/c.4.js", "imports": "_b.js"},                      # imports not a list: none
        "src/elements/Other/Other.tsx": {"file": "js/Other.5.js"},
        "src/elements/Bad/Bad.tsx": {"imports": ["_a.js"]},                       # no file: passed over
    }
    assert preload.code_files(manifest, ("elements/Chart/Chart.tsx",)) == (
        "js/Chart.1.js", "js/a.2.js", "js/b.3.js", "js/c.4.js")
    assert preload.code_files(manifest, ("elements/Chart/Chart.tsx", "elements/Other/Other.tsx"))[:2] == (
        "js/Chart.1.js", "js/Other.5.js")
    assert preload.code_files(manifest, ("elements/Bad/Bad.tsx",)) == ()
    assert preload.code_files(["not", "a", "manifest"], ("elements/Chart/Chart.tsx",)) == ()


def test_the_chart_code_element_imports_the_installed_plotly_code_and_hides_itself():
    from streamlit.testing.v1 import AppTest

    def script():
        from dashboard import preload

        preload.run_chart_code()

    at = AppTest.from_function(script).run()
    (html,) = at.get("html")
    chart = preload.element_files(preload.CHART_ELEMENT)[0]
    assert chart.startswith("static/js/PlotlyChart.") and (preload.MANIFEST.parent / chart).is_file()
    assert f'<script>import("/{chart}");</script>' in html.proto.body and html.proto.unsafe_allow_javascript
    assert f".st-key-{preload.CHART_CODE_KEY} {{ display: none; }}" in html.proto.body


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
