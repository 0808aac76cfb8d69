"""Sizes that follow from the projector theme (.streamlit/config.toml: 18 px base font)."""

from __future__ import annotations

ROW_PX = 39        # one st.dataframe row at an 18 px base font
HEADER_PX = 44     # the header row and the borders
MAX_TABLE_PX = 760  # beyond this a table scrolls rather than push the rest of the page off the screen


def table_height(rows: int, cap: int = MAX_TABLE_PX) -> int:
    """A dataframe height that shows every row of a short table and scrolls a long one."""
    return min(cap, HEADER_PX + ROW_PX * max(rows, 1))
