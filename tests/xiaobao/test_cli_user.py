"""xiaobao user: add (password from stdin, a member bound to a registry firm), list without hashes, disable,
enable, reset-password, remove; Chinese messages, meaningful exit codes, every change in the audit log."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from auth import users
from core import audit
from xiaobao.cli import app

runner = CliRunner()
PASSWORD = "a-long-password-1"


@pytest.fixture
def where(tmp_path):
    registry = tmp_path / "firms.csv"
    registry.write_text("firm_id,name,short_name,aliases,firm_type\nF001,示例财产保险股份有限公司,示例财险,,财产险\n",
                        encoding="utf-8")
    return {"users": tmp_path / "users.json", "registry": registry, "warehouse": tmp_path / "wh"}


def run(where, *args, stdin: str | None = None):
    options = ["--users", str(where["users"])]
    if args[0] in ("add", "remove", "disable", "enable", "reset-password"):
        options += ["--warehouse", str(where["warehouse"])]
    if args[0] == "add":
        options += ["--registry", str(where["registry"])]
    return runner.invoke(app, ["user", *args, *options], input=stdin)


def test_add_reads_the_password_from_a_pipe_and_never_shows_it(where):
    r = run(where, "add", "zhangsan", "--role", "secretariat", "--name", "张三", stdin=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    assert "已新增用户 zhangsan" in r.output and PASSWORD not in r.output
    account = users.load(where["users"])["zhangsan"]
    assert account.name == "张三" and account.role == "secretariat"
    listed = run(where, "list")
    assert listed.exit_code == 0 and listed.output.split("\n")[0].split("\t") == \
        ["zhangsan", "secretariat", "-", "张三", "正常"]
    assert "argon2" not in listed.output and account.password_hash not in listed.output


def test_a_member_must_be_bound_to_a_firm_of_the_registry(where):
    assert run(where, "add", "m", "--role", "member", stdin=PASSWORD + "\n").exit_code == 1
    r = run(where, "add", "m", "--role", "member", "--firm", "F999", stdin=PASSWORD + "\n")
    assert r.exit_code == 1 and "会员名录" in r.output and "F999" in r.output
    r = run(where, "add", "m", "--role", "member", "--firm", "F001", stdin=PASSWORD + "\n")
    assert r.exit_code == 0 and users.load(where["users"])["m"].firm_id == "F001"


@pytest.mark.parametrize(("args", "stdin", "said"), [
    (("add", "u1", "--role", "boss"), PASSWORD, "角色"),
    (("add", "u1", "--role", "analyst"), "short", "至少 10 个字符"),
    (("add", "u1", "--role", "analyst"), "", "至少 10 个字符"),
    (("add", "u1", "--role", "analyst", "--firm", "F001"), PASSWORD, "只有会员公司用户"),
    (("disable", "nobody"), None, "没有这个用户"),
    (("reset-password", "nobody"), PASSWORD, "没有这个用户"),
])
def test_refusals_exit_1_and_say_why(where, args, stdin, said):
    r = run(where, *args, stdin=None if stdin is None else stdin + "\n")
    assert r.exit_code == 1 and said in r.output, r.output
    assert not where["users"].exists() or users.load(where["users"]) == {}


def test_disable_enable_reset_remove_and_the_audit_log(where):
    run(where, "add", "li", "--role", "analyst", stdin=PASSWORD + "\n")
    stamp = users.load(where["users"])["li"].stamp
    assert run(where, "disable", "li").exit_code == 0 and users.load(where["users"])["li"].disabled
    assert "已停用" in run(where, "list").output
    assert run(where, "enable", "li").exit_code == 0 and not users.load(where["users"])["li"].disabled
    r = run(where, "reset-password", "li", stdin="another-password-2\n")
    assert r.exit_code == 0 and "已重置" in r.output and users.load(where["users"])["li"].stamp != stamp
    assert run(where, "remove", "li").exit_code == 0 and users.load(where["users"]) == {}
    lines = audit.read(where["warehouse"])
    assert [line["what"] for line in lines] == ["user_add", "user_disable", "user_enable", "user_reset_password",
                                                 "user_remove"]
    assert {line["user"] for line in lines} == {"li"} and all(line["source"] == "cli" and line["who"]
                                                               for line in lines)
    assert PASSWORD not in (where["warehouse"] / "audit" / "log.jsonl").read_text(encoding="utf-8")


def test_an_unreadable_users_file_exits_2(where):
    where["users"].write_text("{broken", encoding="utf-8")
    r = run(where, "list")
    assert r.exit_code == 2 and "用户文件无法读取" in r.output


def test_on_a_terminal_the_password_is_asked_twice_hidden_and_must_match(monkeypatch, capsys):
    import typer

    from xiaobao import cli_user

    class Terminal:
        @staticmethod
        def isatty() -> bool:
            return True

    asked: list[str] = []
    answers = iter(["first-password-1", "first-password-1", "first-password-1", "other-password-2"])
    monkeypatch.setattr(cli_user.sys, "stdin", Terminal())
    monkeypatch.setattr(cli_user.getpass, "getpass", lambda prompt: asked.append(prompt) or next(answers))
    assert cli_user.read_password() == "first-password-1"
    assert asked == ["密码：", "再次输入密码："]
    with pytest.raises(typer.Exit) as stopped:
        cli_user.read_password()
    assert stopped.value.exit_code == 1 and "两次输入的密码不一致" in capsys.readouterr().err
