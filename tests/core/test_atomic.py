import os

import pytest

from core import atomic


def test_writes_replace_the_file_whole(tmp_path):
    target = tmp_path / "report.json"
    atomic.write_text(target, "一")
    atomic.write_bytes(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary left behind


def test_a_failing_write_leaves_the_old_file_and_no_debris(tmp_path):
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")

    def half_then_fail(handle):
        handle.write(b"ne")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic.write_with(target, half_then_fail)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_staged_files_appear_only_on_commit_whole_and_durable(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(os.readlink(f"/proc/self/fd/{fd}")), real_fsync(fd)))
    (tmp_path / "files").mkdir()
    staged = atomic.Staged()
    for n in range(40):
        staged.write_bytes(tmp_path / "files" / f"{n}.xlsx", str(n).encode() * 1000)
    assert not list((tmp_path / "files").glob("*.xlsx"))  # nothing under its own name before the commit
    staged.commit(also=[])
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == sorted(f"{n}.xlsx" for n in range(40))
    assert all((tmp_path / "files" / f"{n}.xlsx").read_bytes() == str(n).encode() * 1000 for n in range(40))
    assert sum(1 for p in synced if p.endswith(".tmp")) == 40  # each file's bytes fsynced before its rename
    assert str(tmp_path / "files") in synced  # …and the folder after the renames


def test_a_staged_write_that_fails_raises_on_commit_and_nothing_is_renamed(tmp_path):
    (tmp_path / "files").mkdir()
    staged = atomic.Staged()
    staged.write_bytes(tmp_path / "files" / "a.xlsx", b"a")
    staged.write_bytes(tmp_path / "gone" / "b.xlsx", b"b")  # its folder does not exist
    with pytest.raises(OSError):
        staged.commit()
    staged.discard()
    assert os.listdir(tmp_path / "files") == []  # a.xlsx neither renamed nor left as a temporary


def test_discarded_staged_files_leave_no_debris(tmp_path):
    staged = atomic.Staged()
    staged.write_bytes(tmp_path / "a.xlsx", b"a")
    staged.discard()
    assert os.listdir(tmp_path) == []


def test_fsync_all_reports_a_failure(tmp_path):
    (tmp_path / "a").write_bytes(b"a")
    with pytest.raises(FileNotFoundError):
        atomic.fsync_all([tmp_path / "a", tmp_path / "missing", tmp_path])


def test_a_refused_write_reads_as_its_reason_and_what_to_do():
    import errno

    full = OSError(errno.ENOSPC, "No space left on device", "/wh/snapshots/.tmp-1/submissions.parquet")
    assert atomic.refusal(full) == "磁盘空间不足（/wh/snapshots/.tmp-1/submissions.parquet）"
    assert atomic.advice(full) == "腾出磁盘空间"
    assert atomic.refusal(OSError(errno.EROFS, "Read-only file system")) == "文件系统为只读"
    assert atomic.refusal(OSError(errno.EACCES, "Permission denied", "/wh/.lock")) == "没有访问权限（/wh/.lock）"
    odd = OSError(errno.ENAMETOOLONG, "File name too long", "x")
    assert atomic.refusal(odd) == "系统错误：File name too long（x）" and atomic.advice(odd) == "检查磁盘"


def test_append_line_resumes_a_short_write_and_creates_the_folder(tmp_path, monkeypatch):
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data[:3])))  # the kernel takes 3 bytes a call
    log = tmp_path / "new" / "log.jsonl"
    atomic.append_line(log, b'{"a": 1}\n', 0o600)
    atomic.append_line(log, b'{"b": 2}\n', 0o600)
    assert log.read_bytes() == b'{"a": 1}\n{"b": 2}\n'
    assert log.stat().st_mode & 0o777 == 0o600
