"""Where kerasmodels reads and writes files.

- `cache_dir()`: generated data (e.g. the `shapes` set), overridable with
  KERASMODELS_CACHE.
- `runs_dir()`: executed lessons and reports, overridable with KERASMODELS_RUNS
  (default: ./runs in the current directory).
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
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir():
    path = Path(os.environ.get("KERASMODELS_RUNS") or Path.cwd() / "runs").expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write_bytes(path, data):
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
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
