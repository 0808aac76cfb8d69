"""Value-axis ticks in the reader's conventions (issue 8 item 9: 15.9k beside 1.59万)."""

from __future__ import annotations

from dashboard.charts.axes import ticks


def test_ticks_read_like_the_labels_in_each_language():
    assert ticks(0, 25_000, "", "zh")[1] == ["0", "5000", "1万", "1.5万", "2万", "2.5万"]
    assert ticks(0, 25_000, "", "en")[1] == ["0", "5k", "10k", "15k", "20k", "25k"]
    assert ticks(0, 3_000_000, "", "en")[1][-1] == "3M"
    assert ticks(0, 0.5, "%", "en")[1] == ["0%", "10%", "20%", "30%", "40%", "50%"]
    assert ticks(0, 800, "", "en")[1][-1] == "800"
