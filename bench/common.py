"""Helpers shared by the benchmark scripts: models, timing, workers, medians, results files.

Benchmarks are scripts, not tests. These machines are noisy, so every script reports medians of
repeated runs and ratios measured in the same run, and writes its raw numbers under
bench/results/: `save` for a one-shot result (NAME.json, replaced), `append` for runs that
accumulate (NAME.jsonl, one record a line). Scripts import this module, never each other.
"""

import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
# rt_polarity is not shipped with any package: the project's shared data folder, or this variable.
DEFAULT_RT_POLARITY = os.environ.get("KERASMODELS_RT_POLARITY", str(BENCH_DIR.parent.parent / "shared/data/rt-polarity"))
RESULT_PREFIX = "RESULT "


def _factories():
    """Benchmark factory name -> (model kind, preset), from kerasmodels.registry.

    A kind's name is its default network ("cnn", "bert" = minilm-l6); "<kind>_<preset>" each preset,
    old preset names included ("cnn_seed" is article 002's CNN, the name earlier results use).
    """
    from kerasmodels import registry

    names = {}
    for kind in registry.MODEL_KINDS.values():
        names[kind.name] = (kind.name, kind.default_preset)
        for preset in (*kind.presets, *kind.deprecated_presets):
            names[f"{kind.name}_{preset}"] = (kind.name, preset)
    return names


FACTORY_KINDS = _factories()
FACTORIES = tuple(FACTORY_KINDS)


def model_kind(factory):
    """The registry's `ModelKind` of a benchmark factory name ("cnn_seed" -> cnn)."""
    from kerasmodels import registry

    if factory not in FACTORY_KINDS:
        raise ValueError(f"factory {factory!r}: use one of {', '.join(FACTORIES)}")
    return registry.model_kind(FACTORY_KINDS[factory][0])


def median(values):
    return statistics.median(values)


def table(rows, headers):
    widths = [max(len(str(r[i])) for r in rows + [headers]) for i in range(len(headers))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"] + [line(r) for r in rows])


# --- results files -------------------------------------------------------------------------------


# The instruction sets that decide CPU training speed (x86 and Arm names as /proc/cpuinfo gives them):
# results from CPUs with different sets must not be compared as if they came from one machine.
SPEED_FLAGS = ("avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "avx512_fp16",
               "avx_vnni", "amx_tile", "amx_bf16", "amx_int8", "asimd", "sve", "bf16")


def machine():
    """The machine a result was measured on: CPU model, usable cores, its speed-relevant flags, versions.

    `bfloat16_cpu` says whether the CPU has bfloat16 instructions (avx512_bf16 or AMX): on one without
    them `accelerate.setup()` trains in float32, so its figures belong with other float32-only CPUs.
    """
    from kerasmodels import hardware

    cpu = hardware.cpu()
    return {
        "python": platform.python_version(),
        "cpu": cpu.model,
        "cores": cpu.cores,
        "cpu_flags": sorted(flag for flag in SPEED_FLAGS if flag in cpu.flags),
        "bfloat16_cpu": cpu.has_avx512_bf16 or cpu.has_amx_bf16,
        "amx_bf16": cpu.has_amx_bf16,
        # bench/avx2_only.sh: the flags above are what the emulation shows, not what the chip has
        "emulated_max_isa": os.environ.get(hardware._CPU_MAX_ISA_ENV) or None,
        "versions": hardware.versions(),
        "python_executable": sys.executable,
    }


def results_path(name, suffix):
    """bench/results/NAME.SUFFIX for a bare name; a name with a folder in it is a path (tests).

    Under bench/avx2_only.sh a bare name becomes NAME_avx2, so an emulated run never replaces the
    results this CPU measured natively.
    """
    path = Path(name)
    if path.suffix == suffix:
        path = path.with_suffix("")
    from kerasmodels import hardware

    emulated = os.environ.get(hardware._CPU_MAX_ISA_ENV)
    if len(path.parts) == 1 and emulated and not path.name.endswith(f"_{emulated.lower()}"):
        path = path.with_name(f"{path.name}_{emulated.lower()}")
    path = path.with_name(path.name + suffix)
    return path if len(path.parts) > 1 else RESULTS_DIR / path


def command_line(script, argv):
    """The command that reproduces this run, for the record."""
    return " ".join(["python", f"bench/{script}", *(sys.argv[1:] if argv is None else argv)])


def save(name, payload):
    """Write a one-shot result as JSON (replacing the file), with the machine and the date."""
    path = results_path(name, ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = dict(payload, machine=machine(), date=time.strftime("%Y-%m-%d %H:%M"))
    partial = path.with_name(path.name + ".partial")  # written whole, then renamed: never half a file
    partial.write_text(json.dumps(payload, indent=2, default=str))
    os.replace(partial, path)
    return path


def append(name, record):
    """Append one run as a line of JSON, with the machine and the date; earlier runs stay."""
    path = results_path(name, ".jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    record = dict(record, machine=machine(), date=time.strftime("%Y-%m-%d %H:%M"))
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, default=str) + "\n")
    return path


# --- models and synthetic data -------------------------------------------------------------------


def build(factory, sequence_length=64, **kwargs):
    """A fresh model of `factory` under the current dtype policy (set it first).

    mlp: `mlp((28, 28), 10)` (784-64-64-10); cnn: the default `cnn((28, 28), 10)`; cnn_seed (or
    cnn_article002): `cnn(preset="article002")` (article 002 §5.2); bert: `bert_classifier(2, "minilm-l6")`;
    bert_tiny: `bert_classifier(2, "tiny")`. Every kind and preset of `kerasmodels.registry` is a factory
    (`FACTORIES`). Image kinds take 28x28 inputs and 10 classes, text kinds 2 classes. Extra keyword
    arguments go to the factory.
    """
    from kerasmodels import registry

    kind = model_kind(factory)
    preset = kind.canonical_preset(FACTORY_KINDS[factory][1], warn=False)
    if kind.modality == registry.TEXT:
        return kind.build(preset, num_classes=2, sequence_length=sequence_length, **kwargs)
    return kind.build(preset, input_shape=(28, 28), num_classes=10, **kwargs)


# A sentence of real words, repeated past 64 WordPiece tokens.
BERT_TEXT = "the film is a smart , funny and moving look at a family that falls apart . " * 6


def synthetic_batch(factory, n, seed=0):
    """`n` inputs of the real shape for `factory` and random labels (speed does not need real data)."""
    import numpy as np

    from kerasmodels import registry

    rng = np.random.default_rng(seed)
    if model_kind(factory).modality == registry.TEXT:
        words = BERT_TEXT.split()
        # Shifted copies of the sentence: different token ids, same length.
        x = np.array([" ".join(words[i % 7:]) for i in range(n)], dtype=object)
        return x, rng.integers(0, 2, n).astype("int32")
    return rng.random((n, 28, 28), dtype="float32"), rng.integers(0, 10, n).astype("int32")


def timed_fit(model, x, y, batch_size, warmup_steps):
    """Median step time of a compiled model: a warm-up `fit` (tracing, compilation), then a timed one.

    Returns first_fit_seconds (the warm-up fit), step_seconds (median over the timed steps),
    steps (how many step times that median is of), losses (the timed steps' training losses) and
    cores_used (CPU seconds of this process per wall second during the timed fit: about the core
    count on an idle machine, less when other processes take the cores).
    """
    import keras
    import numpy as np

    step_ends, losses = [], []

    class StepClock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            step_ends.append(time.perf_counter())
            losses.append(float(logs["loss"]) if logs and "loss" in logs else float("nan"))

    warm = batch_size * warmup_steps
    start = time.perf_counter()
    model.fit(x[:warm], y[:warm], batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    first_fit_seconds = time.perf_counter() - start
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    model.fit(x[warm:], y[warm:], batch_size=batch_size, epochs=1, shuffle=False, verbose=0,
              callbacks=[StepClock()])
    cores_used = (time.process_time() - cpu_start) / (time.perf_counter() - wall_start)
    step_times = np.diff(step_ends)
    return {"first_fit_seconds": first_fit_seconds, "step_seconds": float(np.median(step_times)),
            "steps": len(step_times), "losses": losses, "cores_used": cores_used}


# --- workers: one measured run, in a fresh process or in this one --------------------------------


def emit(result):
    """Print a worker's result where the parent process finds it."""
    print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)


def _results(returncode, stdout, stderr, what):
    if returncode != 0 or RESULT_PREFIX not in stdout:
        sys.exit(f"{what} failed (exit {returncode}):\n{stderr[-4000:]}")
    return [json.loads(line[len(RESULT_PREFIX):]) for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]


def run_worker(argv, what, env=None):
    """Run a worker process to the end; the results it emitted."""
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    return _results(done.returncode, done.stdout, done.stderr, what)


def start_worker(argv, env=None):
    """Start a worker process that runs alongside others; `finish_worker` collects it."""
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish_worker(process, what):
    stdout, stderr = process.communicate()
    return _results(process.returncode, stdout, stderr, what)


@contextlib.contextmanager
def dtype_policy(name):
    """Keras's global dtype policy `name` inside the block, the previous one after it.

    A bfloat16 policy is refused first, with a one-line error, where TensorFlow's bfloat16 would
    crash the process (`bench/avx2_only.sh` on an AVX-512 chip: `hardware.tensorflow_bfloat16_blocked`).
    """
    import keras

    from kerasmodels import hardware

    if "bfloat16" in name:
        hardware.refuse_tensorflow_bfloat16(f"--precision {name}")
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def in_this_process(function, *args, **kwargs):
    """Run a worker function here instead of in a fresh process (`--in-process`, smoke tests).

    Faster (TensorFlow is imported once) but less independent: runs share this process's
    caches and thread pools. The global dtype policy a run sets is put back afterwards.
    """
    import keras

    policy = keras.mixed_precision.global_policy()
    try:
        return function(*args, **kwargs)
    finally:
        keras.mixed_precision.set_global_policy(policy)


# --- start-up timing -----------------------------------------------------------------------------


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
