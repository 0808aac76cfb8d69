"""What the `xiaobao` commands share: the --warehouse and --users options, and the error exit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from core import untrusted

err = Console(stderr=True)
WarehouseOpt = Annotated[Path | None, typer.Option(
    "--warehouse", metavar="DIR", help="数据仓库目录（默认 data/parquet，或环境变量 XIAOBAO_WAREHOUSE）")]
UsersOpt = Annotated[Path | None, typer.Option(
    "--users", metavar="FILE", help="用户文件（默认 data/users.json，或环境变量 XIAOBAO_USERS）")]


def fail(message: object) -> NoReturn:
    """The message (which may quote what was typed: shown as text, escape and control characters dropped), exit 2."""
    err.print(f"[red]错误：{escape(untrusted.text(message, lines=True))}[/red]")
    raise typer.Exit(2)
