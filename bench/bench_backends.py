"""The same factories trained under the TensorFlow, JAX and torch backends of Keras 3.

Each backend runs in a fresh process per round with `KERAS_BACKEND` set (the backend is fixed at
import) and trains every factory in turn. Every
backend trains the same model on the same synthetic data with `compile_model`'s defaults
(float32; `jit_compile="auto"`, which Keras resolves per backend: off for TensorFlow on CPU,
XLA for JAX, eager for torch): a few warm-up steps (tracing/compilation), then `--steps` timed
steps; the median step time gives samples/s. Backends alternate (A B C A B C ...) and the
report gives medians over `--repeats` and ratios to TensorFlow measured within each round.

torch is not a dependency of kerasmodels: the torch backend runs with the Python of a separate
venv (`--torch-python`, default /work/bench-venv/bin/python) that has torch and keras (see
bench/requirements-hf.txt); kerasmodels is taken from this checkout (PYTHONPATH), so nothing is
installed into that venv. TensorFlow and JAX run with this Python.

Factories: mlp = `mlp((28, 28), 10)`, cnn = `cnn((28, 28), 10)` (default recipe), cnn_seed =
`cnn((28, 28), 10, preset="seed")`; batch 128.

Usage: python bench/bench_backends.py [--repeats 2] [--steps 10] [--factories mlp,cnn]
       [--backends tensorflow,jax,torch] [--torch-python /work/bench-venv/bin/python]
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

BACKENDS = ("tensorflow", "jax", "torch")
FACTORIES = ("mlp", "cnn", "cnn_seed")
BATCH_SIZE = 128
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TORCH_PYTHON = "/work/bench-venv/bin/python"


def run_one(factory, steps, warmup_steps):
    import keras
    import numpy as np

    import kerasmodels as km

    keras.utils.set_random_seed(0)
    if factory == "mlp":
        model = km.models.mlp((28, 28), 10)
    elif factory == "cnn":
        model = km.models.cnn((28, 28), 10)
    else:
        model = km.models.cnn((28, 28), 10, preset="seed")
    km.models.compile_model(model, learning_rate=1e-3)
    rng = np.random.default_rng(0)
    n = BATCH_SIZE * (warmup_steps + steps)
    x = rng.random((n, 28, 28), dtype="float32")
    y = rng.integers(0, 10, n).astype("int32")
    warm = BATCH_SIZE * warmup_steps
    step_ends = []

    class StepClock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            step_ends.append(time.perf_counter())

    start = time.perf_counter()
    model.fit(x[:warm], y[:warm], batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0)
    first_fit_seconds = time.perf_counter() - start
    model.fit(x[warm:], y[warm:], batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0,
              callbacks=[StepClock()])
    step_seconds = float(np.median(np.diff(step_ends)))
    return {"factory": factory, "backend": keras.backend.backend(), "keras": keras.__version__,
            "jit_compile": bool(model.jit_compile), "batch_size": BATCH_SIZE, "steps": steps,
            "step_seconds": step_seconds, "samples_per_sec": BATCH_SIZE / step_seconds,
            "first_fit_seconds": first_fit_seconds, "python": sys.executable}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup-steps", type=int, default=3)
    parser.add_argument("--factories", default="mlp,cnn")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--torch-python", default=DEFAULT_TORCH_PYTHON,
                        help="python of a venv with torch, keras and kerasmodels ('' to skip torch)")
    parser.add_argument("--name", default="backends", help="results file bench/results/NAME.json")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        for factory in args.one.split(","):
            print("RESULT " + json.dumps(run_one(factory, args.steps, args.warmup_steps)), flush=True)
        return
    from common import median, save, table

    factories = [f for f in args.factories.split(",") if f]
    backends = [b for b in args.backends.split(",") if b]
    for name, values, allowed in (("--factories", factories, FACTORIES), ("--backends", backends, BACKENDS)):
        if not values or any(v not in allowed for v in values):
            parser.error(f"{name} {','.join(values)!r}: use a comma-separated subset of {','.join(allowed)}")
    if "torch" in backends and (not args.torch_python or not Path(args.torch_python).exists()):
        print(f"torch backend skipped: no python at --torch-python {args.torch_python!r}")
        backends.remove("torch")
    runs = []
    pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    for repeat in range(args.repeats):
        # One process per backend and round (the backend is fixed at import); it trains each
        # factory in turn.
        for backend in backends[repeat % len(backends):] + backends[:repeat % len(backends)]:
            python = args.torch_python if backend == "torch" else sys.executable
            env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=pythonpath)
            argv = [python, __file__, "--one", ",".join(factories), "--steps", str(args.steps),
                    "--warmup-steps", str(args.warmup_steps)]
            done = subprocess.run(argv, capture_output=True, text=True, env=env)
            if done.returncode != 0 or "RESULT " not in done.stdout:
                sys.exit(f"{backend} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
            for line in done.stdout.splitlines():
                if line.startswith("RESULT "):
                    result = dict(json.loads(line[len("RESULT "):]), repeat=repeat)
                    runs.append(result)
                    print(f"repeat {repeat} {result['factory']:8s} {backend:10s} "
                          f"{result['samples_per_sec']:9.1f} samples/s", flush=True)
    rows, summary = [], {}
    base = backends[0]
    for factory in factories:
        ref = {r["repeat"]: r["samples_per_sec"] for r in runs if r["factory"] == factory and r["backend"] == base}
        for backend in backends:
            mine = [r for r in runs if r["factory"] == factory and r["backend"] == backend]
            entry = {"samples_per_sec": median([r["samples_per_sec"] for r in mine]),
                     f"ratio_to_{base}": median([r["samples_per_sec"] / ref[r["repeat"]] for r in mine]),
                     "first_fit_seconds": median([r["first_fit_seconds"] for r in mine]),
                     "jit_compile": mine[0]["jit_compile"]}
            summary[f"{factory}/{backend}"] = entry
            rows.append((factory, backend, "on" if entry["jit_compile"] else "off", f"{entry['samples_per_sec']:,.0f}",
                         f"{entry[f'ratio_to_{base}']:.2f}x", f"{entry['first_fit_seconds']:.1f}"))
    print(table(rows, ("factory", "backend", "XLA", "median samples/s", f"vs {base} (same round)",
                       "first fit s (incl. compile)")))
    path = save(args.name, {"repeats": args.repeats, "steps": args.steps, "summary": summary, "runs": runs,
                            "command": " ".join(["python", "bench/bench_backends.py"] + sys.argv[1:])})
    print(f"raw results: {path}")


if __name__ == "__main__":
    main()
