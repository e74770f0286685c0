"""Fine-tuning recipes for `bert_classifier("minilm-l6")` on rt_polarity, judged on the validation split.

Each run fine-tunes MiniLM (mean-pooled head) on rt_polarity's training split with one
recipe and measures accuracy on the validation **and** test splits after every epoch, with the
weight average (EMA) swapped in. Recipes are chosen by validation accuracy; the test column
is what the chosen recipe would report. All share AdamW (weight decay 0.01), a one-cycle
schedule (10% linear warm-up, cosine decay), batch 32, sequence length 64, EMA 0.99:

- `base`: every weight at the same peak learning rate (the recipe of bench_accuracy.py);
- `llrd`: layer-wise learning-rate decay: the head at the peak, transformer layer i of 6 at
  peak * factor**(6 - i), the embeddings at peak * factor**7;
- `freeze-embeddings`: the token-embedding table (11.7M of the 22.7M weights) stays frozen,
  so words seen in training do not drift away from words seen only at test time;
- `lpft`: linear probe, then fine-tune (Kumar et al., 2022): a logistic regression on the
  frozen mean-pooled vectors initialises the head before the whole network trains, so the
  first steps do not push the encoder towards a random head.

The last three combine with `+` (e.g. `llrd+lpft`: a probed head, then layer-wise decay).
One run appends a JSON line to bench/results/bert_recipes.jsonl (`--name`) and prints the
per-epoch curve and a table row.
On 2 cores one full run (3 epochs, mixed_bfloat16) takes about 12 minutes.

Usage (from the repository root):

    python bench/bench_bert_recipes.py base --seed 0
    python bench/bench_bert_recipes.py lpft --seed 0
    python bench/bench_bert_recipes.py llrd --learning-rate 1e-4 --llrd-factor 0.8

rt_polarity comes from `--data-dir` (default: $KERASMODELS_RT_POLARITY or ../shared/data/rt-polarity).
"""

import argparse
import os
import re
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from common import DEFAULT_RT_POLARITY, append, build  # noqa: E402

RECIPES = ("base", "llrd", "freeze-embeddings", "lpft")


def recipe_parts(recipe):
    """The changes a recipe makes to `base`: "llrd+lpft" -> {"llrd", "lpft"}; "base" -> set()."""
    parts = recipe.split("+")
    if any(part not in RECIPES for part in parts):
        raise argparse.ArgumentTypeError(f"{recipe!r}: use one of {', '.join(RECIPES)} or a '+' combination")
    return set(parts) - {"base"}


def layer_depth_factor(path, factor, num_layers):
    """Learning-rate multiplier of the weight at `path` under layer-wise decay."""
    match = re.search(r"transformer_layer_(\d+)", path)
    if match:
        return factor ** (num_layers - int(match.group(1)))
    if "embedding" in path:
        return factor ** (num_layers + 1)
    return 1.0


class LayerwiseDecayAdamW(keras.optimizers.AdamW):
    """AdamW whose learning rate is scaled per weight by `multiplier_of_path(weight.path)`."""

    def __init__(self, multiplier_of_path, **kwargs):
        super().__init__(**kwargs)
        self.multiplier_of_path = multiplier_of_path

    def update_step(self, gradient, variable, learning_rate):
        # The backend may hand over its own variable object; the Keras variable knows the path.
        keras_variable = self._trainable_variables[self._get_variable_index(variable)]
        multiplier = self.multiplier_of_path(keras_variable.path)
        if multiplier != 1.0:
            learning_rate = keras.ops.multiply(learning_rate, multiplier)
        return super().update_step(gradient, variable, learning_rate)


def probe_head(model, x, y, batch_size=256):
    """Fit a logistic regression on the frozen mean-pooled vectors and copy it into the head."""
    from sklearn.linear_model import LogisticRegression

    pooled = keras.Model(model.input, model.get_layer("mean_pooling").output)
    vectors = np.concatenate([
        np.asarray(pooled.predict_on_batch(model.preprocessor(np.asarray(x[i:i + batch_size], dtype=object))),
                   dtype="float32")
        for i in range(0, len(x), batch_size)
    ])
    probe = LogisticRegression(max_iter=3000).fit(vectors, y)
    # Two softmax logits reproduce the binary logistic regression: z1 - z0 = w.x + b.
    w, b = probe.coef_[0].astype("float32"), float(probe.intercept_[0])
    dense = model.get_layer("logits")
    dense.kernel.assign(np.stack([-w / 2, w / 2], axis=1))
    dense.bias.assign(np.array([-b / 2, b / 2], dtype="float32"))
    return float(probe.score(vectors, y))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipe", help=f"one of {', '.join(RECIPES)}, or several joined by '+'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--learning-rate", type=float, default=None, help="peak (default 5e-5; llrd 1e-4)")
    parser.add_argument("--llrd-factor", type=float, default=0.8)
    parser.add_argument("--precision", default="mixed_bfloat16", help="float32 or mixed_bfloat16")
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--limit", type=int, default=None, help="training sentences (default: all 8,530)")
    parser.add_argument("--eval-limit", type=int, default=None, help="validation and test sentences (default: all)")
    parser.add_argument("--data-dir", default=DEFAULT_RT_POLARITY, help="folder of rt-polarity.pos/.neg")
    parser.add_argument("--name", default="bert_recipes",
                        help="results file bench/results/NAME.jsonl, appended to (a path if NAME has a folder)")
    args = parser.parse_args(argv)
    try:
        parts = recipe_parts(args.recipe)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    previous_policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(args.precision)
    try:
        return run(args, parts)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)


def run(args, parts):
    import kerasmodels as km

    keras.utils.set_random_seed(args.seed)
    x_train, y_train = km.data.load("rt_polarity", split="train", data_dir=args.data_dir, limit=args.limit)
    x_val, y_val = km.data.load("rt_polarity", split="validation", data_dir=args.data_dir, limit=args.eval_limit)
    x_test, y_test = km.data.load("rt_polarity", split="test", data_dir=args.data_dir, limit=args.eval_limit)
    model = build("bert", sequence_length=args.sequence_length)

    peak = args.learning_rate or (1e-4 if "llrd" in parts else 5e-5)
    details = {}
    if "freeze-embeddings" in parts:
        model.backbone.get_layer("token_embedding").trainable = False
    if "lpft" in parts:
        details["probe_train_accuracy"] = probe_head(model, x_train, y_train)
    steps = args.epochs * int(np.ceil(len(x_train) / 32))
    settings = dict(learning_rate=km.models.warmup_cosine(peak, steps), weight_decay=0.01, use_ema=True,
                    ema_momentum=0.99)
    if "llrd" in parts:
        num_layers = model.backbone.num_layers
        optimizer = LayerwiseDecayAdamW(
            lambda path: layer_depth_factor(path, args.llrd_factor, num_layers), **settings)
        details["llrd_factor"] = args.llrd_factor
    else:
        optimizer = keras.optimizers.AdamW(**settings)
    km.models.compile_model(model, optimizer=optimizer)

    began = time.perf_counter()
    curve = []

    class EvaluateEachEpoch(keras.callbacks.Callback):
        # Runs after SwapEMAWeights(swap_on_epoch=True) has put the averaged weights in.
        def on_epoch_end(self, epoch, logs=None):
            val = self.model.evaluate(x_val, y_val, batch_size=128, verbose=0, return_dict=True)["accuracy"]
            test = self.model.evaluate(x_test, y_test, batch_size=128, verbose=0, return_dict=True)["accuracy"]
            curve.append({"epoch": epoch + 1, "seconds": round(time.perf_counter() - began),
                          "train_accuracy": float(logs["accuracy"]), "val_accuracy": float(val),
                          "test_accuracy": float(test)})
            print(f"  epoch {epoch + 1}: validation {val:.4f}  test {test:.4f}  "
                  f"(training {logs['accuracy']:.4f}, {curve[-1]['seconds']} s)", flush=True)

    callbacks = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True), EvaluateEachEpoch()]
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, verbose=0, callbacks=callbacks)
    last = curve[-1]
    record = {
        "recipe": args.recipe, "seed": args.seed, "peak_learning_rate": peak, "epochs": args.epochs,
        "precision": args.precision, "train_samples": len(x_train), "val_samples": len(x_val),
        "test_samples": len(x_test), "val_accuracy": last["val_accuracy"],
        "test_accuracy": last["test_accuracy"], "curve": curve, **details,
        "keras": keras.__version__, "backend": keras.backend.backend(), "cpu_count": os.cpu_count(),
        "command": "python bench/bench_bert_recipes.py " + " ".join(
            [args.recipe, "--seed", str(args.seed), "--epochs", str(args.epochs), "--learning-rate", f"{peak:g}",
             "--precision", args.precision] + (["--llrd-factor", f"{args.llrd_factor:g}"] if "llrd" in parts else [])),
    }
    print(f"raw results: {append(args.name, record)}")
    print(f"| {args.recipe} | seed {args.seed} | {peak:g} | {args.precision} | "
          f"{100 * last['val_accuracy']:.2f}% | {100 * last['test_accuracy']:.2f}% |")
    return record


if __name__ == "__main__":
    main()
