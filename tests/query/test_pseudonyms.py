"""Pseudonym letters (query/pseudonyms.py): keyed, per member, kept in the warehouse folder readable by its owner."""

from __future__ import annotations

import hashlib
import hmac
import stat

from query import pseudonyms


def test_letters_run_a_to_z_then_aa():
    assert [pseudonyms.letters(i) for i in (0, 1, 25, 26, 27, 51, 52)] == ["A", "B", "Z", "AA", "AB", "AZ", "BA"]


def test_the_key_is_made_once_readable_by_its_owner_only(tmp_path):
    key = pseudonyms.key(tmp_path)
    path = pseudonyms.key_path(tmp_path)
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert pseudonyms.key(tmp_path) == key


def test_each_member_letters_the_others_in_its_own_keyed_order():
    key = b"k" * 32
    firms = ["F1", "F2", "F3", "F4"]
    got = pseudonyms.assign(firms, "F2", key)
    order = sorted(["F1", "F3", "F4"], key=lambda f: hmac.new(key, f"F2\0{f}".encode(), hashlib.sha256).digest())
    assert got == {order[0]: "同业A", order[1]: "同业B", order[2]: "同业C"} and "F2" not in got
    assert pseudonyms.assign(list(reversed(firms)), "F2", key) == got  # the registry's order plays no part
