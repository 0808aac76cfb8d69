"""The users file: hashes never the password, written whole and atomically with mode 0600, stamps that change
when access changes, a member bound to a firm, and the cache that re-reads only a changed file."""

from __future__ import annotations

import json
import stat

import pytest

from auth import users
from core import atomic

PASSWORD = "a-long-password-1"


def test_an_added_user_is_stored_hashed_owner_only(tmp_path):
    path = tmp_path / "users.json"
    account = users.add(path, "zhangsan", "secretariat", PASSWORD, name="张三\x1b[31m")
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text and account.password_hash in text and account.password_hash.startswith("$argon2id$")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert users.load(path) == {"zhangsan": account}
    assert account.user.name == "张三[31m" and account.user.role == "secretariat" and account.user.firm_id is None
    assert json.loads(text)["format"] == users.FORMAT


def test_members_need_a_firm_and_only_members_have_one(tmp_path):
    path = tmp_path / "users.json"
    with pytest.raises(users.UserError, match="--firm"):
        users.add(path, "m1", "member", PASSWORD)
    with pytest.raises(users.UserError, match="只有会员公司用户"):
        users.add(path, "a1", "analyst", PASSWORD, firm_id="F001")
    member = users.add(path, "m1", "member", PASSWORD, firm_id="F001")
    assert member.user.is_member and member.user.firm_id == "F001"


@pytest.mark.parametrize(("name", "role", "password", "match"), [
    ("bad name", "analyst", PASSWORD, "用户名"), ("-x", "analyst", PASSWORD, "用户名"),
    ("ok", "boss", PASSWORD, "角色"), ("ok", "analyst", "short", "至少 10 个字符")])
def test_malformed_adds_are_refused_and_write_nothing(tmp_path, name, role, password, match):
    path = tmp_path / "users.json"
    with pytest.raises(users.UserError, match=match):
        users.add(path, name, role, password)
    assert not path.exists()


def test_a_taken_name_is_refused(tmp_path):
    path = tmp_path / "users.json"
    users.add(path, "lisi", "analyst", PASSWORD)
    with pytest.raises(users.UserError, match="已存在"):
        users.add(path, "lisi", "secretariat", PASSWORD)
    assert users.load(path)["lisi"].role == "analyst"


def test_disable_enable_and_reset_each_change_the_stamp(tmp_path):
    path = tmp_path / "users.json"
    stamps = [users.add(path, "wangwu", "analyst", PASSWORD).stamp]
    stamps.append(users.set_disabled(path, "wangwu", True).stamp)
    assert users.load(path)["wangwu"].disabled
    stamps.append(users.set_disabled(path, "wangwu", False).stamp)
    old_hash = users.load(path)["wangwu"].password_hash
    stamps.append(users.reset_password(path, "wangwu", "another-password-2").stamp)
    assert len(set(stamps)) == 4 and users.load(path)["wangwu"].password_hash != old_hash
    assert not users.load(path)["wangwu"].disabled
    with pytest.raises(users.UserError, match="没有这个用户"):
        users.set_disabled(path, "nobody", True)
    users.remove(path, "wangwu")
    assert users.load(path) == {}


def test_a_failed_write_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "users.json"
    users.add(path, "zhaoliu", "analyst", PASSWORD)
    before = path.read_bytes()

    def broken(target, write):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "write_with", broken)
    with pytest.raises(OSError):
        users.set_disabled(path, "zhaoliu", True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_the_cache_rereads_a_changed_file_only(tmp_path):
    path = tmp_path / "users.json"
    users.add(path, "a1", "analyst", PASSWORD)
    first = users.cached(path)
    assert users.cached(path) is first                       # unchanged: the same object, no re-read
    users.set_disabled(path, "a1", True)
    assert users.cached(path)["a1"].disabled                 # rewritten (a new inode): read again
    assert users.cached(tmp_path / "none.json") == {}


def test_a_broken_file_is_a_clear_error(tmp_path):
    path = tmp_path / "users.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(users.UserError, match="无法读取"):
        users.load(path)
    path.write_text('{"format": "other", "users": []}', encoding="utf-8")
    with pytest.raises(users.UserError, match="格式不对"):
        users.load(path)


def test_the_path_defaults_under_data_and_the_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.delenv(users.USERS_ENV, raising=False)
    assert users.users_path() == users.DEFAULT_USERS and users.DEFAULT_USERS.parts[0] == "data"
    monkeypatch.setenv(users.USERS_ENV, str(tmp_path / "u.json"))
    assert users.users_path() == tmp_path / "u.json"
    assert users.users_path(tmp_path / "o.json") == tmp_path / "o.json"
