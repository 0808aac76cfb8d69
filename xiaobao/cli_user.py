"""`xiaobao user add|list|remove|disable|enable|reset-password`: the users file (auth.users), kept by the
secretariat. Passwords are read from standard input — twice, hidden, on a terminal; one line from a pipe — and
never printed. Every change is recorded in the warehouse's audit log (core.audit) under the operating-system user.

Exit codes: 0 done; 1 refused (unknown or taken user, bad password, firm not in the registry …); 2 a file
that cannot be read or written.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from auth import users
from auth.model import ROLES
from core import audit
from core.reference import load_registry
from core.settings import registry_path, warehouse_dir
from xiaobao.options import UsersOpt

app = typer.Typer(name="user", help="管理登录用户（秘书处使用）：新增、列出、停用、启用、重置密码、删除。",
                  no_args_is_help=True, add_completion=False)

WarehouseOpt = Annotated[Path | None, typer.Option(
    "--warehouse", help="数据仓库目录，用户变更记入其审计日志（默认 data/parquet，或环境变量 XIAOBAO_WAREHOUSE）。")]
ROLE_HELP = "角色：secretariat（秘书处）、analyst（分析人员）、member（会员公司，须 --firm）。"


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def read_password(prompt: str = "密码") -> str:
    """The new password: on a terminal asked twice (hidden) and compared; from a pipe, the first line."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}：")
        second = getpass.getpass(f"再次输入{prompt}：")
        if first != second:
            raise _fail("两次输入的密码不一致，未做任何修改。")
        return first
    line = sys.stdin.readline()
    return line.removesuffix("\n").removesuffix("\r")


def _record(warehouse: Path | None, what: str, account: users.Account) -> None:
    """The change in the audit log; a change made but not recorded is said, not hidden (exit 2)."""
    try:
        audit.record(warehouse_dir(warehouse), what, _operator(), None, source="cli", user=account.username,
                     user_role=account.role, firm_id=account.firm_id)
    except OSError as exc:
        raise _fail(f"用户已修改，但审计日志无法写入：{exc}", 2) from exc


def _check_firm(firm: str, registry: Path | None) -> None:
    path = registry_path(registry)
    try:
        firms = load_registry(path)
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(f"无法核对会员公司：{exc}", 2) from exc
    if firm not in set(firms["firm_id"].to_list()):
        raise _fail(f"会员名录 {path} 中没有公司代码 {audit.plain(firm)}；会员公司用户必须绑定名录中的一家公司。")


@app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="用户名（字母、数字和 . _ @ -）。")],
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    firm: Annotated[str | None, typer.Option("--firm", help="会员公司用户绑定的公司代码（会员名录 firm_id）。")] = None,
    name: Annotated[str, typer.Option("--name", help="显示名，如 张三 或 公司简称。")] = "",
    users_file: UsersOpt = None,
    registry: Annotated[Path | None, typer.Option(
        "--registry", help="会员名录 firms.csv（默认 data/reference/firms.csv，或 XIAOBAO_REGISTRY）。")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """新增用户。密码从标准输入读取（终端上输入两次，不回显；管道中读第一行）。

    示例：

        xiaobao user add zhangsan --role secretariat --name 张三

        printf '%s\\n' "$PASSWORD" | xiaobao user add pingan --role member --firm F003
    """
    if role not in ROLES:
        raise _fail(f"角色应为 {'、'.join(ROLES)} 之一：{audit.plain(role)}")
    if role == "member" and not firm:
        raise _fail("会员公司用户必须用 --firm 绑定一家会员公司（会员名录中的公司代码）。")
    if role == "member" and firm:
        _check_firm(firm, registry)
    password = read_password()
    try:
        account = users.add(users.users_path(users_file), username, role, password, firm_id=firm, name=name)
    except users.UserError as exc:
        raise _fail(str(exc)) from exc
    except OSError as exc:
        raise _fail(f"用户文件无法写入：{exc}", 2) from exc
    _record(warehouse, "user_add", account)
    typer.echo(f"已新增用户 {account.username}（{account.role}"
               + (f"，公司 {account.firm_id}" if account.firm_id else "") + "）。")


@app.command("list")
def list_users(users_file: UsersOpt = None) -> None:
    """列出用户（用户名、角色、公司、显示名、状态；不显示密码散列）。

    示例：

        xiaobao user list
    """
    try:
        accounts = users.load(users.users_path(users_file))
    except users.UserError as exc:
        raise _fail(str(exc), 2) from exc
    if not accounts:
        typer.echo(f"没有用户（{users.users_path(users_file)}）。")
        return
    for a in accounts.values():
        state = "已停用" if a.disabled else "正常"
        typer.echo("\t".join(audit.plain(v) for v in (a.username, a.role, a.firm_id or "-", a.name or "-", state)))


def _change(what: str, username: str, users_file: Path | None, warehouse: Path | None, done: str,
            password: str | None = None) -> None:
    path = users.users_path(users_file)
    try:
        if what == "user_remove":
            account = users.remove(path, username)
        elif what in ("user_disable", "user_enable"):
            account = users.set_disabled(path, username, what == "user_disable")
        else:
            account = users.reset_password(path, username, password or "")
    except users.UserError as exc:
        raise _fail(str(exc)) from exc
    except OSError as exc:
        raise _fail(f"用户文件无法写入：{exc}", 2) from exc
    _record(warehouse, what, account)
    typer.echo(done.format(user=account.username))


@app.command("remove")
def remove(username: Annotated[str, typer.Argument(help="用户名。")], users_file: UsersOpt = None,
           warehouse: WarehouseOpt = None) -> None:
    """删除用户；其已打开的会话在下一次操作时结束。

    示例：

        xiaobao user remove zhangsan
    """
    _change("user_remove", username, users_file, warehouse, "已删除用户 {user}。")


@app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="用户名。")], users_file: UsersOpt = None,
            warehouse: WarehouseOpt = None) -> None:
    """停用用户：不能再登录，已打开的会话在下一次操作时结束。

    示例：

        xiaobao user disable zhangsan
    """
    _change("user_disable", username, users_file, warehouse, "已停用用户 {user}。")


@app.command("enable")
def enable(username: Annotated[str, typer.Argument(help="用户名。")], users_file: UsersOpt = None,
           warehouse: WarehouseOpt = None) -> None:
    """重新启用已停用的用户。

    示例：

        xiaobao user enable zhangsan
    """
    _change("user_enable", username, users_file, warehouse, "已启用用户 {user}。")


@app.command("reset-password")
def reset_password(username: Annotated[str, typer.Argument(help="用户名。")], users_file: UsersOpt = None,
                   warehouse: WarehouseOpt = None) -> None:
    """重置密码（从标准输入读取新密码）；该用户已打开的会话在下一次操作时结束。

    示例：

        xiaobao user reset-password zhangsan
    """
    path = users.users_path(users_file)
    try:
        known = username in users.load(path)
    except users.UserError as exc:
        raise _fail(str(exc), 2) from exc
    if not known:
        raise _fail(f"没有这个用户：{audit.plain(username)}")
    _change("user_reset_password", username, users_file, warehouse, "已重置用户 {user} 的密码。",
            password=read_password("新密码"))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="user")
