"""Text from outside — a member's cells and cover, file names, the registry, URL parameters — made inert before it
is shown. The one place that does it: the terminal (xiaobao), the JSON report (etl/report.py) and the dashboard
(dashboard/filters.py's `shown` and `plain`, the tables, the charts) all call these functions.

`text` removes what a terminal, a browser or a text layout would act on instead of showing:
- terminal escape sequences as a whole (CSI `ESC[2J`, OSC `ESC]8;;url BEL` hyperlinks and titles, DCS/SOS/PM/APC
  strings, their 8-bit C1 forms, and two-character escapes), then every remaining C0/C1 control character;
- Unicode format characters (category Cf): bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069,
  LRM/RLM/ALM), zero-width space/joiners (U+200B–200D), word joiner, BOM, soft hyphen, invisible operators, tags —
  the characters that make `evil\u202ecod.exe` read as `evilexe.doc` or hide a difference between two names;
- line and paragraph separators (U+2028, U+2029), and — unless `lines` — newlines and tabs, which become spaces.

`markdown` additionally escapes every character Markdown (and Streamlit's `:colour[…]`/`:material/…:` extensions,
GFM autolinks `www.` and `https://`, HTML tags and entities) would read, for st.markdown, st.warning, st.caption,
headings and expander labels; `plotly` escapes what Plotly's text labels read as HTML (`<a href>`, `<b>`).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # imported in frame(): the login routes and the CLI's error exit need no polars
    import polars as pl

SHOWN_MAX = 40  # characters of an outside value echoed back in a message

# Terminal escape sequences, whole: 7-bit (ESC …) and 8-bit (C1) introducers.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"              # CSI … final byte (ESC[2J, ESC[31m)
    r"|\x9b[0-?]*[ -/]*[@-~]"               # CSI, 8-bit
    r"|\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"   # OSC … BEL or ST (ESC]8;;https://…BEL: a hyperlink)
    r"|\x9d[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"     # OSC, 8-bit
    r"|\x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?"       # DCS, SOS, PM, APC … ST
    r"|[\x90\x98\x9e\x9f][^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # the same, 8-bit
    r"|\x1b[ -/]*[0-~]"                     # any other escape (ESC c resets the terminal, ESC 7, ESC ( B …)
)
# Unicode general category Cf (format characters), as of Unicode 15: checked against unicodedata by the tests.
_FORMAT = ("\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
           "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
           "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
_INVISIBLE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_FORMAT}]")
_BREAKS = re.compile(r"\r\n|[\r\n\t\u2028\u2029\x85]")
_BREAKS_IN_LINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# What Markdown reads (CommonMark's escapable ASCII punctuation, minus what never starts a construct here) plus the
# `.` of GFM's `www.` autolinks and the `:` of `https://` and of Streamlit's `:red[…]` / `:material/…:`.
_MARKDOWN = re.compile(r"([\\`*_~$\[\](){}<>#|!:&.+\-=\"'^])")
# GFM's autolink literals (`https://…`, `www.…`, `name@host.tld`) are found in the text *after* escapes are resolved
# (Streamlit's remark-gfm), so escaping cannot stop them; each starts only after a space, a punctuation mark or a
# symbol. A WORD JOINER (U+2060: no width, no break, not punctuation) put before `http`, `www` and `@` is that
# stop; it is the one invisible character the dashboard ever shows, and only there.
AUTOLINK_STOP = "\u2060"
_AUTOLINK = re.compile(r"(https?\\?:|www\\?\.|\\?@)", re.IGNORECASE)
# Plotly splits a label at its tags first and decodes entities in the text between them after, so `&lt;` is always
# shown as `<`: escaping the angle brackets is enough, and doing it twice changes nothing.
_PLOTLY = {"<": "&lt;", ">": "&gt;"}


@lru_cache(maxsize=65536)
def _clean(value: str, lines: bool) -> str:
    value = _ESCAPES.sub("", value)
    value = (_BREAKS_IN_LINES.sub("\n", value).replace("\t", " ") if lines else _BREAKS.sub(" ", value))
    return _INVISIBLE.sub("", value)


def text(value: object, *, lines: bool = False) -> str:
    """`value` as inert text: no escape sequence, control or format character; newlines and tabs become spaces
    unless `lines` (then a line break stays, as \\n). None is ''."""
    if value is None:
        return ""
    return _clean(value if isinstance(value, str) else str(value), lines)


def shown(value: object, limit: int = SHOWN_MAX) -> str:
    """`text`, cut to `limit` characters (an ellipsis marks the cut): an outside value echoed in a message."""
    cleaned = text(value)
    return cleaned if len(cleaned) <= limit else cleaned[:limit - 1] + "…"


def markdown(value: object, *, lines: bool = False) -> str:
    """`text` for a call that reads Markdown (st.markdown, st.warning, st.caption, headings, expander labels):
    every character Markdown, HTML or Streamlit's extensions would act on is backslash-escaped, and a word joiner
    stops each GFM autolink (AUTOLINK_STOP), so the reader sees exactly the characters written and nothing is a
    link, an image, an HTML element or a colour."""
    escaped = _MARKDOWN.sub(r"\\\1", text(value, lines=lines))
    return _AUTOLINK.sub(AUTOLINK_STOP + r"\1", escaped)


def plotly(value: object) -> str:
    """`text` for a Plotly label (axis ticks, trace names, hover): `<` and `>` as entities, which Plotly shows
    literally instead of reading `<a href=…>` as a link or `<b>` as bold. Idempotent."""
    return "".join(_PLOTLY.get(c, c) for c in text(value))


def value(item: object) -> object:
    """`text` of a string, anything else as it is (numbers, None): for the cells of a table or report."""
    return text(item) if isinstance(item, str) else item


def deep(item: object) -> object:
    """Every string inside lists, tuples and dicts (keys too) made `text`, multi-line strings keeping their lines
    (the JSON report)."""
    if isinstance(item, str):
        return text(item, lines=True)
    if isinstance(item, dict):
        return {deep(k): deep(v) for k, v in item.items()}
    if isinstance(item, (list, tuple)):
        return [deep(v) for v in item]
    return item


def frame(table: pl.DataFrame) -> pl.DataFrame:
    """Every text cell of a table made `text`, line breaks kept (a file's reasons are a line each), for
    st.dataframe, a terminal table, an export: each distinct value cleaned once; a clean table is returned as is."""
    import polars as pl

    changes = []
    for column, dtype in table.schema.items():
        if dtype == pl.Utf8:
            dirty = {v: text(v, lines=True) for v in table[column].drop_nulls().unique().to_list()
                     if text(v, lines=True) != v}
            if dirty:
                changes.append(pl.col(column).replace(dirty))
    return table.with_columns(changes) if changes else table
