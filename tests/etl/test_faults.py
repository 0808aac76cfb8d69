"""Faults at every moment of an ingest (etl/store.py, core/atomic.py, etl/ingest.py and `xiaobao ingest` together):

- kill -9 at thirteen moments (a child process that SIGKILLs itself there): `current` stays readable and equals the
  warehouse before or after the batch, the debris never breaks the next ingest, and re-running the batch succeeds;
- two ingests at once lose nothing (the second waits for the lock, both files land);
- a refused write (ENOSPC, EROFS, EACCES injected into the write primitives) at each step: exit 2, a Chinese
  message naming the step and the reason, the warehouse byte for byte as it was, the --report written;
- the same for real: a full and a read-only tmpfs (when this machine lets the tests mount one), a permission denied
  (as another user when the tests run as root, with chmod otherwise).

Batches are two tiny workbooks (tests/etl/workbooks.py) on a warehouse holding one earlier quarter."""

from __future__ import annotations

import builtins
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest
from typer.testing import CliRunner

from core import layout
from etl.ingest import run
from tests.etl.workbooks import good_sheets, write_registry, write_xlsx
from xiaobao.cli import app

ROOT = Path(__file__).resolve().parents[2]


# ── the warehouse as a reader sees it ─────────────────────────────────────────────────────────────────────────
def state(warehouse: Path) -> dict[str, list]:
    """What `current` holds: every fact dataset's rows (read with DuckDB, as the query layer does) and each file's
    submission row (without its receipt time, which differs from run to run)."""
    snap = layout.current_snapshot(warehouse)
    if snap is None:
        return {}
    out: dict[str, list] = {}
    for dataset in layout.FACT_DATASETS:
        files = layout.dataset_files(snap, dataset)
        out[dataset] = sorted(duckdb.sql("select * from read_parquet($files, hive_partitioning = true)",
                                         params={"files": [str(f) for f in files]}).fetchall()) if files else []
    subs = pl.read_parquet(snap / layout.SUBMISSIONS).drop("received_at").sort("seq")
    out["submissions"] = subs.rows()
    return out


def listing(warehouse: Path) -> list[str]:
    """Every path under the warehouse (with symlink targets), the lock file aside."""
    paths = []
    for p in sorted(warehouse.rglob("*")):
        rel = str(p.relative_to(warehouse))
        if rel != ".lock":
            paths.append(f"{rel} -> {os.readlink(p)}" if p.is_symlink() else rel)
    return paths


def debris(warehouse: Path) -> list[str]:
    """Temporaries of an interrupted ingest, and numbered snapshots newer than `current`."""
    now = layout.current_snapshot(warehouse)
    newest = int(now.name) if now else 0
    snaps = warehouse / layout.SNAPSHOTS
    return sorted([str(p.relative_to(warehouse)) for p in warehouse.rglob(".*") if p.name != ".lock"]
                  + [p.name for p in (snaps.iterdir() if snaps.exists() else []) if p.name.isdigit()
                     and int(p.name) > newest])


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict[str, Path | dict]:
    """A warehouse holding 2025Q2 of F001 (`base`), a batch of two 2025Q3 files, and the state after that batch."""
    root = tmp_path_factory.mktemp("faults")
    registry = write_registry(root / "firms.csv")
    (root / "b1").mkdir()
    write_xlsx(root / "b1" / "q2.xlsx", good_sheets(period="2025Q2"))
    (root / "batch").mkdir()
    write_xlsx(root / "batch" / "q3_property.xlsx", good_sheets(period="2025Q3", k=2))
    write_xlsx(root / "batch" / "q3_life.xlsx", good_sheets("示例康宁人寿", "2025Q3", firm_type="人身险", k=3))
    base = root / "base"
    assert run([root / "b1"], base, registry).ok
    after = root / "after"
    shutil.copytree(base, after, symlinks=True)
    assert run([root / "batch"], after, registry).ok
    return {"root": root, "registry": registry, "batch": root / "batch", "base": base,
            "before": state(base), "after": state(after)}


def fresh(world, name: str) -> Path:
    """A copy of the base warehouse to break."""
    target = world["root"] / "cases" / name
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(world["base"], target, symlinks=True)
    return target


def assert_whole_and_recoverable(world, wh: Path) -> None:
    """`current` readable and equal to before or after; the next ingest of the same batch ends at `after`, clean."""
    now = state(wh)
    assert now in (world["before"], world["after"]), "current is neither the warehouse before nor after the batch"
    report = run([world["batch"]], wh, world["registry"])
    assert report.ok, [(o.file_name, o.status, o.message) for o in report.outcomes]
    assert state(wh) == world["after"]
    assert debris(wh) == []


# ── kill -9 ───────────────────────────────────────────────────────────────────────────────────────────────────
CHILD = r"""
import os, shutil, signal, sys
from pathlib import Path
from core import atomic, layout
from etl import store
from etl.ingest import run

batch, warehouse, registry, moment = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
calls = {}

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def count(name):
    calls[name] = calls.get(name, 0) + 1
    return calls[name]

def wrap(owner, attr, before=None, after=None):
    real = getattr(owner, attr)
    def hooked(*args, **kwargs):
        if before and before(*args):
            die()
        result = real(*args, **kwargs)
        if after and after(*args):
            die()
        return result
    setattr(owner, attr, hooked)

def tmp_original(src, *rest):
    return Path(src).parent.name == layout.FILES

def half_original(tmp, data):
    with open(tmp, "wb") as handle:
        handle.write(data[: len(data) // 2])
        handle.flush()
        os.fsync(handle.fileno())
    die()

def half_parquet(frame, path):
    import io
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue()[: buffer.tell() // 2])
    die()

if moment == "locked":  # the lock taken, nothing written yet
    wrap(store, "_clean_stale", after=lambda *a: True)
elif moment == "original_half_written":
    atomic._write_durably = half_original
elif moment == "original_staged":  # the first original written and fsynced under its temporary name
    wrap(atomic, "_write_durably", after=lambda *a: count("orig") == 1)
elif moment == "first_parquet":
    wrap(store, "write_parquet", after=lambda *a: count("pq") == 1)
elif moment == "parquet_half_written":
    wrap(store, "write_parquet",
         before=lambda frame, path: path.name == layout.SUBMISSIONS and half_parquet(frame, path))
elif moment == "snapshot_files_written":  # every file of the snapshot written, not yet durable
    wrap(store, "write_parquet", after=lambda frame, path: path.name == layout.REGIONS)
elif moment == "before_originals_rename":
    wrap(os, "replace", before=tmp_original)
elif moment == "between_originals_renames":  # one original in place, the other not yet
    wrap(os, "replace", after=lambda *a: tmp_original(*a) and count("rep") == 1)
elif moment == "before_snapshot_rename":
    wrap(os, "rename", before=lambda src, dst: Path(src).name.startswith(".tmp-"))
elif moment == "after_snapshot_rename":  # a numbered snapshot that `current` does not point at
    wrap(os, "rename", after=lambda src, dst: Path(src).name.startswith(".tmp-"))
elif moment == "after_temporary_link":
    wrap(os, "symlink", after=lambda *a: True)
elif moment == "after_swap":  # `current` swapped, its folder entry not yet fsynced, old snapshots not pruned
    wrap(os, "replace", after=lambda src, dst: Path(dst).name == layout.CURRENT)
elif moment == "after_warehouse_fsync":
    wrap(atomic, "fsync_path", after=lambda path: Path(path) == warehouse)
else:
    raise SystemExit(f"unknown moment {moment}")
run([batch], warehouse, registry)
print("finished without being killed")
"""
MOMENTS = ("locked", "original_half_written", "original_staged", "first_parquet", "parquet_half_written",
           "snapshot_files_written", "before_originals_rename", "between_originals_renames", "before_snapshot_rename",
           "after_snapshot_rename", "after_temporary_link", "after_swap", "after_warehouse_fsync")


@pytest.mark.parametrize("moment", MOMENTS)
def test_kill_9_at_every_moment_leaves_current_before_or_after_and_a_rerun_succeeds(world, moment):
    wh = fresh(world, f"kill-{moment}")
    child = subprocess.run([sys.executable, "-c", CHILD, str(world["batch"]), str(wh), str(world["registry"]), moment],
                           cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr  # killed at that moment, not before
    early = moment in ("locked", "original_half_written", "original_staged", "first_parquet", "parquet_half_written",
                       "snapshot_files_written", "before_originals_rename", "between_originals_renames",
                       "before_snapshot_rename", "after_snapshot_rename", "after_temporary_link")
    assert state(wh) == (world["before"] if early else world["after"])
    assert_whole_and_recoverable(world, wh)


CONCURRENT = r"""
import sys, time
from pathlib import Path
from etl import store
from etl.ingest import run

inbox, warehouse, registry, hold = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4] == "hold"
real = store.write_parquet
flag = lambda name: Path(f"{warehouse}.{name}")
def held(frame, path):  # the first ingest holds the lock, writing, until the test has seen the second one wait
    flag("writing").touch()
    for _ in range(6000):
        if flag("release").exists():
            break
        time.sleep(0.02)
    real(frame, path)
def waited():
    flag("waited").touch()
    print("waited", flush=True)
if hold:
    store.write_parquet = held
report = run([inbox], warehouse, registry, on_wait=waited)
print([(o.file_name, o.status) for o in report.outcomes])
"""


def test_two_ingests_at_once_lose_nothing(world):
    wh = fresh(world, "concurrent")
    inboxes = []
    for name in ("q3_property.xlsx", "q3_life.xlsx"):
        inbox = world["root"] / "cases" / f"only-{name}"
        inbox.mkdir(exist_ok=True)
        shutil.copy(world["batch"] / name, inbox / name)
        inboxes.append(inbox)
    flags = {name: Path(f"{wh}.{name}") for name in ("writing", "waited", "release")}
    for flag in flags.values():
        flag.unlink(missing_ok=True)

    def until(flag: Path, process: subprocess.Popen) -> None:
        for _ in range(2400):  # up to two minutes on a loaded machine
            if flag.exists() or process.poll() is not None:
                return
            time.sleep(0.05)

    first = subprocess.Popen([sys.executable, "-c", CONCURRENT, str(inboxes[0]), str(wh), str(world["registry"]),
                              "hold"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    until(flags["writing"], first)
    assert flags["writing"].exists(), "the first ingest never started writing"
    second = subprocess.Popen([sys.executable, "-c", CONCURRENT, str(inboxes[1]), str(wh), str(world["registry"]),
                               "-"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    until(flags["waited"], second)  # the second is blocked on the lock while the first writes
    flags["release"].touch()
    out_second, err_second = second.communicate(timeout=120)
    out_first, _ = first.communicate(timeout=120)
    second = subprocess.CompletedProcess(second.args, second.returncode, out_second, err_second)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert "waited" in second.stdout and "waited" not in out_first  # the lock was respected
    assert "('q3_property.xlsx', 'accepted')" in out_first and "('q3_life.xlsx', 'accepted')" in second.stdout
    assert state(wh) == {**world["after"], "submissions": state(wh)["submissions"]}  # both quarters' figures
    subs = pl.read_parquet(layout.current_snapshot(wh) / layout.SUBMISSIONS).sort("seq")
    assert subs.select("file_name", "status", "seq").rows() == [
        ("q2.xlsx", "accepted", 1), ("q3_property.xlsx", "accepted", 2), ("q3_life.xlsx", "accepted", 3)]
    assert layout.version(wh) == "000003" and debris(wh) == []


# ── refused writes, injected ──────────────────────────────────────────────────────────────────────────────────
class Refuse:
    """Make the write primitives fail with `code` where `where(primitive, path)` says (the others run as usual)."""

    def __init__(self, monkeypatch, code: int, where) -> None:
        self.code, self.where, self.hits = code, where, 0
        real_open, real_fsync = builtins.open, os.fsync

        def check(primitive: str, path) -> None:
            if path is not None and self.where(primitive, Path(path)):
                self.hits += 1
                raise OSError(self.code, os.strerror(self.code), str(path))

        def opened(file, mode="r", *args, **kwargs):
            if isinstance(file, (str, os.PathLike)) and any(c in mode for c in "wax+"):
                check("open", file)
            return real_open(file, mode, *args, **kwargs)

        def fsync(fd):
            check("fsync", os.readlink(f"/proc/self/fd/{fd}"))
            return real_fsync(fd)

        def two(name):
            real = getattr(os, name)

            def call(src, dst, *args, **kwargs):
                check(name, dst)
                return real(src, dst, *args, **kwargs)
            return call

        def mkdir(path, *args, **kwargs):
            check("mkdir", path)
            return real_mkdir(path, *args, **kwargs)

        real_mkdir = os.mkdir

        monkeypatch.setattr(builtins, "open", opened)
        monkeypatch.setattr(os, "fsync", fsync)
        for name in ("replace", "rename", "symlink", "link"):
            monkeypatch.setattr(os, name, two(name))
        monkeypatch.setattr(os, "mkdir", mkdir)


def _in(path: Path, *parts: str) -> bool:
    return any(part in path.parts for part in parts)


# (step, primitive and path that fail, the step named in the message)
STEPS = {
    "lock": (lambda p, path: p == "open" and path.name == ".lock", "加锁"),
    "original_write": (lambda p, path: p == "open" and path.parent.name == "files", "归档原件"),
    "original_fsync": (lambda p, path: p == "fsync" and path.parent.name == "files", "归档原件"),
    "snapshot_folder": (lambda p, path: p == "mkdir" and path.name.startswith(".tmp-"), "写入快照文件"),
    "fact_parquet": (lambda p, path: p == "open" and path.suffix == ".parquet" and _in(path, "complaints"),
                     "写入快照文件"),
    "ledger_parquet": (lambda p, path: p == "open" and path.suffix == ".parquet" and _in(path, "ledger"),
                       "写入快照文件"),
    "submissions_parquet": (lambda p, path: p == "open" and path.name == layout.SUBMISSIONS, "写入快照文件"),
    "snapshot_fsync": (lambda p, path: p == "fsync" and path.name == layout.FIRMS, "确认快照写入磁盘"),
    "original_rename": (lambda p, path: p == "replace" and path.parent.name == "files", "归档原件"),
    "snapshot_rename": (lambda p, path: p == "rename" and path.parent.name == "snapshots", "启用新快照"),
    "temporary_link": (lambda p, path: p == "symlink" and path.name.startswith(".current-"), "启用新快照"),
    "current_swap": (lambda p, path: p == "replace" and path.name == "current", "启用新快照"),
}
REASONS = {errno.ENOSPC: "磁盘空间不足", errno.EROFS: "文件系统为只读", errno.EACCES: "没有访问权限"}


def ingest_cli(world, wh: Path, report: Path):
    return CliRunner().invoke(app, ["ingest", str(world["batch"]), "--warehouse", str(wh), "--registry",
                                    str(world["registry"]), "--report", str(report)],
                              env={"COLUMNS": "250"}, terminal_width=250)


@pytest.mark.parametrize(("step", "code"), [*((s, errno.ENOSPC) for s in STEPS),
                                            ("lock", errno.EROFS), ("original_write", errno.EROFS),
                                            ("current_swap", errno.EROFS), ("lock", errno.EACCES),
                                            ("submissions_parquet", errno.EACCES), ("snapshot_rename", errno.EACCES)])
def test_a_refused_write_at_each_step_exits_2_leaves_the_warehouse_whole_and_writes_the_report(
        world, monkeypatch, step, code):
    wh = fresh(world, f"refuse-{step}-{code}")
    before = listing(wh)
    report = world["root"] / "cases" / f"report-{step}-{code}.json"
    report.unlink(missing_ok=True)
    where, named = STEPS[step]
    refuse = Refuse(monkeypatch, code, lambda p, path: wh in path.parents and where(p, path))
    result = ingest_cli(world, wh, report)
    monkeypatch.undo()
    assert refuse.hits >= 1, "the step was never reached"
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    message = " ".join(result.output.split())
    assert f"数据仓库 {wh} 无法写入：{REASONS[code]}" in message and named in message
    assert "数据仓库未作任何改动（当前版本 000001）" in message
    assert listing(wh) == before  # byte for byte the warehouse it was: no temporaries left on a full disk
    entries = json.loads(report.read_text(encoding="utf-8"))
    assert {e["file_name"]: e["status"] for e in entries} == {"q3_life.xlsx": "accepted",
                                                              "q3_property.xlsx": "accepted"}
    assert all(e["not_written"].startswith(f"数据仓库 {wh} 无法写入") for e in entries)
    assert_whole_and_recoverable(world, wh)


def test_a_refused_fsync_after_the_swap_says_the_new_data_is_in_force(world, monkeypatch):
    wh = fresh(world, "refuse-after-swap")
    report = world["root"] / "cases" / "report-after-swap.json"
    Refuse(monkeypatch, errno.EIO, lambda p, path: p == "fsync" and path == wh)
    result = ingest_cli(world, wh, report)
    monkeypatch.undo()
    assert result.exit_code == 2 and "新数据已生效（当前版本 000002），但未能确认其已写入磁盘" in result.output
    assert state(wh) == world["after"]
    assert all(e["not_written"] is None for e in json.loads(report.read_text(encoding="utf-8")))
    assert_whole_and_recoverable(world, wh)


def test_a_report_that_cannot_be_written_stops_the_ingest_before_it_starts(world, monkeypatch):
    wh = fresh(world, "refuse-report")
    before = listing(wh)
    report = world["root"] / "cases" / "unwritable" / "r.json"
    Refuse(monkeypatch, errno.ENOSPC, lambda p, path: p == "open" and path.parent == report.parent)
    result = ingest_cli(world, wh, report)
    monkeypatch.undo()
    assert result.exit_code == 2 and "无法写入：磁盘空间不足" in result.output and "未导入任何文件" in result.output
    assert listing(wh) == before
    # The report refused only at the end (the disk filled meanwhile): the ingest is done and says so, exit 2.
    refuse = Refuse(monkeypatch, errno.ENOSPC, lambda p, path: p == "open" and path.name.startswith(".r.json")
                    and path.name.endswith(".tmp") and ".probe." not in path.name)
    result = ingest_cli(world, wh, report)
    monkeypatch.undo()
    assert refuse.hits == 1 and result.exit_code == 2, result.output
    assert "导入结果" in result.output and "导入本身已完成" in " ".join(result.output.split())
    assert state(wh) == world["after"] and not report.exists() and debris(wh) == []


# ── refused writes, for real ──────────────────────────────────────────────────────────────────────────────────
def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True,
                          check=False)
    return done.returncode == 0


def test_a_real_full_disk_then_a_real_read_only_one(world):
    mount = Path(tempfile.mkdtemp(prefix="xiaobao-tmpfs-"))
    if not _mount_tmpfs(mount, "4m"):
        mount.rmdir()
        pytest.skip("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): the injected faults above stand in")
    try:
        wh = mount / "wh"
        shutil.copytree(world["base"], wh, symlinks=True)
        before = listing(wh)
        with open(mount / "filler", "wb") as filler:  # fill the disk to the last block
            try:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        report = world["root"] / "cases" / "report-real-full.json"
        result = ingest_cli(world, wh, report)
        assert result.exit_code == 2 and "磁盘空间不足" in result.output, result.output
        assert listing(wh) == before and state(wh) == world["before"]
        assert all(e["not_written"] for e in json.loads(report.read_text(encoding="utf-8")))
        (mount / "filler").unlink()
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        result = ingest_cli(world, wh, report)
        assert result.exit_code == 2 and "文件系统为只读" in result.output, result.output
        assert listing(wh) == before and state(wh) == world["before"]
        subprocess.run(["mount", "-o", "remount,rw", str(mount)], check=True)
        assert_whole_and_recoverable(world, wh)
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, check=False)
        shutil.rmtree(mount, ignore_errors=True)


def test_a_real_permission_denied(world):
    """A warehouse of read-only folders and files (chmod). Root ignores permissions, so as root the child ingest
    runs without the capabilities that override them (setpriv); without setpriv as root the test is skipped."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root ignores file permissions and setpriv is missing: the injected EACCES stands in")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]
    shared = Path(tempfile.mkdtemp(prefix="xiaobao-perm-"))
    try:
        shared.chmod(0o755)
        wh = shared / "wh"
        shutil.copytree(world["base"], wh, symlinks=True)
        batch = shared / "batch"
        shutil.copytree(world["batch"], batch)
        registry = shutil.copy(world["registry"], shared / "firms.csv")
        for path in [wh, *wh.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o555 if path.is_dir() else 0o444)
        before = listing(wh)
        report = shared / "out"
        report.mkdir()
        command = [*prefix, str(Path(sys.executable).parent / "xiaobao"), "ingest", str(batch), "--warehouse", str(wh),
                   "--registry", str(registry), "--report", str(report / "r.json")]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "COLUMNS": "250"})
        output = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == 2, output
        assert "没有访问权限" in output and "Traceback" not in output
        assert listing(wh) == before and state(wh) == world["before"]
        assert json.loads((report / "r.json").read_text(encoding="utf-8"))[0]["not_written"]
    finally:
        for path in [shared, *shared.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(shared, ignore_errors=True)
