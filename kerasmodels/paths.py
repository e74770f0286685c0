"""Where kerasmodels reads and writes files.

- `cache_dir()`: generated data (e.g. the `shapes` set), overridable with
  KERASMODELS_CACHE.
- `runs_dir()`: executed lessons and reports, overridable with KERASMODELS_RUNS
  (default: ./runs in the current directory).

Both only name a folder: it is created by whatever first writes into it (the atomic writers
below create the parents they need), so asking where things go (`kerasmodels info`) leaves no
empty `./runs` behind in whatever folder it ran in.
"""

import os
import tempfile
from pathlib import Path


def cache_dir():
    root = os.environ.get("KERASMODELS_CACHE")
    if root:
        path = Path(root).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "kerasmodels"
    return path


def runs_dir():
    return Path(os.environ.get("KERASMODELS_RUNS") or Path.cwd() / "runs").expanduser()


def _umask():
    """The process's umask (read without changing it where Linux allows)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere the only way to read it is to set it and put it back
    os.umask(mask)
    return mask


def atomic_write_bytes(path, data):
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    The file gets the permissions `open()` would give it (0644 under the usual umask 022), or keeps
    those of the file it replaces; `mkstemp` alone would leave it 0600, unreadable to a web server
    or a classmate.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path, text):
    return atomic_write_bytes(path, text.encode("utf-8"))
