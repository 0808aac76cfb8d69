"""Fixtures for the deck tests: a small synthetic warehouse, and one deck built per test module (one kaleido server
for the module's map pictures)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def deck_warehouse(tmp_path_factory) -> Path:
    """2 years, 12 firms of both types (fixtures.synthetic): S001 has a held and a rejected file in 2025Q3."""
    from fixtures import synthetic

    path = tmp_path_factory.mktemp("deck_warehouse")
    synthetic.build(path, years=2, firms=12, seed=0)
    return path


@pytest.fixture(scope="module")
def kaleido_server():
    """One Chromium for every map picture of a test module."""
    from deck import china_map

    with china_map.server():
        yield
