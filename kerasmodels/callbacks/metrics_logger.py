"""`MetricsLogger`: per-epoch CSV and JSON logs written with the standard library only."""

import csv
import io
import json
import math
import numbers
import os
import time
from pathlib import Path

import keras

from kerasmodels.callbacks._common import say
from kerasmodels.errors import DamagedFileError
from kerasmodels.paths import atomic_write_text


def _plain(value):
    """A JSON-safe Python number (NaN/inf become None)."""
    if isinstance(value, numbers.Integral):
        return int(value)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(value):
        return None
    return value


def read_metrics(path):
    """The rows of a `metrics.json` written by `MetricsLogger` (a list of dicts).

    Args:
        path: the `metrics.json` file (a `str` or `pathlib.Path`).

    Returns:
        One dict per epoch: `epoch` (1-based), `learning_rate` and every value of `fit()`'s logs.

    Raises:
        DamagedFileError: the file is truncated or not a MetricsLogger log (one line: the file and the fix).

    Example:

    ```python
    >>> import pathlib, tempfile
    >>> run = pathlib.Path(tempfile.mkdtemp())
    >>> import kerasmodels as km
    >>> x, y = km.data.load("digits", split="train", limit=64)
    >>> model = km.models.compile_model(km.models.mlp(input_shape=(8, 8), num_classes=10))
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[MetricsLogger(run)])
    >>> rows = read_metrics(run / "metrics.json")
    >>> len(rows), sorted(rows[-1])
    (2, ['accuracy', 'epoch', 'learning_rate', 'loss'])
    ```
    """
    try:
        with open(path, encoding="utf-8") as f:
            rows = json.load(f)["epochs"]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("'epochs' is not a list of rows")
        return rows
    except (ValueError, KeyError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DamagedFileError(
            f"{path} is damaged ({type(error).__name__}: {reason}). Fix: run the same training command "
            f"again (it rebuilds the log from metrics.csv beside it and keeps the damaged file as "
            f"{Path(path).name}.damaged-<time>), or move {path} aside.") from error


def repair(directory):
    """Make `metrics.json` and `metrics.csv` in `directory` whole again, from whichever of them is intact.

    Nothing is deleted: a damaged file is kept as `<name>.damaged-<time>`. Returns the rows now
    logged (empty if there were no logs, or neither could be read: then both are kept aside).
    """
    directory = Path(directory)
    json_path, csv_path = directory / "metrics.json", directory / "metrics.csv"
    if not json_path.exists() and not csv_path.exists():
        return []
    rows = recover_rows(directory)  # moves a damaged metrics.json aside, recovers from the CSV
    if not rows:
        return []
    try:
        csv_rows = _read_csv_rows(csv_path)
    except (OSError, ValueError, csv.Error):
        csv_rows = None
    json_whole = json_path.exists()
    if json_whole and csv_rows is not None and [r["epoch"] for r in csv_rows] == [r["epoch"] for r in rows]:
        return rows
    if csv_path.exists() and json_whole:
        kept = _move_aside(csv_path)
        say(f"[metrics] {csv_path} did not match {json_path}; rewrote it from the JSON log "
            f"(the old file is kept as {kept})")
    _write_rows(directory, rows)
    return rows


def _csv_value(text):
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


def _read_csv_rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = [{key: _csv_value(value) for key, value in row.items()} for row in csv.DictReader(f)]
    if not rows or any(not isinstance(row.get("epoch"), int) for row in rows):
        raise ValueError(f"{path} has no rows with an integer epoch")
    return rows


def _move_aside(path):
    stamp = time.strftime('%Y%m%d-%H%M%S')
    target, counter = path.with_name(f"{path.name}.damaged-{stamp}"), 1
    while target.exists():  # never over an earlier damaged copy
        counter += 1
        target = path.with_name(f"{path.name}.damaged-{stamp}-{counter}")
    os.replace(path, target)
    return target


def recover_rows(directory):
    """The rows logged in `directory`: from metrics.json, else from metrics.csv, else none.

    A damaged file is never dropped silently: it is moved aside (`<name>.damaged-<time>`)
    and a line says which rows were recovered from where.
    """
    directory = Path(directory)
    json_path, csv_path = directory / "metrics.json", directory / "metrics.csv"
    if not json_path.exists() and not csv_path.exists():
        return []
    try:
        return read_metrics(json_path)
    except (OSError, DamagedFileError) as error:
        json_error = error
    damaged = _move_aside(json_path) if json_path.exists() else None
    try:
        rows = _read_csv_rows(csv_path)
    except (OSError, ValueError, csv.Error) as error:
        kept = _move_aside(csv_path) if csv_path.exists() else None
        say(f"[metrics] {json_path} could not be read ({json_error}) and neither could {csv_path} "
            f"({error}); the damaged files were kept as {damaged} and {kept}; the log restarts here")
        return []
    say(f"[metrics] {json_path} could not be read ({json_error}); recovered {len(rows)} rows from "
        f"{csv_path}" + (f" (the damaged file is kept as {damaged})" if damaged else ""))
    return rows


class MetricsLogger(keras.callbacks.Callback):
    """Writes `metrics.csv` and `metrics.json` in `directory` after every epoch.

    Needs no TensorFlow: the files are plain CSV and JSON, rewritten
    atomically each epoch so a killed run leaves the last complete version.
    One row per epoch: `epoch` (1-based), the learning rate, every value in
    `fit()`'s logs, and the numbers of `sources` (e.g. `Throughput`,
    `MemoryMonitor`). When training resumes at epoch k (see
    `ResumableTraining`), the rows of epochs before k are kept and later ones
    are replaced.

    Args:
        directory: folder for the two files (created if missing).
        sources: callbacks with an `epoch_stats()` method whose numbers join
            each row.

    Attributes:
        rows: the rows written so far.
        csv_path, json_path: where they are.

    Example:

    ```python
    logger = MetricsLogger("runs/mnist")
    model.fit(x, y, epochs=3, callbacks=[logger])
    read_metrics("runs/mnist/metrics.json")[-1]["loss"]
    ```
    """

    def __init__(self, directory, sources=()):
        super().__init__()
        if not isinstance(directory, (str, Path)):
            raise TypeError(
                f"MetricsLogger(directory={directory!r}): pass a folder path (str or pathlib.Path)."
            )
        for source in sources:
            if not callable(getattr(source, "epoch_stats", None)):
                raise TypeError(
                    f"MetricsLogger(sources=...): {source!r} has no epoch_stats() method; "
                    "pass Throughput or MemoryMonitor instances."
                )
        self.directory = Path(directory)
        self.sources = list(sources)
        self.csv_path = self.directory / "metrics.csv"
        self.json_path = self.directory / "metrics.json"
        self.rows = []

    def on_train_begin(self, logs=None):
        self._first_epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
            previous = recover_rows(self.directory) if epoch > 0 else []
            self.rows = [row for row in previous if row.get("epoch", 0) <= epoch]

    def on_epoch_end(self, epoch, logs=None):
        from kerasmodels.callbacks._common import learning_rate

        row = {"epoch": epoch + 1}
        lr = learning_rate(self.model)
        if lr is not None:
            row["learning_rate"] = lr
        for key, value in (logs or {}).items():
            row[key] = _plain(value)
        for source in self.sources:
            for key, value in source.epoch_stats().items():
                row[key] = _plain(value)
        self.rows = [r for r in self.rows if r["epoch"] < row["epoch"]] + [row]
        self._write()

    def on_train_end(self, logs=None):
        if self._first_epoch is None:
            # This call trained no epoch (a finished run called again): nothing rewrote the logs, so a
            # damaged one would stay damaged. Check them and rebuild one from the other.
            self.rows = repair(self.directory)

    def _write(self):
        _write_rows(self.directory, self.rows)


def _write_rows(directory, rows):
    directory = Path(directory)
    columns = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    atomic_write_text(directory / "metrics.csv", buffer.getvalue())
    atomic_write_text(directory / "metrics.json", json.dumps({"epochs": rows}, indent=1, allow_nan=False) + "\n")
