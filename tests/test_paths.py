"""Files kerasmodels writes: atomic, and readable like any other file."""

import os
import stat
import sys
from pathlib import Path

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


def test_the_cache_folder_is_the_platforms_unless_overridden(tmp_path, monkeypatch):
    import platformdirs

    from kerasmodels.paths import cache_dir

    monkeypatch.setenv("KERASMODELS_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("KERASMODELS_CACHE", "~/kmcache")
    assert cache_dir() == Path.home() / "kmcache"
    monkeypatch.delenv("KERASMODELS_CACHE")
    assert cache_dir() == Path(platformdirs.user_cache_dir("kerasmodels", appauthor=False))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG layout is Linux's")
def test_the_linux_cache_folder_is_where_it_always_was(tmp_path, monkeypatch):
    from kerasmodels.paths import cache_dir

    monkeypatch.delenv("KERASMODELS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "kerasmodels"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == Path.home() / ".cache" / "kerasmodels"
