"""One training run per folder: a lock file that names the run holding it.

`kerasmodels train` (one process, or the launcher of `--workers N`) holds
`<out>/.kerasmodels.lock` while it runs. A second run started into the same
folder is refused with one line naming the first (pid, host, start time,
command), instead of both writing the same checkpoints.

The lock is the operating system's (`fcntl.flock` on Linux and macOS,
`msvcrt.locking` on Windows), so it ends with the process that holds it: the
lock of a killed run is stale and the next run takes it over without asking.
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
_WINDOWS_OFFSET = 1 << 30  # Windows locks a byte range: one far beyond the text, which stays readable


def _try_lock(fd):
    if os.name == "nt":
        import msvcrt

        os.lseek(fd, _WINDOWS_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


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

    def acquire(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(20):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(fd):
                os.close(fd)
                who, pid = _holder(self.path)
                stop = f"stop it (kill {pid}), " if pid else ""
                raise KerasmodelsError(
                    f"{self.path.parent} is in use by another run ({who}). Fix: wait for it to end, {stop}"
                    "or pass another --out.")
            # The holder before us may have removed the file after we opened it: lock the file that is there.
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        else:
            raise KerasmodelsError(f"could not lock {self.path}: it keeps being replaced. Fix: retry.")
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S"), "command": self.command}
        data = (json.dumps(info) + "\n").encode("utf-8")
        os.lseek(fd, 0, os.SEEK_SET)
        os.truncate(self.path, 0) if os.name == "nt" else os.ftruncate(fd, 0)
        os.write(fd, data)
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self):
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()  # first, while still holding it: nobody can lock the old file in between
        if os.name == "nt":
            import msvcrt

            with contextlib.suppress(OSError):
                os.lseek(self.fd, _WINDOWS_OFFSET, os.SEEK_SET)
                msvcrt.locking(self.fd, msvcrt.LK_UNLCK, 1)
        os.close(self.fd)
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
