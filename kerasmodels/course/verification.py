"""Which lessons, as their source reads now, passed on which Keras backend on this machine.

Every `run_lesson` (hence `kerasmodels run`, `tour` and the test suite) records its outcome in
`verification_path()` under a cross-platform file lock (filelock), so that runs in parallel do
not lose each other's records; `kerasmodels lessons` shows them.
"""

import contextlib
import hashlib
import json
import time
from pathlib import Path

from kerasmodels.paths import atomic_write_text, cache_dir

__all__ = ["record_verification", "source_sha256", "verification", "verification_path"]


def verification_path():
    """The file that records, per lesson and backend, its last run on this machine (KERASMODELS_CACHE moves it)."""
    return cache_dir() / "verified.json"


def source_sha256(spec):
    return hashlib.sha256(Path(spec.source).read_bytes()).hexdigest()


@contextlib.contextmanager
def _locked(path):
    """An exclusive lock on `path`.lock (filelock: flock on Linux and macOS, LockFileEx on Windows).

    Runs in parallel (two terminals, pytest-xdist) must not lose each other's records.
    """
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_name(path.name + ".lock")):
        yield


def _read_verification(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def record_verification(result, backend):
    """Remember that `result.lesson`, as its source reads now, passed or failed on `backend`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        keras_version = version("keras")
    except PackageNotFoundError:
        keras_version = None
    path = verification_path()
    with _locked(path):
        records = _read_verification(path)
        records.setdefault(result.lesson.name, {})[backend] = {
            "status": result.status,
            "mode": result.mode,
            "seconds": round(result.seconds, 1),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "keras": keras_version,
            "source_sha256": source_sha256(result.lesson),
        }
        atomic_write_text(path, json.dumps(records, indent=2, sort_keys=True))


def verification(spec):
    """{backend: record} of the runs of `spec` whose source is the lesson's current one.

    A record (from `run_lesson`, hence `kerasmodels run`, `tour` and the test suite) has
    "status" ("passed" or "failed"), "mode", "seconds", "date" and "keras" (its version).
    Runs of an earlier version of the lesson are left out: they verified other code.
    """
    current = source_sha256(spec)
    records = _read_verification(verification_path()).get(spec.name, {})
    return {backend: r for backend, r in sorted(records.items()) if r.get("source_sha256") == current}
