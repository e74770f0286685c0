"""One training run per folder: a lock file that names the run holding it.

`kerasmodels train` (one process, or the launcher of `--workers N`) holds
`<out>/.kerasmodels.lock` while it runs. A second run started into the same
folder is refused with one line naming the first (pid, host, start time,
command), instead of both writing the same checkpoints.

The lock is the operating system's, taken through `filelock` (`flock` on Linux
and macOS, `LockFileEx` on Windows), so it ends with the process that holds it:
the lock of a killed run is stale and the next run takes it over without asking.
The launcher's workers inherit the lock (POSIX), so a folder stays locked
until the last of them has exited. The file is removed when the run ends.
"""

import contextlib
import json
import os
import shlex
import socket
import sys
import time
from pathlib import Path

from kerasmodels.errors import KerasmodelsError

LOCK_FILE = ".kerasmodels.lock"
# Set in the environment of workers whose launcher holds the lock (they must not take it again).
HELD_ENV = "KERASMODELS_RUN_LOCKED"


def _holder(path):
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
        return (f"pid {info['pid']} on {info['host']}, started {info['started']}: {info['command']}",
                info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return "a process that has not written its details yet", None


def default_command():
    """This process's command line, as a person would type it."""
    return shlex.join([Path(sys.argv[0]).name or "python", *sys.argv[1:]])


class RunLock:
    """The lock of one run folder; `release()` (or the `with` block's end) gives it up.

    Attributes:
        path: the lock file.
        fd: its descriptor (pass it to child processes that must keep the folder locked).
    """

    def __init__(self, folder, command=None):
        self.path = Path(folder) / LOCK_FILE
        self.command = command or default_command()
        self.fd = None
        self._lock = None

    def acquire(self):
        from filelock import FileLock, Timeout

        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Not thread-local, not re-entrant across objects: a second RunLock is refused even in this process.
        lock = FileLock(self.path, blocking=False, thread_local=False, on_acquired=self._write_holder)
        try:
            lock.acquire()
        except Timeout:
            who, pid = _holder(self.path)
            stop = f"stop it (kill {pid}), " if pid else ""
            raise KerasmodelsError(
                f"{self.path.parent} is in use by another run ({who}). Fix: wait for it to end, {stop}"
                "or pass another --out.")
        self._lock = lock
        return self

    def _write_holder(self, fd):
        """Called by filelock with the locked file's descriptor: write who holds it (read by `_holder`)."""
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S"), "command": self.command}
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps(info) + "\n").encode("utf-8"))
        os.fsync(fd)
        self.fd = fd

    def release(self):
        if self._lock is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # first, while still holding it: nobody can lock the old file in between
        self._lock.release(force=True)
        self._lock = None
        self.fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()


def hold(folder, command=None):
    """`with hold(folder): ...` runs the block holding the folder's lock (a `RunLock`).

    Raises:
        KerasmodelsError: another live process holds it; the message names that run.
    """
    return RunLock(folder, command)
