"""Where kerasmodels reads and writes files.

- `cache_dir()`: generated data (e.g. the `shapes` set), overridable with
  KERASMODELS_CACHE.
- `runs_dir()`: executed lessons and reports, overridable with KERASMODELS_RUNS
  (default: ./runs in the current directory).
- `lessons_dir()` / `notebooks_dir()`: the lesson sources of a checkout,
  overridable with KERASMODELS_LESSONS.
"""

import os
import tempfile
from pathlib import Path

from kerasmodels.errors import KerasmodelsError

PACKAGE_DIR = Path(__file__).resolve().parent


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


def project_root():
    """The checkout that holds lessons/ (the package is installed editable from it)."""
    env = os.environ.get("KERASMODELS_LESSONS")
    if env:
        return Path(env).expanduser().resolve().parent
    for candidate in (PACKAGE_DIR.parent, Path.cwd()):
        if (candidate / "lessons").is_dir():
            return candidate
    raise KerasmodelsError(
        "cannot find the lessons/ folder. Run kerasmodels from the project checkout, "
        "or set KERASMODELS_LESSONS=/path/to/kerasmodels/lessons"
    )


def lessons_dir():
    env = os.environ.get("KERASMODELS_LESSONS")
    return Path(env).expanduser().resolve() if env else project_root() / "lessons"


def notebooks_dir():
    return project_root() / "notebooks"


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
