"""Page URL parameters: values split on commas and repeats."""

from __future__ import annotations

from dashboard.page_params import split


def test_page_param_values_split_on_commas_and_repeats():
    assert split(["a,b", " c ", "a", ""]) == ["a", "b", "c"]
