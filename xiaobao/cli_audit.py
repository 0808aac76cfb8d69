"""`xiaobao audit`: the warehouse's audit log (core.audit) as plain text, oldest first, in Beijing time."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from core import audit
from core.settings import warehouse_dir
from xiaobao.options import WarehouseOpt


def show(
    since: Annotated[str | None, typer.Option("--since", help="起始日期（北京时间），如 2025-10-01。")] = None,
    user: Annotated[str | None, typer.Option("--user", help="只看这个用户的记录。")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """打印审计日志：登录、登录失败、退出、用户变更、导出与下载（时间为北京时间）。

    示例：

        xiaobao audit --since 2025-10-01 --user zhangsan
    """
    start = None
    if since is not None:
        try:
            start = date.fromisoformat(since)
        except ValueError as exc:
            typer.echo(f"--since 应为日期，如 2025-10-01：{audit.plain(since)}", err=True)
            raise typer.Exit(1) from exc
    try:
        lines = audit.read(warehouse_dir(warehouse), since=start, user=user)
    except OSError as exc:
        typer.echo(f"审计日志无法读取：{exc}", err=True)
        raise typer.Exit(2) from exc
    if not lines:
        typer.echo("没有符合条件的审计记录。")
        return
    for line in lines:
        typer.echo(audit.describe(line))


def register(app: typer.Typer) -> None:
    app.command("audit")(show)
