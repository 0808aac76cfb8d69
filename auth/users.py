"""The users file: who may log in, their role, a member's firm, an argon2id hash (never the password) and a stamp.

JSON at `users_path()` (default data/users.json, git-ignored; `XIAOBAO_USERS` overrides), mode 0600, rewritten
whole and atomically (core.atomic) under an exclusive lock on a sidecar `.lock` file, so two `xiaobao user`
commands never lose each other's change. Logins only read it (`cached`: re-read when its mtime/size/inode
change), never rewrite it.

The stamp is a random token that changes whenever the account's access changes (disabled, enabled, password
reset): a session remembers the stamp it was opened under and dies when it no longer matches (auth.sessions).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from auth import passwords
from auth.model import ROLES, Role, User
from core import atomic, clock

USERS_ENV = "XIAOBAO_USERS"
DEFAULT_USERS = Path("data/users.json")
FORMAT = "xiaobao-users/1"
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
USERNAME_RULE = "用户名为 1–64 个字符，以字母或数字开头，只含字母、数字和 . _ @ -。"
NAME_MAX = 64


class UserError(ValueError):
    """A users-file operation that cannot be done; the message (Chinese) says why."""


@dataclass(frozen=True)
class Account:
    username: str
    role: Role
    password_hash: str
    stamp: str
    firm_id: str | None = None
    name: str = ""
    disabled: bool = False
    created: str = ""
    changed: str = ""

    @property
    def user(self) -> User:
        return User(username=self.username, role=self.role, firm_id=self.firm_id, name=self.name)


def users_path(override: str | os.PathLike[str] | None = None) -> Path:
    return Path(override or os.environ.get(USERS_ENV) or DEFAULT_USERS)


def new_stamp() -> str:
    return secrets.token_hex(16)


def clean_name(name: str) -> str:
    """A display name without control characters, at most NAME_MAX characters."""
    return "".join(ch for ch in name if ch.isprintable()).strip()[:NAME_MAX]


# ── reading ───────────────────────────────────────────────────────────────────────────────────────────────────
def load(path: Path) -> dict[str, Account]:
    """Every account in the file, by user name; {} when the file does not exist. UserError when it is unreadable."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise UserError(f"用户文件无法读取：{path}（{exc}）") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT or not isinstance(raw.get("users"), list):
        raise UserError(f"用户文件格式不对：{path}")
    found: dict[str, Account] = {}
    for entry in raw["users"]:
        try:
            account = Account(**entry)
        except TypeError as exc:
            raise UserError(f"用户文件格式不对：{path}（{exc}）") from exc
        if account.role not in ROLES:
            raise UserError(f"用户文件中 {account.username} 的角色不对：{account.role}")
        found[account.username] = account
    return found


_cache: dict[Path, tuple[tuple[int, int, int], dict[str, Account]]] = {}
_cache_lock = threading.Lock()


def cached(path: Path) -> dict[str, Account]:
    """`load(path)`, re-read only when the file changed (mtime, size or inode): every script run asks."""
    path = Path(path).resolve()
    try:
        st = path.stat()
        key = (st.st_mtime_ns, st.st_size, st.st_ino)
    except FileNotFoundError:
        return {}
    with _cache_lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == key:
            return hit[1]
    accounts = load(path)
    with _cache_lock:
        _cache[path] = (key, accounts)
    return accounts


# ── writing ───────────────────────────────────────────────────────────────────────────────────────────────────
@contextlib.contextmanager
def _locked(path: Path) -> Iterator[dict[str, Account]]:
    """The accounts, to change in place; written back atomically (mode 0600) when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(f".{path.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        accounts = load(path)
        yield accounts
        save(path, accounts)
    finally:
        os.close(fd)


def save(path: Path, accounts: dict[str, Account]) -> None:
    """The whole file, atomically, readable and writable by its owner only."""
    body = {"format": FORMAT, "users": [asdict(a) for a in sorted(accounts.values(), key=lambda a: a.username)]}
    data = (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    def write(handle) -> None:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(data)

    atomic.write_with(Path(path), write)


def _now() -> str:
    return clock.now().isoformat(timespec="seconds")


def _get(accounts: dict[str, Account], username: str) -> Account:
    if username not in accounts:
        raise UserError(f"没有这个用户：{username}")
    return accounts[username]


def add(path: Path, username: str, role: str, password: str, *, firm_id: str | None = None,
        name: str = "") -> Account:
    """A new account; UserError for a taken or malformed name, an unknown role, a member without a firm (or
    another role with one), or a password breaking passwords.RULE. The firm is checked against the registry by
    the caller (xiaobao user add), which knows where the registry is."""
    if not USERNAME.fullmatch(username):
        raise UserError(USERNAME_RULE)
    if role not in ROLES:
        raise UserError(f"角色应为 {'、'.join(ROLES)} 之一：{role}")
    if role == "member" and not firm_id:
        raise UserError("会员公司用户必须用 --firm 绑定一家会员公司。")
    if role != "member" and firm_id:
        raise UserError("只有会员公司用户（member）绑定公司；秘书处和分析人员不加 --firm。")
    why = passwords.problem(password)
    if why:
        raise UserError(why)
    hashed = passwords.hash_password(password)   # outside the lock: 0.15 s
    with _locked(path) as accounts:
        if username in accounts:
            raise UserError(f"用户已存在：{username}")
        now = _now()
        account = Account(username=username, role=role, password_hash=hashed, stamp=new_stamp(),
                          firm_id=firm_id or None, name=clean_name(name), created=now, changed=now)
        accounts[username] = account
    return account


def remove(path: Path, username: str) -> Account:
    with _locked(path) as accounts:
        return accounts.pop(_get(accounts, username).username)


def set_disabled(path: Path, username: str, disabled: bool) -> Account:
    """Disable (every open session ends at its next request) or enable an account."""
    with _locked(path) as accounts:
        account = replace(_get(accounts, username), disabled=disabled, stamp=new_stamp(), changed=_now())
        accounts[username] = account
    return account


def reset_password(path: Path, username: str, password: str) -> Account:
    """A new password; every open session of the user ends at its next request."""
    why = passwords.problem(password)
    if why:
        raise UserError(why)
    hashed = passwords.hash_password(password)
    with _locked(path) as accounts:
        account = replace(_get(accounts, username), password_hash=hashed, stamp=new_stamp(), changed=_now())
        accounts[username] = account
    return account
