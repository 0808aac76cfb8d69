import re
from datetime import UTC, date, datetime

from core import status


def test_every_status_has_a_label_in_both_languages():
    for lang in ("zh", "en"):
        assert set(status.FILE_LABELS[lang]) == set(status.FILE_STATUSES)
        assert set(status.FIRM_LABELS[lang]) == set(status.FIRM_STATUSES)
    assert status.file_label("held") == "暂缓入库" and status.file_label("rejected", "en") == "Rejected"
    assert status.firm_label("rejected") == "已退回待重报" and status.firm_label("missing") == "未报送"
    assert set(status.NEEDS_ATTENTION) <= set(status.FILE_STATUSES)


def test_every_note_the_store_writes_reads_in_english():
    from etl.store import _duplicate_note, _replaced_note, _superseded_note

    day, later = date(2025, 10, 15), date(2025, 10, 20)
    one, two = datetime(2025, 10, 16, tzinfo=UTC), datetime(2025, 10, 21, tzinfo=UTC)
    cases = [(None, day, one, two), (day, None, one, one), (day, later, one, one), (None, None, one, one)]

    notes = [
        "报送有 3 处错误，整份退回，请更正后重报",
        ("年累计报送暂缓入库：缺少本年 2025Q1、2025Q2 的报送（或其尚未入库），无法换算为当季数；"
        "补齐后下次导入时自动入库"),
        "年累计减去本年 2025Q1 的已入库数后出现 2 处负数，整份退回，请核对后重报",
        "此前因缺少本年早前季度而暂缓的年累计报送，现已补齐并入库",
        _superseded_note({"seq": 2, "version": 1}, {"seq": 1, "version": 2, "file_name": "甲_v2.xlsx"}),
        _superseded_note({"seq": 2, "version": 1}, {"seq": 1, "version": 1, "file_name": "甲.xlsx"}),
        _superseded_note({"seq": 1, "version": 1}, {"seq": 2, "version": 2, "file_name": "甲_v2.xlsx"}),
        _duplicate_note({"status": "accepted", "file_name": "甲.xlsx"}),
        *(_superseded_note({"seq": 1, "version": 1, "filled_on": mine, "received_at": t1},
                           {"seq": 2, "version": 1, "file_name": "甲.xlsx", "filled_on": theirs, "received_at": t2})
          for mine, theirs, t1, t2 in cases),
        *(_replaced_note({"seq": 2, "version": v, "filled_on": mine, "received_at": t2},
                         {"seq": 1, "version": 1, "file_name": "甲.xlsx", "filled_on": theirs, "received_at": t1})
          for mine, theirs, t1, t2 in cases for v in (1, 2)),
    ]
    for note in notes:
        english = status.note_text(note, "en")
        assert english != note and not re.search(r"[\u3400-\u9fff]", english.replace("甲", "")), note
        assert status.note_text(note) == note
    assert "2025Q1, 2025Q2" in status.note_text(notes[1], "en")
    assert status.note_text(notes[8], "en") == (
        "Replaced by version 1 (甲.xlsx); this file's figures stay in the history; same version: the file received "
        "in the later ingest wins (filing date: this file blank, the other 2025-10-15)")
    assert status.note_text(notes[13], "en") == "Replaced version 1 (甲.xlsx); the higher version wins"
    assert status.note_text("别的说明", "en") == "别的说明" and status.note_text(None, "en") is None
