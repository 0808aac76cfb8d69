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
