"""Where a lesson's time goes: import, tracing, training, evaluation, plotting, data, the rest.

Each lesson runs as the tour runs it (`kerasmodels tour --only N`: a Jupyter kernel executes the
notebook), under py-spy (https://github.com/benfred/py-spy), a sampling profiler that reads the
kernel's Python stacks from outside, 100 times a second, idle waits included, so the shares are
of wall time. Each sample of the kernel's main thread is put in the first phase that matches its
stack:

- import: a module being imported (`import keras`, keras-hub, the package);
- tracing: TensorFlow building a graph (func_graph, autograph) or JAX tracing, lowering or
  compiling with XLA, wherever it happens (the first step of `fit`, `evaluate` or `predict`);
- training / evaluation: inside `fit` / inside `evaluate` or `predict` (validation during `fit`
  counts as evaluation), after tracing;
- plotting: matplotlib, including the inline backend drawing each figure into the notebook;
- data: loading data (`kerasmodels.data`);
- other: the rest of the lesson's code (NumPy, from-scratch modules, metrics).

"kernel start, tour" is the tour's own work (starting the kernel, writing the notebook).

Needs py-spy (`pip install py-spy`; root or ptrace rights). Raw results: bench/results/NAME.json.

Usage: python bench/profile_lessons.py 8 12 13 [--mode quick] [--name lesson_profile]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import command_line, save, table

PHASES = ("import", "tracing", "training", "evaluation", "plotting", "data", "other")
RATE = 100  # samples per second

# Files whose frames mean "building or compiling the computation", not running it.
_TRACING_FILES = ("tensorflow/python/framework/func_graph.py", "polymorphic_function/tracing_compilation.py",
                  "tensorflow/python/autograph/", "jax/_src/interpreters/partial_eval.py",
                  "jax/_src/interpreters/mlir.py", "jax/_src/compiler.py")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]*)(:\d+)?\)$")


def phase(frames):
    """The phase of one sampled stack (outermost frame first), as listed in this module's docstring."""
    files = [f"{m['file']} {m['function']}" if (m := _FRAME.match(f)) else f for f in frames]
    if any("importlib._bootstrap" in f or " _find_and_load" in f for f in files):
        return "import"
    if any(t in f for f in files for t in _TRACING_FILES):
        return "tracing"
    for f in reversed(files):  # innermost trainer method decides: validation inside fit is evaluation
        if "keras/src/" in f and "trainer" in f:
            function = f.rsplit(" ", 1)[-1].rsplit(".", 1)[-1]  # "TensorFlowTrainer.fit" -> "fit"
            if function == "fit":
                return "training"
            if function in ("evaluate", "predict", "predict_on_batch", "test_on_batch"):
                return "evaluation"
    if any("matplotlib" in f for f in files):
        return "plotting"
    if any("kerasmodels/data/" in f for f in files):
        return "data"
    return "other"


def parse(raw_text):
    """Seconds per phase of the kernel's main thread, from py-spy's raw (collapsed) output."""
    # A line: the tour's process; the kernel's process; the thread; then the stack, outermost first.
    main = []
    for line in raw_text.splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        kernel = next((i for i, f in enumerate(frames) if f.startswith("process ") and "ipykernel" in f), None)
        if kernel is None or len(frames) < kernel + 3 or not frames[kernel + 1].endswith("MainThread"):
            continue  # the tour's own process, or another thread of the kernel
        main.append((frames[kernel + 2:], int(count)))
    seconds = dict.fromkeys(PHASES, 0.0)
    for frames, count in main:
        seconds[phase(frames)] += count / RATE
    return seconds


def profile(number, mode, py_spy, raw_dir=None):
    with tempfile.TemporaryDirectory() as work:
        raw = Path(raw_dir or work) / f"lesson{number:02d}-py-spy.txt"
        argv = [py_spy, "record", "--idle", "--threads", "--subprocesses", "--nonblocking", "-r", str(RATE),
                "-f", "raw", "-o", str(raw), "--", sys.executable, "-m", "kerasmodels", "tour", f"--{mode}",
                "--no-progress", "--only", str(number), "--out", str(Path(work) / "run")]
        started = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if done.returncode != 0 or not raw.is_file():
            sys.exit(f"lesson {number} under py-spy failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
        sampled = parse(raw.read_text())
        cells = cell_seconds(next((Path(work) / "run").glob("*/*.ipynb")))
    # py-spy misses some samples of a busy process, so its counts give each phase's share, and the
    # notebook's own timestamps (first cell started to last cell done) the seconds to share out.
    total = sum(sampled.values()) or 1.0
    seconds = {name: cells * value / total for name, value in sampled.items()}
    seconds["kernel start, tour"] = max(0.0, wall - cells)
    return {"lesson": number, "mode": mode, "wall_s": wall, "cells_s": cells, "samples_s": total,
            "seconds": seconds}


def cell_seconds(notebook_path):
    """Seconds from the first cell's start to the last cell's end, from nbclient's timestamps."""
    import datetime
    import json

    stamps = [cell["metadata"]["execution"] for cell in json.loads(notebook_path.read_text())["cells"]
              if cell.get("metadata", {}).get("execution")]
    when = datetime.datetime.fromisoformat
    return (when(stamps[-1]["shell.execute_reply"].replace("Z", "+00:00"))
            - when(stamps[0]["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="+", type=int, help="lesson numbers, e.g. 8 12 13")
    parser.add_argument("--mode", choices=("quick", "full"), default="quick")
    parser.add_argument("--name", default="lesson_profile",
                        help="results file bench/results/NAME.json (a path if NAME has a folder)")
    parser.add_argument("--raw", help="keep py-spy's raw stacks in this folder (lessonNN-py-spy.txt)")
    args = parser.parse_args(argv)
    if args.raw:
        Path(args.raw).mkdir(parents=True, exist_ok=True)
    py_spy = shutil.which("py-spy") or shutil.which("py-spy", path=os.path.dirname(sys.executable))
    if py_spy is None:
        sys.exit("py-spy not found: install it with `pip install py-spy` (a sampling profiler), then run again")
    runs = []
    for number in args.lessons:
        runs.append(profile(number, args.mode, py_spy, args.raw))
        print(f"lesson {number}: {runs[-1]['wall_s']:.1f} s", flush=True)
    columns = PHASES + ("kernel start, tour",)
    rows = [(f"{r['lesson']:02d}", f"{r['wall_s']:.1f}", *(f"{r['seconds'][c]:.1f}" for c in columns)) for r in runs]
    print(table(rows, ("lesson", "wall s", *columns)))
    print(f"raw results: {save(args.name, {'runs': runs, 'command': command_line('profile_lessons.py', argv)})}")


if __name__ == "__main__":
    main()
