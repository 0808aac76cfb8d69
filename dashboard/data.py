"""Caches over the query layer, keyed by the warehouse version so a new ingest shows without a restart, and by
the member firm whose scope the results were computed under, so one user's results never reach another.

One loaded `Warehouse` per (path, version) in `st.cache_resource` (its DuckDB connection is opened once and shared;
the query layer takes a cursor per query), and per member firm a twin of it under that member's `Scope`
(`Warehouse.scoped`: same data, that member's pseudonyms and suppression). `warehouse()` returns the one for this
session's user (`dashboard.session.scope()`). Results in bounded `st.cache_data` keyed by path + version + member
firm + the call's arguments; the Warehouse object itself and the Filters are passed unhashed (`_` prefix) and
represented in the key by `_key(wh)` and `repr(filters)` (a frozen dataclass: its repr is its value).

Every result's text (firm names from the registry, file names, cells and reasons from members' files) is made inert
here, once, before it is cached (core.untrusted.frame): no page shows a control, escape or bidi character.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import polars as pl
import streamlit as st

from core import layout, untrusted
from dashboard import prefetch, session
from query import Filters, Scope, Warehouse

log = logging.getLogger("xiaobao.dashboard")
RESULTS = 512   # results kept per function: every page × a few dozen filter combinations


@st.cache_resource(max_entries=2, show_spinner=False)
def _open(path: str, version: str | None) -> Warehouse:
    del version  # part of the cache key only: a new snapshot opens a new Warehouse
    wh = Warehouse(Path(path))
    # a member's first page would otherwise wait for the cells' firm counts (member scope); a failure here only
    # means that first query makes them itself
    threading.Thread(target=_prepare, args=(wh,), name="xiaobao-scopes", daemon=True).start()
    return wh


def _prepare(wh: Warehouse) -> None:
    try:
        wh.prepare_scopes()
    except Exception:
        log.exception("preparing member scopes failed")


@st.cache_resource(max_entries=256, show_spinner=False)
def _scoped(path: str, version: str | None, firm_id: str, _scope: Scope) -> Warehouse:
    return _open(path, version).scoped(_scope)


def warehouse(path: Path, scope: Scope | None = None) -> Warehouse:
    """The Warehouse over the current snapshot under `scope` (default: this session's user's); re-opened when
    `current` moves to a new snapshot. A member firm's is a twin of the one load, under its Scope."""
    scope = session.scope() if scope is None else scope
    resolved, version = str(Path(path).resolve()), layout.version(Path(path))
    if scope.firm_id is None:  # the secretariat and analysts see everything: one Warehouse for them all
        return _open(resolved, version)
    return _scoped(resolved, version, scope.firm_id, scope)


def _key(wh: Warehouse) -> tuple[str, str | None, str | None]:
    """Every result is cached under the warehouse's path and version (two warehouses may both be at 000001) and
    the member firm it was computed for (None: everyone who sees all). `warehouse()` opens it on the resolved
    path, so no file-system call is needed here on every query."""
    return str(wh.path), wh.version, wh.scope.firm_id


@st.cache_data(max_entries=RESULTS, show_spinner=False)
def _table(key: tuple, metrics: tuple[str, ...], by: tuple[str, ...], filters_key: str,
           _wh: Warehouse, _filters: Filters) -> pl.DataFrame:
    return untrusted.frame(_wh.table(metrics=list(metrics), by=list(by), filters=_filters))


@st.cache_data(max_entries=RESULTS, show_spinner=False)
def _change(key: tuple, metric: str, by: tuple[str, ...], filters_key: str,
            _wh: Warehouse, _filters: Filters) -> pl.DataFrame:
    return untrusted.frame(_wh.change(metric, list(by), _filters))


@st.cache_data(max_entries=RESULTS, show_spinner=False)
def _changes(key: tuple, metrics: tuple[str, ...], by: tuple[str, ...], filters_key: str,
             _wh: Warehouse, _filters: Filters) -> dict[str, pl.DataFrame]:
    return {m: untrusted.frame(f) for m, f in _wh.changes(list(metrics), list(by), _filters).items()}


@st.cache_data(max_entries=RESULTS, show_spinner=False)
def _movers(key: tuple, metric: str, filters_key: str, n: int, _wh: Warehouse, _filters: Filters) -> pl.DataFrame:
    return untrusted.frame(_wh.movers(metric, _filters, n))


@st.cache_data(max_entries=RESULTS, show_spinner=False)
def _peers(key: tuple, metric: str, period: str, firm_type: str, low_base: bool | None, firms: tuple[str, ...],
           _wh: Warehouse) -> pl.DataFrame:
    return untrusted.frame(_wh.peers(metric, period, firm_type, low_base=low_base, firms=firms))


@st.cache_data(max_entries=RESULTS, show_spinner=False)
def _peer_groups(key: tuple, metrics: tuple[str, ...], firm_type: str, period_from: str, period_to: str,
                 firms: tuple[str, ...], _wh: Warehouse) -> pl.DataFrame:
    return untrusted.frame(_wh.peer_groups(list(metrics), firm_type, period_from, period_to, firms=firms))


@st.cache_data(max_entries=64, show_spinner=False)
def _anomalies(key: tuple, filters_key: str, _wh: Warehouse, _filters: Filters) -> pl.DataFrame:
    return untrusted.frame(_wh.anomalies(_filters))


@st.cache_data(max_entries=64, show_spinner=False)
def _submissions(key: tuple, filters_key: str, _wh: Warehouse, _filters: Filters) -> pl.DataFrame:
    return untrusted.frame(_wh.submissions(_filters))


@st.cache_data(max_entries=64, show_spinner=False)
def _firms(key: tuple, filters_key: str, _wh: Warehouse, _filters: Filters) -> pl.DataFrame:
    return untrusted.frame(_wh.firms(_filters))


@st.cache_data(max_entries=8, show_spinner=False)
def _reference(key: tuple, what: str, _wh: Warehouse) -> pl.DataFrame | tuple[str, ...]:
    return tuple(_wh.periods()) if what == "periods" else _wh.regions()


@prefetch.recorded
def table(wh: Warehouse, metrics: list[str] | tuple[str, ...], by: list[str] | tuple[str, ...],
          filters: Filters) -> pl.DataFrame:
    return _table(_key(wh), tuple(metrics), tuple(by), repr(filters), wh, filters)


@prefetch.recorded
def change(wh: Warehouse, metric: str, by: list[str] | tuple[str, ...], filters: Filters) -> pl.DataFrame:
    return _change(_key(wh), metric, tuple(by), repr(filters), wh, filters)


@prefetch.recorded
def changes(wh: Warehouse, metrics: list[str] | tuple[str, ...], by: list[str] | tuple[str, ...],
            filters: Filters) -> dict[str, pl.DataFrame]:
    return _changes(_key(wh), tuple(metrics), tuple(by), repr(filters), wh, filters)


@prefetch.recorded
def movers(wh: Warehouse, metric: str, filters: Filters, n: int) -> pl.DataFrame:
    return _movers(_key(wh), metric, repr(filters), n, wh, filters)


@prefetch.recorded
def peers(wh: Warehouse, metric: str, period: str, firm_type: str,
          low_base: bool | None = None, firms: tuple[str, ...] = ()) -> pl.DataFrame:
    return _peers(_key(wh), metric, period, firm_type, low_base, tuple(firms), wh)


@prefetch.recorded
def peer_groups(wh: Warehouse, metrics: list[str] | tuple[str, ...], firm_type: str, period_from: str,
                period_to: str, firms: tuple[str, ...] = ()) -> pl.DataFrame:
    return _peer_groups(_key(wh), tuple(metrics), firm_type, period_from, period_to, tuple(firms), wh)


@prefetch.recorded
def anomalies(wh: Warehouse, filters: Filters) -> pl.DataFrame:
    return _anomalies(_key(wh), repr(filters), wh, filters)


@prefetch.recorded
def submissions(wh: Warehouse, filters: Filters) -> pl.DataFrame:
    return _submissions(_key(wh), repr(filters), wh, filters)


def periods(wh: Warehouse) -> tuple[str, ...]:
    return _reference(_key(wh), "periods", wh)


def firms(wh: Warehouse, filters: Filters | None = None) -> pl.DataFrame:
    """The registry, kept to the filters' firm type and firms (default: every firm)."""
    filters = filters or Filters()
    return _firms(_key(wh), repr(filters), wh, filters)


def regions(wh: Warehouse) -> pl.DataFrame:
    return _reference(_key(wh), "regions", wh)
