"""`xiaobao ingest`, `xiaobao validate`, `xiaobao status`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from etl.ingest import STATUS_ZH, Report, run
from etl.read import find_submissions
from etl.store import load_submissions
from xiaobao import layout
from xiaobao.settings import registry_path, warehouse_dir

console = Console()
err = Console(stderr=True)

Paths = Annotated[list[Path], typer.Argument(help="报送文件或文件夹（递归查找 .xlsx、CSV 文件夹、.zip）")]
WarehouseOpt = Annotated[Path | None, typer.Option("--warehouse", help="数据仓库目录（默认 data/parquet 或 $XIAOBAO_WAREHOUSE）")]
RegistryOpt = Annotated[Path | None, typer.Option("--registry", help="会员名录 CSV（默认 data/reference/firms.csv 或 $XIAOBAO_REGISTRY）")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="把逐个文件的结果写成 JSON")]


def _run(paths: list[Path], warehouse: Path | None, registry: Path | None, report: Path | None,
         dry_run: bool) -> None:
    units = find_submissions([p for p in paths if p.exists()])
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=err, transient=True, disable=len(units) < 5) as bar:
            task = bar.add_task("读取与校验", total=len(units))
            result = run(paths, warehouse_dir(warehouse), registry_path(registry), dry_run=dry_run,
                         progress=lambda _unit: bar.advance(task))
    except (FileNotFoundError, ValueError) as exc:
        err.print(f"[red]错误：{exc}[/red]")
        raise typer.Exit(2) from exc
    _summary(result)
    if report:
        result.write(report)
        console.print(f"报告已写入 {report}")
    raise typer.Exit(0 if result.ok else 1)


def _summary(result: Report) -> None:
    problems = [o for o in result.outcomes if o.status in ("rejected", "held")]
    if problems:
        table = Table(title="退回与暂缓的文件", show_lines=True)
        for header in ("文件", "状态", "原因"):
            table.add_column(header, overflow="fold")
        for o in problems:
            reasons = [o.note] if o.note else []
            reasons += [i.message for i in o.issues if i.severity == "error"][:20]
            table.add_row(o.file_name, STATUS_ZH[o.status], "\n".join(r for r in reasons if r))
        console.print(table)
    totals = Table(title="汇总")
    for status in STATUS_ZH:
        totals.add_column(STATUS_ZH[status], justify="right")
    totals.add_row(*(str(n) for n in result.counts().values()))
    console.print(totals)


def ingest(paths: Paths, warehouse: WarehouseOpt = None, registry: RegistryOpt = None,
           report: ReportOpt = None) -> None:
    """校验并导入会员公司的季度报送，写入数据仓库。

    有错误的报送整份退回（列出全部错误）；年累计缺少此前季度时暂缓，补齐后自动入库；高版本替换低版本；
    完全相同的文件不重复入库。退出码：0 全部入库，1 有退回或暂缓，2 用法错误。

    示例：xiaobao ingest data/inbox/2025Q3 --report report.json
    """
    _run(paths, warehouse, registry, report, dry_run=False)


def validate(paths: Paths, warehouse: WarehouseOpt = None, registry: RegistryOpt = None,
             report: ReportOpt = None) -> None:
    """只校验、不写入：与 ingest 相同的检查和报告（年累计与十倍波动参照现有数据仓库）。

    示例：xiaobao validate 示例安泰财险_2025Q3.xlsx --report check.json
    """
    _run(paths, warehouse, registry, report, dry_run=True)


def status(period: Annotated[str | None, typer.Option("--period", help="报送期间，如 2025Q3；不填则为最新一期")] = None,
           warehouse: WarehouseOpt = None) -> None:
    """报送情况：已有哪些期间；某一期哪些会员已报送、哪些未报送；退回与暂缓的文件及原因。

    示例：xiaobao status --period 2025Q3
    """
    snapshot = layout.current_snapshot(warehouse_dir(warehouse))
    if snapshot is None:
        err.print(f"数据仓库为空：{warehouse_dir(warehouse)}")
        raise typer.Exit(1)
    subs = load_submissions(snapshot)
    firms = pl.read_parquet(snapshot / "firms.parquet")
    periods = sorted(p for p in subs["period"].drop_nulls().unique().to_list())
    console.print("已有期间：" + "、".join(periods))
    period = period or (periods[-1] if periods else None)
    if period not in periods:
        err.print(f"没有 {period} 的报送")
        raise typer.Exit(1)
    current = subs.filter(pl.col("period") == period)
    accepted = set(current.filter(pl.col("status") == "accepted")["firm_id"].to_list())
    missing = firms.filter(~pl.col("firm_id").is_in(sorted(accepted)))
    console.print(f"{period}：会员 {firms.height} 家，已入库 {len(accepted)} 家，未入库 {missing.height} 家")
    if missing.height:
        console.print("未入库：" + "、".join(f"{r['short_name']}（{r['firm_id']}）" for r in missing.iter_rows(named=True)))
    problems = subs.filter(pl.col("status").is_in(["rejected", "held"]) & (
        (pl.col("period") == period) | pl.col("period").is_null()))
    if problems.height:
        table = Table(title=f"{period} 退回与暂缓的文件", show_lines=True)
        for header in ("文件", "公司", "状态", "原因"):
            table.add_column(header, overflow="fold")
        for r in problems.iter_rows(named=True):
            table.add_row(r["file_name"], r["firm_id"] or "—", STATUS_ZH[r["status"]], r["reasons"] or "")
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("validate")(validate)
    app.command("status")(status)
