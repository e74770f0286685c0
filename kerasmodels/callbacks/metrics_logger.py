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
    """The rows of a `metrics.json` written by `MetricsLogger` (a list of dicts)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)["epochs"]


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
    target = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
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
        rows = read_metrics(json_path)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValueError("'epochs' is not a list of rows")
        return rows
    except (OSError, ValueError, KeyError, TypeError) as error:
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

    def _write(self):
        columns = []
        for row in self.rows:
            columns += [key for key in row if key not in columns]
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
        atomic_write_text(self.csv_path, buffer.getvalue())
        atomic_write_text(self.json_path, json.dumps({"epochs": self.rows}, indent=1, allow_nan=False) + "\n")
