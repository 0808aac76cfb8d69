"""Passwords are argon2id hashes; the rule refuses short and blank ones; an unknown user verifies against a dummy."""

from __future__ import annotations

from auth import passwords


def test_a_hash_is_argon2id_salted_and_verifies_only_its_password():
    first, second = passwords.hash_password("correct horse 1"), passwords.hash_password("correct horse 1")
    assert first.startswith("$argon2id$") and first != second   # a fresh salt each time
    assert "correct horse" not in first
    assert passwords.verify(first, "correct horse 1") and passwords.verify(second, "correct horse 1")
    assert not passwords.verify(first, "correct horse 2")


def test_an_unknown_user_or_a_broken_hash_never_verifies():
    assert not passwords.verify(None, "xiaobao-no-such-user")   # the dummy's own password: still no
    # the dummy is checked as hard as a real user's hash (same argon2id parameters): no enumeration by timing
    assert passwords.DUMMY.startswith("$argon2id$") and not passwords._HASHER.check_needs_rehash(passwords.DUMMY)
    assert passwords._HASHER.verify(passwords.DUMMY, "xiaobao-no-such-user")
    assert not passwords.verify("not a hash", "whatever-password")


def test_the_rule():
    assert passwords.problem("123456789") == passwords.RULE            # 9 characters
    assert passwords.problem(" " * 12) == passwords.RULE               # blank
    assert passwords.problem("x" * 257) == passwords.RULE
    assert passwords.problem("一二三四五六七八九十") is None             # 10 characters, Chinese counts
    assert "10" in passwords.RULE
