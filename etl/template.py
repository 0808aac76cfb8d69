"""The blank submission workbook, generated from the contract (etl/contract.py) so that it never drifts from
what the parser accepts: 封面, one sheet per dataset with the headers `Column.header`, and a 说明 sheet that
explains every field and every validation rule in Chinese.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import polars as pl
import xlsxwriter

from core import atomic
from core.contract import (
    BASES,
    CELL_RULES,
    COVER,
    COVER_SHEET,
    FIXED_CREATED,
    PRODUCT_LINES,
    SHEETS,
    TOTAL_SUFFIXES,
    WARNING_RULES,
    ZERO_SPELLINGS_SHOWN,
    Column,
    Sheet,
)
from core.reference import load_regions

GUIDE_SHEET = "说明"
LINE_ROWS = 1000  # rows prepared (drop-downs, formats) on the long 投诉险种 sheet
_KIND_ZH = {"province": "省级行政区", "city": "计划单列市", "national": "总公司/全国"}

CONVENTIONS = (
    ("每家会员公司每季度报送一个工作簿（.xlsx），包含 封面、投诉、投诉险种、调解、宣教 五个工作表；"
     "也可报送 CSV 文件包：每个工作表一个 CSV，文件名即工作表名（如 封面.csv、投诉.csv），"
     "放在一个文件夹或 .zip 中，编码 UTF-8 或 GBK。"),
    "请勿修改表头。金额单位为万元；如按元或亿元填报，请在表头注明单位（如 原保险保费收入(元)），系统统一换算为万元。",
    ("每个地区一行，同一地区不得重复。计划单列市（大连、青岛、宁波、厦门、深圳）单独成行时，所在省份一行不含该市。"
    "无法拆分到地区的数据填在 总公司/全国 一行。没有业务的地区整行留空或删除该行。"),
    "空白表示未报送，不等于 0；确无发生请填 0（也接受 -、—、/、无）。计数须为非负整数，不得填写百分比。",
    ("数据口径：当季 = 仅本季度发生数；年累计 = 本年初至本季度末的累计数，"
     "系统减去本公司本年此前各季度的数据得出本季度数。"
     "此前任一季度未报送时，年累计报送暂缓入库（待处理），缺报季度报送后自动入库。"),
    "覆盖县区数、营业网点数、适老化网点数为季末存量：年累计口径下也填季末数，不做相减；多个季度汇总时取最后一个季度的数值，不相加。",
    "重报：发现错误请更正后整份重新报送，版本号加一（2、3……）；新版本替换旧版本，旧版本保留可查。",
    f"表格下方可加 {'/'.join(TOTAL_SUFFIXES)} 行，系统核对其等于各地区之和（不等即为错误）后剔除，不重复计算。",
    ("有任何一项错误时整份报送退回（不部分入库），所有错误一次列出，注明工作表、行号、列、数值和规则；"
    "警告只作提示，不影响入库。"),
)


def guide_fields() -> list[tuple[str, str, str, str, str, str, str]]:
    """说明 rows for every field: 工作表, 表头, 字段代码, 单位, 性质, 说明, 也接受的表头."""
    rows = [(COVER_SHEET, f.zh, f.id, "", "必填" if f.required else "选填", f.help, "、".join(f.aliases))
            for f in COVER]
    for sheet in SHEETS:
        for c in sheet.columns:
            nature = "维度" if c.kind == "key" else "存量（季末数）" if c.stock else "流量（本期发生数）"
            rows.append((sheet.zh, c.header, c.id, c.unit or "", nature, c.help, "、".join(c.aliases)))
    return rows


def guide_rules() -> list[tuple[str, str, str, str]]:
    """说明 rows for every validation rule: 规则代码, 类别, 适用范围, 规则."""
    rows = [(r.id, "错误", s.zh, r.zh) for s in SHEETS for r in s.rules]
    rows += [(rid, "错误", "全部", zh) for rid, zh in CELL_RULES.items()]
    rows += [(rid, "警告", "全部", zh) for rid, zh in WARNING_RULES.items()]
    return rows


def region_order(regions: pl.DataFrame) -> pl.DataFrame:
    """Provinces in code order, each followed by its separately supervised city, 总公司/全国 last."""
    provinces = regions.filter(pl.col("kind") == "province")["code"].to_list()
    rank = {code: i * 2 for i, code in enumerate(provinces)}
    return regions.with_columns(
        pl.when(pl.col("kind") == "city").then(pl.col("parent_code").replace_strict(rank, default=None) + 1)
        .when(pl.col("kind") == "national").then(10_000)
        .otherwise(pl.col("code").replace_strict(rank, default=None))
        .alias("_rank")
    ).sort("_rank").drop("_rank")


def product_lines() -> list[str]:
    """Every product line once, property lines first."""
    return list(dict.fromkeys(PRODUCT_LINES["财产险"] + PRODUCT_LINES["人身险"]))


def write_template(path: Path, cover: dict[str, str | int] | None = None) -> Path:
    """Write the submission workbook at `path`: blank, or with cover fields filled in (`cover`: field id → value,
    e.g. firm_name, period, version — the upload portal's pre-filled template). Whole or not at all (core.atomic);
    a refused write raises the OSError it is."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    regions = region_order(load_regions())
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.set_properties({"created": FIXED_CREATED, "title": "消保数据季度报送模板", "author": "xiaobao"})
    fmt = {
        "header": wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                 "valign": "vcenter"}),
        "key": wb.add_format({"bold": True, "bg_color": "#F2F2F2", "border": 1}),
        "title": wb.add_format({"bold": True, "font_size": 14}),
        "section": wb.add_format({"bold": True, "font_size": 12}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "money": wb.add_format({"num_format": "#,##0.00"}),
        "count": wb.add_format({"num_format": "#,##0"}),
        "text": wb.add_format({"num_format": "@"}),
    }
    _cover(wb, fmt, cover or {})
    sheets = {s.id: wb.add_worksheet(s.zh) for s in SHEETS}
    guide = wb.add_worksheet(GUIDE_SHEET)
    region_range, line_range = _guide(guide, fmt, regions)
    names = regions["name"].to_list()
    for sheet in SHEETS:
        prefill = names if sheet.key == ("region_code",) else []
        _data_sheet(sheets[sheet.id], sheet, fmt, prefill, region_range, line_range)
    wb.close()
    atomic.write_bytes(path, buffer.getvalue())
    return path


def _cover(wb: xlsxwriter.Workbook, fmt: dict, values: dict[str, str | int]) -> None:
    ws = wb.add_worksheet(COVER_SHEET)
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 40, fmt["text"])  # text, so 2025Q3 or 2025-10-15 are kept as typed
    for r, field in enumerate(COVER):
        ws.write_string(r, 0, field.zh, fmt["key"])
        message = {"input_title": field.zh + ("（必填）" if field.required else "（选填）"),
                   "input_message": field.help[:255]}
        if field.id == "basis":
            ws.data_validation(r, 1, r, 1, {"validate": "list", "source": list(BASES), **message})
        elif field.id == "version":
            ws.data_validation(r, 1, r, 1, {"validate": "integer", "criteria": ">=", "value": 1, **message})
        else:
            ws.data_validation(r, 1, r, 1, {"validate": "any", **message})
        value = values.get(field.id, 1 if field.id == "version" else None)
        if isinstance(value, int):
            ws.write_number(r, 1, value)
        elif value is not None:
            ws.write_string(r, 1, value)  # never a formula, whatever the text
    ws.activate()


def _data_sheet(ws, sheet: Sheet, fmt: dict, prefill: list[str], region_range: str, line_range: str) -> None:
    last = (len(prefill) or LINE_ROWS)
    for c, column in enumerate(sheet.columns):
        ws.write_string(0, c, column.header, fmt["header"])
        ws.write_comment(0, c, _column_note(column), {"x_scale": 2, "y_scale": 1.5})
        width = max(10, 2 * len(column.header) + 2)
        ws.set_column(c, c, width, fmt["money"] if column.kind == "money" else
                      fmt["count"] if column.kind == "count" else None)
        if column.kind == "key":
            source = region_range if column.id == "region_code" else line_range
            ws.data_validation(1, c, last, c, {"validate": "list", "source": source, "error_type": "warning",
                                               "error_message": "请从下拉列表选择（也接受简称、代码等写法）"})
        else:
            integer = column.kind == "count"
            ws.data_validation(1, c, last, c, {
                "validate": "integer" if integer else "decimal", "criteria": ">=", "value": 0,
                "ignore_blank": True, "error_type": "warning",
                "error_title": column.zh,
                "error_message": CELL_RULES["non_negative_integer" if integer else "non_negative_amount"],
            })
    for r, name in enumerate(prefill, start=1):
        ws.write_string(r, 0, name)
    ws.freeze_panes(1, 1)
    ws.set_row(0, 32)


def _column_note(column: Column) -> str:
    unit = f"单位：{column.unit}。" if column.unit else ""
    stock = "季末存量，不按季相加。" if column.stock else ""
    return f"{column.zh}：{column.help}{unit}{stock}"


def _guide(ws, fmt: dict, regions: pl.DataFrame) -> tuple[str, str]:
    """Write the 说明 sheet; return the ranges of the region-name and product-line lists (for drop-downs)."""
    ws.set_column(0, 0, 20)
    ws.set_column(1, 1, 26)
    ws.set_column(2, 2, 24)
    ws.set_column(3, 4, 14)
    ws.set_column(5, 5, 60, fmt["wrap"])
    ws.set_column(6, 6, 36, fmt["wrap"])
    ws.write_string(0, 0, "消保数据季度报送模板 填报说明", fmt["title"])
    r = 2
    ws.write_string(r, 0, "一、填报须知", fmt["section"])
    for i, text in enumerate(CONVENTIONS, start=1):
        r += 1
        ws.write_string(r, 0, f"{i}.")
        ws.merge_range(r, 1, r, 6, text, fmt["wrap"])
        ws.set_row(r, 36)
    r += 2
    ws.write_string(r, 0, "二、字段说明", fmt["section"])
    r = _table(ws, r + 1, ("工作表", "表头", "字段代码", "单位", "性质", "说明", "也接受的表头"), guide_fields(), fmt)
    r += 1
    ws.write_string(r, 0, "三、校验规则（错误：整份退回；警告：仅提示）", fmt["section"])
    r = _table(ws, r + 1, ("规则代码", "类别", "适用工作表", "规则"), guide_rules(), fmt)
    r += 1
    ws.write_string(r, 0, "四、地区（可写全称、简称、单字简称、英文或代码）", fmt["section"])
    region_rows = [(row["code"], row["name"], row["short_name"], row["abbr"] or "", row["name_en"],
                    _KIND_ZH[row["kind"]]) for row in regions.iter_rows(named=True)]
    first = r + 2
    r = _table(ws, r + 1, ("代码", "全称", "简称", "单字简称", "英文", "类别"), region_rows, fmt)
    region_range = f"='{GUIDE_SHEET}'!$B${first + 1}:$B${first + len(region_rows)}"
    r += 1
    ws.write_string(r, 0, "五、险种（按公司类型）", fmt["section"])
    lines = product_lines()
    line_rows = [(line, "✓" if line in PRODUCT_LINES["财产险"] else "", "✓" if line in PRODUCT_LINES["人身险"] else "")
                 for line in lines]
    first = r + 2
    r = _table(ws, r + 1, ("险种", "财产险公司", "人身险公司"), line_rows, fmt)
    line_range = f"='{GUIDE_SHEET}'!$A${first + 1}:$A${first + len(line_rows)}"
    r += 1
    ws.write_string(r, 0, f"六、数字写法：可写 1,234、全角数字、1.2万；{'、'.join(ZERO_SPELLINGS_SHOWN)} 视为 0；"
                          "空白视为未报送。")
    return region_range, line_range


def _table(ws, row: int, headers: tuple[str, ...], rows: Sequence[Sequence[object]], fmt: dict) -> int:
    """Write a header and rows from `row`; return the first free row after a blank line."""
    for c, h in enumerate(headers):
        ws.write_string(row, c, h, fmt["header"])
    for r, values in enumerate(rows, start=row + 1):
        for c, v in enumerate(values):
            ws.write_string(r, c, str(v))
    return row + len(rows) + 2

