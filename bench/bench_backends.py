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
`cnn((28, 28), 10, preset="article002")`; batch 128.

Raw results: bench/results/backends.json (`--name`).

Usage: python bench/bench_backends.py [--repeats 2] [--steps 10] [--factories mlp,cnn]
       [--backends tensorflow,jax,torch] [--torch-python /work/bench-venv/bin/python]
"""

import argparse
import os
import sys
from pathlib import Path

from common import build, command_line, emit, in_this_process, median, run_worker, save, synthetic_batch, table, timed_fit

BACKENDS = ("tensorflow", "jax", "torch")
FACTORIES = ("mlp", "cnn", "cnn_seed")
BATCH_SIZE = 128
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TORCH_PYTHON = "/work/bench-venv/bin/python"


def run_one(factory, steps, warmup_steps):
    import keras

    import kerasmodels as km

    keras.utils.set_random_seed(0)
    model = build(factory)
    km.models.compile_model(model, learning_rate=1e-3)
    x, y = synthetic_batch(factory, BATCH_SIZE * (warmup_steps + steps))
    timing = timed_fit(model, x, y, BATCH_SIZE, warmup_steps)
    return {"factory": factory, "backend": keras.backend.backend(), "keras": keras.__version__,
            "jit_compile": bool(model.jit_compile), "batch_size": BATCH_SIZE, "steps": steps,
            "step_seconds": timing["step_seconds"], "samples_per_sec": BATCH_SIZE / timing["step_seconds"],
            "first_fit_seconds": timing["first_fit_seconds"], "python": sys.executable}


def run_factories(factories, steps, warmup_steps):
    return [run_one(factory, steps, warmup_steps) for factory in factories]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup-steps", type=int, default=3)
    parser.add_argument("--factories", default="mlp,cnn")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--torch-python", default=DEFAULT_TORCH_PYTHON,
                        help="python of a venv with torch, keras and kerasmodels ('' to skip torch)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the backend Keras already uses in this process (quick checks); others still "
                             "get a fresh process")
    parser.add_argument("--name", default="backends",
                        help="results file bench/results/NAME.json (a path if NAME has a folder)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        for result in run_factories(args.one.split(","), args.steps, args.warmup_steps):
            emit(result)
        return None

    factories = [f for f in args.factories.split(",") if f]
    backends = [b for b in args.backends.split(",") if b]
    for name, values, allowed in (("--factories", factories, FACTORIES), ("--backends", backends, BACKENDS)):
        if not values or any(v not in allowed for v in values):
            parser.error(f"{name} {','.join(values)!r}: use a comma-separated subset of {','.join(allowed)}")
    if "torch" in backends and (not args.torch_python or not Path(args.torch_python).exists()):
        print(f"torch backend skipped: no python at --torch-python {args.torch_python!r}")
        backends.remove("torch")
    current = None
    if args.in_process:
        import keras

        current = keras.backend.backend()
    runs = []
    pythonpath = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    for repeat in range(args.repeats):
        # One process per backend and round (the backend is fixed at import); it trains each
        # factory in turn.
        for backend in backends[repeat % len(backends):] + backends[:repeat % len(backends)]:
            if backend == current:
                results = in_this_process(run_factories, factories, args.steps, args.warmup_steps)
            else:
                python = args.torch_python if backend == "torch" else sys.executable
                env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=pythonpath)
                argv_one = [python, __file__, "--one", ",".join(factories), "--steps", str(args.steps),
                            "--warmup-steps", str(args.warmup_steps)]
                results = run_worker(argv_one, backend, env=env)
            for result in results:
                result["repeat"] = repeat
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
    payload = {"repeats": args.repeats, "steps": args.steps, "in_process": args.in_process, "summary": summary,
               "runs": runs, "command": command_line("bench_backends.py", argv)}
    print(f"raw results: {save(args.name, payload)}")
    return payload


if __name__ == "__main__":
    main()
