"""Files kerasmodels writes: atomic, and readable like any other file."""

import os
import stat

import pytest

from kerasmodels.paths import atomic_write_bytes, atomic_write_text


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Set the process umask for one test and put the old one back."""
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def test_new_files_follow_the_umask_like_open_does(tmp_path, umask):
    umask(0o022)
    assert _mode(atomic_write_text(tmp_path / "report.html", "<html>")) == 0o644
    umask(0o077)
    assert _mode(atomic_write_bytes(tmp_path / "private.bin", b"x")) == 0o600
    umask(0o002)
    assert _mode(atomic_write_text(tmp_path / "shared.json", "{}")) == 0o664


def test_replacing_a_file_keeps_its_permissions_and_content_is_whole(tmp_path, umask):
    umask(0o022)
    path = tmp_path / "metrics.json"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_text(path, "new")
    assert path.read_text() == "new" and _mode(path) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary file left behind
