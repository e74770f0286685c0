"""Time-to-accuracy on full MNIST: `cnn()` (default recipe) versus keras-io's and article 002's recipes.

Wall time from the start of `fit` until test accuracy first reaches the target (99.0%),
measured with the clock paused while the test set is evaluated (every quarter epoch). Each
run is a fresh process (the precision policy is global), recipes alternate (A B A B ...) so
that machine noise hits both alike, and the report gives medians and their ratio.

- kerasmodels: `cnn((28, 28), 10)` with the recipe the registry gives for the precision
  `accelerate.setup("cnn")` picks (`accelerate.recipe`): batch 128, Adam with `warmup_cosine(peak,
  steps)` (linear warm-up over the first 10% of the steps, then cosine decay to 0 at the last step);
  peak 3e-3 over 3 epochs in mixed_bfloat16, 5e-3 over 2 in float32. `--batch-size`, `--peak` and
  `--epochs` override it (recipe searches).
  (The runs recorded before warmup_cosine existed decayed over all `steps` after the warm-up,
  so their rate at the last step was still 2.4% of the peak; the warm-up was the same.)
- keras-io: the network and recipe of keras-io's "Simple MNIST convnet" (examples/vision/mnist_convnet.py,
  the example a Keras user copies first): Conv 32 → pool → Conv 64 → pool → Dropout 0.5 → softmax, Adam
  defaults, batch 128, 15 epochs, float32. Two differences, the same for every recipe here: it trains on
  the package's 50,000-image split (keras-io: 54,000 after `validation_split=0.1`), and integer labels
  with sparse cross-entropy (keras-io: one-hot labels with categorical cross-entropy, the same loss).
- seed: `cnn(preset="article002")` (article 002's network), Adam defaults, batch 32, 5 epochs, float32.

Raw results: bench/results/time_to_accuracy.json (`--name`).

Usage: python bench/bench_time_to_accuracy.py [--repeats 3] [--target 0.99] [--name NAME]
"""

import argparse
import sys
import time

from common import build, command_line, emit, in_this_process, median, run_worker, save, table

RECIPES = ("kerasmodels", "keras-io", "seed")


def keras_io_mnist_convnet():
    """keras-io's "Simple MNIST convnet" network (34,826 parameters), softmax output as there."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Reshape((28, 28, 1)),  # keras-io expands the arrays' last axis instead
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def run_one(recipe, seed, target, epochs=None, limit=None, test_limit=None, batch_size=None, peak=None):
    import keras

    import kerasmodels as km

    keras.utils.set_random_seed(seed)
    x_train, y_train = km.data.load("mnist", split="train", limit=limit)
    x_test, y_test = km.data.load("mnist", split="test", limit=test_limit)
    if recipe == "kerasmodels":
        acc = km.accelerate.setup(model_kind="cnn")
        given = km.accelerate.recipe("cnn", acc=acc)  # the registry's recipe for this precision
        batch_size, peak, epochs = batch_size or given.batch_size, peak or given.peak_learning_rate, epochs or given.epochs
        steps = epochs * -(-len(x_train) // batch_size)
        model = build("cnn")
        km.models.compile_model(model, learning_rate=km.models.warmup_cosine(peak, steps),
                                jit_compile=acc.jit_compile)
        policy = acc.precision
    elif recipe == "keras-io":
        keras.mixed_precision.set_global_policy("float32")
        batch_size, epochs, policy = 128, 15, "float32"
        model = keras_io_mnist_convnet()
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    else:
        keras.mixed_precision.set_global_policy("float32")
        batch_size, epochs, policy = 32, 5, "float32"
        model = build("cnn_seed")
        km.models.compile_model(model)
    steps_per_epoch = -(-len(x_train) // batch_size)
    eval_every = max(1, steps_per_epoch // 4)

    class TimeToAccuracy(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.training_seconds, self.step, self.curve, self.reached, self.reached_step = 0.0, 0, [], None, None

        def on_train_batch_begin(self, batch, logs=None):
            self.t0 = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.training_seconds += time.perf_counter() - self.t0
            self.step += 1
            if self.step % eval_every == 0 or self.step % steps_per_epoch == 0:
                accuracy = self.model.evaluate(x_test, y_test, batch_size=512, verbose=0, return_dict=True)["accuracy"]
                self.curve.append((self.step / steps_per_epoch, self.training_seconds, accuracy))
                if accuracy >= target and self.reached is None:
                    self.reached, self.reached_step = self.training_seconds, self.step
                    self.model.stop_training = True

    tta = TimeToAccuracy()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, callbacks=[tta], verbose=0)
    return {
        "recipe": recipe, "seed": seed, "policy": policy, "batch_size": batch_size, "epochs": epochs,
        "peak_learning_rate": peak if recipe == "kerasmodels" else None,
        "train_samples": len(x_train), "test_samples": len(x_test),
        # Steps do not depend on the machine's load: steps x an idle step's time compares recipes.
        "seconds_to_target": tta.reached, "steps_to_target": tta.reached_step, "best_accuracy": max(a for _, _, a in tta.curve),
        "curve": tta.curve,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--epochs", type=int, help="epochs of the kerasmodels recipe (default: the registry's)")
    parser.add_argument("--batch-size", type=int, help="batch of the kerasmodels recipe (default: the registry's)")
    parser.add_argument("--peak", type=float, help="peak learning rate of the kerasmodels recipe (default: the registry's)")
    parser.add_argument("--limit", type=int, default=None, help="training examples (default: all 50,000)")
    parser.add_argument("--test-limit", type=int, default=None, help="test examples (default: all 10,000)")
    parser.add_argument("--in-process", action="store_true",
                        help="run every run in this process, not a fresh one each (quick checks)")
    parser.add_argument("--name", default="time_to_accuracy",
                        help="results file bench/results/NAME.json (a path if NAME has a folder)")
    parser.add_argument("--recipes", default=",".join(RECIPES),
                        help=f"comma-separated, kerasmodels first (default: {','.join(RECIPES)})")
    parser.add_argument("--one", choices=RECIPES, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        emit(run_one(args.one, args.seed, args.target, args.epochs, args.limit, args.test_limit,
                     args.batch_size, args.peak))
        return None

    recipes = tuple(args.recipes.split(","))
    if recipes[0] != "kerasmodels" or not set(recipes) <= set(RECIPES):
        parser.error(f"--recipes {args.recipes}: start with kerasmodels, then any of {', '.join(RECIPES[1:])}")
    runs = []
    for repeat in range(args.repeats):
        for recipe in recipes:
            if args.in_process:
                result = in_this_process(run_one, recipe, repeat, args.target, args.epochs, args.limit,
                                         args.test_limit, args.batch_size, args.peak)
            else:
                argv_one = [sys.executable, __file__, "--one", recipe, "--seed", str(repeat),
                            "--target", str(args.target)]
                for flag, value in (("--limit", args.limit), ("--test-limit", args.test_limit), ("--epochs", args.epochs),
                                    ("--batch-size", args.batch_size), ("--peak", args.peak)):
                    if value:
                        argv_one += [flag, str(value)]
                [result] = run_worker(argv_one, f"{recipe} (repeat {repeat})")
            runs.append(result)
            print(f"repeat {repeat} {recipe}: {result['seconds_to_target']} s to target, "
                  f"best {result['best_accuracy']:.4f}", flush=True)
    rows, medians = [], {}
    for recipe in recipes:
        mine = [r for r in runs if r["recipe"] == recipe]
        reached = [r["seconds_to_target"] for r in mine if r["seconds_to_target"] is not None]
        medians[recipe] = median(reached) if len(reached) == len(mine) else None
        rows.append((recipe, mine[0]["policy"], mine[0]["batch_size"], f"{len(reached)}/{len(mine)}",
                     f"{medians[recipe]:.1f}" if medians[recipe] else "not every run",
                     f"{median([r['best_accuracy'] for r in mine]):.4f}"))
    print(table(rows, ("recipe", "precision", "batch", f"reached {args.target:.1%}", "median s to target",
                       "median best test acc")))
    for other in recipes[1:]:
        if medians["kerasmodels"] and medians[other]:
            print(f"speed-up ({other} / kerasmodels, same run): {medians[other] / medians['kerasmodels']:.2f}x")
    payload = {"target": args.target, "in_process": args.in_process, "runs": runs, "medians": medians,
               "command": command_line("bench_time_to_accuracy.py", argv)}
    print(f"raw results: {save(args.name, payload)}")
    return payload


if __name__ == "__main__":
    main()
