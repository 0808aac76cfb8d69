"""The audit log: one append-only JSON-lines file, every line whole (also when written concurrently), read back
oldest first with the former exports-only file, filtered by date and user, printed as plain text."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta

from core import audit, clock, layout


def test_record_appends_one_line_with_when_who_role_what_and_details(tmp_path):
    before = clock.now() - timedelta(seconds=1)
    line = audit.record(tmp_path, "login", "zhangsan", "secretariat", client="10.0.0.1")
    (text,) = (tmp_path / layout.AUDIT).read_text(encoding="utf-8").splitlines()
    assert json.loads(text) == line
    assert list(line) == ["at", "who", "role", "what", "client"]
    at = datetime.fromisoformat(line["at"])
    assert at.utcoffset() == timedelta(0) and before <= at <= clock.now()
    assert audit.record(tmp_path, "user_add", "root")["what"] == "user_add"
    assert "role" not in audit.read(tmp_path)[-1]   # not known: not invented


def test_concurrent_writers_never_interleave(tmp_path):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: audit.record(tmp_path, "login", f"u{i}", note="x" * 4000), range(40)))
    assert sorted(line["who"] for line in audit.read(tmp_path)) == sorted(f"u{i}" for i in range(40))


def test_read_merges_the_former_exports_file_and_filters(tmp_path):
    legacy = tmp_path / layout.AUDIT_LEGACY
    legacy.parent.mkdir(parents=True)
    legacy.write_text(json.dumps({"at": "2025-01-02T01:00:00+00:00", "who": "old", "what": "table", "rows": 3})
                      + "\n", encoding="utf-8")
    audit.append(tmp_path, {"at": "2025-03-01T15:59:00+00:00", "who": "a", "what": "login"})   # 23:59 Beijing
    audit.append(tmp_path, {"at": "2025-03-01T16:00:00+00:00", "who": "b", "what": "logout"})  # 3-02 00:00
    with (tmp_path / layout.AUDIT).open("a", encoding="utf-8") as handle:
        handle.write('{"torn": \n')
    assert [line["who"] for line in audit.read(tmp_path)] == ["", "old", "a", "b"]
    assert audit.read(tmp_path)[0]["what"] == "unreadable"
    assert [line["who"] for line in audit.read(tmp_path, since=date(2025, 3, 2))] == ["b"]   # a Beijing date
    assert [line["who"] for line in audit.read(tmp_path, user="old")] == ["old"]
    assert audit.read(tmp_path / "nothing") == []


def test_describe_is_one_plain_line_in_beijing_time(tmp_path):
    line = {"at": "2025-03-01T16:00:00+00:00", "who": "evil\x1b[2J\nname", "role": "analyst", "what": "table",
            "rows": 2, "filters": {"period": "2025Q3"}, "format": "csv"}
    text = audit.describe(line)
    assert text == ('2025-03-02 00:00:00  evil[2Jname（analyst）  导出数据  rows=2 filters={"period": "2025Q3"} '
                    'format=csv')
    assert "\x1b" not in text and "\n" not in text
    assert audit.describe({"at": "2025-03-01T16:00:00+00:00", "who": "x", "what": "login_failed"}).endswith("登录失败")
