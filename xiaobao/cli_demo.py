"""`xiaobao template` (the blank submission workbook) and `xiaobao demo` (fictional members' submissions)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from core.atomic import refusal
from core.status import file_label

TEMPLATE_HELP = (
    "生成空白报送模板：封面、投诉、投诉险种、调解、宣教五个工作表（表头含单位，地区已预填，数据口径和险种有下拉选项），"
    "以及逐项解释每个字段和每条校验规则的 说明 工作表。模板由数据契约（etl/contract.py）生成，与校验规则始终一致。"
    "\n\n示例：\n\n    xiaobao template 消保数据报送模板.xlsx"
)
DEMO_HELP = (
    "生成虚构会员公司（名称均以“示例”开头）的季度报送文件和会员名录，用于演示和测试。"
    "\n\n约五分之一的文件带有真实报送中常见的不规范写法（繁体、表头带单位或空格、地区和期间的各种写法、千分位、"
    "标题行、合计行、CSV 文件包等）；少数文件含真实错误，其中部分随后更正重报；部分公司按年累计口径报送；"
    "一家公司缺报一个季度，其年累计文件暂缓入库；少数公司在个别地区出现代理退保投诉激增。"
    "OUT_DIR/manifest.csv 列出每个文件埋设的情形和入库后应有的状态。"
    "\n\n示例：\n\n    xiaobao demo data/demo --firms 30 --from 2022Q1 --to 2025Q3"
)


def template(
    out: Annotated[Path, typer.Argument(help="要写出的模板文件（.xlsx）", metavar="OUT.xlsx")],
) -> None:
    from etl.template import write_template

    if out.suffix.lower() != ".xlsx":
        raise typer.BadParameter(f"模板文件应以 .xlsx 结尾：{out}", param_hint="OUT.xlsx")
    try:
        write_template(out)
    except OSError as exc:  # disk full, read-only, no permission: nothing half-written is left
        Console(stderr=True).print(f"[red]错误：模板 {escape(str(out))} 无法写入：{escape(refusal(exc))}[/red]")
        raise typer.Exit(2) from exc
    Console().print(f"已生成报送模板：{out}")


def demo(
    out_dir: Annotated[Path, typer.Argument(help="输出目录：写入 firms.csv、submissions/、manifest.csv",
                                            metavar="OUT_DIR")],
    firms: Annotated[int, typer.Option("--firms", min=1, max=399, help="示例会员公司数量")] = 30,
    period_from: Annotated[str, typer.Option("--from", help="起始季度，如 2022Q1")] = "2022Q1",
    period_to: Annotated[str, typer.Option("--to", help="结束季度，如 2025Q3")] = "2025Q3",
    seed: Annotated[int, typer.Option("--seed", help="随机种子：同一种子生成完全相同的文件")] = 20251123,
) -> None:
    from fixtures.demo import generate

    try:
        result = generate(out_dir, firms=firms, period_from=period_from, period_to=period_to, seed=seed)
    except (ValueError, FileExistsError) as exc:
        raise typer.BadParameter(str(exc)) from exc
    except OSError as exc:
        Console(stderr=True).print(f"[red]错误：示例数据无法写入 {escape(str(out_dir))}：{escape(refusal(exc))}[/red]")
        raise typer.Exit(2) from exc
    console = Console()
    statuses = Counter(result.expected.values())
    summary = Table(title=f"示例数据已写入 {out_dir}（{result.seconds:.1f} 秒）", show_header=False)
    summary.add_row("会员公司", f"{firms} 家（名录 {result.registry_path}）")
    summary.add_row("报送文件", f"{len(result.files)} 个，期间 {period_from}–{period_to}")
    summary.add_row("入库后状态", "，".join(f"{file_label(s)} {n}" for s, n in sorted(statuses.items())))
    summary.add_row("不规范写法", f"{sum(1 for t in result.messy.values() if t)} 个文件")
    summary.add_row("埋设错误", f"{len(result.errors)} 个文件")
    summary.add_row("代理退保激增", f"{len({(f, r) for f, r, _ in result.spikes})} 个公司×地区")
    console.print(summary)
    console.print(f"下一步：xiaobao ingest {out_dir / 'submissions'} --registry {result.registry_path}")


def register(app: typer.Typer) -> None:
    app.command("template", help=TEMPLATE_HELP)(template)
    app.command("demo", help=DEMO_HELP)(demo)
