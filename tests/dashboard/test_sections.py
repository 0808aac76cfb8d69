"""dashboard/sections.py in AppTest: a closed section runs nothing, the URL's `section=` opens one (an unknown one is
dropped with a message), and on the projector the ◀ ▶ buttons move one section at a time, headlines first, keeping
the section for the normal view."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard import sections


def app() -> None:
    import streamlit as st

    from dashboard import sections, ui
    from dashboard.context import PageContext, publish
    from dashboard.sections import Section

    present = bool(st.session_state.get("projector"))
    publish(PageContext(wh=None, filters=None, lang="zh", period="2025Q1", present=present, periods=()))
    ran = st.session_state.setdefault("ran", [])

    def part(key: str):
        def draw() -> None:
            ran.append(key)
            with ui.slide(key):
                st.text(f"body {key}")
        return draw

    def headlines() -> None:
        ran.append("headlines")
        st.text("body headlines")

    st.session_state["open"] = sections.show("demo", headlines, [
        Section("a", "甲", part("a")), Section("b", "乙", part("b"))])


def bodies(at: AppTest) -> list[str]:
    return [t.value for t in at.text if t.value.startswith("body ")]


def test_the_normal_view_runs_the_headlines_and_the_open_section_only():
    at = AppTest.from_function(app).run()
    assert not at.exception
    assert bodies(at) == ["body headlines", "body a"]        # b is closed: not drawn, and its code never ran
    assert at.session_state["ran"] == ["headlines", "a"]
    assert at.session_state["open"] == "a" and at.query_params["section"] == "a"
    assert [tab.label for tab in at.tabs] == ["甲", "乙"]


def test_a_link_opens_its_section_and_an_unknown_one_is_dropped_with_a_message():
    at = AppTest.from_function(app)
    at.query_params["section"] = "b"
    at.run()
    assert bodies(at) == ["body headlines", "body b"]
    at = AppTest.from_function(app)
    at.query_params["section"] = "<b>nope</b>"
    at.run()
    assert bodies(at) == ["body headlines", "body a"]
    (warning,) = at.warning
    assert "section" in warning.value and "nope" in warning.value


def test_the_projector_shows_one_section_at_a_time_headlines_first_and_keeps_it_for_the_normal_view():
    at = AppTest.from_function(app)
    at.session_state["projector"] = True
    at.run()
    assert bodies(at) == ["body headlines"]
    assert at.button(key=sections.PREV).disabled and not at.button(key=sections.NEXT).disabled
    assert "1 / 3 · 主要指标" in [t.value for t in at.text]
    at.button(key=sections.NEXT).click().run()
    at.button(key=sections.NEXT).click().run()
    assert bodies(at) == ["body b"] and at.button(key=sections.NEXT).disabled
    assert "3 / 3 · 乙" in [t.value for t in at.text]
    at.button(key=sections.PREV).click().run()
    assert bodies(at) == ["body a"] and at.query_params["section"] == "a"
    at.session_state["projector"] = False
    at.run()
    assert bodies(at) == ["body headlines", "body a"]     # the section presented is the one the page opens on
