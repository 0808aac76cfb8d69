"""会议材料 in AppTest: the page says what the deck holds, a click builds it with a progress bar, and the download
hands out the deck for the quarter, firm type and language chosen — recorded in the audit log on click."""

from __future__ import annotations

import io

from pptx import Presentation

from core import audit
from deck import Spec, slide_keys
from tests.dashboard.apptest import no_traceback


def test_a_click_builds_the_deck_and_the_download_hands_it_out_audited(app_test, demo_warehouse, demo_wh,
                                                                        downloads):
    period = demo_wh.periods()[-1]
    at = app_test("deck.py", params={"type": "人身险"})
    no_traceback(at)
    assert at.title[0].value == f"会议材料 · {period}"
    assert f"共 {len(slide_keys(Spec(period=period, firm_type='人身险')))} 页" in at.markdown[0].value
    assert not downloads   # nothing built yet, nothing offered
    at.button(key="deck_build").click().run(timeout=180)
    no_traceback(at)
    (bar,) = at.get("progress")
    assert bar.proto.value == 100 and "已完成" in bar.proto.text
    (offer,) = [d for d in downloads if d["key"] == "deck_download"]
    assert offer["file_name"] == f"xiaobao_{period}_人身险_zh.pptx"
    before = len(audit.read(demo_warehouse))
    data = offer["data"]()   # the click
    prs = Presentation(io.BytesIO(data))
    assert len(prs.slides) == len(slide_keys(Spec(period=period, firm_type="人身险")))
    assert prs.slides[1].shapes.title.text == f"主要指标（{period}）"
    lines = audit.read(demo_warehouse)[before:]
    assert [(x["what"], x["format"], x["who"], x["filters"]) for x in lines] == [
        ("deck", "pptx", "test-secretariat", {"period": period, "firm_type": "人身险", "lang": "zh"})]


def test_english_page_and_pdf_choice(app_test):
    at = app_test("deck.py", params={"lang": "en"})
    no_traceback(at)
    assert at.title[0].value.startswith("Meeting deck · ")
    assert at.button(key="deck_build").label == "Build the deck"
    assert at.get("button_group")[0].proto.options[1].content == "PDF"


def test_a_members_session_builds_a_deck_naming_no_other_firm(app_test, demo_wh, downloads):
    import zipfile

    from tests.dashboard.apptest import member

    firms = demo_wh.firms()
    own = firms.row(0, named=True)
    at = app_test("deck.py", user=member(own["firm_id"]))
    no_traceback(at)
    at.button(key="deck_build").click().run(timeout=180)
    no_traceback(at)
    (offer,) = [d for d in downloads if d["key"] == "deck_download"]
    data = offer["data"]()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    others = firms.filter(firms["firm_id"] != own["firm_id"])
    leaks = [w for r in others.iter_rows(named=True) for w in (r["firm_id"], r["name"], r["short_name"]) if w in text]
    assert leaks == [] and own["short_name"] in text
