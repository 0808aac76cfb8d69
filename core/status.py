"""One set of status labels, used by the command line, the ingest report, the demo and the dashboard alike.

A file received is accepted (its figures are in the warehouse), rejected (any error: the whole file goes back),
held (年累计 waiting for an earlier quarter), superseded (a later version replaced it) or a duplicate (byte for
byte a file received before). A firm's status for a quarter is the strongest of its files' (an accepted file
means its figures are in, whatever else it sent), or `missing` when nothing was received.
"""

from __future__ import annotations

import re

from core.contract import BLANK_DATE, RESUBMISSION_RULES, RESUBMISSION_RULES_EN

FILE_STATUSES = ("accepted", "rejected", "held", "superseded", "duplicate")
FIRM_STATUSES = ("accepted", "held", "rejected", "missing")  # strongest first
NEEDS_ATTENTION = ("rejected", "held")  # an ingest exits 1 when a file ends in one of these

FILE_LABELS = {
    "zh": {"accepted": "已入库", "rejected": "已退回", "held": "暂缓入库", "superseded": "已被替换",
           "duplicate": "重复文件"},
    "en": {"accepted": "Accepted", "rejected": "Rejected", "held": "Held", "superseded": "Superseded",
           "duplicate": "Duplicate"},
}
# A firm's own status reads differently from a file's: the file was rejected; the firm owes a resubmission.
FIRM_LABELS = {
    "zh": {"accepted": "已入库", "held": "暂缓入库", "rejected": "已退回待重报", "missing": "未报送"},
    "en": {"accepted": "Accepted", "held": "Held", "rejected": "Rejected", "missing": "Missing"},
}
SEVERITY_LABELS = {"zh": {"error": "错误", "warning": "提示"}, "en": {"error": "Error", "warning": "Warning"}}


def file_label(status: str, lang: str = "zh") -> str:
    return FILE_LABELS[lang].get(status, status)


def firm_label(status: str, lang: str = "zh") -> str:
    return FIRM_LABELS[lang].get(status, status)


# The notes the store writes on a file (etl/store.py, in Chinese) and how each reads in English. A note that matches
# none is shown as written.
_Q = r"(?P<quarters>\d{4}Q[1-4](?:、\d{4}Q[1-4])*)"
_NOTES_EN: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(zh), en) for zh, en in (
    (r"^报送有 (?P<n>\d+) 处错误，整份退回，请更正后重报$",
     "{n} error(s): the whole file is returned; correct it and resubmit"),
    (rf"^年累计报送暂缓入库：缺少本年 {_Q} 的报送（或其尚未入库），无法换算为当季数；补齐后下次导入时自动入库$",
     ("Year-to-date file held: {quarters} of this year not received (or not yet accepted), so it cannot be turned "
     "into the quarter; it is loaded at the next ingest once they are in")),
    (rf"^年累计减去本年 {_Q} 的已入库数后出现 (?P<n>\d+) 处负数，整份退回，请核对后重报$",
     ("Year to date minus the accepted {quarters} of this year gives {n} negative figure(s): the whole file is "
     "returned; check it and resubmit")),
    (r"^收到时已有更高版本：版本 (?P<v>\d+)（(?P<file>.*)）；本文件不入库，仅留存备查$",
     ("A higher version was already in when this file arrived: version {v} ({file}); this file is kept for the "
     "record, not loaded")),
    (r"^收到时已有同版本中填报日期更晚或后收到的文件：版本 (?P<v>\d+)（(?P<file>.*)）；本文件不入库，仅留存备查$",
     ("A file of the same version with a later filing date, or received later, was already in: version {v} "
     "({file}); this file is kept for the record, not loaded")),
    ((r"^已被版本 (?P<v>\d+)（(?P<file>.*)）替换；本文件的数据保留在历史记录中"
      r"(?:。依据：(?P<rule>[^（]+)(?:（填报日期：本文件 (?P<mine>[^，]+)，替换文件 (?P<theirs>[^）]+)）)?)?$"),
     "Replaced by version {v} ({file}); this file's figures stay in the history{why}"),
    ((r"^替换了版本 (?P<v>\d+)（(?P<file>.*)）。依据：(?P<rule>[^（]+)"
      r"(?:（填报日期：本文件 (?P<mine>[^，]+)，原文件 (?P<theirs>[^）]+)）)?$"),
     "Replaced version {v} ({file}){why}"),
    (r"^与此前收到的文件「(?P<file>.*)」（(?P<state>[^（）]*)）完全相同，未作任何改动$",
     "Byte for byte the same as the earlier file «{file}» ({state}); nothing was changed"),
    (r"^此前因缺少本年早前季度而暂缓的年累计报送，现已补齐并入库$",
     "The year-to-date file held for an earlier quarter of the year is now complete and accepted"),
))
_STATE_EN = {"本批处理中": "in this batch", **{v: FILE_LABELS["en"][k] for k, v in FILE_LABELS["zh"].items()}}


def _why_en(values: dict) -> str:
    """The deciding resubmission rule of a note (and the two filing dates), in English."""
    if not values.get("rule"):
        return ""
    by_text = {zh: RESUBMISSION_RULES_EN[rule] for rule, zh in RESUBMISSION_RULES.items()}
    why = f"; {by_text.get(values['rule'], values['rule'])}"
    if values.get("mine"):
        mine, theirs = ("blank" if d == BLANK_DATE else d for d in (values["mine"], values["theirs"]))
        why += f" (filing date: this file {mine}, the other {theirs})"
    return why


def note_text(note: str | None, lang: str = "zh") -> str | None:
    """A file's status note (as the store wrote it) in the reader's language."""
    if note is None or lang == "zh":
        return note
    for pattern, english in _NOTES_EN:
        found = pattern.match(note)
        if found:
            values = found.groupdict()
            if "quarters" in values:
                values["quarters"] = ", ".join(values["quarters"].split("、"))
            if "state" in values:
                values["state"] = _STATE_EN.get(values["state"], values["state"])
            if "rule" in values:
                values["why"] = _why_en(values)
            return english.format(**values)
    return note
