"""One command to run on a GPU machine: does kerasmodels use the hardware, and are its numbers right?

Sections, each in a fresh process (JAX takes 75% of the GPU's memory at start-up; torch must not
share a process with it), each printing as it goes:

1. devices: `kerasmodels info` (device memory and what the framework may use), `nvidia-smi -L`,
   how float32 matmuls run (TF32 or FP32) on this backend.
2. setup: what `accelerate.setup()` picks for cnn, mlp and bert, the recipe `train` uses, the peak
   FLOP/s that MFU is measured against.
3. train: `kerasmodels train cnn --data mnist` (the default path: setup + recipe), with its
   callbacks' lines ([accelerate], [device], [speed], [memory]).
4. bert: training throughput and MFU of a MiniLM-shaped BERT (keras-hub `BertBackbone`, 6 layers,
   hidden 384, random weights), batch 256, sequence 128, mixed_bfloat16, against Hugging Face
   transformers' `BertForSequenceClassification` of the same shape in bfloat16 autocast, eager
   and `torch.compile` (skipped with a line when torch or transformers is not installed).
5. time to 99%: `cnn()` with `accelerate.recipe` versus the article 002 §5.2 recipe on MNIST, test
   accuracy every quarter epoch, evaluation time left out.
6. lessons: `python -m kerasmodels run 6 --full` and `run 7 --full`.

About 5-8 minutes on one H100 (the lessons take most of it). `--quick` runs every section on
tiny sizes (MNIST subsets, a 2-layer BERT, lessons in quick mode) to check the script itself on
a CPU. Works with KERAS_BACKEND=jax without TensorFlow installed, and with TensorFlow. The numbers
printed here are not copied into docs/benchmarks.md by anyone but the person who ran them.

Usage:
    python bench/gpu_check.py                  # on the GPU machine
    python bench/gpu_check.py --quick          # a smoke run on any machine
    python bench/gpu_check.py --only bert,tta  # some sections
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECTIONS = ("devices", "setup", "train", "bert", "tta", "lessons")
RESULT = "GPU_CHECK_RESULT "
# Each section's time limit in seconds (full run); a section past it is stopped and reported.
LIMITS = {"devices": 120, "setup": 120, "train": 240, "bert": 300, "tta": 300, "lessons": 600}

# MiniLM-L6 (all-MiniLM-L6-v2) shape; --quick: a 2-layer toy.
BERT_FULL = {"layers": 6, "heads": 12, "hidden": 384, "batch": 256, "seq": 128, "steps": 30}
BERT_QUICK = {"layers": 2, "heads": 2, "hidden": 64, "batch": 8, "seq": 32, "steps": 4}
VOCABULARY = 30522


def emit(name, value):
    print(RESULT + json.dumps({name: value}, default=str), flush=True)


def say(text):
    print(text, flush=True)


# --- workers: each runs in its own process ----------------------------------------------------------


def worker_devices(quick):
    import shutil

    from kerasmodels import flops, hardware

    info = hardware.describe(with_devices=True)
    say(hardware.format_report(info))
    if shutil.which("nvidia-smi"):
        listed = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30).stdout
        say("nvidia-smi -L:\n" + listed.strip())
        total = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv"],
                               capture_output=True, text=True, timeout=30).stdout
        say(total.strip())
    else:
        say("nvidia-smi: not found (no NVIDIA driver on this machine)")
    arithmetic, setting = flops.float32_matmul_arithmetic(info["backend"])
    say(f"float32 matmuls on a GPU with TF32 run as: {arithmetic} ({setting})")
    emit("devices", {"accelerators": info["accelerators"], "backend": info["backend"],
                     "float32_matmul": arithmetic, "versions": info["versions"]})


def worker_setup(quick):
    from kerasmodels import accelerate, flops

    chosen = {}
    for kind in ("cnn", "mlp", "bert"):
        acc = accelerate.setup(model_kind=kind, apply=False)
        recipe = accelerate.recipe(kind, acc=acc)
        peak, source = acc.peak_flops()
        say(f"--- setup(model_kind={kind!r}) ---\n{acc}")
        say(f"[recipe] {recipe.source}")
        say(f"[peak] {flops.mfu_text(0, peak, source).split(' MFU of ', 1)[1]}" if peak else f"[peak] unknown ({source})")
        chosen[kind] = dict(acc.as_dict(), recipe=recipe.as_dict(), peak_flops=peak, peak_source=source)
    emit("setup", chosen)


def worker_train(quick, workdir):
    out = Path(workdir) / "train-cnn"
    command = [sys.executable, "-m", "kerasmodels", "train", "cnn", "--no-resume", "--out", str(out)]
    # The CLI's default is 5 epochs; the full run uses the recipe's (3 on a CPU, 5 on a GPU).
    from kerasmodels import accelerate

    epochs = accelerate.recipe("cnn", acc=accelerate.setup(model_kind="cnn", apply=False)).epochs
    command += (["--data", "mnist", "--limit", "1000", "--epochs", "1"] if quick
                else ["--data", "mnist", "--epochs", str(epochs)])
    say("$ " + " ".join(command[1:]))
    done = subprocess.run(command, stdout=sys.stdout, stderr=subprocess.STDOUT, text=True)
    summary_path = out / "metrics.json"
    if done.returncode != 0 or not summary_path.exists():
        raise SystemExit(f"kerasmodels train exited {done.returncode}")
    summary = json.loads(summary_path.read_text())
    emit("train", {k: summary.get(k) for k in ("test", "batch_size", "fit_seconds", "accelerate", "recipe")})


def worker_bert_keras(quick):
    import keras
    import keras_hub
    import numpy as np

    from kerasmodels import accelerate, callbacks

    shape = BERT_QUICK if quick else BERT_FULL
    acc = accelerate.setup(precision="mixed_bfloat16", model_kind="bert")
    say(str(acc))
    seq, batch = shape["seq"], shape["batch"]
    with acc.scope():
        backbone = keras_hub.models.BertBackbone(
            vocabulary_size=VOCABULARY, num_layers=shape["layers"], num_heads=shape["heads"],
            hidden_dim=shape["hidden"], intermediate_dim=4 * shape["hidden"], max_sequence_length=512)
        inputs = {"token_ids": keras.Input((seq,), dtype="int32", name="token_ids"),
                  "segment_ids": keras.Input((seq,), dtype="int32", name="segment_ids"),
                  "padding_mask": keras.Input((seq,), dtype="int32", name="padding_mask")}
        logits = keras.layers.Dense(2, dtype="float32")(backbone(inputs)["pooled_output"])
        model = keras.Model(inputs, logits)
        model.compile(keras.optimizers.AdamW(5e-5),
                      keras.losses.SparseCategoricalCrossentropy(from_logits=True), **acc.compile_kwargs())
    rng = np.random.default_rng(0)
    n = batch * shape["steps"]
    x = {"token_ids": rng.integers(1000, VOCABULARY, (n, seq)).astype("int32"),
         "segment_ids": np.zeros((n, seq), "int32"), "padding_mask": np.ones((n, seq), "int32")}
    y = rng.integers(0, 2, n).astype("int32")
    speed = callbacks.Throughput(batch_size=batch, tokens_per_example=seq)
    # Two epochs: the first includes compilation; the second is the one reported.
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0, shuffle=False,
              callbacks=[callbacks.DeviceReport(batch_size=batch), speed])
    last = speed.history[-1]
    emit("bert_keras", {"shape": shape, "samples_per_sec": last.get("samples_per_sec"),
                        "flops_per_sec": last.get("flops_per_sec"), "mfu": last.get("mfu"),
                        "flops_per_example": speed.flops_per_example, "peak": speed.peak,
                        "peak_source": speed.peak_source, "params": model.count_params()})


def worker_bert_hf(quick, flops_per_example):
    try:
        import torch
        import transformers
    except ImportError as error:
        say(f"[hf] skipped: {error.name} is not installed (pip install torch transformers to compare)")
        emit("bert_hf", {"skipped": f"{error.name} not installed"})
        return
    from kerasmodels import flops

    shape = BERT_QUICK if quick else BERT_FULL
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else None
    config = transformers.BertConfig(
        vocab_size=VOCABULARY, hidden_size=shape["hidden"], num_hidden_layers=shape["layers"],
        num_attention_heads=shape["heads"], intermediate_size=4 * shape["hidden"], num_labels=2)
    torch.manual_seed(0)
    batch, seq = shape["batch"], shape["seq"]
    ids = torch.randint(1000, VOCABULARY, (batch, seq), device=device)
    labels = torch.randint(0, 2, (batch,), device=device)
    peak, source = flops.peak_flops("bfloat16", name, backend="torch") if name else flops.peak_flops("bfloat16")
    results = {}
    for mode in ("eager", "torch.compile"):
        model = transformers.BertForSequenceClassification(config).to(device)
        optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
        run = torch.compile(model) if mode == "torch.compile" else model

        def step(run=run, optimizer=optimizer):
            with torch.autocast(device.type, dtype=torch.bfloat16):
                loss = run(input_ids=ids, labels=labels).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)

        def sync():
            if device.type == "cuda":
                torch.cuda.synchronize()

        began = time.perf_counter()
        for _ in range(3):  # warm-up (compilation for torch.compile)
            step()
        sync()
        warmup = time.perf_counter() - began
        began = time.perf_counter()
        for _ in range(shape["steps"]):
            step()
        sync()
        samples_per_sec = batch * shape["steps"] / (time.perf_counter() - began)
        achieved = 3 * flops_per_example * samples_per_sec if flops_per_example else None
        line = f"[hf] {mode}: {samples_per_sec:,.0f} samples/s, {samples_per_sec * seq:,.0f} tokens/s"
        if achieved:
            line += f" | {achieved / 1e12:.2f} TFLOP/s = " + flops.mfu_text(achieved, peak, source)
        say(line + f" | warm-up {warmup:.1f} s")
        results[mode] = {"samples_per_sec": samples_per_sec, "flops_per_sec": achieved,
                         "mfu": achieved / peak if achieved and peak and achieved <= peak else None,
                         "warmup_seconds": warmup}
    emit("bert_hf", dict(results, versions={"torch": torch.__version__, "transformers": transformers.__version__},
                         peak=peak, peak_source=source))


def worker_tta(quick, recipe_name):
    import keras

    import kerasmodels as km

    limit, test_limit, target = (2000, 500, 0.7) if quick else (None, None, 0.99)
    keras.utils.set_random_seed(0)
    x_train, y_train = km.data.load("mnist", split="train", limit=limit)
    x_test, y_test = km.data.load("mnist", split="test", limit=test_limit)
    if recipe_name == "kerasmodels":
        acc = km.accelerate.setup(model_kind="cnn")
        recipe = km.accelerate.recipe("cnn", acc=acc)
        epochs = 1 if quick else recipe.epochs
        with acc.scope():
            model = km.models.cnn((28, 28), 10)
            km.models.compile_model(model, optimizer=recipe.make_optimizer(len(x_train), epochs),
                                    **acc.compile_kwargs())
        batch_size, policy, described = recipe.batch_size, acc.precision, recipe.source
    else:
        keras.mixed_precision.set_global_policy("float32")
        model = km.models.cnn((28, 28), 10, preset="article002")
        km.models.compile_model(model)
        batch_size, epochs, policy = 32, (1 if quick else 5), "float32"
        described = "article 002 §5.2: its network, Adam defaults, batch 32, 5 epochs, float32"
    steps_per_epoch = -(-len(x_train) // batch_size)
    every = max(1, steps_per_epoch // 4)

    class TimeToAccuracy(keras.callbacks.Callback):
        """Test accuracy every quarter epoch; the time spent evaluating is left out."""

        def __init__(self):
            super().__init__()
            self.epoch, self.next_eval, self.eval_seconds, self.curve, self.reached = 0, every, 0.0, [], None

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            # With steps_per_execution > 1 this runs once per execution; `batch` is its last step.
            step = self.epoch * steps_per_epoch + batch + 1
            if step < self.next_eval and (batch + 1) % steps_per_epoch:
                return
            self.next_eval = step + every
            began = time.perf_counter()
            accuracy = self.model.evaluate(x_test, y_test, batch_size=1000, verbose=0, return_dict=True)["accuracy"]
            self.eval_seconds += time.perf_counter() - began
            seconds = time.perf_counter() - self.start - self.eval_seconds
            self.curve.append((round(step / steps_per_epoch, 2), round(seconds, 2), round(float(accuracy), 4)))
            if accuracy >= target and self.reached is None:
                self.reached = seconds
                self.model.stop_training = True

    timer = TimeToAccuracy()
    timer.start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[timer])
    best = max(a for _, _, a in timer.curve)
    say(f"[tta] {recipe_name}: {described} | precision {policy} | "
        + (f"{target:.0%} after {timer.reached:.1f} s" if timer.reached else f"{target:.0%} not reached")
        + f" | best {best:.4f} | curve (epoch, s, accuracy): {timer.curve}")
    emit(f"tta_{recipe_name}", {"recipe": described, "precision": policy, "batch_size": batch_size,
                                "target": target, "seconds_to_target": timer.reached, "best": best,
                                "curve": timer.curve})


def worker_lesson(quick, number, workdir):
    command = [sys.executable, "-m", "kerasmodels", "run", str(number), "--quick" if quick else "--full",
               "--no-progress", "--out", str(Path(workdir) / f"lesson-{number:02d}")]
    say("$ " + " ".join(command[1:]))
    began = time.perf_counter()
    done = subprocess.run(command, stdout=sys.stdout, stderr=subprocess.STDOUT, text=True)
    seconds = time.perf_counter() - began
    say(f"[lesson {number:02d}] exit {done.returncode} after {seconds:.0f} s")
    emit(f"lesson_{number:02d}", {"returncode": done.returncode, "seconds": seconds,
                                  "mode": "quick" if quick else "full"})
    if done.returncode:
        raise SystemExit(done.returncode)


# --- the parent: runs the workers, prints as they go, sums up -----------------------------------------


def run_worker(args, worker, *extra, limit):
    """Run one worker in a fresh process; its output streams through; returns (results, error)."""
    command = [sys.executable, __file__, "--worker", worker, *map(str, extra)]
    if args.quick:
        command.append("--quick")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    results, deadline = {}, time.monotonic() + limit
    for line in process.stdout:
        if line.startswith(RESULT):
            results.update(json.loads(line[len(RESULT):]))
        elif not (line.startswith(("WARNING: All log messages", "I0000")) or "failed call to cuInit" in line):
            sys.stdout.write("  " + line)
            sys.stdout.flush()
        if time.monotonic() > deadline:
            process.kill()
            process.wait()
            return results, f"stopped after its {limit} s limit"
    try:
        process.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return results, f"stopped after its {limit} s limit"
    return results, None if process.returncode == 0 else f"exit status {process.returncode}"


def section(args, name, workdir):
    limit = LIMITS[name] if not args.quick else 180
    if name == "bert":
        results, error = run_worker(args, "bert_keras", limit=limit)
        flops_per_example = (results.get("bert_keras") or {}).get("flops_per_example") or 0
        more, error_hf = run_worker(args, "bert_hf", flops_per_example, limit=limit)
        results.update(more)
        return results, error or error_hf
    if name == "tta":
        results, error = run_worker(args, "tta", "kerasmodels", limit=limit)
        more, error_seed = run_worker(args, "tta", "seed", limit=limit)
        results.update(more)
        return results, error or error_seed
    if name == "lessons":
        results, error = run_worker(args, "lesson", 6, workdir, limit=limit)
        more, error_7 = run_worker(args, "lesson", 7, workdir, limit=limit)
        results.update(more)
        return results, error or error_7
    if name == "train":
        return run_worker(args, "train", workdir, limit=limit)
    return run_worker(args, name, limit=limit)


def summary_lines(results):
    lines = []
    keras_bert, hf = results.get("bert_keras") or {}, results.get("bert_hf") or {}

    def rate(record):
        if not record or not record.get("samples_per_sec"):
            return "-"
        mfu = record.get("mfu")
        return f"{record['samples_per_sec']:,.0f} samples/s" + (f", MFU {mfu:.1%}" if mfu else ", MFU n/a")

    if keras_bert:
        lines.append(f"BERT kerasmodels (keras-hub): {rate(keras_bert)}")
    if hf.get("skipped"):
        lines.append(f"BERT Hugging Face: skipped ({hf['skipped']})")
    elif hf:
        for mode in ("eager", "torch.compile"):
            lines.append(f"BERT Hugging Face {mode}: {rate(hf.get(mode))}")
    ours, seed = results.get("tta_kerasmodels") or {}, results.get("tta_seed") or {}
    for label, record in (("cnn() recipe", ours), ("seed recipe", seed)):
        if not record:
            continue
        reached = record.get("seconds_to_target")
        lines.append(f"time to {record.get('target', 0.99):.0%}, {label}: "
                     + (f"{reached:.1f} s" if reached else "not reached"))
    if ours.get("seconds_to_target") and seed.get("seconds_to_target"):
        lines.append(f"speed-up (seed / cnn() recipe): {seed['seconds_to_target'] / ours['seconds_to_target']:.2f}x")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script on a CPU in ~2 minutes")
    parser.add_argument("--only", help=f"comma-separated sections of {', '.join(SECTIONS)}")
    parser.add_argument("--out", help="write every number as JSON here (default: bench/results/gpu_check.json; "
                                      "with --quick nothing is written unless given)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        workers = {"devices": worker_devices, "setup": worker_setup, "train": worker_train,
                   "bert_keras": worker_bert_keras, "bert_hf": worker_bert_hf, "tta": worker_tta,
                   "lesson": worker_lesson}
        extra = [float(args.extra[0])] if args.worker == "bert_hf" else args.extra
        if args.worker == "lesson":
            extra = [int(args.extra[0]), args.extra[1]]
        workers[args.worker](args.quick, *extra)
        return None

    from common import machine, table

    chosen = SECTIONS if not args.only else tuple(s.strip() for s in args.only.split(","))
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; use {', '.join(SECTIONS)}")
    began, results, rows = time.perf_counter(), {}, []
    with tempfile.TemporaryDirectory(prefix="gpu_check-") as workdir:
        for name in chosen:
            say(f"\n=== {name} ===")
            start = time.perf_counter()
            found, error = section(args, name, workdir)
            results.update(found)
            seconds = time.perf_counter() - start
            rows.append((name, "ok" if error is None else f"FAILED: {error}", f"{seconds:.0f}"))
    say("\n=== summary ===")
    say(table(rows, ("section", "status", "seconds")))
    for line in summary_lines(results):
        say(line)
    total = time.perf_counter() - began
    say(f"total {total:.0f} s ({'quick' if args.quick else 'full'} mode, KERAS_BACKEND="
        f"{os.environ.get('KERAS_BACKEND', 'from keras.json')})")
    out = args.out or (None if args.quick else str(Path(__file__).resolve().parent / "results" / "gpu_check.json"))
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        payload = {"quick": args.quick, "sections": rows, "results": results, "seconds": total,
                   "machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M")}
        Path(out).write_text(json.dumps(payload, indent=2, default=str))
        say(f"raw results: {out}")
    failed = [row for row in rows if row[1] != "ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
