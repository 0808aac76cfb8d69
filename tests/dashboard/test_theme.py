"""The colour meanings every chart shares: better, worse, neutral by the metric's direction."""

from __future__ import annotations

import pytest

from dashboard import theme


@pytest.mark.parametrize(("direction", "delta", "colour"), [
    ("lower", 2.0, theme.WORSE),      # more complaints per 亿元: worse
    ("lower", -2.0, theme.BETTER),
    ("higher", 0.1, theme.BETTER),    # a higher mediation success rate: better
    ("higher", -0.1, theme.WORSE),
    (None, 5.0, theme.NEUTRAL),       # a count has no good direction
    ("lower", 0.0, theme.NEUTRAL),
    ("lower", None, theme.NEUTRAL),
])
def test_direction_colour_keeps_one_meaning(direction, delta, colour):
    assert theme.direction_colour(direction, delta) == colour
