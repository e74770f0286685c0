"""Time-to-accuracy on full MNIST: `cnn()` (default recipe) versus the seed 002 §5.2 recipe.

Wall time from the start of `fit` until test accuracy first reaches the target (99.0%),
measured with the clock paused while the test set is evaluated (every quarter epoch). Each
run is a fresh process (the precision policy is global), recipes alternate (A B A B ...) so
that machine noise hits both alike, and the report gives medians and their ratio.

- kerasmodels: `cnn((28, 28), 10)` with its documented recipe: batch 128, Adam with warm-up to
  3e-3 then cosine decay over `--epochs` epochs, the precision `accelerate.setup("cnn")` picks.
- seed: `cnn(preset="seed")` (the document's network), Adam defaults, batch 32, 5 epochs, float32.

Usage: python bench/bench_time_to_accuracy.py [--repeats 3] [--target 0.99]
"""

import argparse
import json
import subprocess
import sys
import time

RECIPES = ("kerasmodels", "seed")


def run_one(recipe, seed, target, epochs, limit=None):
    import keras

    import kerasmodels as km

    keras.utils.set_random_seed(seed)
    x_train, y_train = km.data.load("mnist", split="train", limit=limit)
    x_test, y_test = km.data.load("mnist", split="test")
    if recipe == "kerasmodels":
        acc = km.accelerate.setup(model_kind="cnn")
        batch_size = 128
        steps = epochs * -(-len(x_train) // batch_size)
        schedule = keras.optimizers.schedules.CosineDecay(
            0.0, steps, warmup_target=3e-3, warmup_steps=steps // 10)
        model = km.models.cnn((28, 28), 10)
        km.models.compile_model(model, learning_rate=schedule, jit_compile=acc.jit_compile)
        policy = acc.precision
    else:
        keras.mixed_precision.set_global_policy("float32")
        batch_size, epochs, policy = 32, 5, "float32"
        model = km.models.cnn((28, 28), 10, preset="seed")
        km.models.compile_model(model)
    steps_per_epoch = -(-len(x_train) // batch_size)
    eval_every = max(1, steps_per_epoch // 4)

    class TimeToAccuracy(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.training_seconds, self.step, self.curve, self.reached = 0.0, 0, [], None

        def on_train_batch_begin(self, batch, logs=None):
            self.t0 = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.training_seconds += time.perf_counter() - self.t0
            self.step += 1
            if self.step % eval_every == 0 or self.step % steps_per_epoch == 0:
                accuracy = self.model.evaluate(x_test, y_test, batch_size=512, verbose=0, return_dict=True)["accuracy"]
                self.curve.append((self.step / steps_per_epoch, self.training_seconds, accuracy))
                if accuracy >= target and self.reached is None:
                    self.reached = self.training_seconds
                    self.model.stop_training = True

    tta = TimeToAccuracy()
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, callbacks=[tta], verbose=0)
    return {
        "recipe": recipe, "seed": seed, "policy": policy, "batch_size": batch_size,
        "seconds_to_target": tta.reached, "best_accuracy": max(a for _, _, a in tta.curve),
        "curve": tta.curve,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the kerasmodels recipe")
    parser.add_argument("--limit", type=int, default=None, help="training examples (smoke tests)")
    parser.add_argument("--name", default="time_to_accuracy", help="results file bench/results/NAME.json")
    parser.add_argument("--one", choices=RECIPES, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(run_one(args.one, args.seed, args.target, args.epochs, args.limit)))
        return
    from common import median, save, table

    runs = []
    for repeat in range(args.repeats):
        for recipe in RECIPES:
            argv = [sys.executable, __file__, "--one", recipe, "--seed", str(repeat),
                    "--target", str(args.target), "--epochs", str(args.epochs)]
            if args.limit:
                argv += ["--limit", str(args.limit)]
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
            result = json.loads(out.split("RESULT ", 1)[1])
            runs.append(result)
            print(f"repeat {repeat} {recipe}: {result['seconds_to_target']} s to target, "
                  f"best {result['best_accuracy']:.4f}", flush=True)
    rows, medians = [], {}
    for recipe in RECIPES:
        mine = [r for r in runs if r["recipe"] == recipe]
        reached = [r["seconds_to_target"] for r in mine if r["seconds_to_target"] is not None]
        medians[recipe] = median(reached) if len(reached) == len(mine) else None
        rows.append((recipe, mine[0]["policy"], mine[0]["batch_size"], f"{len(reached)}/{len(mine)}",
                     f"{medians[recipe]:.1f}" if medians[recipe] else "not every run",
                     f"{median([r['best_accuracy'] for r in mine]):.4f}"))
    print(table(rows, ("recipe", "precision", "batch", f"reached {args.target:.1%}", "median s to target",
                       "median best test acc")))
    if medians["kerasmodels"] and medians["seed"]:
        print(f"speed-up (seed / kerasmodels, same run): {medians['seed'] / medians['kerasmodels']:.2f}x")
    path = save(args.name, {"target": args.target, "runs": runs, "medians": medians,
                            "command": " ".join(["python", "bench/bench_time_to_accuracy.py"] + sys.argv[1:])})
    print(f"raw results: {path}")


if __name__ == "__main__":
    main()
