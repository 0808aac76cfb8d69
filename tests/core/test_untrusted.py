"""core.untrusted: escape sequences removed whole, controls and format characters (bidi, zero-width) dropped,
Markdown/HTML escaped for the dashboard, Plotly labels as entities. Payloads written out by hand."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest
from markdown_it import MarkdownIt

from core import untrusted

ANSI = "\x1b[2J\x1b[1;31m红\x1b[0m"
OSC_LINK = "\x1b]8;;https://evil.example\x07点我\x1b]8;;\x07"
TITLE = "\x1b]0;pwned\x1b\\"
C1 = "\x9b2J\x9d8;;https://evil.example\x9c"
BIDI = "invoice\u202egpj.exe\u2066x\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "示\u200b例\u200c安\u200d泰\u2060\ufeff\u00ad"
MARKDOWN = "[点我](https://evil.example) **粗** ![图](x.png) <img src=x onerror=alert(1)> <script>alert(1)</script>"


def test_escape_sequences_go_whole_and_no_control_character_is_left():
    assert untrusted.text(ANSI) == "红"
    assert untrusted.text(OSC_LINK) == "点我"
    assert untrusted.text(TITLE + "a") == "a"
    assert untrusted.text(C1 + "b") == "b"
    assert untrusted.text("\x1bc重置\x1b7\x1b(B") == "重置"
    assert untrusted.text("a\x00b\x07c\x08d\x7fe\x85f") == "abcde f"  # NEL (U+0085) is a line break
    assert untrusted.text("一\n二\r\n三\t四\u2028五") == "一 二 三 四 五"
    assert untrusted.text("一\n二\r\n三\r四\u2029五", lines=True) == "一\n二\n三\n四\n五"
    assert untrusted.text(None) == "" and untrusted.text(12.5) == "12.5"


def test_bidi_overrides_isolates_and_zero_width_characters_are_dropped():
    assert untrusted.text(BIDI) == "invoicegpj.exex"
    assert untrusted.text(ZERO_WIDTH) == "示例安泰"
    assert untrusted.text("\U000e0041\U000e007f标签") == "标签"  # tag characters


def test_the_format_characters_listed_are_exactly_unicode_category_cf():
    listed = {chr(c) for c in range(sys.maxunicode + 1) if untrusted._INVISIBLE.fullmatch(chr(c))}
    cf = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    controls = {chr(c) for c in range(0x20)} | {chr(c) for c in range(0x7f, 0xa0)}
    assert cf - listed == set(), sorted(f"U+{ord(c):04X}" for c in cf - listed)
    newer = {chr(c) for c in range(0x13439, 0x13440)}  # Cf since Unicode 15 (Python 3.11 knows Unicode 14)
    assert listed - cf - controls <= newer
    assert {"\n", "\t", "\r"} & listed == set()  # line breaks become spaces (or stay) first, never vanish


def test_plain_text_is_left_alone():
    for ordinary in ("示例安泰财产保险股份有限公司", "投訴總量（件）", "Ping An", "2025-10-15", "a_b.xlsx", "😀"):
        assert untrusted.text(ordinary) == ordinary


def test_shown_cuts_after_cleaning():
    assert untrusted.shown("\x1b[2J" + "y" * 80) == "y" * 39 + "…"
    assert untrusted.shown("short\u202e") == "short"


def rendered(source: str) -> str:
    return MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("strikethrough").render(source)


@pytest.mark.parametrize("payload", [MARKDOWN, OSC_LINK, ANSI + BIDI, "www.evil.example https://evil.example/x",
                                     "mail a@evil.example HTTPS://X.example (http://y.example)",
                                     ":red[红色] :material/home: $x^2$ `code` # 标题 > 引用 - 列表 1. 列表",
                                     "&lt;script&gt; &#60;b&#62; a\\*b"])
def test_markdown_reads_as_the_characters_written(payload):
    escaped = untrusted.markdown(payload)
    html = rendered(escaped)
    assert not re.search(r"<(a|img|script|strong|em|code|h\d|blockquote|ul|ol|li|del)\b", html), html
    # What the reader sees is the cleaned text, character for character (entities are escaped too), the word
    # joiners that stop GFM autolinks aside.
    shown = re.sub(r"</?p>\n?", "", html)
    import html as html_lib
    assert html_lib.unescape(shown).replace(untrusted.AUTOLINK_STOP, "") == untrusted.text(payload)
    # No GFM autolink literal can start: it needs a space, punctuation or a symbol (or nothing) right before
    # `http`, `www` or an e-mail's local part; the word joiner is none of these.
    seen = html_lib.unescape(shown)
    for found in re.finditer(r"https?:|www\.|@", seen, re.IGNORECASE):
        assert seen[found.start() - 1] == untrusted.AUTOLINK_STOP, (seen, found.group())


def test_plotly_labels_are_entities():
    label = untrusted.plotly("<a href='https://evil.example'>x</a> & <b>")
    assert label == "&lt;a href='https://evil.example'&gt;x&lt;/a&gt; & &lt;b&gt;"
    assert untrusted.plotly(label) == label  # twice is once
    assert untrusted.plotly("\x1b[2J安泰\u202e") == "安泰"


def test_deep_cleans_every_string_of_a_report_keeping_lines():
    entry = {"file_name": "a\x1b[2J.xlsx", "errors": [{"value": "\u202e12", "row": 5}], "n": None,
             "message": "一\n二\x07"}
    assert untrusted.deep(entry) == {"file_name": "a.xlsx", "errors": [{"value": "12", "row": 5}], "n": None,
                                     "message": "一\n二"}
    assert untrusted.value(3) == 3 and untrusted.value("x\x1b[0m") == "x"


def test_a_table_has_every_text_cell_cleaned_and_the_rest_untouched():
    import polars as pl

    table = pl.DataFrame({"firm_name": ["安泰\u202e", None, "安泰\u202e", "康宁"], "n": [1, 2, 3, 4],
                          "file": ["\x1b[2Ja.xlsx", "b.xlsx", "c", "d"]})
    assert untrusted.frame(table).to_dict(as_series=False) == {
        "firm_name": ["安泰", None, "安泰", "康宁"], "n": [1, 2, 3, 4], "file": ["a.xlsx", "b.xlsx", "c", "d"]}
    clean = pl.DataFrame({"a": ["x"]})
    assert untrusted.frame(clean) is clean
