"""The dashboard's number formatting: core/format.py (shared with the meeting deck), re-exported here."""

from core.format import NO_VALUE, _missing, fmt_money_wan, fmt_number, fmt_pct, fmt_value

__all__ = ["NO_VALUE", "_missing", "fmt_money_wan", "fmt_number", "fmt_pct", "fmt_value"]
