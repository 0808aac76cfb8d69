import threading

from dashboard import prefetch
from query import Filters

PERIODS = ("2024Q4", "2025Q1", "2025Q2", "2025Q3")


def test_every_quarter_in_the_arguments_moves_one_step():
    f = Filters(period="2025Q1", firm_type="财产险", firms=("F001",))
    assert prefetch.shifted(f, -1) == Filters(period="2024Q4", firm_type="财产险", firms=("F001",))
    trend = Filters(period_from="2024Q2", period_to="2025Q1")
    assert prefetch.shifted(trend, 1) == Filters(period_from="2024Q3", period_to="2025Q2")
    assert prefetch.shifted("2025Q1", 1) == "2025Q2"
    assert prefetch.shifted(("complaints_total", "2025Q1"), -1) == ("complaints_total", "2024Q4")
    assert prefetch.shifted("财产险", 1) == "财产险" and prefetch.shifted(["2025Q1"], 1) == ["2025Q1"]


def test_a_pages_calls_are_recorded_and_read_ahead_for_the_quarter_before_then_after():
    def table(wh, metrics, by, filters):
        return (metrics, filters.period)

    def peers(wh, metric, period, firm_type, low_base=None):
        return period

    recorded_table, recorded_peers = prefetch.recorded(table), prefetch.recorded(peers)
    wh = object()
    with prefetch.recording() as calls:
        assert recorded_table(wh, ["a"], ["firm"], Filters(period="2025Q1")) == (["a"], "2025Q1")
        recorded_peers(wh, "a", "2025Q1", "财产险", low_base=True)
        recorded_table(wh, ["a"], ["firm"], Filters())   # no quarter in it: nothing to read ahead
    recorded_table(wh, ["b"], [], Filters(period="2025Q2"))   # outside a recording: not kept
    assert len(calls) == 3
    ahead = prefetch.neighbours(calls, PERIODS)
    assert [(fn.__name__, args[1:], kwargs) for fn, args, kwargs in ahead] == [
        ("table", (["a"], ["firm"], Filters(period="2024Q4")), {}),
        ("peers", ("a", "2024Q4", "财产险"), {"low_base": True}),
        ("table", (["a"], ["firm"], Filters(period="2025Q2")), {}),
        ("peers", ("a", "2025Q2", "财产险"), {"low_base": True}),
    ]
    assert all(args[0] is wh for _, args, _ in ahead)   # the same Warehouse, so the same member scope


def test_a_call_that_would_name_a_quarter_the_warehouse_does_not_hold_is_not_made():
    def table(wh, filters):
        return filters

    calls = [(table, (None, Filters(period="2024Q4")), {}),
             (table, (None, Filters(period_from="2024Q4", period_to="2025Q3")), {})]
    ahead = prefetch.neighbours(calls, PERIODS)
    # 2024Q3 and 2025Q4 are not held: only the single quarter's step forward is left
    assert [args[1] for _, args, _ in ahead] == [Filters(period="2025Q1")]


def test_reading_ahead_runs_the_calls_in_the_background_and_not_for_a_range():
    done = threading.Event()
    seen = []

    def table(wh, filters):
        seen.append(filters.period)
        if len(seen) == 2:
            done.set()

    calls = [(table, (None, Filters(period="2025Q1")), {})]
    prefetch.read_ahead(calls, Filters(period_from="2024Q4", period_to="2025Q1"), PERIODS)
    prefetch.read_ahead(calls, Filters(period="2025Q1"), PERIODS)
    assert done.wait(10)
    assert seen == ["2024Q4", "2025Q2"]
