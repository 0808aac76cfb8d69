"""A member logged in through the login page, in Chromium (issue 10 items 3 and 7): every page under several
filters and tampered links, the downloads pressed; every websocket frame the server sent, the page's HTML and
every downloaded file searched for another firm's id, legal name, short name or alias. None is found — what a
member may not see never leaves the server (hidden columns and chart data travel in those frames)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import polars as pl
import pytest

from fixtures.browser import open_page, screenshot
from query import Warehouse
from tests.dashboard.apptest import download_texts, other_firms

pytestmark = pytest.mark.browser
pytest.importorskip("playwright.sync_api")

PAGES = ("overview", "complaints", "mediation", "outreach", "map", "peers", "explorer", "submissions")


def forms(token: str) -> list[bytes]:
    """How a name travels: UTF-8 (protobuf strings, Arrow buffers) and JSON-escaped (Plotly specs)."""
    return [token.encode(), json.dumps(token)[1:-1].encode()]


def test_a_member_in_chromium_is_sent_nothing_of_another_firm(page_as, app_url, e2e_warehouse, e2e_member_firm):
    warehouse, registry_file = e2e_warehouse
    registry = pl.read_csv(registry_file, infer_schema=False).with_columns(pl.col("aliases").fill_null(""))
    secrets = other_firms(registry, e2e_member_firm)
    assert len(secrets) > 30  # 15 other firms, each with an id, names and an alias
    wh = Warehouse(warehouse)
    periods = wh.periods()
    page = page_as("member")
    frames: list[bytes] = []
    page.on("websocket", lambda ws: ws.on(
        "framereceived", lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode())))
    other = next(f for f in registry["firm_id"] if f != e2e_member_firm)
    # three loads a page (a fresh session each): as opened, another type over a range, a link naming another firm
    variants = [{}, {"type": "人身险", "from": periods[0], "to": periods[-1], "lang": "en"},
                {"firm": other, "focus_firm": other, "province": "440000"}]
    html, downloads = [], []
    for path in PAGES:
        for i, params in enumerate(variants):
            if i == 0 and path == "submissions":   # its own files' downloads are in the problems section
                params = {"section": "problems"}
            open_page(page, f"{app_url}/{path}" + ("?" + urlencode(params) if params else ""))
            html.append(page.content())
            if i == 0 and path in ("complaints", "map"):
                screenshot(page, f"member_{path}")  # for a person to look at: pseudonyms, 已隐去
            if i == 0 and path in ("explorer", "submissions"):  # every download button on screen, pressed
                for button in page.get_by_role("button", name=re.compile("下载")).all():
                    if not button.is_visible() or not button.is_enabled():
                        continue
                    with page.expect_download() as download:
                        button.click()
                    downloads.append((download.value.suggested_filename, Path(download.value.path()).read_bytes()))
    assert frames and len(downloads) >= 3, "nothing recorded"
    sent = b"\n".join(frames)
    # The tampered id itself comes back in the warning that says it was dropped, as typed; nothing else of that
    # firm (names, alias) and nothing of any other firm may.
    hidden = secrets - {other}
    assert [s for s in hidden for form in forms(s) if form in sent] == []
    assert [s for s in hidden for text in html if s in text] == []
    assert [(name, s) for name, data in downloads for s in secrets
            if s in name or s in download_texts(data, name)] == []
    assert "同业".encode() in sent  # peers were shown, by pseudonym
