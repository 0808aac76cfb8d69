"""The throttle alone: 5 failures per name or per address, a moving window, the name's count cleared by a login."""

from __future__ import annotations

from auth import throttle
from tests.auth.clock import FakeTime


def test_five_failures_hold_the_name_and_the_address_until_the_window_moves_on(monkeypatch):
    clock = FakeTime.install(monkeypatch)
    t = throttle.Throttle("5/15 minutes")
    for i in range(5):
        assert t.wait_s("zhang", "1.1.1.1") == 0
        t.failed("zhang", "1.1.1.1")
        clock.advance(60)
    # failures at minutes 0..4; now minute 5: the first leaves the window at minute 15
    assert t.wait_s("zhang", "2.2.2.2") == 10 * 60
    assert t.wait_s("li", "1.1.1.1") == 10 * 60
    assert t.wait_s("ZHANG ", "3.3.3.3") == 10 * 60    # the same name, however typed
    assert t.wait_s("li", "2.2.2.2") == 0
    clock.advance(10 * 60 + 1)
    assert t.wait_s("zhang", "1.1.1.1") == 0           # one failure has left the window
    t.failed("zhang", "1.1.1.1")
    assert t.wait_s("zhang", "9.9.9.9") > 0


def test_a_login_clears_the_names_count_not_the_addresss(monkeypatch):
    FakeTime.install(monkeypatch)
    t = throttle.Throttle("5/15 minutes")
    for _ in range(5):
        t.failed("wang", "1.1.1.1")
    t.succeeded("wang")
    assert t.wait_s("wang", "2.2.2.2") == 0 and t.wait_s("wang", "1.1.1.1") > 0


def test_the_rate_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv(throttle.RATE_ENV, raising=False)
    assert throttle.rate() == "5/15 minutes"
    monkeypatch.setenv(throttle.RATE_ENV, "3/1 minute")
    assert throttle.Throttle(throttle.rate()).item.amount == 3
