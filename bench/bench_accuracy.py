"""Accuracy (and time-to-accuracy) of the kerasmodels factories on real data.

Tasks:

- `mlp`: `mlp()` (784-64-64-10) on full MNIST (50k train / 10k test).
- `cnn`: the default `cnn()` with its recommended recipe on full MNIST, with
  the wall time from fit start until test accuracy first reaches 99.0%.
- `cnn-seed`: the article 002 §5.2 recipe (`cnn(preset="article002")`, Adam defaults,
  batch 32, 5 epochs), timed the same way; the baseline of `cnn`.
- `bert-minilm`: `bert_classifier("minilm-l6")` fine-tuned on rt_polarity's
  training split, accuracy on its test split.
- `bert-tiny`: `bert_classifier("tiny")` trained from scratch on the same data.

Time to accuracy: test accuracy is measured every `--eval-every` training
samples and at every epoch end; the time spent evaluating is subtracted, so
the number is the training wall time (tracing included) from `fit` start
until the first evaluation at or above the target.

Each run appends one JSON line (recipe, curve, machine) to bench/results/accuracy.jsonl
(`--name`) and prints a Markdown table row.

Usage (from the repository root, one task at a time on a shared machine; the BERT tasks read
rt_polarity from `--data-dir`, by default $KERASMODELS_RT_POLARITY or ../shared/data/rt-polarity):

    python bench/bench_accuracy.py mlp
    python bench/bench_accuracy.py cnn --precision mixed_bfloat16
    python bench/bench_accuracy.py cnn-seed
    python bench/bench_accuracy.py bert-minilm --epochs 3 --ema 0.99
    python bench/bench_accuracy.py bert-tiny
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from common import DEFAULT_RT_POLARITY, append, build, command_line, dtype_policy  # noqa: E402

import kerasmodels as km  # noqa: E402

TASKS = ("mlp", "cnn", "cnn-seed", "bert-minilm", "bert-tiny")
FACTORY_OF_TASK = {"mlp": "mlp", "cnn": "cnn", "cnn-seed": "cnn_seed", "bert-minilm": "bert", "bert-tiny": "bert_tiny"}


class TimeToAccuracy(keras.callbacks.Callback):
    """Test accuracy every `eval_every` batches and at epoch ends, timed without the evaluations."""

    def __init__(self, x, y, target, eval_every, stop_at_target):
        super().__init__()
        self.x, self.y = x, y
        self.target = target
        self.eval_every = eval_every
        self.stop_at_target = stop_at_target
        self.start = None  # set by the caller right before fit
        self.eval_seconds = 0.0
        self.steps = 0
        self.history = []
        self.time_to_target = None
        self.steps_to_target = None

    def _measure(self, epoch_fraction):
        began = time.perf_counter()
        result = self.model.evaluate(self.x, self.y, batch_size=1000, verbose=0, return_dict=True)
        ended = time.perf_counter()
        train_seconds = began - self.start - self.eval_seconds
        self.eval_seconds += ended - began
        accuracy = float(result["accuracy"])
        self.history.append(
            {"step": self.steps, "epoch": round(epoch_fraction, 3),
             "train_seconds": round(train_seconds, 2), "test_accuracy": accuracy}
        )
        print(f"  step {self.steps:6d} epoch {epoch_fraction:5.2f} "
              f"train {train_seconds:7.1f}s test accuracy {accuracy:.4f}", flush=True)
        if accuracy >= self.target and self.time_to_target is None:
            self.time_to_target = train_seconds
            self.steps_to_target = self.steps
            if self.stop_at_target:
                self.model.stop_training = True

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.eval_every and self.steps % self.eval_every == 0:
            self._measure(self.steps / self.params["steps"])

    def on_epoch_end(self, epoch, logs=None):
        if not self.eval_every or self.steps % self.eval_every:
            self._measure(self.steps / self.params["steps"])


def run_mnist(task, args):
    x_train, y_train = km.data.load("mnist", split="train", limit=args.limit)
    x_test, y_test = km.data.load("mnist", split="test", limit=args.test_limit)
    model = build(FACTORY_OF_TASK[task])
    if task == "cnn-seed":
        epochs = args.epochs or 5
        batch = args.batch_size or 32
        km.models.compile_model(model)
        recipe = f"article 002 §5.2: Adam defaults, batch {batch}, {epochs} epochs"
    else:
        epochs = args.epochs or (15 if task == "mlp" else 3)
        batch = args.batch_size or 128
        steps = epochs * int(np.ceil(len(x_train) / batch))
        lr = args.learning_rate or 3e-3
        km.models.compile_model(model, learning_rate=km.models.warmup_cosine(lr, steps))
        recipe = f"Adam, one-cycle peak {lr:g}, batch {batch}, {epochs} epochs"
    eval_every = max(1, args.eval_every // batch) if args.eval_every else 0
    timer = TimeToAccuracy(x_test, y_test, args.target, eval_every, args.stop_at_target)
    timer.start = time.perf_counter()
    model.fit(x_train, y_train, batch_size=batch, epochs=epochs, callbacks=[timer],
              verbose=0, shuffle=True)
    total = time.perf_counter() - timer.start - timer.eval_seconds
    final = model.evaluate(x_test, y_test, batch_size=1000, verbose=0, return_dict=True)
    return {
        "recipe": recipe,
        "params": model.count_params(),
        "train_samples": len(x_train),
        "test_samples": len(x_test),
        "test_accuracy": float(final["accuracy"]),
        "train_seconds": round(total, 1),
        "target": args.target,
        "seconds_to_target": None if timer.time_to_target is None else round(timer.time_to_target, 1),
        "steps_to_target": timer.steps_to_target,
        "curve": timer.history,
    }


def run_bert(task, args):
    x_train, y_train = km.data.load("rt_polarity", split="train", data_dir=args.data_dir, limit=args.limit)
    x_test, y_test = km.data.load("rt_polarity", split="test", data_dir=args.data_dir, limit=args.test_limit)
    keras.utils.set_random_seed(args.seed)
    batch = args.batch_size or 32
    seq = args.sequence_length
    if task == "bert-minilm":
        epochs = args.epochs or 2
        lr = args.learning_rate or 5e-5
    else:
        epochs = args.epochs or 4
        lr = args.learning_rate or 1e-3
    model = build(FACTORY_OF_TASK[task], sequence_length=seq, pooling=args.pooling)
    steps = epochs * int(np.ceil(len(x_train) / batch))
    optimizer = keras.optimizers.AdamW(km.models.warmup_cosine(lr, steps), weight_decay=args.weight_decay,
                                       use_ema=args.ema > 0, ema_momentum=args.ema or 0.99)
    km.models.compile_model(model, optimizer=optimizer)
    began = time.perf_counter()
    curve = []

    def progress(step, logs):
        if step % 25 == 0:
            print(f"  step {step:5d} {time.perf_counter() - began:7.1f}s loss {logs['loss']:.4f}",
                  flush=True)

    eval_seconds = [0.0]

    def test_after_epoch(epoch, logs):
        # Only the curve (training time excludes it); with EMA, fit swaps the averaged weights
        # in at the very end, so these are the raw weights.
        start = time.perf_counter()
        accuracy = model.evaluate(x_test, y_test, batch_size=64, verbose=0, return_dict=True)["accuracy"]
        eval_seconds[0] += time.perf_counter() - start
        curve.append((epoch + 1, round(time.perf_counter() - began - eval_seconds[0], 1), float(accuracy)))
        print(f"  epoch {epoch + 1}: test accuracy {accuracy:.4f} (raw weights)", flush=True)

    callbacks = [keras.callbacks.LambdaCallback(on_train_batch_end=progress)]
    if args.eval_every:  # any non-zero value: test accuracy after every epoch
        callbacks.append(keras.callbacks.LambdaCallback(on_epoch_end=test_after_epoch))
    model.fit(x_train, y_train, batch_size=batch, epochs=epochs, verbose=2, callbacks=callbacks)
    seconds = time.perf_counter() - began - eval_seconds[0]
    final = model.evaluate(x_test, y_test, batch_size=64, verbose=0, return_dict=True)
    ema = f", EMA {args.ema:g}" if args.ema else ""
    return {
        "recipe": (f"AdamW (weight decay {args.weight_decay:g}{ema}), one-cycle peak {lr:g}, batch {batch}, "
                   f"{epochs} epochs, sequence_length {seq}, pooling {args.pooling}, shuffled every epoch"),
        "params": model.count_params(),
        "train_samples": len(x_train),
        "test_samples": len(x_test),
        "test_accuracy": float(final["accuracy"]),
        "curve": curve,
        "train_seconds": round(seconds, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task", choices=TASKS)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--precision", default="float32",
                        help="Keras dtype policy: float32 or mixed_bfloat16")
    parser.add_argument("--target", type=float, default=0.99, help="time-to-accuracy target")
    parser.add_argument("--eval-every", type=int, default=10000,
                        help="measure test accuracy every this many training samples (0: epoch ends)")
    parser.add_argument("--stop-at-target", action="store_true")
    parser.add_argument("--limit", type=int, default=None, help="use only this many training examples")
    parser.add_argument("--test-limit", type=int, default=None, help="use only this many test examples")
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--pooling", default="auto", choices=("auto", "mean", "cls"),
                        help="BERT head, bert_classifier's pooling (auto: mean for MiniLM, cls for tiny)")
    parser.add_argument("--weight-decay", type=float, default=0.01, help="AdamW weight decay (BERT)")
    parser.add_argument("--ema", type=float, default=0.0,
                        help="BERT: keep an exponential moving average of the weights with this momentum "
                             "and use it at the end (0: off)")
    parser.add_argument("--data-dir", default=DEFAULT_RT_POLARITY, help="folder of rt-polarity.pos/.neg (BERT tasks)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default="accuracy",
                        help="results file bench/results/NAME.jsonl, appended to (a path if NAME has a folder)")
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(args.seed)
    began = time.time()
    with dtype_policy(args.precision):
        result = (run_bert if args.task.startswith("bert") else run_mnist)(args.task, args)
    result = {
        "task": args.task,
        "seed": args.seed,
        "precision": args.precision,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "cpu_count": os.cpu_count(),
        "command": command_line("bench_accuracy.py", argv),
        "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(began)),
        **result,
    }
    print(f"raw results: {append(args.name, result)}")
    ttt = result.get("seconds_to_target")
    print(
        f"| {result['task']} | {result['recipe']} | {result['precision']} | "
        f"{100 * result['test_accuracy']:.2f}% | {result['train_seconds']} s | "
        f"{'-' if ttt is None and 'target' not in result else (ttt if ttt is not None else 'not reached')} |"
    )
    return result


if __name__ == "__main__":
    main()
