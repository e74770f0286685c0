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

On a machine without TensorFlow (keras-hub's WordPiece tokenizer needs it), e.g. a GPU machine
with only JAX: `--pack DIR` writes, here, the three splits as token ids and the MiniLM backbone's
weights; `--packed DIR` trains from them there. To fit a 64 MiB transfer the pack keeps only the
embedding rows of the tokens rt_polarity uses (ids renumbered: the other rows never reach an
output and get no gradient), and stores those rows in float16 (a rounding of 2^-11 relative, finer
than the bfloat16 the runs compute in); every other weight is float32 as loaded.

    python bench/bench_bert_recipes.py --pack /tmp/minilm-pack           # with TensorFlow
    KERAS_BACKEND=jax python bench/bench_bert_recipes.py lpft --packed /tmp/minilm-pack

`--summary bench/results/bert_recipes_gpu.jsonl` prints each recipe's median validation and test
accuracy over its seeds and the recipe validation chooses (bench/bert_recipes_gpu.sh ran them).
"""

import argparse
import json
import os
import re
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from common import DEFAULT_RT_POLARITY, append, build, dtype_policy, median  # noqa: E402

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


def examples(x, start, stop):
    """Examples start:stop of an array of strings or of packed token ids (a dict of arrays)."""
    if isinstance(x, dict):
        return {key: value[start:stop] for key, value in x.items()}
    return np.asarray(x[start:stop], dtype=object)


def probe_head(model, x, y, batch_size=256):
    """Fit a logistic regression on the frozen mean-pooled vectors and copy it into the head."""
    from sklearn.linear_model import LogisticRegression

    pooled = keras.Model(model.input, model.get_layer("mean_pooling").output)
    prepare = (lambda batch: batch) if model.preprocessor is None else model.preprocessor
    vectors = np.concatenate([
        np.asarray(pooled.predict_on_batch(prepare(examples(x, i, i + batch_size))), dtype="float32")
        for i in range(0, len(y), batch_size)
    ])
    probe = LogisticRegression(max_iter=3000).fit(vectors, y)
    # Two softmax logits reproduce the binary logistic regression: z1 - z0 = w.x + b.
    w, b = probe.coef_[0].astype("float32"), float(probe.intercept_[0])
    dense = model.get_layer("logits")
    dense.kernel.assign(np.stack([-w / 2, w / 2], axis=1))
    dense.bias.assign(np.array([-b / 2, b / 2], dtype="float32"))
    return float(probe.score(vectors, y))


SPLITS = ("train", "validation", "test")


def device_name():
    """The accelerator the run used ("NVIDIA H100 80GB HBM3"), or "cpu"."""
    from kerasmodels import hardware

    found = hardware.accelerators()
    return found[0].name if found else "cpu"


def pack(args):
    """Write the splits as token ids and the backbone's weights (used embedding rows only) to a folder."""
    import io

    import kerasmodels as km
    from kerasmodels import paths

    model = build("bert", sequence_length=args.sequence_length)
    tokens = {}
    for split in SPLITS:
        x, y = km.data.load("rt_polarity", split=split, data_dir=args.data_dir)
        batch = model.preprocessor(np.asarray(x, dtype=object))
        tokens[split] = {key: np.asarray(value) for key, value in batch.items()} | {"labels": np.asarray(y)}
    used = np.unique(np.concatenate([t["token_ids"].ravel() for t in tokens.values()]))
    new_id = np.zeros(int(used.max()) + 1, dtype="int32")
    new_id[used] = np.arange(len(used))
    arrays = {}
    for split, t in tokens.items():
        arrays |= {f"{split}/token_ids": new_id[t["token_ids"]].astype("uint16"),
                   f"{split}/segment_ids": t["segment_ids"].astype("uint8"),
                   f"{split}/padding_mask": t["padding_mask"], f"{split}/labels": t["labels"].astype("uint8")}
    for weight in model.backbone.weights:
        value = np.asarray(weight.numpy(), dtype="float32")
        if weight.path.endswith("token_embedding/embeddings"):
            value = value[used].astype("float16")
        arrays["weights/" + weight.path] = value
    config = model.backbone.get_config() | {"vocabulary_size": len(used)}
    config.pop("dtype", None)  # the backbone takes the dtype policy of the run that loads it
    folder = Path(args.pack)
    packed = io.BytesIO()
    np.savez_compressed(packed, **arrays)
    paths.atomic_write_bytes(folder / "minilm_rt_polarity.npz", packed.getvalue())
    paths.atomic_write_text(folder / "backbone.json", json.dumps(
        {"config": config, "sequence_length": args.sequence_length, "vocabulary_rows_kept": int(len(used))}))
    print(f"packed {len(used)} of {model.backbone.vocabulary_size} embedding rows, "
          f"{sum(len(t['labels']) for t in tokens.values())} sentences -> {folder}")


def load_packed(folder):
    """The MiniLM classifier (no preprocessor) and the splits as token-id dicts, from `pack`'s folder."""
    import keras_hub

    from kerasmodels.models.bert_mean_pooled import MeanPooledBertClassifier

    folder = Path(folder)
    if not (folder / "backbone.json").is_file() or not (folder / "minilm_rt_polarity.npz").is_file():
        raise SystemExit(f"--packed {folder}: not a folder written by --pack (backbone.json and "
                         f"minilm_rt_polarity.npz); write one with `python bench/bench_bert_recipes.py --pack {folder}`")
    meta = json.loads((folder / "backbone.json").read_text())
    arrays = np.load(folder / "minilm_rt_polarity.npz")
    backbone = keras_hub.models.BertBackbone.from_config(meta["config"])
    by_path = {weight.path: weight for weight in backbone.weights}
    for key in arrays.files:
        if key.startswith("weights/"):
            by_path.pop(key[len("weights/"):]).assign(arrays[key].astype("float32"))
    if by_path:
        raise SystemExit(f"{folder}: no packed values for {sorted(by_path)}; pack it again with --pack")
    # As bert_classifier("minilm-l6") builds it, minus the tokenizer.
    model = MeanPooledBertClassifier(backbone, 2, preprocessor=None, activation=None, dropout=0.1)
    splits = {split: ({key: arrays[f"{split}/{key}"].astype("bool" if key == "padding_mask" else "int32")
                       for key in ("token_ids", "segment_ids", "padding_mask")},
                      arrays[f"{split}/labels"].astype("int32")) for split in SPLITS}
    return model, splits


def summarise(path):
    """Each recipe's runs in a results file: median validation and median (range) test accuracy.

    Returns the rows, best median validation accuracy first; the first row with three or more
    seeds is the recipe validation chooses.
    """
    groups = {}
    for line in Path(path).read_text().splitlines():
        run = json.loads(line)
        key = (run["recipe"], run["peak_learning_rate"], run["epochs"], run["precision"], run.get("device", "cpu"))
        groups.setdefault(key, []).append(run)
    rows = []
    for (recipe, peak, epochs, precision, device), runs in groups.items():
        tests = [100 * run["test_accuracy"] for run in runs]
        rows.append({"recipe": recipe, "peak": peak, "epochs": epochs, "precision": precision, "device": device,
                     "seeds": sorted(run["seed"] for run in runs),
                     "val_median": median([100 * run["val_accuracy"] for run in runs]),
                     "test_median": median(tests), "test_min": min(tests), "test_max": max(tests)})
    return sorted(rows, key=lambda row: -row["val_median"])


def print_summary(path):
    rows = summarise(path)
    print("| recipe | peak lr | epochs | precision | device | seeds | validation (median) | test median (range) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['recipe']} | {row['peak']:g} | {row['epochs']} | {row['precision']} | {row['device']} | "
              f"{','.join(map(str, row['seeds']))} | {row['val_median']:.2f}% | {row['test_median']:.2f}% "
              f"({row['test_min']:.2f}-{row['test_max']:.2f}) |")
    chosen = next((row for row in rows if len(row["seeds"]) >= 3), None)
    if chosen:
        print(f"chosen on validation (3+ seeds): {chosen['recipe']}, test median {chosen['test_median']:.2f}%")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("recipe", nargs="?", help=f"one of {', '.join(RECIPES)}, or several joined by '+'")
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
    parser.add_argument("--pack", metavar="DIR", help="write token ids and weights to DIR (needs TensorFlow), then stop")
    parser.add_argument("--packed", metavar="DIR", help="train from a folder written by --pack")
    parser.add_argument("--summary", metavar="JSONL", help="print each recipe's medians from a results file, then stop")
    args = parser.parse_args(argv)
    if args.summary:
        return print_summary(args.summary)
    if args.pack:
        return pack(args)
    if args.recipe is None:
        parser.error("name a recipe (or --pack DIR)")
    try:
        parts = recipe_parts(args.recipe)
    except argparse.ArgumentTypeError as error:
        parser.error(str(error))
    with dtype_policy(args.precision):
        return run(args, parts)


def run(args, parts):
    import kerasmodels as km

    keras.utils.set_random_seed(args.seed)
    if args.packed:
        model, splits = load_packed(args.packed)
        limits = {"train": args.limit, "validation": args.eval_limit, "test": args.eval_limit}
        (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
            (examples(x, 0, limits[split]), y[:limits[split]]) for split, (x, y) in splits.items())
    else:
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
    steps = args.epochs * int(np.ceil(len(y_train) / 32))
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

    # keras-hub's fit/evaluate turn arrays into a tf.data (or grain) pipeline even without a
    # preprocessor; token-id arrays need neither, so packed runs use Keras's own loops.
    fit, evaluate = (keras.Model.fit, keras.Model.evaluate) if args.packed else (type(model).fit, type(model).evaluate)
    began = time.perf_counter()
    curve = []

    class EvaluateEachEpoch(keras.callbacks.Callback):
        # Runs after SwapEMAWeights(swap_on_epoch=True) has put the averaged weights in.
        def on_epoch_end(self, epoch, logs=None):
            val = evaluate(self.model, x_val, y_val, batch_size=128, verbose=0, return_dict=True)["accuracy"]
            test = evaluate(self.model, x_test, y_test, batch_size=128, verbose=0, return_dict=True)["accuracy"]
            curve.append({"epoch": epoch + 1, "seconds": round(time.perf_counter() - began),
                          "train_accuracy": float(logs["accuracy"]), "val_accuracy": float(val),
                          "test_accuracy": float(test)})
            print(f"  epoch {epoch + 1}: validation {val:.4f}  test {test:.4f}  "
                  f"(training {logs['accuracy']:.4f}, {curve[-1]['seconds']} s)", flush=True)

    callbacks = [keras.callbacks.SwapEMAWeights(swap_on_epoch=True), EvaluateEachEpoch()]
    fit(model, x_train, y_train, batch_size=32, epochs=args.epochs, verbose=0, callbacks=callbacks)
    last = curve[-1]
    record = {
        "recipe": args.recipe, "seed": args.seed, "peak_learning_rate": peak, "epochs": args.epochs,
        "precision": args.precision, "train_samples": len(y_train), "val_samples": len(y_val),
        "test_samples": len(y_test), "inputs": "packed token ids" if args.packed else "strings",
        "val_accuracy": last["val_accuracy"],
        "test_accuracy": last["test_accuracy"], "curve": curve, **details,
        "keras": keras.__version__, "backend": keras.backend.backend(), "device": device_name(),
        "cpu_count": os.cpu_count(),
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
