"""The upload portal's door: one file a member (or the secretariat on a member's behalf) uploads, checked, kept,
then validated and ingested exactly as `xiaobao ingest` would.

At the door, before anything is parsed: the size (a setting, default 20 MiB), the type by content (an .xlsx,
an .xls or a zip of CSVs, whatever the name says), no macros (a VBA project refuses the file). Then the same
checks as `xiaobao validate`; a file naming another firm than the uploader's, or a quarter not open for
collection, is refused. Everything received is kept under `<warehouse>/uploads/<id>/` with a receipt saying
what happened and why (DOMAIN.md: nothing a member sent is lost), and one line per upload is appended to the
portal's history (core/uploads.py). A file that passes the door goes through the same ingest as the CLI: the same
lock, snapshot and report.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import unicodedata
import zipfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from core import atomic, audit, clock, collection, uploads
from core.reference import load_regions
from core.settings import MIB, upload_limit
from core.uploads import Receipt
from etl.ingest import IngestFailed, UsageError, parse_safely, registry, run
from etl.report import Report, issue_entry

RECEIPT = "receipt.json"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_VBA_OLE = "_VBA_PROJECT".encode("utf-16-le")   # the VBA storage of an .xls with macros
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|\u200b-\u200f\u202a-\u202e\u2066-\u2069]')
NAME_MAX = 80

# Why a file was refused at the door (Chinese first; the page shows them as plain text).
REFUSED = {
    "too_large": "文件大小 {size} 超过上限 {limit}：报送工作簿通常不足 1 MiB，请检查是否误传了其他文件",
    "not_a_submission": "文件内容不是 Excel 工作簿（.xlsx、.xls）或 CSV 压缩包（.zip）：按文件内容判断，与文件名无关",
    "macro": "工作簿含宏（VBA 工程），不予接收：请在 Excel 或 WPS 中另存为“Excel 工作簿 (.xlsx)”后重新上传",
    "other_firm": "文件封面的公司名称与您账户所属的会员公司不符：请上传本公司的报送文件",
    "period_closed": "报送期间 {period} 未开放在线报送（或已关闭）：请联系协会秘书处",
    "empty": "文件为空",
    "not_stored": "文件已收到并保存，但暂时无法入库：{why}",
}


def safe_name(name: str, ext: str) -> str:
    """The file name as sent, without folders, control, bidi or path characters, at most NAME_MAX characters,
    ending in the extension its content has."""
    base = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    stem = _UNSAFE.sub("_", Path(base).stem).strip(" .") or "upload"
    return stem[:NAME_MAX - len(ext)] + ext


def content_type(data: bytes) -> tuple[str | None, str | None]:
    """(extension by content, refusal key): ('.xlsx', None), ('.xls', None), ('.zip', None) for a zip of CSVs, or
    (None, 'not_a_submission' | 'macro' | 'empty')."""
    if not data:
        return None, "empty"
    if data.startswith(OLE_MAGIC):
        return (None, "macro") if _VBA_OLE in data else (".xls", None)
    if not data.startswith(b"PK\x03\x04"):
        return None, "not_a_submission"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = {i.filename.lower() for i in zf.infolist()}
            types = zf.read("[Content_Types].xml") if "[content_types].xml" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None, "not_a_submission"
    if "xl/workbook.xml" in names:
        if any(n.endswith("vbaproject.bin") for n in names) or b"macroEnabled" in types:
            return None, "macro"
        return ".xlsx", None
    if any(n.lower().endswith(".csv") for n in names):
        return ".zip", None
    return None, "not_a_submission"


def _new_id(moment: datetime, sha256: str) -> str:
    return f"{clock.local(moment):%Y%m%dT%H%M%S}-{sha256[:12]}-{os.getpid()}-{os.urandom(2).hex()}"


def _keep(folder: Path, receipt: Receipt) -> None:
    """The receipt beside the file, its line in the history, then the audit log's."""
    atomic.write_text(folder / RECEIPT, json.dumps(asdict(receipt), ensure_ascii=False, indent=2))
    warehouse = folder.parent.parent
    uploads.append(warehouse, receipt)
    audit.record(warehouse, "upload", receipt.who, receipt.role, file_name=receipt.file_name, bytes=receipt.size,
                 sha256=receipt.sha256, firm_id=receipt.firm_id, period=receipt.period, status=receipt.status,
                 reason=receipt.rule or receipt.reason, upload_id=receipt.upload_id)


def receive(name: str, data: bytes, *, warehouse: Path, registry_path: Path, who: str,
            firm_id: str | None, role: str | None = None, now: datetime | None = None) -> Receipt:
    """Check, keep and (when it passes the door) ingest one uploaded file. `firm_id`: the firm the uploader may
    submit for (a member's own); None lets the secretariat submit for any firm. Every upload is recorded in the
    audit log (who, role, file name, size, sha256, what became of it and why)."""
    warehouse = Path(warehouse)
    moment = now or clock.now()
    sha256 = hashlib.sha256(data).hexdigest()
    upload_id = _new_id(moment, sha256)
    folder = uploads.folder(warehouse) / upload_id
    folder.mkdir(parents=True, exist_ok=True)
    ext, refusal = content_type(data) if len(data) <= upload_limit() else (None, "too_large")
    stored = folder / safe_name(name, ext or ".bin")
    receipt = Receipt(upload_id, stored.name, len(data), sha256, who, firm_id, moment.isoformat(), "refused",
                      role=role)
    atomic.write_bytes(stored, data)
    if refusal:
        return _refuse(folder, receipt, refusal, size=f"{len(data) / MIB:.1f} MiB",
                       limit=f"{upload_limit() // MIB} MiB")
    checked = parse_safely(stored, registry(registry_path), load_regions())  # whose, and which quarter
    receipt.period, receipt.found_firm_id = checked.period, checked.firm_id
    if firm_id is not None and checked.firm_id is not None and checked.firm_id != firm_id:
        return _refuse(folder, receipt, "other_firm")
    period = collection.find(warehouse, checked.period) if checked.period else None
    if checked.period and (period is None or not period.is_open):
        return _refuse(folder, receipt, "period_closed", period=checked.period)
    try:
        report = run([stored], warehouse, registry_path)
    except (IngestFailed, UsageError) as exc:  # the warehouse could not be written: kept, said, nothing changed
        return _refuse(folder, receipt, "not_stored", why=str(exc))
    _record(receipt, report, period)
    _keep(folder, receipt)
    return receipt


def _refuse(folder: Path, receipt: Receipt, rule: str, **values: str) -> Receipt:
    receipt.status, receipt.rule, receipt.reason = "refused", rule, REFUSED[rule].format(**values)
    _keep(folder, receipt)
    return receipt


def _record(receipt: Receipt, report: Report, period: collection.Period | None) -> None:
    outcome = report.files[0]
    receipt.status, receipt.reason = outcome.status, outcome.message or ""
    receipt.submission_id, receipt.period = outcome.submission_id, outcome.period
    receipt.found_firm_id = outcome.firm_id
    receipt.late = period is not None and period.is_late(datetime.fromisoformat(receipt.received_at))
    receipt.errors = [issue_entry(i) for i in outcome.issues if i.severity == "error"]
    receipt.warnings = [issue_entry(i) for i in outcome.issues if i.severity == "warning"]
