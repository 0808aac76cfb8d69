"""One way to write a file so that a reader never sees half of it: a temporary file beside the target, flushed
and fsynced, then renamed over it (os.replace is atomic on one file system).

Many files at once (the originals of an ingest batch): `Staged` writes and fsyncs them under temporary names in the
background, concurrently (the file system commits concurrent fsyncs in a few journal transactions instead of one
per file), and `commit` waits for them, then renames each into place."""

from __future__ import annotations

import errno
import os
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

# Why the system refused a write, and what the operator can do about it (the other errors: check the disk).
_REFUSALS = {
    errno.ENOSPC: ("磁盘空间不足", "腾出磁盘空间"),
    errno.EDQUOT: ("磁盘配额已用完", "腾出空间或提高配额"),
    errno.EROFS: ("文件系统为只读", "换用可写的位置（或将其重新挂载为可写）"),
    errno.EACCES: ("没有访问权限", "以有读写权限的用户运行，或修正目录权限"),
    errno.EPERM: ("操作不被允许", "以有读写权限的用户运行，或修正目录权限"),
    errno.EIO: ("磁盘读写错误", "检查磁盘"),
    errno.EEXIST: ("该位置已有同名文件", "换用其他目录"),
    errno.ENOTDIR: ("路径中有一段不是目录", "换用其他目录"),
}


def refusal(error: OSError) -> str:
    """An OSError as an operator reads it: 磁盘空间不足（/data/wh/snapshots/…）."""
    reason = _REFUSALS.get(error.errno or 0, (f"系统错误：{error.strerror or error}", ""))[0]
    return f"{reason}（{error.filename}）" if error.filename else reason


def advice(error: OSError) -> str:
    """What the operator can do about a refused write: 腾出磁盘空间, 修正目录权限 …"""
    return _REFUSALS.get(error.errno or 0, ("", "检查磁盘"))[1]


FSYNC_THREADS = 4  # concurrent fsyncs (store apply under load, median: 4 threads 0.34 s, 8 0.35, 16 0.41, 32 0.41)


def _tmp(path: Path) -> Path:
    """The temporary name beside `path` (`.<name>.<pid>.<random>.tmp`: hidden, and recognisable as debris)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def write_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call `write(handle)` on a temporary file beside `path`, then swap it in; on any failure the target is left
    as it was and the temporary file removed."""
    path = Path(path)
    tmp = _tmp(path)
    try:
        with open(tmp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    write_with(path, lambda handle: handle.write(data))


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def fsync_path(path: Path) -> None:
    """A file's contents, or a directory's entries, made durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def append_line(path: Path, line: bytes, mode: int = 0o640) -> None:
    """One line appended to a log and fsynced before returning (the folder's entry too when the folder is new):
    O_APPEND, so concurrent writers never interleave a line, and every byte written (a short write is resumed)."""
    path = Path(path)
    created = not path.parent.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, mode)
    try:
        view = memoryview(line)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_path(path.parent.parent)


def fsync_all(paths: Iterable[Path]) -> None:
    """fsync_path for each of `paths`, concurrently; raises the first error after all have been tried."""
    paths = list(paths)
    if len(paths) <= 1:
        for path in paths:
            fsync_path(path)
        return
    with ThreadPoolExecutor(min(FSYNC_THREADS, len(paths))) as pool:
        futures = [pool.submit(fsync_path, p) for p in paths]
    for future in futures:
        future.result()


def _write_durably(tmp: Path, data: bytes) -> None:
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class Staged:
    """Files written beside their targets under temporary names, not yet visible under their names.

    Each is written and fsynced in the background (FSYNC_THREADS at a time: the file system commits concurrent
    fsyncs together, and the caller goes on with its own work meanwhile). `commit(also)` waits for them, makes the
    files `also` durable too, renames each over its target and fsyncs the targets' folders; `discard` removes
    whatever is still temporary. A crash in between leaves only `.*.tmp` temporaries, never a target with half its
    bytes, and nothing is renamed into place before it is durable."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []  # (temporary, target)
        self.committed: list[Path] = []  # targets renamed into place by `commit`
        self._token = f"{os.getpid()}.{uuid.uuid4().hex[:8]}"  # one random part for all (a uuid4 each is slow)
        self._pool: ThreadPoolExecutor | None = None
        self._jobs: list[Future[None]] = []

    def write_bytes(self, path: Path, data: bytes) -> None:
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{self._token}-{len(self.pending)}.tmp")  # the shape _tmp gives
        if self._pool is None:
            self._pool = ThreadPoolExecutor(FSYNC_THREADS)
        self.pending.append((tmp, path))
        self._jobs.append(self._pool.submit(_write_durably, tmp, data))

    def _wait(self) -> None:
        """Every background write finished; raises the first one's error."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        jobs, self._jobs = self._jobs, []
        for job in jobs:
            job.result()

    def commit(self, also: Iterable[Path] = ()) -> None:
        self._wait()
        fsync_all(also)
        for tmp, target in self.pending:
            os.replace(tmp, target)
            self.committed.append(target)
        folders = sorted({target.parent for _, target in self.pending})
        self.pending = []
        fsync_all(folders)

    def revert(self) -> None:
        """Remove the files `commit` put in place (what refers to them was not written after all); best effort."""
        for target in self.committed:
            try:
                target.unlink(missing_ok=True)
            except OSError:
                pass  # unreferenced, harmless: content-addressed files are written once and only ever read by name
        self.committed = []

    def discard(self) -> None:
        try:
            self._wait()
        except Exception:  # noqa: BLE001,S110 — discarding after a failure: the temporaries go either way
            pass
        finally:
            for tmp, _ in self.pending:
                tmp.unlink(missing_ok=True)
            self.pending = []
