"""Reading what an AppTest run shows: headline tiles, Plotly specs, dataframes, and the app's error message. Expected
values in the page tests come from the query layer and are formatted with the same functions the pages use."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import polars as pl

from auth.model import User
from dashboard import format as fmt
from dashboard.charts.labels import value_text
from query import Filters, Warehouse

PAGE_ERROR_ZH = "抱歉，本页面暂时无法显示"
# Who AppTest runs are logged in as (dashboard.session.user replaced: AppTest has no browser and no cookie).
SECRETARIAT = User(username="test-secretariat", role="secretariat", name="测试秘书处")
ANALYST = User(username="test-analyst", role="analyst")


def member(firm_id: str, username: str = "test-member") -> User:
    return User(username=username, role="member", firm_id=firm_id)


def log_in(monkeypatch, user: User | None) -> None:
    """Every AppTest run of this test is logged in as `user` (None: nobody, the login gate stops the app)."""
    from dashboard import session

    monkeypatch.setattr(session, "user", lambda: user)


def metric(wh: Warehouse, metric_id: str):
    return next(m for m in wh.metrics if m.id == metric_id)


def expected_headline(wh: Warehouse, metric_id: str, filters: Filters, lang: str = "zh") -> str:
    """What the headline of `metric_id` must read: the query layer's association value, formatted."""
    value = wh.change(metric_id, by=[], filters=filters)["value"][0]
    m = metric(wh, metric_id)
    return value_text(value, m.unit_zh if lang == "zh" else m.unit_en, lang)


def headline(at, label: str) -> str:
    (found,) = [m.value for m in at.metric if m.label == label]
    return found


def metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def figure(at, key: str) -> dict:
    (chart,) = [c for c in at.get("plotly_chart") if c.key == key]
    return json.loads(chart.proto.spec)


def bars_of(fig: dict) -> dict[str, float]:
    (trace,) = fig["data"]
    return dict(zip(trace["y"], trace["x"], strict=True))


def frame_of(at, index: int) -> pl.DataFrame:
    return pl.from_pandas(at.dataframe[index].value)


def shown(metric, value) -> str:
    """A metric value as the pages show it (dashboard.ui.fmt_metric's rule)."""
    return fmt.fmt_pct(value, "zh") if metric.unit_zh == "%" else fmt.fmt_value(value, metric.unit_zh, "zh")


def sections_of(page: str) -> list[str | None]:
    """The section keys of dashboard/views/`page` (its `Section("key", …)` calls, in order), or [None] for a page
    without sections: a test that must see all of a page runs it once per section (only the open one is drawn)."""
    source = (Path(__file__).resolve().parents[2] / "dashboard" / "views" / page).read_text(encoding="utf-8")
    keys = [node.args[0].value for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Section"
            and node.args and isinstance(node.args[0], ast.Constant)]
    return keys or [None]


def no_traceback(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not [e for e in at.error if PAGE_ERROR_ZH in e.value], [e.value for e in at.error]


# ── member scope: what a run shows, and the names of the firms a member may not see ───────────────────────────
def other_firms(registry: pl.DataFrame, own: str) -> set[str]:
    """Every id, legal name, short name and alias of the registry's firms other than `own`."""
    tokens: set[str] = set()
    for row in registry.filter(pl.col("firm_id") != own).iter_rows(named=True):
        tokens |= {row["firm_id"], row["name"], row["short_name"], *(row["aliases"] or "").split("|")}
    return {t for t in tokens if t}


def run_texts(at) -> list[tuple[str, str]]:
    """Everything a run sends to the browser that can hold a name, as (element type, text): every element's
    protobuf as JSON (labels, options, captions, values, help), each dataframe's every cell and column, each
    chart's Plotly spec (hover text and customdata included), and the URL's query parameters ("query_params")."""
    from google.protobuf.json_format import MessageToDict

    out: list[tuple[str, str]] = []

    def walk(node) -> None:
        kind = getattr(node, "type", None)
        proto = getattr(node, "proto", None)
        if kind == "dataframe":
            frame = node.value
            out.append((kind, ",".join(map(str, frame.columns)) + "\n" + frame.to_csv(index=False)))
        elif kind == "plotly_chart":
            out.append((kind, json.dumps(json.loads(proto.spec), ensure_ascii=False)))
        elif proto is not None:
            out.append((str(kind), json.dumps(MessageToDict(proto), ensure_ascii=False)))
        children = getattr(node, "children", None)
        for child in (children.values() if isinstance(children, dict) else []):
            walk(child)

    walk(at._tree)
    out.append(("query_params", json.dumps({k: at.query_params[k] for k in at.query_params}, ensure_ascii=False)))
    return out


def download_texts(data: bytes, file_name: str) -> str:
    """A downloaded file as text to search: CSV / JSON as is, XLSX every XML part, Parquet every cell."""
    import io
    import zipfile

    if zipfile.is_zipfile(io.BytesIO(data)):  # xlsx, pptx (and the workbooks inside its charts): every part
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(download_texts(z.read(n), n) for n in z.namelist())
    if file_name.endswith(".parquet"):
        frame = pl.read_parquet(io.BytesIO(data))
        return ",".join(frame.columns) + "\n" + frame.write_csv()
    return data.decode("utf-8-sig", "replace")
