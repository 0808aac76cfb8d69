"""What every page needs, built once per run by app.py: `ctx = current()`.

PageContext carries the Warehouse (cached per warehouse version), the shared filters from the sidebar/URL,
the language, the selected quarter and presentation mode, plus cached shortcuts to the query layer.
Pages never filter, restrict to a scope or compute metrics: everything comes from `ctx.table/change/…`, with the
filters the query layer applies (query/), and the metrics each page offers come from query/metrics.toml.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import streamlit as st

from core.contract import PRODUCT_LINES_EN
from core.reference import FIRM_TYPES_EN
from dashboard import data
from dashboard.filters import View, query_string
from query import MIN_PEERS, Filters, Warehouse

CTX_KEY = "_xb_ctx"
PENDING_KEY = "_xb_pending"     # filter changes requested by a page, applied by app.py on the next run
TREND_QUARTERS = 8              # a single quarter's trend shows the two years up to it (同比 visible twice)
WITHHELD_NOTE = {
    "zh": f"已隐去：同业不足 {MIN_PEERS} 家（不含本公司）的地区、公司类型、季度的数据不计入合计、也不单独显示；"
          "同业不足的同业分布与排名不显示（保密规则）。",
    "en": f"Withheld: figures of a region, firm type and quarter with fewer than {MIN_PEERS} firms besides your own "
          "are left out of totals and not shown; peer spreads and ranks over too few firms are not shown "
          "(confidentiality).",
}


@dataclass(frozen=True)
class PageContext:
    wh: Warehouse
    filters: Filters            # as chosen: one quarter (period) or a range (period_from / period_to)
    lang: str                   # "zh" | "en"
    period: str | None          # the chosen quarter, or the last quarter of the range; None: empty warehouse
    present: bool               # presentation mode (joint meetings on a projector)
    periods: tuple[str, ...]    # every quarter the warehouse holds, ascending
    # This run's page state: the slide being drawn (ui.slide) and where the 已隐去 note was already shown.
    marks: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # --- filters derived from the choice -------------------------------------------------------------
    def at(self, period: str | None = None) -> Filters:
        """The shared filters restricted to one quarter (headline figures, rankings, maps)."""
        return dataclasses.replace(self.filters, period=period or self.period, period_from=None,
                                   period_to=None)

    def trend(self) -> Filters:
        """The shared filters over a range of quarters, for charts over time.

        A chosen range is used as is; a single quarter gets the TREND_QUARTERS quarters up to it.
        """
        if self.filters.period is None or self.period is None:
            return self.filters
        end = self.periods.index(self.period)
        start = self.periods[max(0, end - TREND_QUARTERS + 1)]
        return dataclasses.replace(self.filters, period=None, period_from=start, period_to=self.period)

    @property
    def is_range(self) -> bool:
        return self.filters.period is None and self.period is not None

    @property
    def view(self) -> View:
        return View(filters=self.filters, lang=self.lang, present=self.present)

    def link(self, extra: Mapping[str, str] | None = None) -> str:
        """`?…` query string that reopens this view (plus page-specific parameters)."""
        return query_string(self.view, extra)

    # --- metric metadata (names, units and definitions from the query layer, never retyped) ----------
    def metric(self, metric_id: str) -> Any:
        for m in self.wh.metrics:
            if m.id == metric_id:
                return m
        raise KeyError(metric_id)

    def has_metric(self, metric_id: str) -> bool:
        return any(m.id == metric_id for m in self.wh.metrics)

    def metric_name(self, metric_id: str) -> str:
        m = self.metric(metric_id)
        return m.zh if self.lang == "zh" else m.en

    def metric_unit(self, metric_id: str) -> str:
        m = self.metric(metric_id)
        return (m.unit_zh if self.lang == "zh" else m.unit_en) or ""

    def metric_definition(self, metric_id: str) -> str:
        m = self.metric(metric_id)
        return m.definition_zh if self.lang == "zh" else m.definition_en

    # --- cached query-layer calls (keyed by warehouse version + scope + arguments) --------------------
    # Under a member's scope the query layer leaves out cells with fewer than 5 firms besides the member's own
    # (`withheld`) and peer spreads over too few firms (`suppressed`); each result that did says so where it is shown.
    def noted(self, *frames: pl.DataFrame) -> None:
        """A visible 已隐去 note when any of `frames` left figures out for confidentiality: once a page (in the
        presentation view once a slide, each being a screen of its own), not once per query result."""
        if not any(c in f.columns and f[c].fill_null(False).any() for f in frames for c in ("withheld", "suppressed")):
            return
        where = self.marks.get("slide") if self.present else None
        shown = self.marks.setdefault("noted", set())
        if where not in shown:
            shown.add(where)
            st.caption(WITHHELD_NOTE[self.lang])

    def table(self, metrics: list[str] | tuple[str, ...], by: list[str] | tuple[str, ...],
              filters: Filters | None = None) -> pl.DataFrame:
        frame = data.table(self.wh, metrics, by, filters or self.filters)
        self.noted(frame)
        return frame

    def change(self, metric: str, by: list[str] | tuple[str, ...],
               filters: Filters | None = None) -> pl.DataFrame:
        frame = data.change(self.wh, metric, by, filters or self.at())
        self.noted(frame)
        return frame

    def changes(self, metrics: list[str] | tuple[str, ...], by: list[str] | tuple[str, ...],
                filters: Filters | None = None) -> dict[str, pl.DataFrame]:
        frames = data.changes(self.wh, metrics, by, filters or self.at())
        self.noted(*frames.values())
        return frames

    def movers(self, metric: str, filters: Filters | None = None, n: int = 10) -> pl.DataFrame:
        """The biggest 环比 moves by firm, per firm type, low-base firms flagged and unranked (`wh.movers`)."""
        return data.movers(self.wh, metric, filters or self.at(), n)

    def peers(self, metric: str, period: str | None = None, firm_type: str | None = None,
              low_base: bool | None = None) -> pl.DataFrame:
        """The peer group of `firm_type` (default: the chosen one); rows of the chosen firms only, if any."""
        firm_type = firm_type or self.filters.firm_type
        if firm_type is None:
            raise ValueError("peers() needs a firm type: peer groups are same type and period")
        frame = data.peers(self.wh, metric, period or self.period, firm_type, low_base, self.filters.firms)
        self.noted(frame)
        return frame

    def peer_groups(self, metrics: list[str] | tuple[str, ...], firm_type: str, period_from: str | None = None,
                    period_to: str | None = None, firms: tuple[str, ...] = ()) -> pl.DataFrame:
        """Peers for several metrics and quarters at once (default: the chosen quarter), long by metric, period;
        `firms`: only their rows, against the whole group."""
        return data.peer_groups(self.wh, metrics, firm_type, period_from or self.period, period_to or self.period,
                                firms)

    def anomalies(self, filters: Filters | None = None) -> pl.DataFrame:
        """The chosen quarter's anomalies among the chosen firms and regions."""
        return data.anomalies(self.wh, filters or self.at())

    def submissions(self, filters: Filters | None = None) -> pl.DataFrame:
        """Files received for the filters' quarter(s) and firms (default: every file)."""
        return data.submissions(self.wh, filters or Filters())

    def localise(self, frame: pl.DataFrame) -> pl.DataFrame:
        """For display in English: region and province names from the reference table's name_en, product lines
        and firm types from the contract's English names.

        Display only (charts, on-screen tables); exports keep the query layer's columns untouched.
        """
        if self.lang == "zh":
            return frame
        for column, names in (("product_line", PRODUCT_LINES_EN), ("firm_type", FIRM_TYPES_EN)):
            if column in frame.columns:
                frame = frame.with_columns(pl.col(column).cast(pl.Utf8).replace(names))
        regions = self.regions()
        # A region row's English name says what it counts (Guangdong (excl. Shenzhen)); a province roll-up's is
        # the plain name: both from the query layer's region dimension.
        for code, name, english_column in (("region_code", "region_name", "name_en"),
                                           ("province_code", "province_name", "plain_name_en")):
            if code in frame.columns and name in frame.columns:
                english = dict(zip(regions["region_code"].to_list(), regions[english_column].to_list(), strict=True))
                frame = frame.with_columns(
                    pl.col(code).replace_strict(english, default=pl.col(name), return_dtype=pl.Utf8).alias(name))
        return frame

    def firms(self, filters: Filters | None = None) -> pl.DataFrame:
        """The registry, kept to the filters' firm type and firms (default: every firm)."""
        return data.firms(self.wh, filters)

    def regions(self) -> pl.DataFrame:
        return data.regions(self.wh)


def current() -> PageContext:
    """The context app.py built for this run. Pages call it first."""
    return st.session_state[CTX_KEY]


def publish(ctx: PageContext) -> None:
    """app.py: make the context of this run available to the page."""
    st.session_state[CTX_KEY] = ctx


def request_filters(**changes: Any) -> None:
    """Change shared filters from a page (e.g. a click on a map province) and rerun.

    Keys: period, period_from, period_to, firm_type, firms, provinces, regions (values as in Filters).
    The sidebar widgets take the new values on the next run, so the URL and every other page follow.
    """
    allowed = {"period", "period_from", "period_to", "firm_type", "firms", "provinces", "regions"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown filter(s): {sorted(unknown)}")
    st.session_state[PENDING_KEY] = {**st.session_state.get(PENDING_KEY, {}), **changes}
    st.rerun()
