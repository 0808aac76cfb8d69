"""xiaobao serve: the users file and the session secret are settled before the server starts — a broken users
file stops it with a message (exit 2), the secret is made owner-only at first start."""

from __future__ import annotations

import stat

from typer.testing import CliRunner

from auth import sessions
from xiaobao import cli_serve
from xiaobao.cli import app

runner = CliRunner()


def test_a_broken_users_file_stops_the_start_and_the_secret_is_made_first(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(cli_serve.warm, "start", lambda *a: started.append(a))
    monkeypatch.setenv(sessions.SECRET_ENV, str(tmp_path / "session.key"))
    for name in ("XIAOBAO_WAREHOUSE", "XIAOBAO_REGISTRY", "XIAOBAO_USERS"):   # serve sets them: put back after
        monkeypatch.delenv(name, raising=False)
    users_file = tmp_path / "users.json"
    users_file.write_text("{broken", encoding="utf-8")
    r = runner.invoke(app, ["serve", "--warehouse", str(tmp_path / "wh"), "--users", str(users_file)])
    assert r.exit_code == 2 and "无法启动" in r.output and "用户文件无法读取" in r.output
    assert started == []
    assert stat.S_IMODE((tmp_path / "session.key").stat().st_mode) == 0o600
