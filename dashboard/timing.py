"""How long each script run takes on the server, for bench/pages.py (which splits a click's time into the server's
share and the browser's). Off unless XIAOBAO_RUN_LOG names a file: then every run appends one JSON line
{"page", "user", "start", "ms", "cpu_ms"} (start: wall-clock seconds, so the benchmark can match runs to its clicks;
cpu_ms: the process's CPU time over the run, DuckDB's threads included — what a run costs however busy the machine).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RUN_LOG_ENV = "XIAOBAO_RUN_LOG"


@contextmanager
def timed() -> Iterator[dict[str, str]]:
    """Time the block (a script run) and append it to the run log, when there is one. The block may fill in the
    page and user it ran for (the dict yielded)."""
    run = {"page": "", "user": ""}
    target = os.environ.get(RUN_LOG_ENV)
    if not target:
        yield run
        return
    start, t0, cpu = time.time(), time.perf_counter(), time.process_time()
    try:
        yield run
    finally:
        line = {**run, "start": start, "ms": (time.perf_counter() - t0) * 1000,
                "cpu_ms": (time.process_time() - cpu) * 1000}
        with Path(target).open("a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")
