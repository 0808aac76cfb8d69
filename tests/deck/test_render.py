"""deck/render.py: the CJK faces go on every run in the schema's order; charts keep the values they are given."""

from __future__ import annotations

from pptx.oxml import parse_xml
from pptx.oxml.ns import nsdecls, qn

from deck import render
from tests.deck.slides import categories, open_deck, values


def _tags(props) -> list[str]:
    return [child.tag.split("}")[1] for child in props]


def test_faces_follow_the_fill_and_precede_the_hyperlink_and_old_faces_are_replaced():
    p = parse_xml(f'<a:p {nsdecls("a", "r")}><a:r><a:rPr lang="zh-CN"><a:solidFill><a:srgbClr val="000000"/>'
                  '</a:solidFill><a:ea typeface="SimSun"/><a:hlinkClick r:id=""/></a:rPr><a:t>投诉</a:t></a:r>'
                  '<a:r><a:t>bare run</a:t></a:r><a:endParaRPr/></a:p>')
    render.cjk(p, "Noto Sans CJK SC")
    first, second = p.findall(qn("a:r"))
    assert _tags(first.find(qn("a:rPr"))) == ["solidFill", "latin", "ea", "cs", "hlinkClick"]
    assert [e.get("typeface") for e in first.find(qn("a:rPr"))[1:4]] == ["Noto Sans CJK SC"] * 3
    assert _tags(second.find(qn("a:rPr"))) == ["latin", "ea", "cs"]   # a run without properties gets them
    assert second[0].tag == qn("a:rPr")                               # before its text, as the schema wants
    assert _tags(p.find(qn("a:endParaRPr"))) == ["latin", "ea", "cs"]


def test_a_bar_chart_carries_the_values_as_given_none_included(tmp_path):
    prs = render.new_presentation()
    slide = render.titled_slide(prs, "标题", "页脚")
    render.bar_chart(slide, "chart:x", ["甲", "乙", "丙"], [("投诉", [1.23456789, None, 0.5])], "0.0%",
                     render.MARGIN, render.TOP, render.WIDTH // 2, render.HEIGHT // 2)
    render.cjk_everywhere(prs)
    path = tmp_path / "x.pptx"
    prs.save(path)
    chart = open_deck(path.read_bytes()).slides[0].shapes[-1].chart
    assert categories(chart) == ["甲", "乙", "丙"]
    assert values(chart) == [1.23456789, None, 0.5]
    assert chart.plots[0].data_labels.number_format == "0.0%"


def test_a_formula_looking_label_is_text_in_the_charts_workbook(tmp_path):
    import io
    import zipfile

    prs = render.new_presentation()
    slide = render.titled_slide(prs, "标题", "页脚")
    evil = '=HYPERLINK("http://evil.example","点我")'
    render.bar_chart(slide, "chart:x", [evil, "乙"], [("@投诉", [1.0, 2.0])], "0", render.MARGIN, render.TOP,
                     render.WIDTH // 2, render.HEIGHT // 2)
    path = tmp_path / "x.pptx"
    prs.save(path)
    chart = open_deck(path.read_bytes()).slides[0].shapes[-1].chart
    assert categories(chart) == ["'" + evil, "乙"]
    with zipfile.ZipFile(path) as outer:
        (name,) = [n for n in outer.namelist() if n.endswith(".xlsx")]
        with zipfile.ZipFile(io.BytesIO(outer.read(name))) as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode()
            strings = book.read("xl/sharedStrings.xml").decode()
    assert "<f>" not in sheet and "'=HYPERLINK" in strings and "'@投诉" in strings
