"""A clock the tests move by hand, for the throttle (the `limits` memory storage reads time.time())."""

from __future__ import annotations

import time as real_time
from types import SimpleNamespace


class FakeTime:
    def __init__(self, start: float | None = None) -> None:
        self.now = real_time.time() if start is None else start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @classmethod
    def install(cls, monkeypatch) -> FakeTime:
        """Time as seen by limits' memory storage and auth.throttle becomes this clock's."""
        import limits.storage.memory

        from auth import throttle

        clock = cls()
        fake = SimpleNamespace(time=clock.time, monotonic=real_time.monotonic, sleep=real_time.sleep)
        monkeypatch.setattr(limits.storage.memory, "time", fake)
        monkeypatch.setattr(throttle, "time", fake)
        return clock
