"""`xiaobao ingest`, `xiaobao validate`, `xiaobao status`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core import clock, layout, untrusted
from core.atomic import refusal
from core.settings import registry_path, warehouse_dir
from core.status import FILE_LABELS, FIRM_LABELS
from etl.ingest import IngestFailed, UsageError, run
from etl.normalise import parse_period
from etl.report import Report
from etl.store import Outcome, load_submissions, read_parquet
from query import firm_status
from xiaobao.options import WarehouseOpt

MAX_REASONS = 10  # per file on the terminal; the JSON report and the 报送情况 page list every one

INGEST_HELP = (
    "校验并导入会员公司的季度报送（.xlsx 工作簿、CSV 文件夹或 .zip；文件夹递归查找），写入数据仓库。"
    "\n\n有错误的报送整份退回并列出全部错误；年累计报送换算为当季数，缺少本年早前季度时暂缓，补齐后自动入库；"
    "高版本替换旧版本；同一版本时后一次导入收到的文件替换先收到的（其填报日期为空或更早时给出提示），同一批内"
    "按填报日期、再按文件名；旧版本保留在历史中，说明中写明依据哪条规则。与已收文件完全相同的文件不重复入库。"
    "每个收到的文件（含退回与暂缓的）原样保存在数据仓库 files/ 下。"
    "\n\n退出码：0 全部入库（重复文件、同批被替换的旧版本不算问题）；1 有退回或暂缓；2 用法错误（路径不存在、"
    "会员名录无法读取）或数据仓库、报告无法写入（磁盘已满、只读、无权限：数据仓库保持原样，报告仍会写出，"
    "其中 not_written 说明原因）。"
    "\n\n示例：\n\n    xiaobao ingest data/inbox/2025Q3 --report 2025Q3导入报告.json"
)
VALIDATE_HELP = (
    "只校验、不写入：与 ingest 相同的检查、汇总和 --report 报告，数据仓库保持不变。年累计换算和十倍波动提示"
    "参照现有数据仓库（如有）。退出码同 ingest。"
    "\n\n示例：\n\n    xiaobao validate 示例安泰财险_2025Q3.xlsx --report 校验结果.json"
)
STATUS_HELP = (
    "报送情况：数据仓库中已有的期间；某一期间哪些会员公司已入库、暂缓、退回待重报、未报送（以数据仓库中的"
    "会员名录为准），以及退回与暂缓的文件及其原因。不指定 --period 时显示最近一期。"
    "\n\n示例：\n\n    xiaobao status --period 2025Q3"
)
STATUS_ZH = FILE_LABELS["zh"]
FIRM_STATUS_ZH = FIRM_LABELS["zh"]

Paths = Annotated[list[Path], typer.Argument(help="报送文件或文件夹（递归查找 .xlsx、CSV 文件夹、.zip）",
                                             metavar="PATH...", show_default=False)]
RegistryOpt = Annotated[Path | None, typer.Option(
    "--registry", metavar="FIRMS.csv",
    help="会员名录 CSV（默认 data/reference/firms.csv，或环境变量 XIAOBAO_REGISTRY）")]
ReportOpt = Annotated[Path | None, typer.Option("--report", metavar="REPORT.json",
                                                help="把逐个文件的结果（状态、错误、提示）写成 JSON")]


# ── ingest / validate ─────────────────────────────────────────────────────────────────────────────────────────
def _t(value: object) -> str:
    """Text from outside (file names, cells, the registry, paths) for the terminal: escape sequences, controls and
    bidi characters dropped (core.untrusted), Rich markup escaped; line breaks kept."""
    return escape(untrusted.text(value if value is not None else "—", lines=True))


def _consoles() -> tuple[Console, Console]:
    """Made per command, so the terminal width (or COLUMNS) is read when the command runs, not at import."""
    return Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)


def _writable_report(report: Path, err: Console) -> None:
    """Before anything is ingested: the report's folder can take a file (else exit 2, the warehouse untouched)."""
    try:
        report.parent.mkdir(parents=True, exist_ok=True)
        probe = report.with_name(f".{report.name}.{os.getpid()}.probe.tmp")
        with open(probe, "wb"):
            pass
        probe.unlink()
    except OSError as exc:
        err.print(f"[red]错误：报告 {_t(report)} 无法写入：{_t(refusal(exc))}；未导入任何文件[/red]")
        raise typer.Exit(2) from exc


def _write_report(result: Report, report: Path, console: Console, err: Console) -> bool:
    try:
        result.write(report)
    except OSError as exc:
        err.print(f"[red]错误：报告 {_t(report)} 无法写入：{_t(refusal(exc))}[/red]")
        return False
    console.print(f"逐个文件的结果已写入 {_t(report)}")
    return True


def _run(paths: list[Path], warehouse: Path | None, registry: Path | None, report: Path | None,
         dry_run: bool) -> None:
    console, err = _consoles()
    target = warehouse_dir(warehouse)
    if report:
        _writable_report(report, err)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("查找报送文件", total=None)

        def progress(done: int, total: int, unit: Path) -> None:
            bar.update(task, completed=done, total=total, description="读取与校验")
            if done == total:
                bar.update(task, description="核对数据仓库" if dry_run else "写入数据仓库")

        try:
            result = run(paths, target, registry_path(registry), dry_run=dry_run, progress=progress,
                         on_wait=lambda: err.print("另一个导入正在写入该数据仓库，等待其完成……"))
        except UsageError as exc:
            err.print(f"[red]错误：{_t(exc)}[/red]")
            raise typer.Exit(2) from exc
        except IngestFailed as exc:  # disk full, read-only, permissions: nothing changed, the report still written
            failed = exc
        except OSError as exc:  # anything the steps above do not name
            err.print(f"[red]错误：数据仓库 {_t(target)} 无法读写：{_t(refusal(exc))}[/red]")
            raise typer.Exit(2) from exc
        except RuntimeError as exc:  # a damaged warehouse, a file changed while being read: no snapshot written
            err.print(f"[red]错误：{_t(exc)}[/red]")
            raise typer.Exit(2) from exc
        else:
            failed = None
    if failed is not None:
        err.print(f"[red]错误：{_t(failed)}[/red]")
        if report:
            _write_report(failed.report, report, console, err)
        raise typer.Exit(2)
    _summary(result, target, console)
    if report and not _write_report(result, report, console, err):
        if not dry_run:
            err.print("导入本身已完成（见上方结果）；报告可用 xiaobao status 查看，或腾出空间后以 validate 重新生成")
        raise typer.Exit(2)
    raise typer.Exit(0 if result.ok else 1)


def _reasons(o: Outcome) -> str:
    lines = [o.message] if o.message else []
    errors = [i.message for i in o.issues if i.severity == "error"]
    lines += errors[:MAX_REASONS]
    if len(errors) > MAX_REASONS:
        lines.append(f"……另有 {len(errors) - MAX_REASONS} 处错误（见 --report 报告或 报送情况 页面）")
    return "\n".join(lines)


def _summary(result: Report, warehouse: Path, console: Console) -> None:
    problems = [o for o in result.files if o.status in ("rejected", "held")]
    if problems:
        table = Table(title="退回与暂缓的文件", show_lines=True)
        for header in ("文件", "公司", "期间", "状态", "原因"):
            table.add_column(header, overflow="fold")
        for o in problems:
            table.add_row(_t(o.file_name), _t(o.firm_id), o.period or "—", STATUS_ZH[o.status],
                          _t(_reasons(o)))
        console.print(table)
    if result.earlier:
        table = Table(title="本次导入改变了状态的早前报送", show_lines=True)
        for header in ("文件", "公司", "期间", "原状态", "现状态", "说明"):
            table.add_column(header, overflow="fold")
        for o in result.earlier:
            table.add_row(_t(o.file_name), _t(o.firm_id), o.period or "—", STATUS_ZH[o.previous_status],
                          STATUS_ZH[o.status], _t(_reasons(o)))
        console.print(table)
    replacing = [o for o in result.files if o.status == "superseded" or (o.status == "accepted" and o.message)]
    if replacing:  # which file of a firm and quarter counts, and by which rule (DOMAIN.md, resubmissions)
        table = Table(title="重报：以哪份文件为准及依据", show_lines=True)
        for header in ("文件", "公司", "期间", "版本", "状态", "说明"):
            table.add_column(header, overflow="fold")
        for o in replacing:
            notes = [o.message or ""] + [i.message for i in o.issues if i.rule == "same_version_resubmission"]
            table.add_row(_t(o.file_name), _t(o.firm_id), o.period or "—", str(o.version or "—"),
                          STATUS_ZH[o.status], _t("\n".join(notes)))
        console.print(table)
    warned = sum(1 for o in result.files if o.status != "duplicate" and any(i.severity == "warning" for i in o.issues))
    totals = Table(title="校验结果（未写入数据仓库）" if result.dry_run else "导入结果")
    for status in STATUS_ZH:
        totals.add_column(STATUS_ZH[status], justify="right")
    totals.add_column("有提示", justify="right")
    totals.add_row(*(str(n) for n in result.counts().values()), str(warned))
    console.print(totals)
    if not result.dry_run:
        console.print(f"数据仓库 {_t(warehouse)}：当前版本 {layout.version(warehouse) or '（空）'}")


def ingest(paths: Paths, warehouse: WarehouseOpt = None, registry: RegistryOpt = None,
           report: ReportOpt = None) -> None:
    _run(paths, warehouse, registry, report, dry_run=False)


def validate(paths: Paths, warehouse: WarehouseOpt = None, registry: RegistryOpt = None,
             report: ReportOpt = None) -> None:
    _run(paths, warehouse, registry, report, dry_run=True)


# ── status ────────────────────────────────────────────────────────────────────────────────────────────────────
def _for_period(subs: pl.DataFrame, period: str) -> pl.DataFrame:
    return subs.filter(pl.col("period") == period)


def status(period: Annotated[str | None, typer.Option(
               "--period", metavar="P", help="报送期间，如 2025Q3（也接受 2025-Q3、2025年第三季度）")] = None,
           warehouse: WarehouseOpt = None) -> None:
    console, err = _consoles()
    target = warehouse_dir(warehouse)
    wanted = None
    if period is not None:
        wanted = parse_period(period)
        if wanted is None:
            err.print(f"[red]错误：报送期间“{_t(period)}”无法识别，应为如 2025Q3 的自然季度[/red]")
            raise typer.Exit(2)
    try:
        snapshot = layout.current_snapshot(target)
        if snapshot is None:
            console.print(f"数据仓库 {_t(target)} 中还没有数据。先运行：xiaobao ingest 报送文件夹")
            return
        subs = load_submissions(snapshot)
        firms = read_parquet(snapshot / layout.FIRMS)
    except OSError as exc:
        err.print(f"[red]错误：数据仓库 {_t(target)} 无法读取：{_t(refusal(exc))}[/red]")
        raise typer.Exit(2) from exc
    periods = sorted(subs["period"].drop_nulls().unique().to_list())
    overview = Table(title=f"已有期间（会员 {firms.height} 家，数据仓库版本 {snapshot.name}）")
    for header in ("期间", *FIRM_STATUS_ZH.values(), "收到文件"):
        overview.add_column(header, justify="right")
    for p in periods:
        counts = firm_status.firm_status(firms, _for_period(subs, p))["status"].value_counts()
        found = dict(counts.iter_rows())
        overview.add_row(p, *(str(found.get(s, 0)) for s in FIRM_STATUS_ZH), str(_for_period(subs, p).height))
    console.print(overview)
    period = wanted or (periods[-1] if periods else None)
    if period is None:
        return
    files = _for_period(subs, period)
    per_firm = firm_status.firm_status(firms, files)
    found = dict(per_firm["status"].value_counts().iter_rows())
    console.print(f"[bold]{period}[/bold]：会员 {firms.height} 家，"
                  + "，".join(f"{label} {found.get(s, 0)} 家" for s, label in FIRM_STATUS_ZH.items()))
    for s in ("missing", "rejected", "held"):
        names = per_firm.filter(pl.col("status") == s)
        if names.height:
            console.print(f"{FIRM_STATUS_ZH[s]}：" + "、".join(
                f"{_t(r['short_name'])}（{_t(r['firm_id'])}）" for r in names.iter_rows(named=True)))
    # Files whose period could not be read may belong to this quarter: they must not drop out of sight.
    problems = subs.filter(pl.col("status").is_in(["rejected", "held"])
                           & ((pl.col("period") == period) | pl.col("period").is_null())).sort("seq")
    if problems.height:
        table = Table(title=f"{period} 退回与暂缓的文件（原件保存在数据仓库 files/ 下）", show_lines=True)
        for header in ("文件", "公司", "状态", "收到时间（北京时间）", "原因"):
            table.add_column(header, overflow="fold")
        for r in problems.iter_rows(named=True):
            lines = (r["reasons"] or "").splitlines()
            if len(lines) > MAX_REASONS:
                lines = [*lines[:MAX_REASONS], f"……另有 {len(lines) - MAX_REASONS} 条"]
            table.add_row(_t(r["file_name"]), _t(r["firm_id"] or "（未识别）"), STATUS_ZH[r["status"]],
                          clock.shown(r["received_at"]), _t("\n".join(lines)))
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command("ingest", help=INGEST_HELP, short_help="校验并导入会员公司的季度报送，写入数据仓库。")(ingest)
    app.command("validate", help=VALIDATE_HELP, short_help="只校验、不写入：与 ingest 相同的检查和报告。")(validate)
    app.command("status", help=STATUS_HELP,
                short_help="报送情况：已有期间，某期已报送、未报送、退回与暂缓的文件。")(status)
