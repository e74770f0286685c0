"""Executing one lesson headlessly: `run_lesson` and its `RunResult`.

`run_lesson` executes a lesson with nbclient in its own run directory (figures, the metrics
file, the executed notebook and its offline HTML rendering), tells the lesson where to write
through the environment (course.contract), and records whether the lesson's current source
passed on this Keras backend (course.verification).
"""

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kerasmodels import hardware
from kerasmodels._console import step_line
from kerasmodels.course import contract
from kerasmodels.course.discovery import LessonSpec
from kerasmodels.course.notebooks import notebook_from_source
from kerasmodels.course.rendering import render_html
from kerasmodels.course.verification import record_verification, verification_path
from kerasmodels.errors import KerasmodelsError
from kerasmodels.paths import atomic_write_text, runs_dir

__all__ = ["QUICK_CELL_TIMEOUT_S", "RunResult", "figures_in_order", "native_stderr_silenced", "print_cell_progress",
           "run_lesson"]

# A quick-mode cell that runs this long is stuck; full mode trains for real (a MiniLM fine-tune
# on a 2-core CPU takes tens of minutes in one cell), so it has no per-cell limit by default.
QUICK_CELL_TIMEOUT_S = 900


@dataclass
class RunResult:
    lesson: LessonSpec
    mode: str
    status: str  # "passed" or "failed"
    seconds: float
    run_dir: Path
    metrics: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    error: str = ""

    @property
    def headline(self):
        """(label, formatted value) of the lesson's headline metric, or None.

        The label is the prose a reader sees; a run folder written before metric keys existed has
        no label, and there the key (then the prose) is shown.
        """
        chosen = [(k, v) for k, v in self.metrics.items() if v.get("headline")]
        if not chosen and self.metrics:
            chosen = [next(iter(self.metrics.items()))]
        if not chosen:
            return None
        key, m = chosen[0]
        value = format(m["value"], m["fmt"]) if m.get("fmt") else f"{m['value']:.4g}"
        return m.get("label") or key, value

    @property
    def notebook_path(self):
        return self.run_dir / f"{self.lesson.name}.ipynb"

    @property
    def html_path(self):
        """The executed notebook rendered as a web page (offline)."""
        return self.run_dir / f"{self.lesson.name}.html"


@contextlib.contextmanager
def native_stderr_silenced():
    """Drop what is written to file descriptor 2 for a while: TensorFlow's import writes its C++ log there."""
    from kerasmodels import _native_log

    with _native_log.native_stderr_filtered(lambda line: True):
        yield


@contextlib.contextmanager
def _environment(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_lesson(spec, mode="quick", run_dir=None, timeout=None, progress=None, backend=None):
    """Execute one lesson headlessly; never raises for a failing lesson, returns its RunResult.

    Args:
        spec: a `LessonSpec` from `discover()` or `find()`.
        mode: "quick" or "full".
        run_dir: where the executed notebook (.ipynb and .html), figures and metrics go.
        timeout: seconds one cell may run; default 900 in quick mode and no limit in full
            mode (or KERASMODELS_CELL_TIMEOUT).
        progress: called as `progress(number, total, source, seconds)` before each code cell
            runs (the cell's 1-based number among the code cells, their count, its source
            and the seconds since the lesson started).
        backend: the Keras backend the lesson runs on ("tensorflow", "jax", "torch"); default
            the one `import keras` would pick here (KERAS_BACKEND, else ~/.keras/keras.json).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if mode not in contract.MODES:
        raise KerasmodelsError(f"mode {mode!r} is not a mode; use quick or full")
    if run_dir is None:
        run_dir = runs_dir() / f"{spec.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    if timeout is None:
        env_timeout = os.environ.get("KERASMODELS_CELL_TIMEOUT")
        timeout = float(env_timeout) if env_timeout else (QUICK_CELL_TIMEOUT_S if mode == "quick" else -1)
    notebook = notebook_from_source(spec, hosted=False)  # the Colab install cell has nothing to do here
    code_number = {i: n for n, i in enumerate((i for i, c in enumerate(notebook.cells) if c.cell_type == "code"), 1)}
    started = time.perf_counter()

    def on_cell_start(cell, cell_index):
        if progress is not None and cell_index in code_number:
            progress(code_number[cell_index], len(code_number), cell.source, time.perf_counter() - started)

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(run_dir)}},
        # Output written to the process's file descriptors (TensorFlow's C++ start-up log, XLA
        # warnings) would otherwise be copied into the notebook as a pink stderr box under the
        # first cell; this way it goes to the kernel's own stderr, kernel-stderr.log below.
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
        on_cell_start=on_cell_start,
    )
    error = ""
    # Named explicitly so that the backend recorded below is the one the kernel runs on.
    backend = backend or hardware.backend_name()
    with _environment(
        KERAS_BACKEND=backend,
        **{contract.MODE_ENV: mode, contract.RUN_DIR_ENV: run_dir},
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        # 3 hides TensorFlow's C++ start-up chatter (e.g. "failed call to cuInit" on a CPU laptop);
        # the setup cell reports devices instead.
        TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    ):
        # The kernel's own stderr goes to a file in the run directory instead of the terminal;
        # cell errors still land in the notebook.
        with open(run_dir / "kernel-stderr.log", "wb") as kernel_stderr, _interrupt_noted() as interrupted:
            try:
                client.execute(stderr=kernel_stderr)
            except CellExecutionError as exc:
                error = _cell_error(notebook, exc)
            except (CellTimeoutError, DeadKernelError, TimeoutError) as exc:
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                error = f"{type(exc).__name__}: {first_line} (kernel log: {run_dir / 'kernel-stderr.log'})"
            except Exception:
                if not (interrupted or _stopped_by_signal(client)):
                    raise
            if interrupted or _stopped_by_signal(client):
                # Ctrl-C: nbclient tears the kernel down and its own tasks fail in whatever way
                # (an AssertionError, a cell error); the user pressed Ctrl-C, so that is what is
                # reported. The run folder is left as it is.
                raise KeyboardInterrupt
    seconds = time.perf_counter() - started
    atomic_write_text(run_dir / f"{spec.name}.ipynb", nbformat.writes(notebook))
    metrics = {}
    metrics_file = run_dir / contract.METRICS_FILE
    if metrics_file.exists():
        metrics = contract.metric_entries(json.loads(metrics_file.read_text()).get("metrics", {}))
    figures = figures_in_order(run_dir)
    result = RunResult(spec, mode, "failed" if error else "passed", seconds, run_dir, metrics, figures, error)
    atomic_write_text(
        run_dir / "result.json",
        json.dumps(
            {"lesson": spec.name, "mode": mode, "status": result.status, "seconds": round(seconds, 2),
             "metrics": metrics, "figures": [f.name for f in figures], "error": error},
            indent=2,
        ),
    )
    try:
        render_html(notebook, result.html_path, title=f"{spec.number:02d} · {spec.title}")
    except Exception as exc:  # the run and its .ipynb are what matter; a broken nbconvert must not lose them
        print(f"kerasmodels: could not render {result.notebook_path.name} as HTML: {exc}", file=sys.stderr)
    try:
        record_verification(result, backend)
    except OSError as exc:  # a read-only cache must not fail a run
        print(f"kerasmodels: could not record the run in {verification_path()}: {exc}", file=sys.stderr)
    return result


def _stopped_by_signal(client):
    """Whether nbclient's own SIGINT/SIGTERM handler (installed while it executes) shut the kernel down."""
    stopped = getattr(client, "_async_cleanup_kernel_future", None) is not None
    if stopped:  # its kernel-polling task fails as the kernel goes: not worth an asyncio traceback
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    return stopped


@contextlib.contextmanager
def _interrupt_noted():
    """While executing: a list that becomes non-empty when SIGINT (Ctrl-C) arrives, which still interrupts."""
    interrupted = []
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return

    def note(signum, frame):
        interrupted.append(signum)
        # nbclient's kernel-polling task then fails as the kernel goes; asyncio would log that
        # as "Task exception was never retrieved" with a traceback under "interrupted".
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        signal.default_int_handler(signum, frame)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _cell_error(notebook, exc):
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"cell {index}: {output.get('ename')}: {output.get('evalue')}"
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__


def figures_in_order(run_dir):
    """The PNG figures a lesson saved, in the order it drew them (the order they were written)."""
    return sorted(Path(run_dir).glob("*.png"), key=lambda path: (path.stat().st_mtime_ns, path.name))


def print_cell_progress(number, total, source, seconds, indent=""):
    """A `run_lesson` progress callback: one line per code cell as it starts (kerasmodels._console's style).

    A full-mode lesson can run for half an hour: the lines say which cell it is in and since when.
    """
    first = next((line.strip() for line in source.splitlines() if line.strip() and not line.startswith("#")), "")
    print(indent + step_line(seconds, number, total, first), flush=True)
