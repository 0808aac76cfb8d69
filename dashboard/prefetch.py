"""The quarters either side of the one on screen, asked for in the background once a page has been drawn.

In a meeting the quarter moves one step at a time: the presentation view's ◀ / ▶, or the next quarter in the
sidebar's list. While the browser draws a page, the same questions the page just asked (every call it made through
dashboard.data, recorded during its run) are asked again for the quarter before and the quarter after, each
Filters and quarter argument moved by one step, so the next step finds its results cached. Nothing is computed
that the page would not ask for itself: the calls are the page's own, under the same Warehouse and so the same
member scope, into the same caches. A newer run's neighbours replace an older run's still waiting. Only a single
quarter's view is read ahead (a range has no one step).
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from core import quarters
from query import Filters

log = logging.getLogger("xiaobao.dashboard")
QUARTER = re.compile(r"\d{4}Q[1-4]")
STEPS = (-1, 1)   # the quarter before first: a presenter more often looks back
F = TypeVar("F", bound=Callable[..., Any])
Call = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]

_calls: contextvars.ContextVar[list[Call] | None] = contextvars.ContextVar("xiaobao_prefetch_calls", default=None)


def recorded(fn: F) -> F:
    """dashboard.data's public functions: each call during a recorded run is kept (function, arguments)."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls = _calls.get()
        if calls is not None:
            calls.append((fn, args, kwargs))
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@contextmanager
def recording() -> Iterator[list[Call]]:
    """The calls made through dashboard.data within the block (a page's run)."""
    calls: list[Call] = []
    token = _calls.set(calls)
    try:
        yield calls
    finally:
        _calls.reset(token)


def shifted(value: Any, step: int) -> Any:
    """`value` with every quarter in it moved `step` quarters: a Filters' period or range, a quarter string, and
    those inside tuples. Anything else as it is."""
    if isinstance(value, Filters):
        return dataclasses.replace(value, **{name: quarters.shift(q, step) for name in
                                             ("period", "period_from", "period_to")
                                             if (q := getattr(value, name)) is not None})
    if isinstance(value, str) and QUARTER.fullmatch(value):
        return quarters.shift(value, step)
    if isinstance(value, tuple):
        return tuple(shifted(v, step) for v in value)
    return value


def quarters_in(value: Any) -> list[str]:
    if isinstance(value, Filters):
        return [q for q in (value.period, value.period_from, value.period_to) if q is not None]
    if isinstance(value, str) and QUARTER.fullmatch(value):
        return [value]
    if isinstance(value, tuple):
        return [q for v in value for q in quarters_in(v)]
    return []


def neighbours(calls: Sequence[Call], periods: Sequence[str]) -> list[Call]:
    """The calls for the quarter before and after, each call kept only when every quarter it then names is one
    the warehouse holds (duplicates asked once)."""
    held, seen, out = set(periods), set(), []
    for step in STEPS:
        for fn, args, kwargs in calls:
            moved = tuple(shifted(a, step) for a in args)
            moved_kw = {k: shifted(v, step) for k, v in kwargs.items()}
            named = quarters_in(moved) + quarters_in(tuple(moved_kw.values()))
            key = (fn, repr(moved[1:]), repr(sorted(moved_kw.items())))   # one Warehouse for every call of a run
            if named and set(named) <= held and key not in seen:
                seen.add(key)
                out.append((fn, moved, moved_kw))
    return out


class _Reader:
    """One background thread; the newest run's calls replace those still waiting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: list[Call] = []
        self._generation = 0
        self._thread: threading.Thread | None = None

    def submit(self, calls: list[Call]) -> None:
        with self._lock:
            self._pending, self._generation = calls, self._generation + 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="xiaobao-read-ahead", daemon=True)
                self._thread.start()
        self._wake.set()

    def _work(self) -> None:
        while True:
            self._wake.wait()
            with self._lock:
                calls, generation, self._pending = self._pending, self._generation, []
                self._wake.clear()
            for fn, args, kwargs in calls:
                if self._generation != generation:   # a newer page: its neighbours instead
                    break
                try:
                    fn(*args, **kwargs)
                except Exception:   # the page asks again itself, and reports any error in words
                    log.debug("reading ahead failed", exc_info=True)


_reader = _Reader()


def read_ahead(calls: Sequence[Call], filters: Filters, periods: Sequence[str]) -> None:
    """After a run that showed one quarter (`filters.period`): its calls for the quarters either side, in the
    background."""
    if filters.period is None or not calls:
        return
    ahead = neighbours(calls, periods)
    if ahead:
        _reader.submit(ahead)
