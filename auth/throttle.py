"""Failed logins counted per user name and per client address (the `limits` library, a moving window).

RATE (default "5/15 minutes", `XIAOBAO_LOGIN_RATE` overrides): after 5 failures within 15 minutes for a user
name, or from an address, further attempts for that name or from that address are refused — even with the
right password — until the oldest failure leaves the window (a timed unlock: a permanent lock would let anyone
lock any user out). A successful login clears its user name's count, not its address's (else one valid
account would reset an address that is guessing other users' passwords).
"""

from __future__ import annotations

import math
import os
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

RATE_ENV = "XIAOBAO_LOGIN_RATE"
DEFAULT_RATE = "5/15 minutes"


def rate() -> str:
    return os.environ.get(RATE_ENV) or DEFAULT_RATE


class Throttle:
    def __init__(self, rate: str = DEFAULT_RATE) -> None:
        self.item: RateLimitItem = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    @staticmethod
    def _keys(username: str, address: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("login-user", username.strip().lower()), ("login-address", address)

    def wait_s(self, username: str, address: str) -> int:
        """0 when an attempt may be made now, else the seconds until one may (rounded up)."""
        wait = 0.0
        for key in self._keys(username, address):
            if not self._limiter.test(self.item, *key):
                reset, _ = self._limiter.get_window_stats(self.item, *key)
                wait = max(wait, reset - time.time(), 1.0)
        return math.ceil(wait)

    def failed(self, username: str, address: str) -> None:
        for key in self._keys(username, address):
            self._limiter.hit(self.item, *key)

    def succeeded(self, username: str) -> None:
        self._limiter.clear(self.item, *self._keys(username, "")[0])
