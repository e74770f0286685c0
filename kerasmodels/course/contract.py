"""The contract between a running lesson (`course.lesson`) and the runner that executes it.

`run_lesson` (course.execution) starts a lesson's kernel with `MODE_ENV` and `RUN_DIR_ENV` set;
the lesson's `setup_lesson` reads them, saves its figures into that folder and writes its
metrics to `METRICS_FILE` there, which the runner reads back. Both sides import these names
from here, so they cannot drift apart.
"""

__all__ = ["METRICS_FILE", "MODES", "MODE_ENV", "RUN_DIR_ENV"]

# "quick" (small data, a few epochs) or "full" (the real run).
MODES = ("quick", "full")
# The environment variable that picks the mode (the runner sets it; a learner may too).
MODE_ENV = "KERASMODELS_MODE"
# The environment variable naming the folder a lesson writes its figures and metrics into.
RUN_DIR_ENV = "KERASMODELS_RUN_DIR"
# The file in that folder holding the lesson's recorded metrics ({"lesson", "mode", "seed", "metrics"}).
METRICS_FILE = "metrics.json"
