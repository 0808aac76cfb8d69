"""Reading a built deck back with python-pptx (shared by the deck tests; not a test module)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

from pptx import Presentation
from pptx.oxml.ns import qn

PERIOD = "2025Q3"
MEMBER = "S001"   # fixtures.synthetic: has a held and a rejected file in 2025Q3


def open_deck(data: bytes) -> Any:
    return Presentation(io.BytesIO(data))


def key(slide: Any) -> str:
    """The slide's key (deck.build names its title shape `title:<key>`)."""
    return slide.shapes.title.name.removeprefix("title:")


def by_key(prs: Any) -> dict[str, Any]:
    return {key(s): s for s in prs.slides}


def shape(slide: Any, name: str) -> Any:
    found = [s for s in slide.shapes if s.name == name]
    assert len(found) == 1, (name, [s.name for s in slide.shapes])
    return found[0]


def chart(slide: Any, name: str) -> Any:
    frame = shape(slide, f"chart:{name}")
    assert frame.has_chart
    return frame.chart


def series(chart: Any) -> dict[str, list[float | None]]:
    return {s.name: list(s.values) for s in chart.plots[0].series}


def values(chart: Any) -> list[float | None]:
    """The values of a chart's only series."""
    (only,) = chart.plots[0].series
    return list(only.values)


def categories(chart: Any) -> list[str]:
    return list(chart.plots[0].categories)


def texts(shape: Any) -> list[str]:
    return [p.text for p in shape.text_frame.paragraphs]


def notes(slide: Any) -> str:
    return slide.notes_slide.notes_text_frame.text


def all_text(data: bytes) -> Iterator[tuple[str, str]]:
    """(part name, text) of every XML part of the PPTX, and of every workbook embedded in it (chart data)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            blob = z.read(name)
            if name.endswith(".xlsx"):
                with zipfile.ZipFile(io.BytesIO(blob)) as inner:
                    for part in inner.namelist():
                        if part.endswith(".xml"):
                            yield f"{name}!{part}", inner.read(part).decode("utf-8")
            elif name.endswith((".xml", ".rels")):
                yield name, blob.decode("utf-8")


def runs_without_cjk_face(prs: Any, face: str) -> list[str]:
    """Text runs (slides, notes, charts) whose properties lack `<a:ea typeface=face>` or the Latin face."""
    bad = []
    roots = []
    for slide in prs.slides:
        roots.append(slide.shapes._spTree)
        roots.append(slide.notes_slide.shapes._spTree)
        roots += [s.chart._chartSpace for s in slide.shapes if s.has_chart]
    for root in roots:
        for run in root.iter(qn("a:r")):
            props = run.find(qn("a:rPr"))
            faces = {} if props is None else {child.tag: child.get("typeface") for child in props}
            if faces.get(qn("a:ea")) != face or faces.get(qn("a:latin")) != face:
                bad.append("".join(run.itertext()))
    return bad
