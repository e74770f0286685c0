"""Where kerasmodels reads and writes files.

- `cache_dir()`: generated data (e.g. the `shapes` set): the platform's user cache folder
  (platformdirs), overridable with KERASMODELS_CACHE.
- `runs_dir()`: executed lessons and reports, overridable with KERASMODELS_RUNS
  (default: ./runs in the current directory).

Both only name a folder: it is created by whatever first writes into it (the atomic writers
below create the parents they need), so asking where things go (`kerasmodels info`) leaves no
empty `./runs` behind in whatever folder it ran in.
"""

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_save", "atomic_write_bytes", "atomic_write_text", "cache_dir", "runs_dir"]


def cache_dir():
    """The folder for generated data: `KERASMODELS_CACHE`, else the platform's user cache folder.

    That is `platformdirs.user_cache_dir("kerasmodels")`: `$XDG_CACHE_HOME/kerasmodels` or
    `~/.cache/kerasmodels` on Linux, `~/Library/Caches/kerasmodels` on macOS,
    `%LOCALAPPDATA%\\kerasmodels\\Cache` on Windows. The folder is not created here.

    Returns:
        The folder, a `pathlib.Path`.

    Example:

    ```python
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"KERASMODELS_CACHE": "/srv/kerasmodels-cache"}):
    ...     print(cache_dir().as_posix())
    /srv/kerasmodels-cache
    >>> isinstance(cache_dir(), Path)
    True
    ```
    """
    root = os.environ.get("KERASMODELS_CACHE")
    if root:
        return Path(root).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("kerasmodels", appauthor=False))


def runs_dir():
    """The folder for runs (`KERASMODELS_RUNS`, else `./runs`).

    Executed lessons, `kerasmodels train` runs and reports go there. The folder is not
    created here (whatever first writes into it does).

    Returns:
        The folder, an absolute `pathlib.Path` (`~` expanded).

    Example:

    ```python
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"KERASMODELS_RUNS": "/srv/class/runs"}):
    ...     print(runs_dir().as_posix())
    /srv/class/runs
    >>> with mock.patch.dict(os.environ, {"KERASMODELS_RUNS": ""}):
    ...     print(runs_dir() == Path.cwd() / "runs")
    True
    ```
    """
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


def _fsync(path):
    """Flush a file or a folder to disk (a folder: so that a rename in it survives a crash)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # a folder cannot be opened on Windows: nothing to flush there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_save(path, write, *, keep_suffix=False, temporary_prefix=None):
    """Make `path` with `write(temporary_path)`, then rename it into place: readers never see half a file.

    The one way kerasmodels writes a file atomically (text, bytes, `model.save`,
    `save_weights`): `write` writes a temporary file next to `path`, which is flushed to
    disk and renamed over `path` with `os.replace` (atomic on POSIX and Windows); the
    folder is flushed too, so the rename survives a crash. A failed write removes the
    temporary file and leaves the old `path` as it was.

    The file gets the permissions `open()` would give it (0644 under the usual umask 022),
    or keeps those of the file it replaces; a temporary file alone would be 0600, unreadable
    to a web server or a classmate.

    Args:
        path: the file to make (its folder is created if missing).
        write: called with the temporary path (a `str`); writes the whole file there.
        keep_suffix: end the temporary name with `path`'s suffix (Keras picks the format
            of `model.save` and `save_weights` from it).
        temporary_prefix: name the temporary file `<prefix><pid>-<name>` (so that a caller
            can find and remove leftovers of a killed process); default
            `.<name>.<random>.tmp`.

    Returns:
        `path`, as a `pathlib.Path`.

    Example:

    ```python
    atomic_save("runs/demo/model.keras", model.save, keep_suffix=True)
    ```
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    if temporary_prefix is not None:
        tmp = str(path.with_name(f"{temporary_prefix}{os.getpid()}-{path.name}"))
    else:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                   suffix=".tmp" + (path.suffix if keep_suffix else ""))
        os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, mode)
        _fsync(tmp)
        os.replace(tmp, path)
        _fsync(path.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def atomic_write_bytes(path, data):
    """Write `data` to `path` so that readers see the old file or the new one, never half (`atomic_save`).

    Args:
        path: the file to make or replace (its folder is created if missing).
        data: the whole content, `bytes`.

    Returns:
        `path`, as a `pathlib.Path`.

    Example:

    ```python
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out" / "weights.bin"
    >>> atomic_write_bytes(target, bytes([1, 2, 3])).read_bytes()
    b'\\x01\\x02\\x03'
    ```
    """

    def write(tmp):
        with open(tmp, "wb") as f:
            f.write(data)

    return atomic_save(path, write)


def atomic_write_text(path, text):
    """Write `text` (UTF-8) to `path` atomically (`atomic_save`).

    Args:
        path: the file to make or replace (its folder is created if missing).
        text: the whole content, a `str` (written as UTF-8).

    Returns:
        `path`, as a `pathlib.Path`.

    Example:

    ```python
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "notes.txt"
    >>> atomic_write_text(target, "反向传播 = backpropagation\\n").read_text(encoding="utf-8")
    '反向传播 = backpropagation\\n'
    ```
    """
    return atomic_write_bytes(path, text.encode("utf-8"))
