"""`xiaobao deck`: the joint-meeting deck (联席会议) of one quarter as editable slides (.pptx) or a PDF."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from auth import users
from core.reference import FIRM_TYPES
from core.settings import warehouse_dir
from deck import Spec, make
from deck.pdf import PdfError
from query import Scope, Warehouse
from query.export import ExportError
from xiaobao.cli_export import _period, _shown
from xiaobao.options import UsersOpt, WarehouseOpt, fail

out_console = Console()
err = Console(stderr=True)

SLIDE_NAMES = {"title": "封面", "headlines": "主要指标", "trend": "趋势", "peers_财产险": "财产险同业对比",
               "peers_人身险": "人身险同业对比", "causes": "投诉原因与险种", "movers": "环比变动",
               "anomalies": "异常波动",
               "mediation": "纠纷调解", "outreach": "宣教覆盖", "coverage": "县域覆盖与适老化", "map": "地图",
               "submissions": "报送情况", "sources": "数据来源", "done": "完成"}


def member_scope(username: str | None, users_file: Path | None = None) -> Scope:
    """The Scope of `--user` (from the users file, auth.users): a member's firm (its own figures identified, every
    other firm pseudonymised, no aggregate over fewer than 5 firms), or the secretariat's and analysts' (all)."""
    if username is None:
        return Scope()
    path = users.users_path(users_file)
    try:
        account = users.load(path).get(username)
    except users.UserError as error:
        fail(str(error))
    if account is None:
        fail(f"未知用户“{_shown(username)}”：用户文件 {path} 中没有此用户")
    if account.disabled:
        fail(f"用户“{_shown(username)}”已停用")
    user = account.user
    return Scope(firm_id=user.firm_id if user.is_member else None, user=user.username)


def deck(
    out: Annotated[Path, typer.Option("--out", help="输出文件：.pptx（可编辑）或 .pdf")],
    period: Annotated[str | None, typer.Option("--period", help="季度，如 2025Q3（默认：最新季度）")] = None,
    firm_type: Annotated[str | None, typer.Option("--firm-type", help="只看一类公司：财产险 或 人身险")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh（默认）或 en")] = "zh",
    user: Annotated[str | None, typer.Option(
        "--user", help="以该用户的权限生成（会员公司只见本公司与同业代称）")] = None,
    users_file: UsersOpt = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """生成联席会议材料（16:9）：主要指标及环比/同比、同业对比、投诉原因与险种、环比变动与异常、调解、宣教、
    地图与报送情况；图表为可编辑的 PowerPoint 图表，每页备注附指标口径与数据来源。.pdf 由 LibreOffice 转换。

    示例：xiaobao deck --period 2025Q3 --out 2025Q3联席会议.pptx
    """
    if lang not in ("zh", "en"):
        fail(f"--lang 应为 zh 或 en：{_shown(lang)}")
    if firm_type is not None and firm_type not in FIRM_TYPES:
        fail(f"未知公司类型“{_shown(firm_type)}”：应为 {' 或 '.join(FIRM_TYPES)}")
    if out.suffix.lower() not in (".pptx", ".pdf"):
        fail(f"--out 应为 .pptx 或 .pdf 文件：{_shown(out.name)}")
    scope = member_scope(user, users_file)
    path = warehouse_dir(warehouse)
    wh = Warehouse(path, scope=scope)
    if wh.version is None:
        fail(f"数据仓库 {path} 为空：请先导入报送文件（xiaobao ingest）")
    quarter = _period(period, "--period") or wh.periods()[-1]
    if quarter not in wh.periods():
        fail(f"数据仓库中没有 {quarter} 的数据（已有：{'、'.join(wh.periods())}）")
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("生成幻灯片", total=None)

        def progress(done: int, total: int, key: str) -> None:
            bar.update(task, completed=done, total=total, description=f"生成幻灯片：{SLIDE_NAMES.get(key, key)}")

        try:
            make(wh, Spec(period=quarter, firm_type=firm_type, lang=lang), out, progress, who=user)
        except (PdfError, ExportError) as error:
            fail(str(error))
    out_console.print(f"已生成 {out}（{quarter}，用时 {time.perf_counter() - started:.1f} 秒）")


def register(app: typer.Typer) -> None:
    app.command("deck")(deck)
