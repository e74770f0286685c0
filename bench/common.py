"""Helpers shared by the benchmark scripts: repeated timing, medians, results files.

Benchmarks are scripts, not tests. These machines are noisy, so every script reports medians of
repeated runs and ratios measured in the same run, and writes its raw numbers as JSON next to
the table it prints.
"""

import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def median(values):
    return statistics.median(values)


def time_command(argv, repeats, env=None):
    """Wall seconds of `argv` run `repeats` times (each a fresh process)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def interleaved(commands, repeats, env=None):
    """Time several commands in alternation (A B A B ...) so drift hits them alike."""
    times = {name: [] for name in commands}
    for _ in range(repeats):
        for name, argv in commands.items():
            times[name] += time_command(argv, 1, env=env)
    return times


def machine():
    from kerasmodels import hardware

    cpu = hardware.cpu()
    return {
        "python": platform.python_version(),
        "cpu": cpu.model,
        "cores": cpu.cores,
        "amx_bf16": cpu.has_amx_bf16,
        "versions": hardware.versions(),
        "python_executable": sys.executable,
    }


def save(name, payload):
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = dict(payload, machine=machine(), date=time.strftime("%Y-%m-%d %H:%M"))
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path


def table(rows, headers):
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])
