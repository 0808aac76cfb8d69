"""The audit log: one append-only JSON-lines file per warehouse, `<warehouse>/audit/log.jsonl` (core.layout.AUDIT),
outside the snapshots. Who did what, when: logins, failed and refused logins, logouts, user changes (also from
the command line), and every file handed out (query.export writes its lines through `append`).

Each line: `at` (UTC, ISO 8601), `who` (user name; the operating-system user for the command line), `role`
(when known), `what` (the event: login, login_failed, login_refused, logout, user_add, user_remove,
user_disable, user_enable, user_reset_password; an export's kind: table, peers, anomalies, error_list,
original_file …), then the event's details (filters, rows, format, client address …). Never a password.

`append` is the one writer: O_APPEND (concurrent writers never interleave a line) and fsync before it returns;
it raises OSError when the line cannot be made durable, and callers decide (an export then hands out nothing).
`read` returns the lines (also those of the former exports-only file, audit/exports.jsonl), oldest first.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from core import atomic, clock, layout

EVENTS_ZH = {
    "login": "登录", "login_failed": "登录失败", "login_refused": "登录被拒（失败过多）", "logout": "退出登录",
    "user_add": "新增用户", "user_remove": "删除用户", "user_disable": "停用用户", "user_enable": "启用用户",
    "user_reset_password": "重置密码", "upload": "上传报送文件", "period_open": "开放报送期间",
    "period_close": "关闭报送期间",
}
EXPORTS_ZH = {"table": "导出数据", "peers": "导出对标", "anomalies": "导出异常", "error_list": "下载错误清单",
              "original_file": "下载原始文件", "deck": "生成会议材料",
              "template": "下载报送模板", "reminders": "导出催报名单"}
_CONTROL = dict.fromkeys(c for c in range(0x20) if c not in (0x09,)) | {0x7F: None, 0x09: " "}


def append(warehouse: Path | str, line: dict[str, Any]) -> None:
    """One JSON line appended and fsynced (the folder too when it is new)."""
    payload = (json.dumps(line, ensure_ascii=False, default=str) + "\n").encode("utf-8")
    atomic.append_line(Path(warehouse) / layout.AUDIT, payload, 0o640)


def record(warehouse: Path | str, what: str, who: str, role: str | None = None, **details: Any) -> dict[str, Any]:
    """Append an event (`what`) by `who`, now; returns the line written."""
    line: dict[str, Any] = {"at": clock.now().isoformat(timespec="seconds"), "who": who}
    if role is not None:
        line["role"] = role
    line["what"] = what
    line.update(details)
    append(warehouse, line)
    return line


def read(warehouse: Path | str, since: date | datetime | None = None, user: str | None = None) -> list[dict]:
    """The lines, oldest first; `since` a date (Beijing time, from its midnight) or an aware time; `user` the who.
    A line that is not JSON (a torn write after a crash) is kept as {"what": "unreadable", "text": …}."""
    lines: list[dict] = []
    for name in (layout.AUDIT_LEGACY, layout.AUDIT):
        path = Path(warehouse) / name
        if not path.exists():
            continue
        for text in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if not text.strip():
                continue
            try:
                line = json.loads(text)
            except ValueError:
                line = None
            lines.append(line if isinstance(line, dict) else {"at": "", "who": "", "what": "unreadable",
                                                              "text": text[:500]})
    if since is not None:
        start = since if isinstance(since, datetime) else \
            datetime.combine(since, time(), tzinfo=clock.local(clock.now()).tzinfo)
        lines = [line for line in lines if _at(line) is not None and _at(line) >= start]  # type: ignore[operator]
    if user is not None:
        lines = [line for line in lines if line.get("who") == user]
    return sorted(lines, key=lambda line: _at(line) or datetime.min.replace(tzinfo=clock.now().tzinfo))


def _at(line: dict) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(line.get("at")))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.now().tzinfo)


def plain(value: Any) -> str:
    """Text safe to print or show: control characters (escape sequences, newlines) removed, tabs as spaces."""
    return str(value).translate(_CONTROL)


def event_name(what: str) -> str:
    return EVENTS_ZH.get(what) or EXPORTS_ZH.get(what) or what


DETAIL_SKIP = ("at", "who", "role", "what")


def details(line: dict) -> str:
    """The rest of a line as `key=value` pairs, in plain text."""
    parts = []
    for key, value in line.items():
        if key in DETAIL_SKIP or value in (None, "", [], {}):
            continue
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
        parts.append(f"{key}={shown}")
    return plain(" ".join(parts))


def when(line: dict) -> str:
    moment = _at(line)
    return clock.shown(moment, "%Y-%m-%d %H:%M:%S") if moment else ""


def describe(line: dict) -> str:
    """One line of `xiaobao audit`: Beijing time, who (role), the event, its details — all plain text."""
    who = plain(line.get("who") or "?") + (f"（{plain(line['role'])}）" if line.get("role") else "")
    return f"{when(line)}  {who}  {plain(event_name(str(line.get('what'))))}  {details(line)}".rstrip()


