"""dashboard.filters: URL query parameters ⇄ the shared filters, and bad parameters answered in words."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from core.untrusted import AUTOLINK_STOP
from dashboard.filters import SHOWN_MAX, Choices, View, parse, plain, query_string, shown, to_params
from query import Filters

CHOICES = Choices(
    periods=("2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"),
    firm_ids=("F001", "F002", "F003"),
    region_codes=("000000", "110000", "440000", "440300"),
    province_codes=("110000", "440000"),
)


@pytest.mark.parametrize("view", [
    View(Filters(period="2024Q3")),
    View(Filters(period_from="2024Q2", period_to="2025Q1"), lang="en"),
    View(Filters(period="2025Q1", firm_type="人身险", firms=("F003", "F001"), provinces=("440000",),
                 regions=("440300", "000000")), present=True),
])
def test_view_survives_the_round_trip_through_the_url(view):
    params = to_params(view)
    parsed, messages = parse(params, CHOICES)
    assert messages == []
    assert parsed == view
    assert to_params(parsed) == params


def test_url_spells_each_filter_as_agreed():
    view = View(Filters(period_from="2024Q2", period_to="2025Q1", firm_type="财产险", firms=("F002", "F001"),
                        provinces=("440000",), regions=("440300",)), lang="en", present=True)
    assert to_params(view) == {"from": "2024Q2", "to": "2025Q1", "type": "财产险", "firm": "F002,F001",
                               "province": "440000", "region": "440300", "lang": "en", "present": "1"}
    # Defaults stay out of the link, but the quarter is always explicit so the link keeps its meaning
    # after the next ingest.
    assert to_params(View(Filters(period="2024Q4"))) == {"period": "2024Q4"}


def test_query_string_encodes_chinese_and_keeps_page_parameters():
    link = query_string(View(Filters(period="2025Q1", firm_type="人身险")), {"metric": "complaints_total"})
    assert parse_qs(urlsplit(link).query) == {"period": ["2025Q1"], "type": ["人身险"],
                                              "metric": ["complaints_total"]}


def test_firms_may_be_repeated_or_comma_separated():
    repeated, _ = parse({"firm": ["F002", "F001"]}, CHOICES)
    commas, _ = parse({"firm": "F002, F001"}, CHOICES)
    assert repeated.filters.firms == commas.filters.firms == ("F002", "F001")


def test_no_parameters_mean_the_latest_quarter_in_chinese():
    view, messages = parse({}, CHOICES)
    assert (view.filters.period, view.lang, view.present, messages) == ("2025Q1", "zh", False, [])


def test_hand_typed_period_spellings_are_accepted():
    view, messages = parse({"period": "2024-q3"}, CHOICES)
    assert view.filters.period == "2024Q3" and messages == []


def test_unknown_period_falls_back_to_latest_with_a_message():
    view, messages = parse({"period": "2031Q9"}, CHOICES)
    assert view.filters.period == "2025Q1"
    assert messages == ["链接参数 period=2031Q9 无效，已改用 2025Q1。"]


def test_message_language_follows_lang():
    _, messages = parse({"period": "nope", "lang": "en"}, CHOICES)
    assert messages == ["Link parameter period=nope is not valid; using 2025Q1 instead."]


def test_range_ends_default_and_reversed_range_is_swapped():
    view, messages = parse({"from": "2024Q3"}, CHOICES)
    assert (view.filters.period_from, view.filters.period_to, messages) == ("2024Q3", "2025Q1", [])
    view, messages = parse({"from": "2025Q1", "to": "2024Q2"}, CHOICES)
    assert (view.filters.period_from, view.filters.period_to) == ("2024Q2", "2025Q1")
    assert messages == ["链接参数 from=2025Q1 晚于 to=2024Q2，已交换起止期间。"]


def test_period_and_range_together_keep_the_single_quarter():
    view, messages = parse({"period": "2024Q2", "from": "2024Q1", "to": "2024Q4"}, CHOICES)
    assert view.filters == Filters(period="2024Q2")
    assert messages == ["链接同时给出 period 和 from/to，已按单季 period 显示。"]


def test_bad_type_lang_present_and_unknown_ids_are_dropped_with_one_message_each():
    view, messages = parse({"type": "寿险", "lang": "fr", "present": "yes", "firm": "F001,F999",
                            "province": "990000", "region": "440300,abc"}, CHOICES)
    assert view == View(Filters(period="2025Q1", firms=("F001",), regions=("440300",)))
    assert messages == [
        "链接参数 lang=fr 无效，已改用 zh。",
        "链接参数 present=yes 无效，已改用 0。",
        "链接参数 type=寿险 无效，已改用 全部类型。",
        "链接参数 firm 中的 F999 无法识别，已忽略。",
        "链接参数 province 中的 990000 无法识别，已忽略。",
        "链接参数 region 中的 abc 无法识别，已忽略。",
    ]


def test_empty_warehouse_has_no_period_and_no_complaint_about_it():
    view, messages = parse({"period": "2025Q1"}, Choices())
    assert view.filters.period is None and messages == []


@pytest.mark.parametrize("spelling", ["2024Q3", "2024-Q3", "2024q3", "2024年第三季度", "2024年三季度", "2024年3季度",
                                      "２０２４Ｑ３"])
def test_a_period_in_any_spelling_the_etl_accepts_works_in_the_link(spelling):
    view, messages = parse({"period": spelling}, CHOICES)
    assert view.filters.period == "2024Q3" and messages == []
    view, messages = parse({"from": "2024年第二季度", "to": spelling}, CHOICES)
    assert (view.filters.period_from, view.filters.period_to, messages) == ("2024Q2", "2024Q3", [])


def test_a_rejected_value_is_echoed_cut_to_40_characters_without_control_characters():
    long = "F" + "x" * 200
    _, messages = parse({"firm": long + "\x1b[31m", "period": "9" * 100}, CHOICES)
    for message in messages:
        assert "x" * 40 not in message and "9" * 40 not in message and "\x1b" not in message
    assert shown(long) == long[:39] + "…" and len(shown(long)) == SHOWN_MAX == 40
    assert shown("short") == "short"


def test_a_message_is_shown_as_plain_text_never_markdown():
    _, messages = parse({"firm": "**bold** [link](http://x) <b>"}, CHOICES)
    escaped = plain(messages[0])
    for markup in ("**bold**", "[link](", "<b>"):
        assert markup not in escaped
    assert escaped.replace("\\", "").replace(AUTOLINK_STOP, "") == messages[0]  # (a word joiner stops autolinks)


def test_a_firm_not_of_the_chosen_firm_type_is_reported_not_silently_dropped():
    choices = Choices(periods=CHOICES.periods, firm_ids=CHOICES.firm_ids,
                      firm_types=(("F001", "财产险"), ("F002", "财产险"), ("F003", "人身险")))
    view, messages = parse({"type": "财产险", "firm": "F001,F003"}, choices)
    assert view.filters.firms == ("F001",)
    assert messages == ["链接参数 firm 中的 F003 是人身险公司，不属于所选的财产险，已忽略。"]
    _, messages = parse({"type": "财产险", "firm": "F003", "lang": "en"}, choices)
    assert messages == ["Link parameter firm: F003 is a Life firm, not Property; it was ignored."]
