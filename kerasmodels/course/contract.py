"""The contract between a running lesson (`course.lesson`) and the runner that executes it.

`run_lesson` (course.execution) starts a lesson's kernel with `MODE_ENV` and `RUN_DIR_ENV` set;
the lesson's `setup_lesson` reads them, saves its figures into that folder and writes its
metrics to `METRICS_FILE` there, which the runner reads back. Both sides import these names
from here, so they cannot drift apart.

A lesson records each number with `lesson.metric(key, value, label)`: `key` is a short stable
identifier (lower_snake_case, e.g. "test_acc") that tests and tools look the number up by, and
`label` the English prose a reader sees ("test accuracy: 97.3%"). `METRICS_FILE` holds one entry
per key, `{"label", "value", "headline", "fmt"}`; `metric_entries` reads it, including run folders
written before keys existed (entries keyed by their label, with no "label" field).
"""

import re

__all__ = ["MAX_METRIC_KEY", "METRICS_FILE", "METRIC_KEY", "MODES", "MODE_ENV", "RUN_DIR_ENV", "metric_entries"]

# "quick" (small data, a few epochs) or "full" (the real run).
MODES = ("quick", "full")
# The environment variable that picks the mode (the runner sets it; a learner may too).
MODE_ENV = "KERASMODELS_MODE"
# The environment variable naming the folder a lesson writes its figures and metrics into.
RUN_DIR_ENV = "KERASMODELS_RUN_DIR"
# The file in that folder holding the lesson's recorded metrics ({"lesson", "mode", "seed", "metrics"}),
# "metrics" mapping each key to {"label", "value", "headline", "fmt"}.
METRICS_FILE = "metrics.json"
# What a metric key looks like: lower_snake_case, a letter first, at most MAX_METRIC_KEY characters.
METRIC_KEY = re.compile(r"[a-z][a-z0-9_]*")
MAX_METRIC_KEY = 40


def metric_entries(metrics):
    """The "metrics" of a METRICS_FILE as {key: {"label", "value", "headline", "fmt"}}.

    A run folder written before keys existed keyed each entry by its prose label and had no
    "label" field; there the old key is the label, so such a run still displays.

    Args:
        metrics: the "metrics" mapping read from the file.

    Returns:
        A new dict with every entry holding a "label".

    Example:

    ```python
    metric_entries({"test accuracy": {"value": 0.97, "headline": True, "fmt": ".1%"}})["test accuracy"]["label"]
    # 'test accuracy'
    ```
    """
    return {key: {**entry, "label": entry.get("label") or key} for key, entry in (metrics or {}).items()}
