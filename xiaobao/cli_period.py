"""`xiaobao period open | close | list`: the quarters open for members to upload, and their deadlines."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from core import clock, collection
from core.settings import warehouse_dir
from xiaobao.options import WarehouseOpt, fail

period_app = typer.Typer(help="报送期间：开放、关闭、列出会员可在线报送的季度及截止日期。", no_args_is_help=True)
out = Console()
PeriodArg = Annotated[str, typer.Argument(help="季度，如 2025Q4", metavar="PERIOD", show_default=False)]


@period_app.command("open")
def open_(period: PeriodArg,
          deadline: Annotated[str, typer.Option("--deadline", metavar="YYYY-MM-DD",
                                                help="截止日期（北京时间当日 24:00 前收到的不算迟报）")],
          warehouse: WarehouseOpt = None) -> None:
    """开放一个季度供会员在线报送（已开放的则更新截止日期、重新开放）。截止后收到的文件照常校验入库，标记为迟报。

    示例：

        xiaobao period open 2025Q4 --deadline 2026-01-20
    """
    try:
        day = date.fromisoformat(deadline)
    except ValueError:
        fail(collection.CollectionError(f"截止日期“{deadline}”无法识别：应为 YYYY-MM-DD，如 2026-01-20"))
    try:
        opened = collection.open_period(warehouse_dir(warehouse), period, day, who="cli")
    except (collection.CollectionError, OSError) as exc:
        fail(exc)
    out.print(f"{opened.period} 已开放报送，截止 {opened.deadline.isoformat()}（北京时间当日 24:00）", highlight=False)


@period_app.command("close")
def close(period: PeriodArg, warehouse: WarehouseOpt = None) -> None:
    """关闭一个季度的在线报送：之后会员不能再上传该季度的文件（命令行 xiaobao ingest 不受影响）。

    示例：

        xiaobao period close 2025Q4
    """
    try:
        closed = collection.close_period(warehouse_dir(warehouse), period, who="cli")
    except (collection.CollectionError, OSError) as exc:
        fail(exc)
    out.print(f"{closed.period} 已关闭报送", highlight=False)


@period_app.command("list")
def list_(warehouse: WarehouseOpt = None) -> None:
    """列出开放过的报送期间：季度、截止日期、状态（开放中 / 已关闭）、开放与关闭时间（北京时间）。

    示例：

        xiaobao period list
    """
    try:
        found = collection.periods(warehouse_dir(warehouse))
    except (collection.CollectionError, OSError) as exc:
        fail(exc)
    if not found:
        out.print("尚未开放任何报送期间（xiaobao period open 2025Q4 --deadline 2026-01-20）", highlight=False)
        return
    table = Table("季度", "截止日期", "状态", "开放时间", "关闭时间")
    for p in found:
        table.add_row(p.period, p.deadline.isoformat(), "开放中" if p.is_open else "已关闭", clock.shown(p.opened_at),
                      clock.shown(p.closed_at) if p.closed_at else "")
    out.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(period_app, name="period")
