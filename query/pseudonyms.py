"""Stable pseudonyms for the firms a member may not see identified (同业A, 同业B …).

Each member gets its own lettering: the other firms are ordered by HMAC-SHA256(key, "<member>\\0<firm>") and
lettered A, B, … in that order. The key is a random secret kept in the warehouse folder, outside the snapshots
(`<warehouse>/keys/pseudonyms.key`, mode 0600, made at the first open of a warehouse that has firms), so:
- the same firm keeps the same pseudonym for that member across quarters, pages, sessions, the dashboard and
  `xiaobao … --user` (the registry is the same; a firm joining or leaving the registry re-letters);
- the order reveals nothing of the registry's order or ids (without the key, the ids do not give the letters);
- two members see the same firm under different letters, so they cannot pool what each knows of a pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from pathlib import Path

from core import atomic

log = logging.getLogger("xiaobao.query")
KEY_DIR = "keys"
KEY_FILE = "pseudonyms.key"
KEY_BYTES = 32
PREFIX = "同业"
_lock = threading.Lock()
_fallback: dict[str, bytes] = {}  # per warehouse, when the folder cannot be written (pseudonyms then per process)


def key_path(warehouse: Path) -> Path:
    return Path(warehouse) / KEY_DIR / KEY_FILE


def key(warehouse: Path) -> bytes:
    """The warehouse's pseudonym key, made on first use (readable by its owner only)."""
    path = key_path(warehouse)
    with _lock:
        try:
            data = path.read_bytes()
            if len(data) >= KEY_BYTES:
                return data
        except FileNotFoundError:
            pass
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fresh = secrets.token_bytes(KEY_BYTES)

            def write(handle) -> None:
                os.fchmod(handle.fileno(), 0o600)  # before a byte of the key is in it
                handle.write(fresh)

            atomic.write_with(path, write)
            return path.read_bytes()  # what is on disk (another process may have written it just before)
        except OSError:
            log.warning("cannot keep the pseudonym key in %s: pseudonyms hold for this process only", path.parent)
            return _fallback.setdefault(str(Path(warehouse).resolve()), secrets.token_bytes(KEY_BYTES))


def letters(n: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def assign(firm_ids: list[str], member: str, secret: bytes) -> dict[str, str]:
    """firm id → 同业X for every firm but the member's own, in the member's own keyed order."""
    def rank(firm: str) -> bytes:
        return hmac.new(secret, f"{member}\0{firm}".encode(), hashlib.sha256).digest()

    ordered = sorted((f for f in dict.fromkeys(firm_ids) if f != member), key=rank)
    return {f: f"{PREFIX}{letters(i)}" for i, f in enumerate(ordered)}
