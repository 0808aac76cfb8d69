"""The portal's history and reminders as the query layer gives them, under member scope."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core import collection
from etl.intake import receive
from query import Scope, Warehouse
from query import uploads as portal
from tests.etl.workbooks import good_sheets, write_registry, write_xlsx

ON_TIME = datetime(2025, 10, 15, 2, 0, tzinfo=UTC)
LATE = datetime(2025, 10, 21, 2, 0, tzinfo=UTC)
LIFE = {"firm": "示例康宁人寿", "firm_type": "人身险"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("portal")
    wh, registry = root / "wh", write_registry(root / "firms.csv")
    collection.open_period(wh, "2025Q3", date(2025, 10, 20))

    def send(name, sheets, firm_id, now):
        return receive(name, write_xlsx(root / name, sheets).read_bytes(), warehouse=wh, registry_path=registry,
                       who=f"user-{firm_id}", firm_id=firm_id, now=now)

    bad = good_sheets(**LIFE)
    bad["投诉"][1][4] = "很多"
    uploaded = {"own": send("安泰.xlsx", good_sheets(), "F001", LATE),
                "other": send("康宁秘密.xlsx", bad, "F002", ON_TIME)}
    return wh, uploaded


def test_a_member_sees_its_own_uploads_only(world):
    wh, uploaded = world
    member = Warehouse(wh, Scope(firm_id="F001"))
    history = portal.history(member)
    assert history["file_name"].to_list() == ["安泰.xlsx"]
    assert history.row(0, named=True) | {"upload_id": None, "received_at": None} == {
        "upload_id": None, "received_at": None, "file_name": "安泰.xlsx", "firm_id": "F001", "period": "2025Q3",
        "status": "accepted", "late": True, "reason": "", "n_errors": 0, "n_warnings": 0, "who": "user-F001"}
    assert portal.receipt(member, uploaded["other"].upload_id) is None
    assert portal.receipt(member, "no-such-upload") is None
    assert portal.receipt(member, uploaded["own"].upload_id).file_name == "安泰.xlsx"


def test_the_secretariat_sees_every_upload_newest_first(world):
    wh, _ = world
    history = portal.history(Warehouse(wh))
    assert history["file_name"].to_list() == ["康宁秘密.xlsx", "安泰.xlsx"]
    assert history["status"].to_list() == ["rejected", "accepted"]
    assert history["n_errors"].to_list()[0] >= 1


def test_the_next_version_is_one_more_than_any_received(world):
    wh, _ = world
    assert portal.next_version(Warehouse(wh), "F001", "2025Q3") == 2
    assert portal.next_version(Warehouse(wh), "F001", "2025Q4") == 1


def test_reminders_list_the_late_and_the_rejected_with_their_contacts(world):
    wh, _ = world
    rows = {r["firm_id"]: r for r in portal.reminders(Warehouse(wh), "2025Q3").iter_rows(named=True)}
    assert (rows["F001"]["status"], rows["F001"]["late"]) == ("accepted", True)   # after 2025-10-20 (Beijing)
    assert (rows["F002"]["status"], rows["F002"]["late"]) == ("rejected", False)
    assert (rows["F001"]["filler"], rows["F001"]["phone"]) == ("张三", "010-12345678")


def test_a_members_reminder_list_is_its_own_row(world):
    wh, _ = world
    assert portal.reminders(Warehouse(wh, Scope(firm_id="F002")), "2025Q3")["firm_id"].to_list() == ["F002"]
