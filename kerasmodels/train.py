"""`kerasmodels train`: train a factory model on a named data set with the standard callbacks.

The run directory gets:
- `model.keras`: the trained model (written atomically; `keras.saving.load_model` reads it),
- `metrics.json`: the summary (data, model, epochs, final and test metrics, seconds),
- `training/`: per-epoch `metrics.csv`/`metrics.json` and the resumable checkpoints, so that
  the same command started again after a crash or a disconnect continues where it stopped.
  `resume=False` (`--no-resume`) starts afresh: the old `training/` is renamed
  `training.old-<time>`, never deleted (a user's own files may be in it).

Calling it again on a finished run trains nothing and keeps the summary's results
(`final` from the last run that trained).

By default the run uses what `kerasmodels.accelerate.setup()` picks for the machine (precision
policy, XLA, `steps_per_execution`, data-parallel devices) and the model's recommended recipe
(`accelerate.recipe`: batch size, optimizer, `warmup_cosine` schedule); the summary's
"accelerate" and "recipe" entries record both. `precision="float32"` keeps float32 with the rest
of the setup; `accelerate=False` skips `setup()` altogether (the recipe stays).

Example:

```python
from kerasmodels.train import train
summary = train("mlp", "digits", epochs=2, out_dir="runs/demo")
summary["test"]["accuracy"]
```
"""

import contextlib
import dataclasses
import json
import math
import numbers
import os
import time
import warnings
from pathlib import Path

from kerasmodels import _runlock as runlock
from kerasmodels.errors import InvalidArgumentError, KerasmodelsError
from kerasmodels.paths import atomic_write_text, runs_dir

IMAGE_SETS = ("digits", "mnist", "shapes", "cifar10")
TEXT_SETS = ("reviews", "rt_polarity")
MODELS = {"mlp": IMAGE_SETS, "cnn": IMAGE_SETS, "bert": TEXT_SETS}
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
PRESETS = {"mlp": (), "cnn": ("article002", "lenet"), "bert": ("minilm-l6", "tiny")}
# Old preset names that still work (with a DeprecationWarning naming the new one).
RENAMED_PRESETS = {"cnn": {"seed": "article002"}}
CHECKPOINTS = "checkpoints"  # default_callbacks keeps ResumableTraining's files in training/checkpoints


def _check(model_kind, data):
    if model_kind not in MODELS:
        raise KerasmodelsError(f"unknown model {model_kind!r}; choose one of: {', '.join(MODELS)}")
    if data not in MODELS[model_kind]:
        kind = "text" if model_kind == "bert" else "image"
        raise KerasmodelsError(
            f"{model_kind} trains on {kind} data ({', '.join(MODELS[model_kind])}), "
            f"but {data!r} is {'a text' if data in TEXT_SETS else 'an image' if data in IMAGE_SETS else 'not a known'} "
            f"data set. Fix: pick one of {', '.join(MODELS[model_kind])}."
        )


def _positive(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1):
        raise InvalidArgumentError(f"--{name.replace('_', '-')} must be a positive integer, got {value!r}")


def _renamed(model_kind, preset):
    new = RENAMED_PRESETS.get(model_kind, {}).get(preset)
    if new is None:
        return preset
    warnings.warn(f"--preset {preset} is deprecated; use --preset {new} (the same network).",
                  DeprecationWarning, stacklevel=3)
    return new


def _check_arguments(model_kind, preset, learning_rate, seed):
    if preset is not None and preset not in PRESETS[model_kind] and not (
            model_kind == "bert" and Path(str(preset)).expanduser().is_dir()):
        known = ", ".join(PRESETS[model_kind]) or "none"
        extra = " (or the path of a local BERT folder)" if model_kind == "bert" else ""
        raise InvalidArgumentError(f"{model_kind} has no preset {preset!r}; presets: {known}{extra}")
    if learning_rate is not None:
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) or not (
                math.isfinite(learning_rate) and learning_rate > 0):
            raise InvalidArgumentError(
                f"--learning-rate must be a finite number > 0, got {learning_rate!r}. "
                "Fix: e.g. --learning-rate 0.001, or leave it out for the optimizer's default.")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise InvalidArgumentError(f"--seed must be a non-negative integer, got {seed!r}")


def json_safe(value):
    """`value` with every non-finite float replaced by None, so strict JSON parsers accept it."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _make_run_dir(out):
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise KerasmodelsError(
            f"cannot create the output folder {out}: {error.strerror or error}. "
            "Fix: pass --out a folder you can write to (not inside a file).") from error


def _move_aside(training_dir):
    """Rename an old training folder to training.old-<time>; nothing in it is deleted."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = training_dir.with_name(f"{training_dir.name}.old-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = training_dir.with_name(f"{training_dir.name}.old-{stamp}-{counter}")
    try:
        os.replace(training_dir, target)
    except OSError as error:
        raise KerasmodelsError(f"cannot move {training_dir} aside to start afresh: {error}. "
                               f"Fix: move or rename {training_dir} yourself.") from error
    return target


def _previous_summary(path):
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


def _final_from_rows(rows):
    """The last epoch's loss and metrics from the per-epoch log (system numbers left out)."""
    from kerasmodels.callbacks._common import SYSTEM_KEYS

    if not rows:
        return {}
    return {k: v for k, v in rows[-1].items() if k not in SYSTEM_KEYS and isinstance(v, (int, float))}


def _build(model_kind, x_train, num_classes, preset, sequence_length):
    from kerasmodels import models

    if model_kind == "mlp":
        if preset is not None:
            raise KerasmodelsError(f"mlp has no presets, got --preset {preset}")
        return models.mlp(input_shape=x_train.shape[1:], num_classes=num_classes)
    try:
        if model_kind == "cnn":
            return models.cnn(input_shape=x_train.shape[1:], num_classes=num_classes, preset=preset)
        return models.bert_classifier(num_classes, preset=preset or "minilm-l6", sequence_length=sequence_length)
    except (ValueError, TypeError) as error:
        # The factories check their arguments with ValueError/TypeError; here every argument
        # comes from the command line (preset, sequence length, the data's shape).
        raise InvalidArgumentError(f"cannot build {model_kind} for this data: {error}") from error


def train(model_kind, data, epochs=None, batch_size=None, limit=None, out_dir=None, preset=None,
          learning_rate=None, data_dir=None, resume=True, seed=0, sequence_length=64, verbose=1,
          precision="auto", accelerate=True):
    """Train `model_kind` ("mlp", "cnn", "bert") on data set `data`; return the summary dict.

    Args:
        model_kind: "mlp" or "cnn" for image sets, "bert" for text sets.
        data: a `kerasmodels.data` name.
        epochs: total epochs (a resumed run still ends after this many); default the recipe's.
        batch_size: default the recipe's (cnn: 128 on a CPU, 512 per GPU; mlp 128; bert 32).
        limit: use only the first `limit` training examples.
        out_dir: run directory; default `runs/train-<model>-<data>`.
        preset: cnn: "article002" (the MNIST CNN of article 002 §5.2; the old name
            "seed" still works, with a DeprecationWarning) or "lenet"; bert: "minilm-l6" (default) or "tiny".
        learning_rate: a constant learning rate instead of the recipe's warm-up + cosine
            schedule (whose peak is cnn, mlp 3e-3; bert 5e-5, tiny 1e-3; cnn presets: Adam's
            default rate, constant).
        data_dir: folder for data sets read from disk (rt_polarity).
        resume: continue from the run directory's checkpoint if there is one.
        seed: random seed.
        sequence_length: tokens per text example (bert).
        verbose: 0 silent, 1 progress.
        precision: "auto" (what `accelerate.setup()` picks) or a Keras dtype policy name.
        accelerate: False: no `setup()` (the global policy, Keras's default XLA choice, one device).
    """
    _check(model_kind, data)
    _positive("epochs", epochs)
    _positive("batch_size", batch_size)
    _positive("limit", limit)
    _positive("sequence_length", sequence_length)
    preset = _renamed(model_kind, preset)
    _check_arguments(model_kind, preset, learning_rate, seed)
    if precision not in PRECISIONS:
        raise InvalidArgumentError(f"--precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    out = Path(out_dir).expanduser() if out_dir else runs_dir() / f"train-{model_kind}-{data}"
    _make_run_dir(out)  # before the slow imports: a wrong --out is reported at once
    # One run per folder: a second `train` into it is refused, naming the first (runlock).
    with runlock.hold(out):
        return _train_in(out, model_kind, data, epochs, batch_size, limit, preset, learning_rate, data_dir,
                         resume, seed, sequence_length, verbose, precision, accelerate)


def _train_in(out, model_kind, data, epochs, batch_size, limit, preset, learning_rate, data_dir, resume, seed,
              sequence_length, verbose, precision, accelerate):
    import keras

    from kerasmodels import accelerate as _accelerate
    from kerasmodels import callbacks, models
    from kerasmodels import data as datasets
    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend in one call
    training_dir = out / "training"
    summary_path = out / "metrics.json"
    if not resume and training_dir.exists():
        moved = _move_aside(training_dir)
        if verbose:
            print(f"[train] starting afresh; the previous training folder is kept as {moved}", flush=True)
    # Read before anything runs, so that a damaged checkpoint stops us before the data loads.
    state = callbacks.read_state(training_dir / CHECKPOINTS)
    previous = _previous_summary(summary_path) if state is not None else None
    kwargs = {"data_dir": data_dir} if data_dir else {}
    x_train, y_train = datasets.load(data, split="train", limit=limit, **kwargs)
    x_val, y_val = datasets.load(data, split="validation", **kwargs)
    x_test, y_test = datasets.load(data, split="test", **kwargs)
    num_classes = int(max(y_train.max(), y_val.max(), y_test.max())) + 1
    # setup() changes process-wide state (the dtype policy, JAX's distribution): put it back after.
    previous_policy = keras.mixed_precision.global_policy()
    previous_distribution = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    try:
        acc = _accelerate.setup(precision=precision, model_kind=model_kind) if accelerate else None
        if acc is not None and verbose:
            print(acc, flush=True)
        recipe = _accelerate.recipe(model_kind, preset=preset, acc=acc)
        batch_size = batch_size or recipe.batch_size
        epochs = epochs or recipe.epochs
        # The schedule spans the steps of this batch size; a given learning rate replaces it.
        recipe_used = dataclasses.replace(recipe, batch_size=batch_size)
        with acc.scope() if acc is not None else contextlib.nullcontext():
            model = _build(model_kind, x_train, num_classes, preset, sequence_length)
            optimizer = recipe_used.make_optimizer(len(x_train), epochs, learning_rate)
            compile_kwargs = acc.compile_kwargs() if acc is not None else {}
            models.compile_model(model, optimizer=optimizer, **compile_kwargs)
        started = time.perf_counter()
        history = model.fit(
            x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
            callbacks=callbacks.default_callbacks(
                training_dir, batch_size=batch_size, live_plot=False, resumable=True,
                tokens_per_example=sequence_length if model_kind == "bert" else None, verbose=verbose,
            ),
            verbose=2 if verbose else 0,
        )
        seconds = time.perf_counter() - started
        test = model.evaluate(x_test, y_test, batch_size=batch_size, return_dict=True, verbose=0)
        model_path = out / "model.keras"
        tmp = out / ".model.tmp.keras"
        model.save(tmp)
        os.replace(tmp, model_path)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
        if keras.backend.backend() == "jax":
            keras.distribution.set_distribution(previous_distribution)
    state = callbacks.read_state(training_dir / CHECKPOINTS)
    trained = len(history.epoch)
    if history.history:
        final = {k: float(v[-1]) for k, v in history.history.items()}
    elif previous and previous.get("final"):
        final = previous["final"]  # this call trained nothing: keep the results of the one that did
    else:  # killed after fit, before the summary: the per-epoch log has the last epoch
        final = _final_from_rows(callbacks.read_metrics(training_dir / "metrics.json")
                                 if (training_dir / "metrics.json").exists() else [])
    summary = {
        "model": model_kind,
        "preset": preset,
        "data": data,
        "train_examples": int(len(x_train)),
        "batch_size": batch_size,
        "epochs_completed": state["epoch"] if state else trained,
        "epochs_this_call": trained,
        "fit_seconds": round(seconds, 2) if trained or not previous else previous.get("fit_seconds"),
        "final": final,
        "test": {k: float(v) for k, v in test.items()},
        "model_path": str(model_path),
        "summary_path": str(summary_path),
        "backend": keras.backend.backend(),
        "accelerate": acc.as_dict() if acc is not None else None,
        "recipe": dict(recipe_used.as_dict(), epochs=epochs, **(
            {"peak_learning_rate": learning_rate, "schedule": "constant (--learning-rate)"} if learning_rate else {})),
    }
    summary = json_safe(summary)
    atomic_write_text(summary_path, json.dumps(summary, indent=2, allow_nan=False) + "\n")
    return summary
