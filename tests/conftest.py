"""Fixtures shared across the test packages."""

from __future__ import annotations

import pytest
from streamlit.delta_generator import DeltaGenerator


@pytest.fixture
def downloads(monkeypatch) -> list[dict]:
    """Every st.download_button a page run makes: its label, file name, key and data (the on-click callable)."""
    made: list[dict] = []
    real = DeltaGenerator.download_button

    def spy(self, label, data, *args, **kwargs):
        made.append({"label": label, "data": data, **kwargs})
        return real(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    return made
