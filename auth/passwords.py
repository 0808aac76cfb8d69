"""Passwords: hashed with argon2id (argon2-cffi, RFC 9106 low-memory parameters), never kept or shown in plain.

`hash_password` is ~0.15 s and 64 MiB by design, `verify` the same; at most 4 run at once (memory). `DUMMY` is
checked when a user name is unknown, so a login takes as long whether or not the user exists (no enumeration by
timing).
"""

from __future__ import annotations

import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256
RULE = f"密码至少 {MIN_LENGTH} 个字符、至多 {MAX_LENGTH} 个字符，不能全是空白。"

_HASHER = PasswordHasher()   # argon2id, t=3, m=64 MiB, p=4
# At most this many hashes at once: each takes 64 MiB, and a burst of logins must not take the server's memory.
_AT_ONCE = threading.BoundedSemaphore(4)
# _HASHER.hash("xiaobao-no-such-user"), made once: hashing it at every import cost the server's start 0.15 s. Its
# parameters are the hasher's (tests/auth/test_passwords.py), so checking it takes as long as a real user's.
DUMMY = "$argon2id$v=19$m=65536,t=3,p=4$ZCK22UKBloJOs/ajBRu4IA$+ThaAyedLLrcRbrxi5J6r8FDBYzdcBQwSbef7p+oLeM"


def problem(password: str) -> str | None:
    """Why a new password is refused (RULE), or None when it is acceptable."""
    if not password.strip() or not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return RULE
    return None


def hash_password(password: str) -> str:
    with _AT_ONCE:
        return _HASHER.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches `stored_hash`; an unknown user (None) costs a verify too and fails."""
    try:
        with _AT_ONCE:
            return _HASHER.verify(stored_hash or DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False
