"""One set of status labels, used by the command line, the ingest report, the demo and the dashboard alike.

A file received is accepted (its figures are in the warehouse), rejected (any error: the whole file goes back),
held (年累计 waiting for an earlier quarter), superseded (a later version replaced it) or a duplicate (byte for
byte a file received before). A firm's status for a quarter is the strongest of its files' (an accepted file
means its figures are in, whatever else it sent), or `missing` when nothing was received.
"""

from __future__ import annotations

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
