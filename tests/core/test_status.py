from core import status


def test_every_status_has_a_label_in_both_languages():
    for lang in ("zh", "en"):
        assert set(status.FILE_LABELS[lang]) == set(status.FILE_STATUSES)
        assert set(status.FIRM_LABELS[lang]) == set(status.FIRM_STATUSES)
    assert status.file_label("held") == "暂缓入库" and status.file_label("rejected", "en") == "Rejected"
    assert status.firm_label("rejected") == "已退回待重报" and status.firm_label("missing") == "未报送"
    assert set(status.NEEDS_ATTENTION) <= set(status.FILE_STATUSES)
