"""Accuracy (and time-to-accuracy) of the kerasmodels factories on real data.

Tasks:

- `mlp`: `mlp()` (784-64-64-10) on full MNIST (50k train / 10k test).
- `cnn`: the default `cnn()` with its recommended recipe on full MNIST, with
  the wall time from fit start until test accuracy first reaches 99.0%.
- `cnn-seed`: the seed 002 §5.2 recipe (`cnn(preset="seed")`, Adam defaults,
  batch 32, 5 epochs), timed the same way; the baseline of `cnn`.
- `bert-minilm`: `bert_classifier("minilm-l6")` fine-tuned on rt_polarity's
  training split, accuracy on its test split.
- `bert-tiny`: `bert_classifier("tiny")` trained from scratch on the same data.

Time to accuracy: test accuracy is measured every `--eval-every` training
samples and at every epoch end; the time spent evaluating is subtracted, so
the number is the training wall time (tracing included) from `fit` start
until the first evaluation at or above the target.

Each run appends one JSON line to `--out` and prints a Markdown table row.

Usage (from the repository root, one task at a time on a shared machine):

    TF_CPP_MIN_LOG_LEVEL=2 python bench/bench_accuracy.py mlp
    TF_CPP_MIN_LOG_LEVEL=2 python bench/bench_accuracy.py cnn --precision mixed_bfloat16
    TF_CPP_MIN_LOG_LEVEL=2 python bench/bench_accuracy.py cnn-seed
    TF_CPP_MIN_LOG_LEVEL=2 python bench/bench_accuracy.py bert-minilm \\
        --rt-polarity /path/to/rt-polarity
    TF_CPP_MIN_LOG_LEVEL=2 python bench/bench_accuracy.py bert-tiny \\
        --rt-polarity /path/to/rt-polarity
"""

import argparse
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

TASKS = ("mlp", "cnn", "cnn-seed", "bert-minilm", "bert-tiny")


def load(name, split, data_dir=None, limit=None):
    import importlib

    from kerasmodels import data

    if hasattr(data, "load"):
        return data.load(name, split=split, data_dir=data_dir, limit=limit)
    # Before kerasmodels.data exposes load(): the per-data-set module.
    x, y = importlib.import_module(f"kerasmodels.data.{name}").load(split, data_dir=data_dir)
    return (x, y) if limit is None else (x[:limit], y[:limit])


class TimeToAccuracy(keras.callbacks.Callback):
    """Test accuracy every `eval_every` batches and at epoch ends, timed without the evaluations."""

    def __init__(self, x, y, target, eval_every, stop_at_target):
        super().__init__()
        self.x, self.y = x, y
        self.target = target
        self.eval_every = eval_every
        self.stop_at_target = stop_at_target
        self.start = None
        self.eval_seconds = 0.0
        self.steps = 0
        self.history = []
        self.time_to_target = None
        self.steps_to_target = None

    def on_train_begin(self, logs=None):
        if self.start is None:
            self.start = time.perf_counter()

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


def set_precision(precision):
    keras.mixed_precision.set_global_policy(precision)


def one_cycle(peak, total_steps, warmup_fraction=0.1):
    """Linear warm-up to `peak`, then cosine decay to 0 (a one-cycle-like schedule)."""
    warmup = max(1, int(total_steps * warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=total_steps - warmup, alpha=0.0, warmup_target=peak, warmup_steps=warmup
    )


def run_mnist(task, args):
    from kerasmodels.models import cnn, compile_model, mlp

    x_train, y_train = load("mnist", "train", limit=args.limit)
    x_test, y_test = load("mnist", "test")
    if task == "mlp":
        epochs = args.epochs or 15
        batch = args.batch_size or 128
        steps = epochs * int(np.ceil(len(x_train) / batch))
        model = mlp(input_shape=(28, 28), num_classes=10)
        lr = args.learning_rate or 3e-3
        compile_model(model, learning_rate=one_cycle(lr, steps))
        recipe = f"Adam, one-cycle peak {lr:g}, batch {batch}, {epochs} epochs"
    elif task == "cnn-seed":
        epochs = args.epochs or 5
        batch = args.batch_size or 32
        model = cnn(input_shape=(28, 28), num_classes=10, preset="seed")
        compile_model(model)
        recipe = f"seed 002 §5.2: Adam defaults, batch {batch}, {epochs} epochs"
    else:
        epochs = args.epochs or 3
        batch = args.batch_size or 128
        steps = epochs * int(np.ceil(len(x_train) / batch))
        model = cnn(input_shape=(28, 28), num_classes=10)
        lr = args.learning_rate or 3e-3
        compile_model(model, learning_rate=one_cycle(lr, steps))
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
    from kerasmodels.models import bert_classifier, compile_model

    data_dir = args.rt_polarity
    x_train, y_train = load("rt_polarity", "train", data_dir=data_dir, limit=args.limit)
    x_test, y_test = load("rt_polarity", "test", data_dir=data_dir)
    keras.utils.set_random_seed(args.seed)
    batch = args.batch_size or 32
    seq = args.sequence_length
    if task == "bert-minilm":
        epochs = args.epochs or 2
        lr = args.learning_rate or 5e-5
        model = bert_classifier(2, preset="minilm-l6", sequence_length=seq, pooling=args.pooling)
    else:
        epochs = args.epochs or 4
        lr = args.learning_rate or 1e-3
        model = bert_classifier(2, preset="tiny", sequence_length=seq, pooling=args.pooling)
    steps = epochs * int(np.ceil(len(x_train) / batch))
    optimizer = keras.optimizers.AdamW(one_cycle(lr, steps), weight_decay=args.weight_decay,
                                       use_ema=args.ema > 0, ema_momentum=args.ema or 0.99)
    compile_model(model, optimizer=optimizer)
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
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--pooling", default="auto", choices=("auto", "mean", "cls"),
                        help="BERT head, bert_classifier's pooling (auto: mean for MiniLM, cls for tiny)")
    parser.add_argument("--weight-decay", type=float, default=0.01, help="AdamW weight decay (BERT)")
    parser.add_argument("--ema", type=float, default=0.0,
                        help="BERT: keep an exponential moving average of the weights with this momentum "
                             "and use it at the end (0: off)")
    parser.add_argument("--rt-polarity", default=os.environ.get("KERASMODELS_RT_POLARITY"),
                        help="directory with rt-polarity.pos/.neg")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="bench_accuracy.jsonl", help="JSON lines file to append to")
    args = parser.parse_args(argv)

    from kerasmodels import hardware

    keras.utils.set_random_seed(args.seed)
    set_precision(args.precision)
    began = time.time()
    if args.task.startswith("bert"):
        result = run_bert(args.task, args)
    else:
        result = run_mnist(args.task, args)
    result = {
        "task": args.task,
        "precision": args.precision,
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "hardware": hardware.describe(with_devices=False)["cpu"],
        "command": "python bench/bench_accuracy.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "date": time.strftime("%Y-%m-%d %H:%M", time.localtime(began)),
        **result,
    }
    with open(args.out, "a", encoding="utf-8") as f:
        f.write(json.dumps(result, default=str) + "\n")
    ttt = result.get("seconds_to_target")
    print(
        f"| {result['task']} | {result['recipe']} | {result['precision']} | "
        f"{100 * result['test_accuracy']:.2f}% | {result['train_seconds']} s | "
        f"{'-' if ttt is None and 'target' not in result else (ttt if ttt is not None else 'not reached')} |"
    )
    return result


if __name__ == "__main__":
    main()
