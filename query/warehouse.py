"""The read-only query layer over the current warehouse snapshot: every metric defined once (query/sql/),
any combination of dimensions, filters bound as parameters, change over time, peers, anomalies.

A `Warehouse` resolves `current` once and loads that snapshot into an in-memory DuckDB database, so a
concurrent ingest never shows half a write and every query runs on memory. The dashboard keeps one per
warehouse version. Dimension and metric names are checked against whitelists; user values are only ever
bound parameters.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl

from core import layout
from core.contract import SHEETS_BY_ID
from core.quarters import shift
from core.reference import FIRM_TYPES, REGISTRY_COLUMNS, load_regions
from query import catalog, firm_status, pseudonyms
from query.filters import MIN_PEERS, Filters, Scope

DIMS: dict[str, tuple[str, ...]] = {
    "firm": ("firm_id", "firm_name"), "firm_type": ("firm_type",), "region": ("region_code", "region_name"),
    "province": ("province_code", "province_name"), "period": ("period",), "year": ("year",),
    "product_line": ("product_line",),
}
TIME_COLUMNS = ("period", "year")
SUBMISSION_COLUMNS = ("submission_id", "file_name", "sha256", "firm_id", "firm_name", "firm_name_raw", "period",
                      "version", "basis", "received_at", "filled_on", "status", "superseded_by", "stored_file",
                      "reasons", "issues_json", "n_errors", "n_warnings", "status_note", "filler", "phone")
ANOMALY_HISTORY = 8  # quarters of a cell's own history that make its baseline
ANOMALY_MIN_HISTORY = 4
ANOMALY_Z = 3.5  # robust z-score above which a jump is listed
ANOMALY_MIN_JUMP = 10  # and at least this many complaints above the baseline
MOVERS = 10  # firms per firm type in the biggest movers
FIRM_TYPE_ORDER = {t: i for i, t in enumerate(FIRM_TYPES)}  # the order firm types are shown in: 财产险, 人身险


# The peer position shown as "优于 X% 同业 / better than X% of peers" (column better_than_share).
BETTER_THAN_DEFINITION = {
    "zh": "在同类型、同季度有数值的其他同业公司中，本公司在该指标上优于其中的比例（按指标方向：投诉类越低越好，"
          "办结率、调解成功率等越高越好）；数值相同的同业各算一半；同业组只有本公司一家、或指标无优劣方向时不显示。",
    "en": "Of the other firms of the same type with a value in the same quarter, the share this firm beats on the "
          "metric in its direction (lower is better for complaint rates, higher for resolution and mediation "
          "rates); a tie counts half; no value when the firm is alone in its group or the metric has no direction.",
}


def better_than(value: pl.Expr, n: pl.Expr, direction: str | None) -> pl.Expr:
    """Share of the OTHER firms of the period's group (those with a value) that `value` beats in `direction`,
    ties counting half: with r the average ascending rank among n values, (r − 1)/(n − 1) when higher is
    better, (n − r)/(n − 1) when lower is; no value for a group of one, a missing value or no direction."""
    if direction not in ("lower", "higher"):
        return pl.lit(None, pl.Float64)
    r = value.rank("average").over("period").cast(pl.Float64)
    beaten = r - 1 if direction == "higher" else n.cast(pl.Float64) - r
    return pl.when(value.is_not_null() & (n > 1)).then(beaten / (n.cast(pl.Float64) - 1)).cast(pl.Float64)


T = TypeVar("T")


def at_once(calls: list[Callable[[], T]]) -> list[T]:
    """The calls' results, in order; two or more run side by side in threads (independent statements, each on its
    own cursor: DuckDB runs them together, which on 2 cores took a table of three datasets from 72 to 45 ms)."""
    if len(calls) < 2:
        return [call() for call in calls]
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


class QueryError(ValueError):
    """A request the layer cannot answer (unknown metric or dimension …); the message is Chinese."""


def _sql(name: str) -> str:
    return (catalog.SQL / f"{name}.sql").read_text(encoding="utf-8")


def _without(filters: Filters, name: str) -> Filters:
    """The filters with one of the tuple filters (firms, provinces, regions) dropped."""
    return Filters(**{**vars(filters), name: ()})


# What a member is told when a filter names a firm it may not choose: one message whatever the value, so that it
# never says whether such a firm exists.
REFUSED_FIRM = "只能按本公司（或页面上显示的同业代号）筛选公司。"
REFUSED_AGGREGATE = "合计只能按本公司筛选：多家同业的合计可相减得出单家公司的数据。"
# The finest grain of each dataset's figures other than the firm: every aggregate is a union of these cells.
ATOMS = {dataset: ("period", "firm_type", "region_code", *(("product_line",) if dataset == "complaints_by_line"
                                                           else ())) for dataset in layout.FACT_DATASETS}
KEYS = ("period", "firm_id", "region_code", "product_line", "year", "quarter")
LOADED = "snapshot_facts"  # the compressed in-memory database holding the fact datasets (Warehouse._load)
LOAD_FILES = 40  # Parquet files (quarters) read into it per batch before the batch is compressed (1×: one batch)
ATOM_QUARTERS = 8  # quarters of cells counted per statement by _ensure_atoms (bounds its memory)


class Warehouse:
    def __init__(self, path: Path | str, scope: Scope | None = None, low_base: dict[str, float] | None = None):
        self.path = Path(path)
        self.scope = scope or Scope()
        self.thresholds = {**catalog.LOW_BASE, **(low_base or {})}
        self.snapshot = layout.current_snapshot(self.path)
        self.version = self.snapshot.name if self.snapshot else None
        self.metrics = list(catalog.metrics())
        self._con = duckdb.connect(":memory:")
        self._periods: list[str] | None = None
        self._as_of: dict | None = None   # as_of(), read once (a snapshot never changes)
        self._load()
        self._firm_ids = self._query("SELECT firm_id FROM firms ORDER BY firm_id")["firm_id"].to_list()
        self._shared: dict = {"lock": threading.Lock(), "atoms": False}  # shared by every scoped() twin
        self._pseudonyms = self._pseudonyms_for(self.scope)

    def scoped(self, scope: Scope) -> Warehouse:
        """The same loaded snapshot under another Scope (the dashboard keeps one load and a twin per user)."""
        twin = copy.copy(self)
        twin.scope = scope
        twin._pseudonyms = self._pseudonyms_for(scope)
        twin._as_of = None   # a member's as-of counts its accepted files only
        return twin

    def _pseudonyms_for(self, scope: Scope) -> dict[str, str]:
        if scope.firm_id is None or not self._firm_ids:
            return {}
        return pseudonyms.assign(self._firm_ids, scope.firm_id, pseudonyms.key(self.path))

    @property
    def member(self) -> str | None:
        """The member firm this Warehouse answers for (None: the secretariat or an analyst, who see all)."""
        return self.scope.firm_id

    # ── loading ─────────────────────────────────────────────────────────────────────────────────────────────
    def _load(self) -> None:
        """The snapshot's fact datasets into a compressed in-memory database (LOADED), read by DuckDB straight from
        the Parquet files in period order (so each row group's min/max of period skips the quarters a query does
        not ask for), LOAD_FILES files at a time, each batch compressed (CHECKPOINT) before the next is read: at
        25 years × 1000 firms the 18M product-line rows take ~70 MiB instead of 1.5 GiB, and no more than a batch
        is ever held uncompressed. The main database sees each as a view of the same name."""
        snap = self.snapshot
        self._con.execute(f"ATTACH ':memory:' AS {LOADED} (COMPRESS)")
        for dataset in layout.FACT_DATASETS:  # dataset: a fixed list, never user text
            files = [str(f) for f in layout.dataset_files(snap, dataset)] if snap else []
            for start in range(0, len(files), LOAD_FILES):
                verb = f"CREATE TABLE {LOADED}.{dataset} AS" if start == 0 else f"INSERT INTO {LOADED}.{dataset}"
                # the columns as polars reads them: the file's, then the partition keys year, quarter (BIGINT)
                self._con.execute(f"""{verb} SELECT * EXCLUDE (year, quarter), year, quarter
                    FROM read_parquet($files, hive_partitioning = true,
                                      hive_types = {{'year': BIGINT, 'quarter': BIGINT}})""",
                                  {"files": files[start:start + LOAD_FILES]})
                self._con.execute(f"CHECKPOINT {LOADED}")
            if not files:
                schema = SHEETS_BY_ID[dataset].schema()
                self._con.register("incoming", pl.DataFrame(schema={**schema, "year": pl.Int64, "quarter": pl.Int64}))
                self._con.execute(f"CREATE TABLE {LOADED}.{dataset} AS SELECT * FROM incoming")
                self._con.unregister("incoming")
            self._con.execute(f"CREATE VIEW {dataset} AS SELECT * FROM {LOADED}.{dataset}")
        firms = pl.read_parquet(snap / layout.FIRMS) if snap and (snap / layout.FIRMS).exists() else \
            pl.DataFrame(schema={c: pl.Utf8 for c in REGISTRY_COLUMNS})
        regions = pl.read_parquet(snap / layout.REGIONS) if snap and (snap / layout.REGIONS).exists() \
            else load_regions()
        for name, frame in (("firms", firms), ("regions", regions)):
            self._con.register("incoming", frame)
            self._con.execute(f"CREATE TABLE {name} AS SELECT * FROM incoming")
            self._con.unregister("incoming")
        self._con.execute(_sql("region_dim"))
        for dataset in layout.FACT_DATASETS:
            self._con.execute(_sql("base").replace("{dataset}", dataset))

    def _query(self, sql: str, params: dict | None = None) -> pl.DataFrame:
        cursor = self._con.cursor()  # one cursor per query: the connection is shared across threads
        try:
            return cursor.sql(sql, params=params or None).pl()
        finally:
            cursor.close()

    # ── reference ───────────────────────────────────────────────────────────────────────────────────────
    def periods(self) -> list[str]:
        if self._periods is None:  # a snapshot never changes: ask once
            sql = " UNION ".join(f"SELECT DISTINCT period FROM {d}" for d in layout.FACT_DATASETS)
            self._periods = sorted(self._query(sql)["period"].to_list())
        return list(self._periods)

    def firms(self, filters: Filters | None = None) -> pl.DataFrame:
        """The registry: firm_id, name, short_name, firm_type; kept to the filters' firm type and firms. A member's
        registry is its own firm alone: the firms it may choose (sidebar, URL, peer focus) and benchmark."""
        frame = self._query("SELECT firm_id, name, short_name, firm_type FROM firms ORDER BY firm_id")
        if self.member is not None:
            frame = frame.filter(pl.col("firm_id") == self.member)
        return self._select(frame, filters).sort("firm_id")

    def regions(self) -> pl.DataFrame:
        """region_name / name_en: the name of the region's own rows (广东省（不含深圳）: the province row leaves its
        separately supervised city out); plain_name / plain_name_en: the reference name (广东省), which is also
        the province dimension's province_name / province_name_en (figures rolled up, the city included)."""
        return self._query("""SELECT region_code, region_name, name_en, plain_name, plain_name_en, kind,
                                     province_code, province_name, province_name_en, population, counties
                              FROM region_dim ORDER BY region_code""")

    def metric(self, metric_id: str) -> catalog.Metric:
        try:
            return catalog.by_id()[metric_id]
        except KeyError:
            raise QueryError(f"未知指标“{metric_id}”。可用指标：{'、'.join(m.id for m in self.metrics)}") from None

    # ── the table ───────────────────────────────────────────────────────────────────────────────────────
    def table(self, metrics: list[str] | tuple[str, ...], by: list[str] | tuple[str, ...] = (),
              filters: Filters | None = None) -> pl.DataFrame:
        """Dimension columns (in `by` order), then one column per metric, then `<metric>__low_base` flags."""
        return self._table(list(metrics), list(by), filters or Filters(), self.thresholds)

    def _table(self, metric_ids: list[str], by: list[str], filters: Filters, thresholds: dict) -> pl.DataFrame:
        if not metric_ids:
            raise QueryError("至少选择一个指标")
        metrics = [self.metric(m) for m in dict.fromkeys(metric_ids)]
        for d in by:
            if d not in DIMS:
                raise QueryError(f"未知维度“{d}”。可用维度：{'、'.join(DIMS)}")
        by = list(dict.fromkeys(by))
        if "product_line" in by and any(m.dataset != "complaints_by_line" for m in metrics):
            raise QueryError("险种（product_line）维度只适用于分险种投诉件数（complaints）")
        dims = [c for d in by for c in DIMS[d]]
        filters = self._firm_filter(filters, aggregate="firm_id" not in dims)
        restricted = self._restricted(dims, filters)
        if restricted:
            self._ensure_atoms()
        statements = [self.sql(dataset, [m for m in metrics if m.dataset == dataset], dims, filters, thresholds)
                      for dataset in dict.fromkeys(m.dataset for m in metrics)]
        frames = at_once([functools.partial(self._query, sql, params) for sql, params in statements])
        # A firm's rows carry its firm_type too (the complaint index's peer group): a key like the dims, since it
        # follows from the firm; joined on, it is not duplicated by the third dataset's join.
        keys = list(dict.fromkeys([*dims, *(["firm_type"] if "firm_id" in dims else [])]))
        result = frames[0]
        for frame in frames[1:]:
            result = (result.join(frame, on=keys, how="full", coalesce=True, nulls_equal=True) if dims
                      else pl.concat([result, frame], how="horizontal"))
        flags = [f"{m.id}__low_base" for m in metrics if m.low_base]
        if restricted:
            result = self._suppress(result, metrics, aggregate="firm_id" not in dims)
        if self.member is not None and "firm_id" in dims:
            result = self._guard_index(result, [m for m in metrics if m.kind == "index"], dims)
        result = result.select([*dims, *(m.id for m in metrics), *flags, *(["withheld"] if restricted else [])])
        return self._pseudonymise(result.sort(dims, nulls_last=True) if dims else result)

    def sql(self, dataset: str, metrics: list[catalog.Metric], dims: list[str], filters: Filters,
            thresholds: dict | None = None) -> tuple[str, dict]:
        """The SQL and bound parameters of one dataset's part of a table (also used bare by bench/queries.py)."""
        thresholds = thresholds or self.thresholds
        where, params = self._where(filters)
        time_dims = [c for c in dims if c in TIME_COLUMNS]
        peer_group = ", ".join(["firm_type", *time_dims])
        group = list(dict.fromkeys([*dims, *(["firm_type"] if "firm_id" in dims else [])]))
        columns = []
        for m in metrics:
            if m.kind == "across_firms":
                continue
            expr = m.sql.replace("{peer_group}", peer_group)
            if m.kind == "index" and "firm_id" not in dims:
                expr = "CAST(NULL AS DOUBLE)"  # the complaint index compares a firm with its peer group
            kind = "BIGINT" if m.kind in ("count", "stock") else "DOUBLE"  # DuckDB sums integers as HUGEINT
            columns.append(f"CAST({expr} AS {kind}) AS {m.id}")
            if m.low_base:
                tests = []
                for base in m.low_base:
                    params[f"lb_{base}"] = thresholds[base]
                    tests.append(f"coalesce(sum({base}), 0) < $lb_{base}")
                columns.append(f"({' OR '.join(tests)}) AS {m.id}__low_base")
        source = f"base_{dataset}"
        if self._restricted(dims, filters):
            # A member: other firms' figures only from cells with MIN_PEERS firms besides its own (its own always).
            # The other rows stay, their figures nulled, so that a group left out whole still shows (no value) and
            # every group says whether something was left out (__withheld).
            measures = [c for c in SHEETS_BY_ID[dataset].schema() if c not in KEYS]
            nulled = ", ".join(f"CASE WHEN __safe THEN {c} END AS {c}" for c in measures)
            reported = " OR ".join(f"{c} IS NOT NULL" for c in measures)
            source = (f"(SELECT * REPLACE ({nulled}), (NOT __safe AND ({reported})) AS __held FROM "
                      f"(SELECT *, (firm_id = $scope_firm OR {self._safe(dataset)}) AS __safe FROM base_{dataset}))")
            params |= {"scope_firm": self.member, "min_peers": MIN_PEERS}
            columns += [f"count(DISTINCT firm_id) FILTER (WHERE __safe) AS __n_firms_{dataset}",
                        (f"count(DISTINCT firm_id) FILTER (WHERE __safe AND firm_id <> $scope_firm) "
                        f"AS __n_others_{dataset}"), f"coalesce(bool_or(__held), FALSE) AS __withheld_{dataset}"]
        else:
            columns.append(f"count(DISTINCT firm_id) AS __n_firms_{dataset}")
        latest = ", ".join(["firm_id", "region_code", *time_dims])
        # is_latest: the row is its firm × region's latest quarter of the group (stocks count that quarter only).
        # When each group holds one quarter (one asked for, or the quarter a dimension) every row is, and the
        # window that finds it is left out: it was most of such a query's time at 10× the data.
        one_quarter = filters.period is not None or "period" in time_dims
        is_latest = "period IS NOT NULL" if one_quarter else f"period = max(period) OVER (PARTITION BY {latest})"
        regional = ", ".join(dict.fromkeys([*dims, "region_code"]))
        select_group = ", ".join(group)
        sql = f"""
WITH filtered AS (
    SELECT * FROM {source} WHERE {where}
),
marked AS (
    SELECT
        *,
        {is_latest} AS is_latest,
        -- one row of each region of the group (any: its population is the region's), to count it once
        row_number() OVER (PARTITION BY {regional}) = 1 AND population IS NOT NULL AS region_first
    FROM filtered
),
final AS (
    SELECT {select_group + ',' if group else ''}
        {', '.join(columns)}
    FROM marked
    {'GROUP BY ' + select_group if group else ''}
)
SELECT * FROM final"""
        across = [m for m in metrics if m.kind == "across_firms"]
        if across:
            assert across[0].of is not None  # the catalog gives every across_firms metric its per-firm `of`
            per_firm = self.metric(across[0].of).sql
            dim_list = ", ".join(dims)
            per_group = ", ".join(dict.fromkeys([*dims, "firm_id"]))
            aggs = ", ".join(f"{m.aggregate}(v) AS {m.id}" for m in across)
            sql = f"""
WITH main AS ({sql}),
filtered AS (SELECT * FROM {source} WHERE {where}),
marked AS (
    SELECT *, {is_latest} AS is_latest FROM filtered
),
per_firm AS (
    SELECT {per_group}, CAST({per_firm} AS DOUBLE) AS v FROM marked GROUP BY {per_group}
),
across AS (
    SELECT {dim_list + ',' if dims else ''} {aggs} FROM per_firm {'GROUP BY ' + dim_list if dims else ''}
),
final AS (
    SELECT main.*, {', '.join('across.' + m.id for m in across)}
    FROM main {'JOIN across USING (' + dim_list + ')' if dims else 'CROSS JOIN across'}
)
SELECT * FROM final"""
        return sql, params

    @staticmethod
    def _where(f: Filters) -> tuple[str, dict]:
        clauses: list[str] = ["TRUE"]
        params: dict[str, object] = {}
        for column, name, value, op in (("period", "period", f.period, "="),
                                        ("period", "period_from", f.period_from, ">="),
                                        ("period", "period_to", f.period_to, "<="),
                                        ("firm_type", "firm_type", f.firm_type, "=")):
            if value is not None:
                clauses.append(f"{column} {op} ${name}")
                params[name] = value
        for column, name, values in (("firm_id", "firms", f.firms), ("region_code", "regions", f.regions),
                                     ("province_code", "provinces", f.provinces)):
            if values:
                clauses.append(f"list_contains(${name}, {column})")
                params[name] = list(values)
        return " AND ".join(clauses), params

    # ── selection ───────────────────────────────────────────────────────────────────────────────────────
    # Results computed over more than the filters keep (an anomaly's baseline uses the firm's other regions, a
    # peer group every firm of its type) are selected afterwards, here, on the real firm ids: pages never filter.
    def _select(self, frame: pl.DataFrame, filters: Filters | None, keep_unknown: bool = False) -> pl.DataFrame:
        """Rows kept to the filters' firm type, firms, provinces and regions (the same rule as `table()`'s WHERE:
        every filter given must hold), on the columns the frame has. `keep_unknown`: rows whose firm is not known
        (null firm_id) stay, since they could be any firm's."""
        if filters is None:
            return frame
        f = self._unpseudonymise(filters)
        if "firm_id" in frame.columns and (f.firms or f.firm_type):
            where, params = self._where(Filters(firm_type=f.firm_type, firms=f.firms))
            ids = self._query(f"SELECT firm_id FROM firms WHERE {where}", params)["firm_id"].to_list()
            chosen = pl.col("firm_id").is_in(ids)
            frame = frame.filter(chosen | pl.col("firm_id").is_null() if keep_unknown else chosen)
        if "region_code" in frame.columns and (f.regions or f.provinces):
            where, params = self._where(Filters(regions=f.regions, provinces=f.provinces))
            codes = self._query(f"SELECT region_code FROM region_dim WHERE {where}", params)["region_code"]
            frame = frame.filter(pl.col("region_code").is_in(codes.to_list()))
        return frame

    # ── confidentiality ─────────────────────────────────────────────────────────────────────────────────
    def _pseudonymise(self, frame: pl.DataFrame, extra_names: tuple[str, ...] = ()) -> pl.DataFrame:
        if self.scope.firm_id is None or "firm_id" not in frame.columns:
            return frame
        mapping = self._pseudonyms
        own = pl.col("firm_id") == self.scope.firm_id
        names = [c for c in ("firm_name", *extra_names) if c in frame.columns]
        return frame.with_columns(
            *[pl.when(own).then(pl.col(c)).otherwise(pl.col("firm_id").replace_strict(
                mapping, default=pl.lit("同业"), return_dtype=pl.Utf8)).alias(c) for c in names],
            pl.when(own).then(pl.col("firm_id")).otherwise(
                pl.col("firm_id").replace_strict(mapping, default=pl.lit("同业"), return_dtype=pl.Utf8))
            .alias("firm_id"))

    def _firm_filter(self, filters: Filters, aggregate: bool = False) -> Filters:
        """A member's firm filter in real ids. It may name its own firm and the pseudonyms it is shown; any other
        value (another firm's real id, an unknown id) is refused with one message (REFUSED_FIRM), so the answer
        never tells whether that firm exists. An aggregate (no firm dimension) may be kept to its own firm only:
        the totals of two sets of peers differing by one firm would give that firm's figures (REFUSED_AGGREGATE)."""
        if self.member is None or not filters.firms:
            return filters
        back = {v: k for k, v in self._pseudonyms.items()}
        real = []
        for f in filters.firms:
            if f == self.member or f in back:
                real.append(self.member if f == self.member else back[f])
            else:
                raise QueryError(REFUSED_FIRM)
        if aggregate and set(real) != {self.member}:
            raise QueryError(REFUSED_AGGREGATE)
        return replace(filters, firms=tuple(dict.fromkeys(real)))

    def _unpseudonymise(self, filters: Filters) -> Filters:
        return self._firm_filter(filters)

    def _restricted(self, dims: list[str], filters: Filters) -> bool:
        """A member's result that may hold other firms' figures (not its own firm's alone): other firms' rows are
        taken from safe cells only (a cell: quarter × firm type × region [× product line], ATOMS), its own always.
        Every figure a member sees is then a function of its own rows and of cells with MIN_PEERS firms besides
        its own; no difference of two results can isolate fewer."""
        return self.member is not None and filters.firms != (self.member,)

    def prepare_scopes(self) -> None:
        """Make now what a member's first query would otherwise wait for (the cells and their firms, a few
        seconds at ten years × 250 firms); the dashboard calls it in the background when it opens a snapshot."""
        self._ensure_atoms()

    def _ensure_atoms(self) -> None:
        """atoms_<dataset>: per finest cell (ATOMS: quarter × firm type × region [× product line]) the number of
        firms that reported a figure in it, and which firms only where there are at most MIN_PEERS: only there can
        the member asking decide whether a cell is safe (a cell of more firms has MIN_PEERS besides anyone's own).
        Made once per loaded snapshot, at a member's first aggregate, ATOM_QUARTERS quarters per statement: the
        distinct firms of every cell at once were 1.3 GiB at 25 years × 1000 firms (the product-line rows), and
        every cell's list of firms 200 MiB more kept."""
        with self._shared["lock"]:
            if self._shared["atoms"]:
                return
            periods = self.periods()
            spans = [(periods[i], periods[min(i + ATOM_QUARTERS, len(periods)) - 1])
                     for i in range(0, len(periods), ATOM_QUARTERS)] or [("", "")]
            cursor = self._con.cursor()
            try:
                for dataset in layout.FACT_DATASETS:
                    keys = ", ".join(ATOMS[dataset])
                    reported = " OR ".join(f"{c} IS NOT NULL" for c in SHEETS_BY_ID[dataset].schema() if c not in KEYS)
                    for i, (first, last) in enumerate(spans):
                        verb = f"INSERT INTO atoms_{dataset}" if i else f"CREATE OR REPLACE TABLE atoms_{dataset} AS"
                        cursor.execute(f"""{verb}
                            SELECT {keys}, n, CASE WHEN n <= {MIN_PEERS:d} THEN firms END AS firms FROM (
                                SELECT {keys}, count(DISTINCT firm_id) AS n, list(DISTINCT firm_id) AS firms
                                FROM base_{dataset} WHERE ({reported}) AND period BETWEEN $first AND $last
                                GROUP BY {keys})""", {"first": first, "last": last})
            finally:
                cursor.close()
            self._shared["atoms"] = True

    @staticmethod
    def _safe(dataset: str) -> str:
        """SQL: the row of base_<dataset> lies in a cell with at least $min_peers (= MIN_PEERS) firms besides
        $scope_firm (a cell without its list of firms has more than MIN_PEERS: safe whoever asks)."""
        on = " AND ".join(f"a.{c} = base_{dataset}.{c}" for c in ATOMS[dataset])
        return (f"EXISTS (SELECT 1 FROM atoms_{dataset} a WHERE {on} AND a.n - CASE WHEN "
                f"list_contains(a.firms, $scope_firm) THEN 1 ELSE 0 END >= $min_peers)")

    def _suppress(self, frame: pl.DataFrame, metrics: list[catalog.Metric], aggregate: bool) -> pl.DataFrame:
        """A member's rows: `withheld` says whether any figure of the row was left out for confidentiality. An
        aggregate row over fewer than MIN_PEERS firms besides the member's own shows no value (nor low-base flag):
        a cell of its own figures with a peer or two left out would otherwise read as a total."""
        withheld = pl.any_horizontal([pl.col(c).fill_null(False) for c in frame.columns
                                      if c.startswith("__withheld_")] or [pl.lit(False)])
        if not aggregate:
            return frame.with_columns(withheld.alias("withheld"))
        out = []
        for m in metrics:
            others = f"__n_others_{m.dataset}"
            few = pl.col(others).fill_null(0) < MIN_PEERS if others in frame.columns else pl.lit(False)
            out += [pl.when(few).then(None).otherwise(pl.col(c)).alias(c)
                    for c in (m.id, f"{m.id}__low_base") if c in frame.columns]
            firms = f"__n_firms_{m.dataset}"
            withheld = withheld | (few & (pl.col(firms).fill_null(0) > 0) if firms in frame.columns
                                   else pl.lit(False))
        return frame.with_columns(*out, withheld.alias("withheld"))

    def _guard_index(self, frame: pl.DataFrame, metrics: list[catalog.Metric], dims: list[str]) -> pl.DataFrame:
        """A member's per-firm complaint index compares a firm with its peer group's totals: no value where that
        group (firm type × the time dimensions) holds fewer than MIN_PEERS firms besides the member's own."""
        if not metrics or frame.height == 0:
            return frame
        group = ["firm_type", *(c for c in dims if c in TIME_COLUMNS)]
        others = pl.col("firm_id").filter(pl.col("firm_id") != self.member).n_unique().over(group)
        return frame.with_columns([pl.when(others >= MIN_PEERS).then(pl.col(m.id)).alias(m.id) for m in metrics])

    def _by_dataset(self, metrics: list[str] | tuple[str, ...]) -> list[list[str]]:
        """The metrics (each once, in order) grouped by the dataset they aggregate: a metric's rows are the groups
        its own dataset has, so tables of several metrics are asked for one dataset at a time."""
        groups: dict[str, list[str]] = {}
        for m in dict.fromkeys(metrics):
            groups.setdefault(self.metric(m).dataset, []).append(m)
        return list(groups.values())

    # ── change over time ────────────────────────────────────────────────────────────────────────────────
    def change(self, metric: str, by: list[str] | tuple[str, ...] = (), filters: Filters | None = None
               ) -> pl.DataFrame:
        """环比 and 同比 for `metric` at the grain `by`: value, prev_quarter, qoq_abs, qoq_pct, prev_year, yoy_abs,
        yoy_pct; no value where the base is missing or zero. With `period` in `by`, every quarter of the range;
        otherwise the last quarter of the filters."""
        return self.changes([metric], by, filters)[metric]

    def changes(self, metrics: list[str] | tuple[str, ...], by: list[str] | tuple[str, ...] = (),
                filters: Filters | None = None) -> dict[str, pl.DataFrame]:
        """`change()` of several metrics from one table query per dataset: metric id → its frame."""
        filters = filters or Filters()
        by = [d for d in by if d != "year"]
        rows_per_period = "period" in by
        plain = [d for d in by if d != "period"]
        periods = self.periods()
        end = filters.latest or (periods[-1] if periods else None)
        dims = [c for d in plain for c in DIMS[d]]
        columns = [*dims, *(["period"] if rows_per_period else []), "value", "prev_quarter", "qoq_abs", "qoq_pct",
                   "prev_year", "yoy_abs", "yoy_pct"]
        metrics = list(dict.fromkeys(metrics))
        if end is None:
            schema = {c: pl.Utf8 if c in dims or c == "period" else pl.Float64 for c in columns}
            blank = [dict.fromkeys(columns)] if not dims and not rows_per_period else []
            return {m: pl.DataFrame(blank, schema=schema) for m in metrics}
        start = (filters.period_from or end) if rows_per_period else end
        window = replace(filters, period=None, period_from=shift(start, -4), period_to=end)
        tables: dict[str, pl.DataFrame] = {}
        for group in self._by_dataset(metrics):
            t = self.table(group, [*plain, "period"], window).with_columns(
                (pl.col("period").str.slice(0, 4).cast(pl.Int64) * 4
                 + pl.col("period").str.slice(5, 1).cast(pl.Int64)).alias("__i"))
            tables |= dict.fromkeys(group, t)
        out = {}
        for metric in metrics:
            # a member's aggregates: `withheld` when any of the three quarters compared left figures out
            noted = "withheld" in tables[metric].columns
            flag = [pl.col("withheld").fill_null(False)] if noted else []
            rows = tables[metric].select([*dims, "period", "__i", pl.col(metric).alias("value"), *flag])
            base = rows.select([*dims, "__i", "value", *flag])
            one = rows.join(base.with_columns(pl.col("__i") + 1).rename({"value": "prev_quarter"}),
                            on=[*dims, "__i"], how="left", nulls_equal=True, suffix="_q")
            one = one.join(base.with_columns(pl.col("__i") + 4).rename({"value": "prev_year"}), on=[*dims, "__i"],
                           how="left", nulls_equal=True, suffix="_y")
            if noted:
                held = pl.col("withheld", "withheld_q", "withheld_y").fill_null(False)
                one = one.with_columns(pl.any_horizontal(held).alias("withheld"))
            one = one.filter(pl.col("period").is_between(pl.lit(start), pl.lit(end)))
            one = one.with_columns(
                (pl.col("value") - pl.col("prev_quarter")).alias("qoq_abs"),
                pl.when(pl.col("prev_quarter") != 0).then((pl.col("value") - pl.col("prev_quarter"))
                                                          / pl.col("prev_quarter").abs()).alias("qoq_pct"),
                (pl.col("value") - pl.col("prev_year")).alias("yoy_abs"),
                pl.when(pl.col("prev_year") != 0).then((pl.col("value") - pl.col("prev_year"))
                                                       / pl.col("prev_year").abs()).alias("yoy_pct"),
            ).with_columns(pl.col("value", "prev_quarter", "prev_year", "qoq_abs", "yoy_abs").cast(pl.Float64))
            one = one.select([*columns, *(["withheld"] if noted else [])]) \
                .sort([*dims, *(["period"] if rows_per_period else [])], nulls_last=True)
            if not dims and not rows_per_period and one.height == 0:
                one = pl.DataFrame([{c: None for c in columns}], schema={c: pl.Float64 for c in columns})
            out[metric] = one
        return out

    def movers(self, metric: str, filters: Filters | None = None, n: int = MOVERS) -> pl.DataFrame:
        """The firms whose `metric` moved most on last quarter (环比) at the filters' quarter (`filters.latest`,
        default the last), per firm type: one row per firm with a 环比 — firm_type, firm_id, firm_name, value,
        prev_quarter, qoq_abs, qoq_pct, low_base, mover_rank — firm types in turn (财产险, 人身险), each firm type's
        movers first. A rate over a tiny base swings by chance (6 → 4 complaints is −33%), so a firm whose rate is
        low-base in either quarter ([low_base] thresholds) has low_base true and no mover_rank; the others are
        ranked 1… by the size of the relative change (|qoq_pct|, then firm id), and mover_rank is kept for the
        first `n` of each firm type only. Firm types are never ranked together: property and life rates differ."""
        filters = filters or Filters()
        m = self.metric(metric)
        columns = pl.Schema({"firm_type": pl.Utf8, "firm_id": pl.Utf8, "firm_name": pl.Utf8, "value": pl.Float64,
                             "prev_quarter": pl.Float64, "qoq_abs": pl.Float64, "qoq_pct": pl.Float64,
                             "low_base": pl.Boolean, "mover_rank": pl.Int64})
        periods = self.periods()
        end = filters.latest or (periods[-1] if periods else None)
        if end is None:
            return pl.DataFrame(schema=columns)
        at = replace(filters, period=end, period_from=None, period_to=None)
        moves = self.change(metric, ["firm", "firm_type"], at).filter(pl.col("qoq_pct").is_not_null())
        flag = f"{metric}__low_base"
        if m.low_base:
            both = replace(filters, period=None, period_from=shift(end, -1), period_to=end)
            flags = self.table([metric], ["firm", "period"], both).group_by("firm_id").agg(
                pl.col(flag).fill_null(True).any().alias("low_base"))
            moves = moves.join(flags, on="firm_id", how="left").with_columns(pl.col("low_base").fill_null(True))
        else:
            moves = moves.with_columns(pl.lit(False).alias("low_base"))
        type_order = pl.col("firm_type").replace_strict(FIRM_TYPE_ORDER, default=len(FIRM_TYPE_ORDER),
                                                       return_dtype=pl.Int64)
        moves = moves.with_columns(pl.col("qoq_pct").abs().alias("__size"), type_order.alias("__type")) \
            .sort("__type", "firm_type", "low_base", "__size", "firm_id", descending=[False, False, False, True, False])
        rank = pl.int_range(1, pl.len() + 1).over("firm_type", "low_base")
        moves = moves.with_columns(pl.when(~pl.col("low_base") & (rank <= n)).then(rank).alias("mover_rank"))
        return moves.select(list(columns)).cast(columns)

    # ── peers ───────────────────────────────────────────────────────────────────────────────────────────
    def peers(self, metric: str, period: str, firm_type: str, low_base: dict | bool | None = None,
              firms: tuple[str, ...] | list[str] = ()) -> pl.DataFrame:
        """Each firm of the peer group (same type, same period): value, rank (1 = best, ties share a rank, on the
        unrounded value), better_than_share (BETTER_THAN_DEFINITION), the group's P25 / median / P75, n_firms,
        complaint_index, low_base, direction; aggregates suppressed under a member's scope when the
        group has fewer than 5 firms. `firms`: only their rows (the group's figures are still the whole group's)."""
        return self.peer_groups([metric], firm_type, period, period, low_base, firms).drop("metric", "period")

    def peer_groups(self, metrics: list[str] | tuple[str, ...], firm_type: str, period_from: str, period_to: str,
                    low_base: dict | bool | None = None, firms: tuple[str, ...] | list[str] = ()) -> pl.DataFrame:
        """`peers()` for several metrics and every quarter from period_from to period_to at once, long: one row
        per metric × period × firm, with the columns `metric` and `period` in front. A table query or two per
        dataset however many metrics and quarters (the peer page shows every rate, and a firm's rank over time).
        `firms`: only their rows, as in `peers()`."""
        thresholds = {**self.thresholds, **low_base} if isinstance(low_base, dict) else self.thresholds
        window = Filters(period_from=period_from, period_to=period_to, firm_type=firm_type)
        groups = list(self._by_dataset(metrics))
        tables: dict[str, pl.DataFrame] = {}
        for group, t in zip(groups, at_once([
                functools.partial(self._table, list(dict.fromkeys([*group, "complaint_index"])), ["firm", "period"],
                                  window, thresholds) for group in groups]), strict=True):
            tables |= dict.fromkeys(group, t)
        firms = self._check_names(firms)
        value = pl.col("value")
        n = value.count().over("period")  # the firms of the group that have a value
        # Under a member's scope the group's figures need MIN_PEERS firms with a value besides its own.
        if self.member is not None:
            others = (value.is_not_null() & (pl.col("firm_id") != self.member)).sum().over("period")
            suppressed = others < MIN_PEERS
        else:
            suppressed = pl.lit(False)

        def spread(q: float) -> pl.Expr:
            return pl.when((n > 0) & ~suppressed).then(value.quantile(q, "linear").over("period"))

        frames = []
        for m in (self.metric(i) for i in dict.fromkeys(metrics)):
            flag = f"{m.id}__low_base"
            t = tables[m.id]
            frames.append(t.select(
                pl.lit(m.id, pl.Utf8).alias("metric"), "period", "firm_id", "firm_name",
                pl.col(m.id).alias("value"), pl.col("complaint_index"),
                (pl.col(flag) if flag in t.columns else pl.lit(False)).alias("low_base"),
            ).with_columns(
                pl.when(~suppressed).then(value.rank("min", descending=m.direction != "lower").over("period"))
                .cast(pl.Int64).alias("rank"),
                pl.when(~suppressed).then(better_than(value, n, m.direction)).alias("better_than_share"),
                spread(0.25).cast(pl.Float64).alias("p25"), spread(0.5).cast(pl.Float64).alias("median"),
                spread(0.75).cast(pl.Float64).alias("p75"), n.cast(pl.Int64).alias("n_firms"),
                pl.lit(m.direction, pl.Utf8).alias("direction"), suppressed.alias("suppressed"),
            ).sort("period", "rank", "firm_id", nulls_last=True))
        columns = ["metric", "period", "firm_id", "firm_name", "value", "rank", "better_than_share", "p25", "median",
                   "p75",
                   "n_firms", "complaint_index", "low_base", "direction", "suppressed"]
        out = pl.concat([f.select(columns) for f in frames], how="vertical_relaxed")  # counts and rates
        # rows are already as the scope shows them (pseudonyms), and so are the firm ids a caller can know
        return out.filter(pl.col("firm_id").is_in(list(firms))) if firms else out

    def _check_names(self, firms: tuple[str, ...] | list[str]) -> tuple[str, ...]:
        """Firm names a member passes (its own id, the pseudonyms it is shown): anything else is refused."""
        firms = tuple(firms)
        if self.member is not None and any(f != self.member and f not in self._pseudonyms.values() for f in firms):
            raise QueryError(REFUSED_FIRM)
        return firms

    # ── anomalies ───────────────────────────────────────────────────────────────────────────────────────
    def anomalies(self, filters: Filters | None = None) -> pl.DataFrame:
        """Firm × region cells of the filters' quarter (`filters.latest`; default the last) whose complaints jump
        against their own history: expected = median of the previous ANOMALY_HISTORY (8) quarters × (the firm's
        other regions now ÷ their usual total, clipped to 0.5–3), robust z = (x − expected) / max(1.4826·MAD·factor,
        √expected, 1); listed when z ≥ ANOMALY_Z (3.5) and the jump ≥ ANOMALY_MIN_JUMP (10) complaints, the
        strongest evidence (highest z) first. A 代理退保 campaign shows as a jump with a high proxy-surrender share.

        Baselines are computed over every firm and region; the filters' firm type, firms, provinces and regions
        then select the cells listed (a firm's factor needs its other regions even when one region is chosen)."""
        filters = filters or Filters()
        columns = pl.Schema({"firm_id": pl.Utf8, "firm_name": pl.Utf8, "region_code": pl.Utf8, "region_name": pl.Utf8,
                   "period": pl.Utf8, "complaints": pl.Int64, "baseline_median": pl.Float64, "mad": pl.Float64,
                   "expected": pl.Float64,
                   "robust_z": pl.Float64, "jump": pl.Float64, "jump_pct": pl.Float64,
                   "proxy_surrender_share": pl.Float64})
        periods = self.periods()
        period = filters.latest or (periods[-1] if periods else None)
        if period is None:
            return pl.DataFrame(schema=columns)
        params: dict[str, object] = {"start": shift(period, -ANOMALY_HISTORY), "period": period,
                                     "min_history": ANOMALY_MIN_HISTORY, "min_z": ANOMALY_Z,
                                     "min_jump": ANOMALY_MIN_JUMP}
        safe, source = "TRUE", "complaints"
        if self.member is not None:  # other firms' cells only where 5 firms besides the member's report
            self._ensure_atoms()
            safe, source = f"(firm_id = $scope_firm OR {self._safe('complaints')})", "base_complaints"
            params |= {"scope_firm": self.member, "min_peers": MIN_PEERS}
        out = self._query(_sql("anomalies").replace("{source}", source).replace("{safe}", safe), params)
        out = out.select(list(columns)).cast(columns)
        return self._pseudonymise(self._select(out, filters))

    # ── submissions ─────────────────────────────────────────────────────────────────────────────────────
    def submissions(self, filters: Filters | None = None) -> pl.DataFrame:
        """The files received (submissions.parquet) with the firm's short name, kept to the filters' quarter(s),
        firm type and firms; region filters do not apply (a file covers every region of its firm). Files whose
        quarter or firm could not be read stay under those filters: they may be any quarter's or any firm's and
        must not drop out of the secretariat's sight. A member sees only its own firm's files."""
        filters = filters or Filters()
        path = self.snapshot / layout.SUBMISSIONS if self.snapshot else None
        if path is None or not path.exists():
            return pl.DataFrame(schema={c: pl.Utf8 for c in SUBMISSION_COLUMNS})
        subs = pl.read_parquet(path)
        names = self._query("SELECT firm_id, short_name AS firm_name FROM firms")
        subs = subs.join(names, on="firm_id", how="left")
        subs = self._select(firm_status.within(subs, filters),
                            Filters(firm_type=filters.firm_type, firms=filters.firms), keep_unknown=True)
        if self.scope.firm_id is not None:
            subs = subs.filter(pl.col("firm_id") == self.scope.firm_id)
        keep = [c for c in SUBMISSION_COLUMNS if c in subs.columns]
        return subs.select(keep).sort("received_at", "file_name", nulls_last=True) \
            if "received_at" in subs.columns else subs.select(keep)

    def as_of(self) -> dict:
        """What the figures are as of: version (the snapshot's name) and ingested_at (UTC: the latest receipt time of
        a file in this snapshot, i.e. the last ingest that changed it; None for an empty warehouse). Read once per
        Warehouse (a snapshot never changes): every page's heading asks for it."""
        if self._as_of is not None:
            return dict(self._as_of)
        path = self.snapshot / layout.SUBMISSIONS if self.snapshot else None
        latest = None
        if path is not None and path.exists():
            received = pl.read_parquet(path, columns=["received_at", "status"])
            if self.member is not None:  # a member: when the figures last changed, not when any file arrived
                received = received.filter(pl.col("status") == "accepted")
            latest = received["received_at"].max()
        self._as_of = {"version": self.version, "ingested_at": latest}
        return dict(self._as_of)

    # Filters in the order a reader names them; `why_empty` reports which of them emptied a result.
    FILTER_FIELDS = ("period", "period_from", "period_to", "firm_type", "firms", "provinces", "regions")

    def why_empty(self, metrics: list[str] | tuple[str, ...], filters: Filters) -> dict:
        """Why `table(metrics, filters=filters)` has no value: `firms` — the chosen firms (`filters.firms`) that have no
        accepted file for the filters' quarter(s), as `firm_status.firm_status` rows (status held / rejected /
        missing, reason, missing_periods, n_errors; member scope: its own firm only); `culprits` — the names of
        the filters (FILTER_FIELDS; the period fields count as one, "period") without which the metrics would have
        a value, each tried alone. Both empty: nothing holds these metrics whatever the filters."""
        metrics = list(metrics)
        f = filters  # as the caller names firms (a member: its own id and pseudonyms)
        real = self._firm_filter(filters)

        def has_value(candidate: Filters) -> bool:
            # a member's total over peers it chose by pseudonym is refused (REFUSED_AGGREGATE): their rows tell
            by = ["firm"] if self.member is not None and set(candidate.firms) - {self.member} else []
            frame = self.table(metrics, by, candidate)
            return any(frame[m].null_count() < frame.height for m in dict.fromkeys(metrics))

        culprits: list[str] = []
        for name in ("period", "firm_type", "firms", "provinces", "regions"):
            if name == "period":
                if not (f.period or f.period_from or f.period_to):
                    continue
                loosened = replace(f, period=None, period_from=None, period_to=None)
            else:
                if not getattr(f, name):
                    continue
                loosened = replace(f, firm_type=None) if name == "firm_type" else _without(f, name)
            if has_value(loosened):
                culprits.append(name)
        firms = pl.DataFrame()
        if real.firms:  # a member learns only its own firm's files (the registry it is given: firms())
            everything = self.submissions()
            registry = self.firms().filter(pl.col("firm_id").is_in(list(real.firms)))
            status = firm_status.firm_status(registry, firm_status.within(everything, real), everything=everything)
            firms = status.filter(pl.col("status") != "accepted")
        return {"firms": firms, "culprits": tuple(culprits)}

    def original_file(self, submission_id: str) -> tuple[str, bytes]:
        """The file name and bytes of a file received; a member only its own firm's (another firm's, an unknown id:
        the same refusal)."""
        rows = self.submissions().filter(pl.col("submission_id") == submission_id)  # scoped: a member's own only
        if rows.height == 0 or rows["stored_file"][0] is None:
            raise QueryError("找不到该报送的原始文件")
        row = rows.row(0, named=True)
        return row["file_name"], (self.path / row["stored_file"]).read_bytes()
