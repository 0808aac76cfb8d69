"""dashboard/app.py: what the entry point tells a reader about the link it was opened with — an unknown page path,
a firm not of the chosen firm type, values from the link shown as plain text."""

from __future__ import annotations

import polars as pl

from dashboard import app as dashboard_app
from query import Warehouse


def test_an_unknown_page_path_is_named_and_a_known_one_is_not():
    known = dashboard_app.known_paths()
    assert {"", "home", "overview", "complaints", "submissions"} <= known
    assert dashboard_app.unknown_page(None, known) is None
    assert dashboard_app.unknown_page("", known) is None
    assert dashboard_app.unknown_page("peers", known) is None
    assert dashboard_app.unknown_page("nosuchpage", known) == "nosuchpage"


def test_a_link_value_is_shown_as_plain_text_and_cut(app_test):
    at = app_test(params={"firm": "**bold** [x](http://e.vil) " + "y" * 80})
    assert not at.exception
    (warning,) = [w.value for w in at.warning if "firm" in w.value]
    assert "**bold**" not in warning and "[x](" not in warning   # escaped: read literally
    assert "y" * 40 not in warning


def test_a_firm_not_of_the_chosen_type_is_reported_in_the_link_and_in_the_sidebar(app_test, demo_warehouse):
    firms = Warehouse(demo_warehouse).firms()
    life = firms.filter(pl.col("firm_type") == "人身险").row(0, named=True)
    at = app_test(params={"type": "财产险", "firm": life["firm_id"]})
    assert [w.value for w in at.warning if life["firm_id"] in w.value.replace("\\", "")]
    # chosen in the sidebar, then the firm type changed: taken out, and said so
    at = app_test()
    at.multiselect(key="_w_firms").set_value([life["firm_id"]]).run()
    at.selectbox(key="_w_type").set_value("财产险").run()
    assert not at.exception
    said = [w.value.replace("\\", "") for w in at.warning]
    assert any(life["short_name"] in w and "财产险" in w for w in said), said
    assert at.multiselect(key="_w_firms").value == []
