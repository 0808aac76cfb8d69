"""The portal's history: appended, read back oldest first, a line torn by a crash skipped."""

from __future__ import annotations

from core import uploads
from core.uploads import Receipt


def receipt(n: int) -> Receipt:
    return Receipt(f"u{n}", f"f{n}.xlsx", 10, "ab" * 32, "m1", "F001", "2025-10-15T02:00:00+00:00", "accepted")


def test_receipts_round_trip_in_order_and_a_torn_line_is_skipped(tmp_path):
    uploads.append(tmp_path, receipt(1))
    with open(uploads.folder(tmp_path) / uploads.LOG, "a", encoding="utf-8") as log:
        log.write('{"upload_id": "u-torn", "file_na')  # a crash mid-line
        log.write("\n")
    uploads.append(tmp_path, receipt(2))
    assert uploads.receipts(tmp_path) == [receipt(1), receipt(2)]
    assert (uploads.folder(tmp_path) / uploads.LOG).stat().st_mode & 0o777 == 0o600


def test_no_history_is_an_empty_list(tmp_path):
    assert uploads.receipts(tmp_path) == []
