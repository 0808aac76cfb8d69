"""What the first visitor would otherwise wait for, done while the server starts (`xiaobao serve`).

Importing the page modules and opening the warehouse (every Parquet dataset read into DuckDB) take about
1.5 s at ten years × 250 firms. The first script run paid it on top of the browser loading the app;
done in a thread as the server comes up, the two overlap. The Warehouse lands in the same `st.cache_resource`
the pages use (dashboard.data), so the first page finds it open. Nothing here is needed for correctness: if it
fails, the first page opens the warehouse itself and reports any error in words.

Two runs that need the warehouse while it is being opened wait for the one load (cache_resource holds a lock
per key).
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading
import time
from pathlib import Path

log = logging.getLogger("xiaobao.dashboard")

# Our own modules and what they pull in: they declare st.cache_data functions, so they are imported once the
# server's runtime exists (before it, Streamlit would give them a cache storage of their own). The emoji
# pattern is compiled by a page's first segmented control (~0.4 s).
MODULES = ("streamlit.emojis", "dashboard.context", "dashboard.ui", "dashboard.charts.bars",
           "dashboard.charts.trend", "dashboard.charts.peers", "dashboard.charts.china_map", "query.export")
RUNTIME_WAIT_S = 60


def warm(warehouse: Path) -> None:
    import streamlit as st

    deadline = time.monotonic() + RUNTIME_WAIT_S
    while not st.runtime.exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)
    for name in MODULES:
        importlib.import_module(name)
    from dashboard import data
    from dashboard.charts.china_map import provinces_geojson

    provinces_geojson()
    from query import Scope

    wh = data.warehouse(warehouse, Scope())  # the one load every session's scoped twin shares (no session here)
    wh.as_of()   # every page's heading says it (a Parquet read)
    compile_scripts()
    # What is loaded now lives as long as the server: keep it out of every later garbage collection, which
    # otherwise walks it all again in the middle of some click.
    gc.freeze()


def compile_scripts() -> None:
    """The app's and the pages' scripts compiled into Streamlit's script cache (with its magic transform): the
    first run would otherwise compile each page it opens. Streamlit keeps that cache on its runtime, unpublished:
    when it is not there, the first run compiles as it always did."""
    from streamlit.runtime import Runtime

    cache = getattr(Runtime.instance(), "_script_cache", None)
    if cache is None or not hasattr(cache, "get_bytecode"):
        return
    here = Path(__file__).parent
    for script in (here / "app.py", *sorted((here / "views").glob("*.py"))):
        cache.get_bytecode(str(script))


def _run(warehouse: Path) -> None:
    try:
        warm(warehouse)
    except Exception:  # the first page opens the warehouse again and says what is wrong
        log.exception("warm-up failed")


def start(warehouse: Path) -> None:
    """Call after Streamlit and pandas are imported (`xiaobao serve` does, before the server starts): plotly
    looks pandas up in sys.modules, and a script run must never find it half imported by this thread."""
    threading.Thread(target=_run, args=(warehouse,), name="xiaobao-warm-up", daemon=True).start()
