"""Helpers shared by the data set modules: fixed splits, hashing and the .npz cache.

Splits are computed with a counter-based hash (SplitMix64) instead of NumPy's random
generators, so the same rows land in the same split on every NumPy version and platform.
"""

import hashlib
import io
import os
import re
import socket
import time
import zipfile
from pathlib import Path

import numpy as np

from kerasmodels import paths
from kerasmodels.errors import InvalidArgumentError, KerasmodelsError

SPLITS = ("train", "validation", "test")
# Where keras.datasets downloads from; reachable means the Keras fallbacks can work.
KERAS_DOWNLOAD_HOST = ("storage.googleapis.com", 443)

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def _splitmix64(values):
    """SplitMix64 finaliser on a uint64 array: a fixed, well-mixed hash of each value."""
    z = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = (z + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
    return z ^ (z >> np.uint64(31))


def stable_permutation(n, seed):
    """A permutation of `range(n)` that depends only on `n` and `seed`.

    Args:
        n: number of items.
        seed: non-negative integer.

    Returns:
        int64 array of length `n`.

    Example:

    >>> stable_permutation(5, seed=0).tolist() == stable_permutation(5, seed=0).tolist()
    True
    """
    with np.errstate(over="ignore"):
        keys = np.arange(n, dtype=np.uint64) + np.uint64(seed) * np.uint64(0x100000001B3)
    return np.argsort(_splitmix64(keys), kind="stable").astype(np.int64)


def stratified_split(labels, fractions, seed):
    """Split row indices so that every class keeps its share in every split.

    Each class is shuffled with `stable_permutation`; split `s` takes
    `round(fractions[s] * class_size)` rows of it, in the order of `fractions`, and the
    last split takes the rest. Inside each split the rows come in a fixed shuffled
    order, so the first N rows of a split mix all classes (what `limit=` relies on).

    Args:
        labels: 1-D integer array.
        fractions: dict split name -> fraction; the last entry's value is ignored (it
            gets the remainder).
        seed: non-negative integer.

    Returns:
        dict split name -> int64 index array.

    Example:

    >>> parts = stratified_split(np.array([0, 1] * 10), {"test": 0.2, "train": None}, seed=0)
    >>> sorted(len(v) for v in parts.values())
    [4, 16]
    """
    labels = np.asarray(labels)
    names = list(fractions)
    chosen = {name: [] for name in names}
    for offset, cls in enumerate(np.unique(labels)):
        members = np.flatnonzero(labels == cls)
        members = members[stable_permutation(len(members), seed + 1000 * (offset + 1))]
        start = 0
        for name in names[:-1]:
            count = int(round(fractions[name] * len(members)))
            chosen[name].append(members[start:start + count])
            start += count
        chosen[names[-1]].append(members[start:])
    result = {}
    for i, name in enumerate(names):
        idx = np.concatenate(chosen[name]) if chosen[name] else np.zeros(0, np.int64)
        result[name] = idx[stable_permutation(len(idx), seed + 7 * (i + 1))]
    return result


def sha256_file(path, chunk_size=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            digest.update(block)
    return digest.hexdigest()


def check_split(name, split):
    if split not in SPLITS:
        raise InvalidArgumentError(
            f"split={split!r} is not a split of data set {name!r}. "
            f"Accepted: {', '.join(repr(s) for s in SPLITS)}, or split=None for a dict of all three."
        )


def reject_data_dir(name, data_dir):
    """Data sets that do not read a user folder refuse `data_dir`, instead of ignoring it."""
    if data_dir is not None:
        raise InvalidArgumentError(
            f"data_dir={str(data_dir)!r} was given, but data set {name!r} does not read files from a "
            "folder. data_dir is used by 'rt_polarity' and 'reviews' only. Fix: drop data_dir."
        )


def save_npz(path, **arrays):
    """Write an uncompressed .npz atomically (readers never see half a cache file)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return paths.atomic_write_bytes(path, buffer.getvalue())


# A temporary file of `paths.atomic_write_bytes` lives this long at most while it is written;
# an older one was left by a killed process.
STALE_TEMPORARY_SECONDS = 3600


def remove_stale_temporaries(path, max_age=STALE_TEMPORARY_SECONDS):
    """Delete leftovers of interrupted atomic writes of `path`: ours only, and only old ones.

    `atomic_write_bytes(path)` writes `.<name>.<random>.tmp` next to `path`; a kill
    leaves it behind. Only files of exactly that pattern for this `path`, last changed
    more than `max_age` seconds ago (so no write in progress is touched), are removed.

    Returns:
        list of the removed paths.
    """
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[A-Za-z0-9_]+\.tmp")
    removed = []
    if not path.parent.is_dir():
        return removed
    now = time.time()
    for candidate in path.parent.iterdir():
        if not pattern.fullmatch(candidate.name):
            continue
        try:
            if candidate.is_file() and not candidate.is_symlink() and now - candidate.stat().st_mtime > max_age:
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            continue  # another process removed it, or it is not ours to remove
    return removed


def load_npz(path, keys):
    """Read `keys` from a cache .npz; None if it is missing or unreadable (then it is rebuilt).

    Stale temporaries of interrupted writes of this cache file are removed first.
    """
    path = Path(path)
    remove_stale_temporaries(path)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in keys}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def cache_file(filename):
    return paths.cache_dir() / filename


def integrity_error(what, path, actual, expected, fix):
    return KerasmodelsError(
        f"{what}: {path} has sha256 {actual}, expected {expected}. The file is damaged or a "
        f"different version. Fix: {fix}"
    )


def network_available(address=KERAS_DOWNLOAD_HOST, timeout=3.0):
    """Whether Keras's download host answers; False offline (and under the test suite)."""
    if os.environ.get("KERASMODELS_OFFLINE", "").strip() not in ("", "0"):
        return False
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False
