"""python-pptx building blocks for a 16:9 deck: titled slides, headline tiles, native (editable) charts, tables,
pictures and speaker notes, with a CJK typeface on every East Asian run.

python-pptx's `font.name` sets only the Latin face (`<a:latin>`): PowerPoint, WPS and LibreOffice then draw Chinese
in whatever East Asian font they like, or as boxes. `cjk()` writes `<a:latin>`, `<a:ea>` and `<a:cs>` on every run,
paragraph-end and default run property of a part (slides, notes, chart parts), in the schema's order.
Charts carry their numbers (chart XML cache and an embedded workbook): the secretariat restyles or corrects them in
PowerPoint or WPS. Values are written as the query layer gave them; only the number format rounds them on screen.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import polars as pl
from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement
from pptx.util import Emu, Inches, Pt

from query import export

FONT = "Noto Sans CJK SC"
WIDTH, HEIGHT = Inches(13.333), Inches(7.5)   # 16:9
MARGIN = Inches(0.5)
TOP = Inches(1.25)        # content starts under the title
BOTTOM = Inches(6.85)     # and ends above the footer
# Colours as on the dashboard (dashboard/theme.py): one meaning everywhere.
HIGHLIGHT = RGBColor(0x1F, 0x4E, 0x9C)
MUTED = RGBColor(0xB8, 0xC2, 0xD0)
REFERENCE = RGBColor(0x11, 0x18, 0x27)
WORSE = RGBColor(0xD5, 0x5E, 0x00)
BETTER = RGBColor(0x00, 0x72, 0xB2)
NEUTRAL = RGBColor(0x5B, 0x6B, 0x82)
TILE_FILL = RGBColor(0xF3, 0xF5, 0xF9)
TEXT = RGBColor(0x11, 0x18, 0x27)
SERIES = ("1F4E9C", "E3A008", "7B3FA0", "0B7FA8", "8C5A2B", "D45D9A", "3A3A3A", "6F8F00")

# Elements of a:rPr / a:defRPr / a:endParaRPr that come after the font faces (CT_TextCharacterProperties).
_AFTER_FONTS = {qn(t) for t in ("a:sym", "a:hlinkClick", "a:hlinkMouseOver", "a:rtl", "a:extLst")}
_FACES = ("a:latin", "a:ea", "a:cs")
_RUN_PROPERTIES = (qn("a:rPr"), qn("a:defRPr"), qn("a:endParaRPr"))


def safe(texts: Sequence[str]) -> list[str]:
    """Labels that go into a chart's embedded workbook, which reads text starting with = + - @ as a formula: such
    text is prefixed with ' as every export does (query.export.neutralise); firm names come from outside."""
    frame = export.neutralise(pl.DataFrame({"v": [str(x) for x in texts]}, schema={"v": pl.Utf8}))
    return frame["v"].to_list()


def new_presentation() -> Any:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    return prs


def cjk(element: Any, face: str = FONT) -> None:
    """Latin, East Asian and complex-script faces on every run property under `element` (an lxml element)."""
    for run in element.iter(qn("a:r"), qn("a:fld")):   # a run without rPr gets one, so it carries the faces
        if run.find(qn("a:rPr")) is None:
            run.insert(0, OxmlElement("a:rPr"))
    for props in list(element.iter(*_RUN_PROPERTIES)):
        for tag in _FACES:
            for old in props.findall(qn(tag)):
                props.remove(old)
        at = next((i for i, child in enumerate(props) if child.tag in _AFTER_FONTS), len(props))
        for offset, tag in enumerate(_FACES):
            face_el = OxmlElement(tag)
            face_el.set("typeface", face)
            props.insert(at + offset, face_el)


def cjk_everywhere(prs: Any, face: str = FONT) -> None:
    """`cjk()` over every slide, its notes and its charts (call once, when the deck is complete)."""
    for slide in prs.slides:
        cjk(slide.shapes._spTree, face)
        if slide.has_notes_slide:
            cjk(slide.notes_slide.shapes._spTree, face)
        for shape in slide.shapes:
            if getattr(shape, "has_chart", False) and shape.has_chart:
                cjk(shape.chart._chartSpace, face)


def _style(run: Any, size: float, bold: bool = False, color: RGBColor = TEXT) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = FONT
    run.font.color.rgb = color


def paragraphs(frame: Any, lines: Sequence[tuple[str, float, bool] | tuple[str, float, bool, RGBColor]],
               align: Any = PP_ALIGN.LEFT) -> None:
    """Fill a text frame: one paragraph per (text, size, bold[, colour])."""
    frame.word_wrap = True
    for i, line in enumerate(lines):
        text, size, bold = line[0], line[1], line[2]
        color = line[3] if len(line) > 3 else TEXT
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        p.alignment = align
        run = p.add_run()
        run.text = text
        _style(run, size, bold, color)


def text_box(slide: Any, x: int, y: int, w: int, h: int, lines: Sequence[tuple], name: str | None = None,
             align: Any = PP_ALIGN.LEFT) -> Any:
    box = slide.shapes.add_textbox(x, y, w, h)
    if name:
        box.name = name
    paragraphs(box.text_frame, lines, align)
    return box


def titled_slide(prs: Any, title: str, footer: str) -> Any:
    """A "Title Only" slide with the title across the top and the footer (filters, as-of) at the bottom."""
    slide = prs.slides.add_slide(prs.slide_layouts[5])
    heading = slide.shapes.title
    heading.left, heading.top, heading.width, heading.height = MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(0.85)
    frame = heading.text_frame
    frame.text = ""
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    p = frame.paragraphs[0]
    p.alignment = PP_ALIGN.LEFT
    run = p.add_run()
    run.text = title
    _style(run, 28, True, HIGHLIGHT)
    text_box(slide, MARGIN, Inches(6.95), WIDTH - 2 * MARGIN, Inches(0.4), [(footer, 10, False, NEUTRAL)],
             name="footer")
    return slide


def title_slide(prs: Any, title: str, lines: Sequence[str]) -> Any:
    slide = prs.slides.add_slide(prs.slide_layouts[0])
    heading, sub = slide.shapes.title, slide.placeholders[1]
    heading.left, heading.top, heading.width, heading.height = MARGIN, Inches(2.0), WIDTH - 2 * MARGIN, Inches(1.6)
    sub.left, sub.top, sub.width, sub.height = MARGIN, Inches(3.9), WIDTH - 2 * MARGIN, Inches(2.4)
    heading.text_frame.text = ""
    run = heading.text_frame.paragraphs[0].add_run()
    run.text = title
    _style(run, 40, True, HIGHLIGHT)
    sub.text_frame.text = ""
    for i, line in enumerate(lines):
        p = sub.text_frame.paragraphs[0] if i == 0 else sub.text_frame.add_paragraph()
        run = p.add_run()
        run.text = line
        _style(run, 22 if i == 0 else 16, i == 0, TEXT if i == 0 else NEUTRAL)
    return slide


def tile(slide: Any, x: int, y: int, w: int, h: int, label: str, value: str, changes: Sequence[str],
         name: str, value_color: RGBColor = TEXT) -> Any:
    """A headline figure: label, value, then one line per change (环比 …, 同比 …)."""
    shape = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, x, y, w, h)
    shape.name = name
    shape.adjustments[0] = 0.08
    shape.fill.solid()
    shape.fill.fore_color.rgb = TILE_FILL
    shape.line.color.rgb = MUTED
    shape.shadow.inherit = False
    frame = shape.text_frame
    frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    frame.margin_left = frame.margin_right = Inches(0.2)
    paragraphs(frame, [(label, 15, False, NEUTRAL), (value, 30, True, value_color),
                       *((c, 13, False, NEUTRAL) for c in changes)])
    return shape


def tiles(slide: Any, items: Sequence[dict], x: int, y: int, w: int, h: int, per_row: int = 3,
          gap: int = Inches(0.25)) -> None:
    """A grid of tiles; each item: label, value, changes, name (and value_color)."""
    rows = -(-len(items) // per_row) if items else 1
    tw = (w - gap * (per_row - 1)) // per_row
    th = (h - gap * (rows - 1)) // rows
    for i, item in enumerate(items):
        r, c = divmod(i, per_row)
        tile(slide, x + c * (tw + gap), y + r * (th + gap), tw, th, **item)


def number_format(percent: bool, decimals: int = 2) -> str:
    if percent:
        return "0.0%"
    return "#,##0" if decimals == 0 else "#,##0." + "0" * decimals


def _chart_text(chart: Any, size: int = 12) -> None:
    chart.font.size = Pt(size)
    chart.font.name = FONT


def bar_chart(slide: Any, name: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
              fmt: str, x: int, y: int, w: int, h: int, *, title: str | None = None, horizontal: bool = True,
              colors: Sequence[RGBColor | None] | None = None, stacked: bool = False, font_size: int = 12) -> Any:
    """A native bar chart (horizontal by default, first category on top), value labels in `fmt`, no value axis;
    `colors`: a colour per point of a single series (None keeps the series colour)."""
    data = CategoryChartData(number_format=fmt)
    data.categories = safe(categories)
    for label, values in series:
        data.add_series(safe([label])[0], list(values), number_format=fmt)
    kind = (XL_CHART_TYPE.BAR_STACKED if stacked else XL_CHART_TYPE.BAR_CLUSTERED) if horizontal else \
        (XL_CHART_TYPE.COLUMN_STACKED if stacked else XL_CHART_TYPE.COLUMN_CLUSTERED)
    frame = slide.shapes.add_chart(kind, x, y, w, h, data)
    frame.name = name
    chart = frame.chart
    _chart_text(chart, font_size)
    _title(chart, title)
    if horizontal:
        chart.category_axis.reverse_order = True   # the first category on top, as read
    chart.value_axis.visible = False
    chart.value_axis.has_major_gridlines = False
    chart.category_axis.format.line.color.rgb = MUTED
    chart.category_axis.tick_labels.font.size = Pt(font_size)
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW   # names clear of negative bars
    plot = chart.plots[0]
    plot.gap_width = 60
    if stacked:
        plot.overlap = 100
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.number_format, labels.number_format_is_linked = fmt, False
    labels.font.size = Pt(font_size - 1)
    if not stacked:
        labels.position = XL_LABEL_POSITION.OUTSIDE_END
    chart.has_legend = len(series) > 1
    if chart.has_legend:
        chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
        chart.legend.font.size = Pt(font_size)
    for i, s in enumerate(plot.series):
        s.format.fill.solid()
        s.format.fill.fore_color.rgb = RGBColor.from_string(SERIES[i % len(SERIES)])
    if colors and len(plot.series) == 1:
        for i, color in enumerate(colors):
            if color is not None:
                point = plot.series[0].points[i]
                point.format.fill.solid()
                point.format.fill.fore_color.rgb = color
    return frame


def line_chart(slide: Any, name: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]],
               fmt: str, x: int, y: int, w: int, h: int, *, title: str | None = None, font_size: int = 12) -> Any:
    data = CategoryChartData(number_format=fmt)
    data.categories = safe(categories)
    for label, values in series:
        data.add_series(safe([label])[0], list(values), number_format=fmt)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.LINE_MARKERS, x, y, w, h, data)
    frame.name = name
    chart = frame.chart
    _chart_text(chart, font_size)
    _title(chart, title)
    chart.value_axis.tick_labels.number_format = fmt
    chart.value_axis.tick_labels.number_format_is_linked = False
    chart.value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xE5, 0xE7, 0xEB)
    if fmt.endswith("%") and all(v is None or v <= 1 for _, values in series for v in values):
        chart.value_axis.maximum_scale = 1.0   # a share never reads above 100%
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.BOTTOM, False
    plot = chart.plots[0]
    plot.has_data_labels = True
    plot.data_labels.number_format, plot.data_labels.number_format_is_linked = fmt, False
    plot.data_labels.position = XL_LABEL_POSITION.ABOVE
    plot.data_labels.font.size = Pt(font_size - 2)
    for i, s in enumerate(plot.series):
        color = RGBColor.from_string(SERIES[i % len(SERIES)])
        s.format.line.color.rgb = color
        s.format.line.width = Pt(2.5)
        s.smooth = False
        s.marker.format.fill.solid()
        s.marker.format.fill.fore_color.rgb = color
    return frame


def pie_chart(slide: Any, name: str, categories: Sequence[str], values: Sequence[float | None], fmt: str,
              x: int, y: int, w: int, h: int, *, title: str | None = None, font_size: int = 12) -> Any:
    """A native pie: the values as given (counts), labels with the category and its share."""
    data = CategoryChartData(number_format=fmt)
    data.categories = safe(categories)
    data.add_series(safe([title or name])[0], list(values), number_format=fmt)
    frame = slide.shapes.add_chart(XL_CHART_TYPE.PIE, x, y, w, h, data)
    frame.name = name
    chart = frame.chart
    _chart_text(chart, font_size)
    _title(chart, title)
    chart.has_legend = True
    chart.legend.position, chart.legend.include_in_layout = XL_LEGEND_POSITION.RIGHT, False
    plot = chart.plots[0]
    plot.has_data_labels = True
    labels = plot.data_labels
    labels.show_percentage, labels.show_value, labels.show_category_name = True, False, False
    labels.number_format, labels.number_format_is_linked = "0.0%", False
    labels.position = XL_LABEL_POSITION.INSIDE_END
    labels.font.size, labels.font.bold = Pt(font_size + 1), True
    labels.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    for i, point in enumerate(plot.series[0].points):
        point.format.fill.solid()
        point.format.fill.fore_color.rgb = RGBColor.from_string(SERIES[i % len(SERIES)])
    return frame


def _title(chart: Any, title: str | None) -> None:
    chart.has_title = bool(title)
    if title:
        frame = chart.chart_title.text_frame
        frame.text = title
        for p in frame.paragraphs:
            for run in p.runs:
                run.font.size, run.font.bold, run.font.name = Pt(14), True, FONT


def table(slide: Any, name: str, header: Sequence[str], rows: Sequence[Sequence[str]], x: int, y: int, w: int,
          h: int, widths: Sequence[float] | None = None, font_size: int = 12) -> Any:
    """A native table: a header row, then the rows (text as given)."""
    frame = slide.shapes.add_table(len(rows) + 1, len(header), x, y, w, h)
    frame.name = name
    grid = frame.table
    if widths:
        total = sum(widths)
        for i, share in enumerate(widths):
            grid.columns[i].width = Emu(int(w * share / total))
    for r, values in enumerate([header, *rows]):
        grid.rows[r].height = Emu(int(h / (len(rows) + 1)))
        for c, value in enumerate(values):
            cell = grid.cell(r, c)
            cell.text = ""
            cell.margin_top = cell.margin_bottom = Inches(0.03)
            run = cell.text_frame.paragraphs[0].add_run()
            run.text = value
            _style(run, font_size, r == 0, RGBColor(0xFF, 0xFF, 0xFF) if r == 0 else TEXT)
    return frame


def picture(slide: Any, name: str, png: bytes, x: int, y: int, w: int | None = None, h: int | None = None) -> Any:
    shape = slide.shapes.add_picture(io.BytesIO(png), x, y, w, h)
    shape.name = name
    return shape


def notes(slide: Any, lines: Sequence[str]) -> None:
    frame = slide.notes_slide.notes_text_frame
    frame.text = ""
    for i, line in enumerate(lines):
        p = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = p.add_run()
        run.text = line
        run.font.size = Pt(12)
        run.font.name = FONT
