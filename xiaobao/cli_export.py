"""`xiaobao export`, `xiaobao peers`, `xiaobao anomalies`: the query layer from the command line."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core import quarters, untrusted
from core.reference import FIRM_TYPES
from core.settings import warehouse_dir
from query import export
from query.filters import Filters, Scope
from query.warehouse import DIMS, QueryError, Warehouse
from xiaobao.options import UsersOpt, WarehouseOpt, err, fail

FormatOpt = Annotated[str, typer.Option("--format", help="csv | xlsx | parquet | json")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="输出文件；不填则 CSV/JSON 写到标准输出")]
UserOpt = Annotated[str | None, typer.Option(
    "--user", help="按该用户的权限输出（会员只见本公司与同业代号，同业不足 5 家的数据隐去），用于核对会员会收到什么")]


def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _shown(value: str) -> str:
    return untrusted.shown(value)


def _period(value: str | None, option: str) -> str | None:
    """A quarter in any spelling the ETL accepts (2025Q3, 2025-Q3, 2025年第三季度) → 2025Q3."""
    if value is None:
        return None
    period = quarters.parse(value)
    if period is None:
        fail(f"{option} 应为季度，如 2025Q3 或 2025年第三季度：{_shown(value)}")
    return period


def _check_filters(wh: Warehouse, firm_type: str | None, firms: Sequence[str] = (), regions: Sequence[str] = (),
                   provinces: Sequence[str] = (), periods: tuple[str | None, ...] = ()) -> None:
    """Exit 2 with a message for a firm type, firm, region, province or quarter the warehouse does not know (an
    empty table would read as "no complaints"), or a firm not of the chosen firm type."""
    if firm_type is not None and firm_type not in FIRM_TYPES:
        fail(f"未知公司类型“{_shown(firm_type)}”：应为 {' 或 '.join(FIRM_TYPES)}")
    registry = wh.firms()
    types = dict(zip(registry["firm_id"].to_list(), registry["firm_type"].to_list(), strict=True))
    unknown = [f for f in firms if f not in types]
    if unknown:
        fail(f"会员名录中没有公司代码：{'、'.join(_shown(f) for f in unknown)}"
              f"（共 {len(types)} 家，代码如 {'、'.join(list(types)[:3])}）")
    other = [f for f in firms if firm_type is not None and types[f] != firm_type]
    if other:
        fail(f"公司 {'、'.join(f'{f}（{types[f]}）' for f in other)} 不属于所选公司类型 {firm_type}")
    table = wh.regions()
    for values, column, label in ((regions, "region_code", "地区"), (provinces, "province_code", "省份")):
        known = set(table[column].drop_nulls().to_list())
        unknown = [v for v in values if v not in known]
        if unknown:
            fail(f"未知{label}代码：{'、'.join(_shown(v) for v in unknown)}（应为 GB/T 2260 代码，如 440000）")
    held = wh.periods()
    missing = [p for p in periods if p is not None and p not in held]
    if missing:
        fail(f"数据仓库中没有 {'、'.join(missing)} 的数据（已有 {held[0]} 至 {held[-1]}）" if held else
              f"数据仓库中没有 {'、'.join(missing)} 的数据")


def _scope(user: str | None, users_file: Path | None) -> Scope:
    """The Scope of `--user` from the users file (the dashboard's for the same user); everything without one."""
    if user is None:
        return Scope()
    from auth import users

    try:
        account = users.load(users.users_path(users_file)).get(user)
    except users.UserError as exc:
        fail(str(exc))
    if account is None:
        fail(f"用户文件中没有用户“{_shown(user)}”：{users.users_path(users_file)}")
    if account.disabled:
        err.print(f"注意：用户 {escape(_shown(user))} 已停用，以下为其权限下的数据")
    u = account.user
    return Scope(firm_id=u.firm_id if u.is_member else None, user=u.username)


def _open(warehouse: Path | None, user: str | None = None, users_file: Path | None = None) -> Warehouse:
    scope = _scope(user, users_file)
    wh = Warehouse(warehouse_dir(warehouse), scope=scope)
    if wh.version is None:
        fail(f"数据仓库为空：{warehouse_dir(warehouse)}（先运行 xiaobao ingest）")
    return wh


def _note(frame: pl.DataFrame) -> None:
    """Under a member's scope: say so when figures were left out (the dashboard's 已隐去 note)."""
    if any(c in frame.columns and frame[c].fill_null(False).any() for c in ("withheld", "suppressed")):
        err.print("已隐去：同业不足 5 家（不含本公司）的地区、公司类型、季度的数据不计入合计、也不单独显示；"
                  "同业不足的同业分布与排名不显示（保密规则）。")


def _meta(wh: Warehouse, meta: dict) -> dict:
    """An export's record names the user whose scope it was made under (`--user`), beside who ran it."""
    if wh.scope.user is not None:
        meta["filters"] = {**meta.get("filters", {}), "user": wh.scope.user}
    return meta


def _emit(wh: Warehouse, frame: pl.DataFrame, fmt: str, out: Path | None, labels: str, meta: dict,
          what: str) -> None:
    """The one way a command hands out data: query.export.export (formulas neutralised, audit line first)."""
    if fmt not in export.FORMATS:
        fail(f"格式应为 {'、'.join(export.FORMATS)} 之一")
    if out is None and fmt in ("xlsx", "parquet"):
        fail(f"{fmt} 格式需要 --out 文件")
    meta = _meta(wh, meta)
    _note(frame)
    frame = untrusted.frame(frame)  # names from the registry: no escape sequence reaches a terminal or a sheet
    try:
        if out is None:
            export.export(frame, fmt, sys.stdout.buffer, warehouse=wh.path, labels=labels, meta=meta, what=what,
                          destination="stdout")
            sys.stdout.flush()
        else:
            export.export(frame, fmt, out, warehouse=wh.path, labels=labels, meta=meta, what=what)
    except export.ExportError as exc:  # no audit line, no data: nothing went to stdout or --out
        err.print(f"[red]错误：{escape(untrusted.text(exc, lines=True))}[/red]")
        raise typer.Exit(2) from exc
    except OSError as exc:  # recorded, but the file could not be written (no such folder, disk full …)
        err.print(f"[red]错误：无法写入 {escape(str(out or 'stdout'))}：{escape(exc.strerror or str(exc))}[/red]")
        raise typer.Exit(2) from exc
    if out is not None:
        err.print(f"已导出 {frame.height} 行到 {escape(str(out))}")


def export_command(
    metrics: Annotated[str, typer.Argument(help="指标，逗号分隔，如 complaints_per_100m_premium,mediation_success_rate",
                                           metavar="METRIC[,METRIC…]")],
    by: Annotated[str | None, typer.Option("--by", help=f"维度，逗号分隔：{', '.join(DIMS)}")] = None,
    period: Annotated[str | None, typer.Option("--period", help="单个季度，如 2025Q3")] = None,
    period_from: Annotated[str | None, typer.Option("--from", help="起始季度")] = None,
    period_to: Annotated[str | None, typer.Option("--to", help="截止季度")] = None,
    firm_type: Annotated[str | None, typer.Option("--firm-type", help="财产险 | 人身险")] = None,
    firm: Annotated[list[str] | None, typer.Option("--firm", help="公司代码，可重复")] = None,
    region: Annotated[list[str] | None, typer.Option("--region", help="地区代码，可重复")] = None,
    province: Annotated[list[str] | None, typer.Option("--province", help="省份代码，可重复")] = None,
    fmt: FormatOpt = "csv",
    labels: Annotated[str, typer.Option("--labels",
                                        help="表头：id（英文代码）| zh（中文）| en（英文表头与英文取值）")] = "id",
    out: OutOpt = None,
    warehouse: WarehouseOpt = None,
    user: UserOpt = None,
    users_file: UsersOpt = None,
) -> None:
    """导出看板上同样筛选条件下的同一张表（CSV 为带 BOM 的 UTF-8，可直接用 Excel 打开）。

    列：所选维度（firm_id 与 firm_name、region_code 与 region_name …）在前，指标在后；比率另附 <指标>__low_base
    低基数标记。每次导出都记入数据仓库的审计日志 audit/log.jsonl。

    示例：xiaobao export complaints_per_100m_premium,mediation_success_rate --by province --period 2025Q3 \\
        --labels zh --out 2025Q3.csv
    会员 demo-member 会收到的同一张表：xiaobao export complaints_total --by region --period 2025Q3 --user demo-member
    """
    if period and (period_from or period_to):
        fail("--period 与 --from/--to 只能选一种")
    if labels not in export.LABELS:
        fail(f"--labels 应为 {' 或 '.join(export.LABELS)}")
    wh = _open(warehouse, user, users_file)
    metric_ids, dims = _split([metrics]), _split([by] if by else [])
    period, period_from, period_to = (_period(v, o) for v, o in ((period, "--period"), (period_from, "--from"),
                                                                  (period_to, "--to")))
    _check_filters(wh, firm_type, _split(firm), _split(region), _split(province), (period,))
    try:
        filters = Filters(period=period, period_from=period_from, period_to=period_to, firm_type=firm_type,
                          firms=tuple(_split(firm)), regions=tuple(_split(region)),
                          provinces=tuple(_split(province)))
        frame = wh.table(metric_ids, dims, filters)
    except (QueryError, ValueError) as exc:
        fail(str(exc))
    _emit(wh, frame, fmt, out, labels, export.meta(filters, metric_ids, dims, version=wh.version), "table")


def _show(frame: pl.DataFrame, title: str, whole: pl.DataFrame | None = None) -> None:
    _note(frame if whole is None else whole)
    table = Table(title=title)
    for column in frame.columns:
        table.add_column(column, overflow="fold")
    for row in untrusted.frame(frame).iter_rows():  # firm names from the registry, shown as text
        table.add_row(*("—" if v is None else f"{v:.4g}" if isinstance(v, float) else escape(str(v)) for v in row))
    Console().print(table)


def peers_command(
    metric: Annotated[str, typer.Argument(help="指标，如 complaints_per_100m_premium")],
    period: Annotated[str, typer.Option("--period", help="季度，如 2025Q3")],
    firm_type: Annotated[str, typer.Option("--firm-type", help="财产险 | 人身险")] = "财产险",
    fmt: Annotated[str | None,
                   typer.Option("--format", help="不填则在终端显示表格；csv | xlsx | parquet | json")] = None,
    out: OutOpt = None,
    warehouse: WarehouseOpt = None,
    user: UserOpt = None,
    users_file: UsersOpt = None,
) -> None:
    """同业对标：同类型公司在该季度的指标值、排名（1 为最好，并列同名次）、优于同业比例（better_than_share：按指标方向
    优于组内其他公司的比例，并列算一半）与同业 P25 / 中位数 / P75。

    示例：xiaobao peers complaints_per_100m_premium --period 2025Q3 --firm-type 人身险 [--user demo-member]
    """
    wh = _open(warehouse, user, users_file)
    period = _period(period, "--period")
    _check_filters(wh, firm_type, periods=(period,))
    try:
        frame = wh.peers(metric, period, firm_type)
    except (QueryError, ValueError) as exc:
        fail(str(exc))
    if fmt is None:
        share = pl.col("better_than_share")
        shown = frame.with_columns(pl.when(share.is_not_null()).then(  # 优于 62% 同业, as on the pages
            pl.format("优于 {}% 同业", (share * 100).round(0).cast(pl.Int64))).alias("better_than_share"))
        _show(shown.select("firm_name", "value", "rank", "better_than_share", "median", "low_base"),
              f"{wh.metric(metric).zh}：{firm_type} {period}（{frame['n_firms'][0] if frame.height else 0} 家）", frame)
    else:
        _emit(wh, frame, fmt, out, "id", export.meta(Filters(period=period, firm_type=firm_type), [metric], ["firm"],
                                                     version=wh.version), "peers")


def anomalies_command(
    period: Annotated[str | None, typer.Option("--period", help="季度；不填则为最新一期")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="不填则在终端显示表格；csv | json …")] = None,
    out: OutOpt = None,
    warehouse: WarehouseOpt = None,
    user: UserOpt = None,
    users_file: UsersOpt = None,
) -> None:
    """异常波动：投诉量明显高于自身历史（稳健 z 分数）的公司 × 地区，证据最强的在前，附疑似代理退保占比。

    示例：xiaobao anomalies --period 2025Q3 [--user demo-member]
    """
    wh = _open(warehouse, user, users_file)
    try:
        frame = wh.anomalies(Filters(period=period))
    except (QueryError, ValueError) as exc:
        fail(str(exc))
    if fmt is None:
        _show(frame.select("firm_name", "region_name", "complaints", "expected", "robust_z",
                           "proxy_surrender_share"), f"投诉异常波动 {period or wh.periods()[-1]}")
    else:
        _emit(wh, frame, fmt, out, "id", export.meta(Filters(period=period or wh.periods()[-1]), ["complaints_total"],
                                                     ["firm", "region"],
                                                     version=wh.version), "anomalies")


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
    app.command("peers")(peers_command)
    app.command("anomalies")(anomalies_command)
