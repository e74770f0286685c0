"""`kerasmodels train`: train a factory model on a named data set with the standard callbacks.

One pipeline for one process and for every worker of a multi-worker run: `train()` loads the
data, sets up the hardware, builds the model of the registry's kind (`kerasmodels.registry`),
fits it with the kind's recipe, evaluates it, saves it and writes one summary. `kerasmodels
train --workers N` / `--hosts` run this same function in each worker (each worker process is
`python -m kerasmodels.train ...`, which calls `train(..., multi_worker=True)`), so `train cnn` and
`train cnn --workers 2` train the same recipe and write the same summary.

The run directory gets:
- `model.keras`: the trained model (written atomically; `keras.saving.load_model` reads it),
- `metrics.json`: the summary (`SUMMARY_KEYS`: data, model, batch sizes, workers and replicas,
  epochs, per-epoch loss and step time, final and test metrics, seconds, the setup and the recipe),
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

As a worker (`multi_worker=True`, or a multi-worker launch in the environment) the strategy comes
from `kerasmodels.distributed.setup()`, the data are fed as global batches that the runtime splits
between the workers (`distributed.dataset`), the batch is the recipe's for one worker's devices
(so N workers make the updates one process makes on that batch), only the chief writes the run's
files, and a restarted cluster resumes from the chief's last backup.

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
import shutil
import time
from pathlib import Path

from kerasmodels import _argtypes, registry
from kerasmodels import _runlock as runlock
from kerasmodels import distributed as _distributed
from kerasmodels.errors import InvalidArgumentError, KerasmodelsError
from kerasmodels.paths import atomic_save, atomic_write_text, runs_dir

__all__ = ["PRECISIONS", "SUMMARY_KEYS", "add_arguments", "train"]

#: The values `train(precision=...)` and `kerasmodels train --precision` take.
#: "auto" is what `accelerate.setup()` picks for this machine and model; the others are Keras
#: dtype policies, "float32", "mixed_float16" or "mixed_bfloat16".
PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")
CHECKPOINTS = "checkpoints"  # default_callbacks keeps ResumableTraining's files in training/checkpoints

# Old names, read from the registry (kerasmodels.registry declares kinds, presets and data sets).
IMAGE_SETS = registry.dataset_names(registry.IMAGE)
TEXT_SETS = registry.dataset_names(registry.TEXT)
MODELS = {name: kind.datasets() for name, kind in registry.MODEL_KINDS.items()}
PRESETS = {name: kind.presets for name, kind in registry.MODEL_KINDS.items()}
RENAMED_PRESETS = {name: dict(kind.deprecated_presets) for name, kind in registry.MODEL_KINDS.items()
                   if kind.deprecated_presets}

# The summary every run writes (metrics.json), one process or several workers alike.
#: The keys of the summary `train()` returns and writes to the run folder's `metrics.json`, one
#: process or several workers alike: what was trained ("model", "preset", "data", "recipe"), on
#: what ("backend", "workers", "replicas", "accelerate"), how much ("train_examples",
#: "epochs_completed", "fit_seconds"), the results ("final": the last epoch's metrics, "test": the
#: test split's) and where the model is ("model_path"). Scripts and tests read a run by these keys.
SUMMARY_KEYS = (
    "model", "preset", "data", "backend", "train_examples", "validation_examples", "test_examples",
    "batch_size", "global_batch_size", "per_replica_batch_size", "workers", "replicas", "strategy",
    "steps_per_epoch", "epochs_completed", "epochs_this_call", "epochs_this_start", "restarts",
    "fit_seconds", "final", "loss", "val_loss", "step_time_p50_ms", "test",
    "model_path", "summary_path", "accelerate", "recipe",
)


def _check(model_kind, data):
    kind = registry.model_kind(model_kind)
    allowed = kind.datasets()
    if data not in allowed:
        known = registry.dataset(data)
        what = ("an image" if known.modality == registry.IMAGE else f"a {known.modality}") if known else "not a known"
        raise KerasmodelsError(
            f"{model_kind} trains on {kind.modality} data ({', '.join(allowed)}), "
            f"but {data!r} is {what} data set. Fix: pick one of {', '.join(allowed)}."
        )
    return kind


def check_worker_arguments(model_kind, accelerate=True):
    """Refuse, with one line, what a multi-worker run cannot do (the launcher checks it before any worker starts)."""
    kind = registry.model_kind(model_kind)
    if not kind.multi_worker:
        trains = " and ".join(registry.model_kind_names(multi_worker=True))
        raise InvalidArgumentError(f"--workers/--hosts train {trains}; {model_kind} trains in one process. "
                                   "Fix: leave out --workers/--hosts.")
    if not accelerate:
        raise InvalidArgumentError("--no-accelerate cannot be used with --workers/--hosts: the workers need "
                                   "setup()'s multi-worker strategy. Fix: leave it out (--precision float32 "
                                   "keeps float32), or train in one process.")


def _positive(name, value):
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1):
        raise InvalidArgumentError(f"--{name.replace('_', '-')} must be a positive integer, got {value!r}")


def _renamed(model_kind, preset):
    return registry.model_kind(model_kind).canonical_preset(preset)


def _check_arguments(model_kind, preset, learning_rate, seed):
    registry.model_kind(model_kind).check_preset(preset)
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


def _build(kind, x_train, num_classes, preset, sequence_length):
    try:
        return kind.build(preset, input_shape=x_train.shape[1:], num_classes=num_classes,
                          sequence_length=sequence_length)
    except InvalidArgumentError:
        raise
    except (ValueError, TypeError) as error:
        # The factories check their arguments with ValueError/TypeError; here every argument
        # comes from the command line (preset, sequence length, the data's shape).
        raise InvalidArgumentError(f"cannot build {kind.name} for this data: {error}") from error


def train(model_kind, data, epochs=None, batch_size=None, limit=None, out_dir=None, preset=None,
          learning_rate=None, data_dir=None, resume=True, seed=0, sequence_length=64, verbose=1,
          precision="auto", accelerate=True, multi_worker=None, eval_limit=None):
    """Train `model_kind` ("mlp", "cnn", "bert") on data set `data`; return the summary dict.

    Args:
        model_kind: a kind of `kerasmodels.registry`: "mlp" or "cnn" for image sets, "bert" for text sets.
        data: a `kerasmodels.data` name.
        epochs: total epochs (a resumed run still ends after this many); default the recipe's.
        batch_size: the global batch; default the recipe's (cnn: 128 on a CPU, 512 per GPU; mlp 128;
            bert 32; as a worker, the recipe's for one worker's devices).
        limit: use only the first `limit` training examples (validation and test stay whole).
        eval_limit: use only the first `eval_limit` validation and test examples (quick experiments;
            the summary's `validation_examples` and `test_examples` say how many were used).
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
        accelerate: False: no `setup()` (the global policy, Keras's default XLA choice, one device);
            not possible as a worker.
        multi_worker: None: a worker if the environment describes a multi-worker launch
            (`distributed.detect()`), else one process; True: run as a worker (global batches,
            chief-only files) even as the only process; False: one process.

    Returns:
        The summary written to `metrics.json` (keys `SUMMARY_KEYS`).

    Example:

    ```python
    >>> import tempfile
    >>> summary = train("mlp", "digits", epochs=1, limit=200, out_dir=tempfile.mkdtemp(), verbose=0)
    >>> summary["model"], summary["data"], summary["epochs_completed"], summary["train_examples"]
    ('mlp', 'digits', 1, 200)
    >>> set(SUMMARY_KEYS) <= set(summary), sorted(summary["test"])
    (True, ['accuracy', 'loss'])
    ```
    """
    kind = _check(model_kind, data)
    _positive("epochs", epochs)
    _positive("batch_size", batch_size)
    _positive("limit", limit)
    _positive("eval_limit", eval_limit)
    _positive("sequence_length", sequence_length)
    preset = _renamed(model_kind, preset)
    _check_arguments(model_kind, preset, learning_rate, seed)
    if precision not in PRECISIONS:
        raise InvalidArgumentError(f"--precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    launch = _distributed.detect() if multi_worker is not False else None
    if multi_worker or launch is not None:
        check_worker_arguments(model_kind, accelerate)
        out = Path(out_dir).expanduser() if out_dir else runs_dir() / f"train-{model_kind}-{data}-workers"
        # First: the strategy must exist before the backend runs anything.
        acc = _distributed.setup(precision=precision, model_kind=model_kind, launch=launch)
        # The chief holds the folder's lock, unless its launcher already does (train --workers N).
        holds = acc.is_chief and not os.environ.get(runlock.HELD_ENV)
        if holds:
            _make_run_dir(out)
        with runlock.hold(out) if holds else contextlib.nullcontext():
            return _train_in(out, kind, data, epochs, batch_size, limit, preset, learning_rate, data_dir, resume,
                             seed, sequence_length, verbose, worker_setup=acc, eval_limit=eval_limit)
    out = Path(out_dir).expanduser() if out_dir else runs_dir() / f"train-{model_kind}-{data}"
    _make_run_dir(out)  # before the slow imports: a wrong --out is reported at once
    # One run per folder: a second `train` into it is refused, naming the first (runlock).
    with runlock.hold(out):
        return _train_in(out, kind, data, epochs, batch_size, limit, preset, learning_rate, data_dir, resume,
                         seed, sequence_length, verbose, precision=precision, accelerate=accelerate,
                         eval_limit=eval_limit)


def _train_in(out, kind, data, epochs, batch_size, limit, preset, learning_rate, data_dir, resume, seed,
              sequence_length, verbose, worker_setup=None, precision="auto", accelerate=True, eval_limit=None):
    """The pipeline: one process (`precision`, `accelerate`) or a worker (`worker_setup`, a `MultiWorkerSetup`)."""
    import keras

    from kerasmodels import accelerate as _accelerate
    from kerasmodels import callbacks, models
    from kerasmodels import data as datasets

    acc, worker = worker_setup, worker_setup is not None
    chief = acc.is_chief if worker else True
    restarts = int(os.environ.get(_distributed.RESTART, "0")) if worker else 0
    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend in one call
    # Where this process writes: the run folder, or a worker's scratch folder inside it.
    work = acc.write_dir(out) if worker else out
    work.mkdir(parents=True, exist_ok=True)
    training_dir = work / "training"
    summary_path = out / "metrics.json"
    if not resume and chief and restarts == 0 and training_dir.exists():
        moved = _move_aside(training_dir)
        if verbose:
            print(f"[train] starting afresh; the previous training folder is kept as {moved}", flush=True)
    if worker:
        acc.restore_from_chief(out)
    # Read before anything runs, so that a damaged checkpoint stops us before the data loads.
    state = callbacks.read_state(training_dir / CHECKPOINTS)
    previous = _previous_summary(summary_path) if state is not None else None
    kwargs = {"data_dir": data_dir} if data_dir else {}
    x_train, y_train = datasets.load(data, split="train", limit=limit, **kwargs)
    x_val, y_val = datasets.load(data, split="validation", limit=eval_limit, **kwargs)
    x_test, y_test = datasets.load(data, split="test", limit=eval_limit, **kwargs)
    num_classes = int(max(y_train.max(), y_val.max(), y_test.max())) + 1
    # setup() changes process-wide state (the dtype policy, JAX's distribution): put it back after.
    previous_policy = keras.mixed_precision.global_policy()
    previous_distribution = keras.distribution.distribution() if keras.backend.backend() == "jax" else None
    try:
        if not worker:
            acc = _accelerate.setup(precision=precision, model_kind=kind.name) if accelerate else None
        if acc is not None and verbose:
            print(acc, flush=True)
        # The recipe of one process on this machine's devices: N workers on its global batch make the
        # updates one process makes (same learning rate), so the workers' replicas do not multiply it.
        local_replicas = max(1, acc.replicas // getattr(acc, "num_workers", 1)) if acc is not None else 1
        recipe = kind.recipe(preset, device_kind=acc.device_kind if acc is not None else "CPU",
                             replicas=local_replicas, precision=acc.precision if acc is not None else None)
        batch_size = batch_size or recipe.batch_size
        epochs = epochs or recipe.epochs
        replicas = acc.replicas if acc is not None else 1
        if worker and batch_size % replicas:
            raise InvalidArgumentError(f"--batch-size {batch_size} does not split into {replicas} equal parts "
                                       f"(one per replica). Fix: a multiple of {replicas}.")
        # The schedule spans the steps of this batch size; a given learning rate replaces it.
        recipe_used = dataclasses.replace(recipe, batch_size=batch_size)
        with acc.scope() if acc is not None else contextlib.nullcontext():
            model = _build(kind, x_train, num_classes, preset, sequence_length)
            optimizer = recipe_used.make_optimizer(len(x_train), epochs, learning_rate)
            compile_kwargs = acc.compile_kwargs() if acc is not None else {}
            models.compile_model(model, optimizer=optimizer, **compile_kwargs)
        fit_callbacks = callbacks.default_callbacks(
            training_dir, batch_size=batch_size, live_plot=False, resumable=True,
            tokens_per_example=sequence_length if kind.modality == registry.TEXT else None,
            verbose=verbose if chief else 0)
        started = time.perf_counter()
        if worker:
            # Global batches, split by the runtime between the workers (every worker builds the same ones).
            steps_per_epoch = len(x_train) // batch_size
            with _distributed.training(model, acc):
                history = model.fit(
                    _distributed.dataset(x_train, y_train, batch_size, seed=seed), epochs=epochs,
                    validation_data=_distributed.dataset(x_val, y_val, batch_size, shuffle=False),
                    verbose=2 if verbose and chief else 0, shuffle=False,  # dataset() shuffles
                    callbacks=fit_callbacks)
                seconds = time.perf_counter() - started
                test = model.evaluate(_distributed.dataset(x_test, y_test, batch_size, shuffle=False),
                                      return_dict=True, verbose=0)
        else:
            steps_per_epoch = -(-len(x_train) // batch_size)
            history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=epochs,
                                batch_size=batch_size, callbacks=fit_callbacks, verbose=2 if verbose else 0)
            seconds = time.perf_counter() - started
            test = model.evaluate(x_test, y_test, batch_size=batch_size, return_dict=True, verbose=0)
        # Every worker saves (reading distributed variables can need all of them); only the chief's file stays.
        atomic_save(work / "model.keras", model.save, keep_suffix=True)
    finally:
        keras.mixed_precision.set_global_policy(previous_policy)
        if keras.backend.backend() == "jax":
            keras.distribution.set_distribution(previous_distribution)
    state = callbacks.read_state(training_dir / CHECKPOINTS)
    rows = callbacks.read_metrics(training_dir / "metrics.json") if (training_dir / "metrics.json").exists() else []
    trained = len(history.epoch)
    if history.history:
        final = {k: float(v[-1]) for k, v in history.history.items()}
    elif previous and previous.get("final"):
        final = previous["final"]  # this call trained nothing: keep the results of the one that did
    else:  # killed after fit, before the summary: the per-epoch log has the last epoch
        final = _final_from_rows(rows)
    summary = {
        "model": kind.name,
        "preset": preset,
        "data": data,
        "backend": keras.backend.backend(),
        "train_examples": int(len(x_train)),
        "validation_examples": int(len(x_val)),
        "test_examples": int(len(x_test)),
        "batch_size": batch_size,
        "global_batch_size": batch_size,
        "per_replica_batch_size": batch_size // replicas,
        "workers": getattr(acc, "num_workers", 1) if acc is not None else 1,
        "replicas": replicas,
        "strategy": acc.strategy_name if acc is not None else "default",
        "steps_per_epoch": int(steps_per_epoch),
        "epochs_completed": state["epoch"] if state else int(rows[-1]["epoch"]) if rows else trained,
        "epochs_this_call": trained,
        "epochs_this_start": trained,  # its name in the multi-worker summary, kept
        "restarts": restarts,
        "fit_seconds": round(seconds, 2) if trained or not previous else previous.get("fit_seconds"),
        "final": final,
        "loss": _column(rows, "loss"),
        "val_loss": _column(rows, "val_loss"),
        "step_time_p50_ms": _column(rows, "step_time_p50_ms"),
        "test": {k: float(v) for k, v in test.items()},
        "model_path": str(out / "model.keras"),
        "summary_path": str(summary_path),
        "accelerate": acc.as_dict() if acc is not None else None,
        "recipe": dict(recipe_used.as_dict(), epochs=epochs, **(
            {"peak_learning_rate": learning_rate, "schedule": "constant (--learning-rate)"} if learning_rate else {})),
    }
    summary = json_safe(summary)
    if chief:
        atomic_write_text(summary_path, json.dumps(summary, indent=2, allow_nan=False) + "\n")
    else:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):  # the last non-chief to finish removes the scratch root
            work.parent.rmdir()
    return summary


def _column(rows, key):
    """One metric over the epochs; a value the log holds as null (NaN in strict JSON, or a blank
    cell recovered from the CSV) stays None rather than failing the summary."""
    return [None if r[key] is None or r[key] == "" else float(r[key]) for r in rows if key in r]


# --- the command line's training flags, shared by `kerasmodels train` and its workers ---------------------

def add_arguments(parser):
    """Add `kerasmodels train`'s training flags to an argparse parser (the CLI and each worker use these).

    Args:
        parser: an `argparse.ArgumentParser` (or subparser).

    Returns:
        The parser.

    Example:

    ```python
    >>> import argparse
    >>> parser = add_arguments(argparse.ArgumentParser(prog="my-train"))
    >>> args = parser.parse_args(["mlp", "--data", "digits", "--epochs", "1", "--limit", "200"])
    >>> args.model, args.data, args.epochs, args.limit, args.batch_size, args.precision
    ('mlp', 'digits', 1, 200, None, 'auto')
    ```
    """
    kinds = registry.MODEL_KINDS
    presets = "; ".join(f"{name}: {'|'.join(kind.presets)}" for name, kind in kinds.items() if kind.presets)
    parser.add_argument("model", choices=list(kinds))
    parser.add_argument("--data", required=True, help="data set name (kerasmodels data list)")
    parser.add_argument("--epochs", type=_argtypes.positive_int, default=None,
                        help="default: the model's recipe (cnn: 3)")
    parser.add_argument("--batch-size", type=_argtypes.positive_int, default=None,
                        help="the global batch (default: the model's recipe)")
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--limit", type=_argtypes.positive_int, default=None,
                        help="use only the first N training examples")
    parser.add_argument("--eval-limit", type=_argtypes.positive_int, default=None,
                        help="use only the first N validation and test examples (quick experiments)")
    parser.add_argument("--preset", default=None, help=presets)
    parser.add_argument("--data-dir", default=None, help="folder of a data set read from disk (rt_polarity)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sequence-length", type=_argtypes.positive_int, default=64,
                        help="tokens per text example (bert)")
    parser.add_argument("--no-resume", action="store_true",
                        help="start afresh even if a checkpoint exists (the old training/ is kept as "
                             "training.old-<time>)")
    parser.add_argument("--out", default=None, help="output folder (default: ./runs/train-<model>-<data>)")
    parser.add_argument("--precision", choices=list(PRECISIONS), default="auto",
                        help="auto: what accelerate.setup() picks for this machine")
    parser.add_argument("--no-accelerate", action="store_true",
                        help="train in float32 without setup()'s XLA/steps_per_execution/device choices")
    return parser


def train_kwargs(args):
    """`train()`'s keyword arguments from parsed `add_arguments` flags."""
    return dict(epochs=args.epochs, batch_size=args.batch_size, limit=args.limit, eval_limit=args.eval_limit,
                out_dir=args.out,
                preset=args.preset, learning_rate=args.learning_rate, data_dir=args.data_dir,
                resume=not args.no_resume, seed=args.seed, sequence_length=args.sequence_length,
                precision=args.precision, accelerate=not args.no_accelerate)


def _flag_actions():
    import argparse

    return [a for a in add_arguments(argparse.ArgumentParser(add_help=False))._actions]


def argv(args, leave_out=()):
    """The command-line words that give parsed `add_arguments` flags back (`leave_out`: flag names to skip).

    Every flag whose value is not its default is written, so a worker started with these words
    trains exactly what the launcher was asked for.
    """
    words = []
    for action in _flag_actions():
        value = getattr(args, action.dest)
        if not action.option_strings:
            words.append(str(value))
            continue
        flag = action.option_strings[0]
        if flag in leave_out or value == action.default:
            continue
        words += [flag] if value is True else [flag, str(value)]
    return words


def worker_main(argv_=None):
    """`python -m kerasmodels.train ...`: one worker of `kerasmodels train --workers N` (exit status)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m kerasmodels.train",
                                     description="one worker of a multi-worker training run")
    add_arguments(parser)
    parser.add_argument("--quiet", action="store_true")
    _distributed.watch_parent()  # first: a worker whose launcher is gone must not train on
    args = parser.parse_args(argv_)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        train(args.model, args.data, **train_kwargs(args), verbose=0 if args.quiet else 1, multi_worker=True)
    except KerasmodelsError as error:
        print(f"kerasmodels worker: error: {error}", file=sys.stderr)
        return _distributed.EXIT_USAGE
    return 0


if __name__ == "__main__":
    raise SystemExit(worker_main())
