"""`kerasmodels train`: train a factory model on a named data set with the standard callbacks.

The run directory gets:
- `model.keras`: the trained model (written atomically; `keras.saving.load_model` reads it),
- `metrics.json`: the summary (data, model, epochs, final and test metrics, seconds),
- `training/`: per-epoch `metrics.csv`/`metrics.json` and the resumable checkpoints, so that
  the same command started again after a crash or a disconnect continues where it stopped.

Example:

```python
from kerasmodels.train import train
summary = train("mlp", "digits", epochs=2, out_dir="runs/demo")
summary["test"]["accuracy"]
```
"""

import json
import os
import shutil
import time
from pathlib import Path

from kerasmodels.errors import KerasmodelsError
from kerasmodels.paths import atomic_write_text, runs_dir

IMAGE_SETS = ("digits", "mnist", "shapes", "cifar10")
TEXT_SETS = ("reviews", "rt_polarity")
MODELS = {"mlp": IMAGE_SETS, "cnn": IMAGE_SETS, "bert": TEXT_SETS}
DEFAULT_BATCH = {"mlp": 128, "cnn": 128, "bert": 32}


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
    if value is not None and (not isinstance(value, int) or value < 1):
        raise KerasmodelsError(f"--{name.replace('_', '-')} must be a positive integer, got {value!r}")


def _build(model_kind, x_train, num_classes, preset, sequence_length):
    from kerasmodels import models

    if model_kind == "mlp":
        if preset is not None:
            raise KerasmodelsError(f"mlp has no presets, got --preset {preset}")
        return models.mlp(input_shape=x_train.shape[1:], num_classes=num_classes)
    if model_kind == "cnn":
        return models.cnn(input_shape=x_train.shape[1:], num_classes=num_classes, preset=preset)
    return models.bert_classifier(num_classes, preset=preset or "minilm-l6", sequence_length=sequence_length)


def train(model_kind, data, epochs=5, batch_size=None, limit=None, out_dir=None, preset=None,
          learning_rate=None, data_dir=None, resume=True, seed=0, sequence_length=64, verbose=1):
    """Train `model_kind` ("mlp", "cnn", "bert") on data set `data`; return the summary dict.

    Args:
        model_kind: "mlp" or "cnn" for image sets, "bert" for text sets.
        data: a `kerasmodels.data` name.
        epochs: total epochs (a resumed run still ends after this many).
        batch_size: default 128 (mlp, cnn) or 32 (bert).
        limit: use only the first `limit` training examples.
        out_dir: run directory; default `runs/train-<model>-<data>`.
        preset: cnn: "seed" or "lenet"; bert: "minilm-l6" (default) or "tiny".
        learning_rate: default: the optimizer's (bert: 5e-5 pretrained, 5e-4 tiny).
        data_dir: folder for data sets read from disk (rt_polarity).
        resume: continue from the run directory's checkpoint if there is one.
        seed: random seed.
        sequence_length: tokens per text example (bert).
        verbose: 0 silent, 1 progress.
    """
    _check(model_kind, data)
    _positive("epochs", epochs)
    _positive("batch_size", batch_size)
    _positive("limit", limit)
    import keras

    from kerasmodels import callbacks, models
    from kerasmodels import data as datasets
    keras.utils.set_random_seed(seed)  # Python, NumPy and the backend in one call
    out = Path(out_dir) if out_dir else runs_dir() / f"train-{model_kind}-{data}"
    training_dir = out / "training"
    if not resume and training_dir.exists():
        shutil.rmtree(training_dir)
    out.mkdir(parents=True, exist_ok=True)
    kwargs = {"data_dir": data_dir} if data_dir else {}
    x_train, y_train = datasets.load(data, split="train", limit=limit, **kwargs)
    x_val, y_val = datasets.load(data, split="validation", **kwargs)
    x_test, y_test = datasets.load(data, split="test", **kwargs)
    num_classes = int(max(y_train.max(), y_val.max(), y_test.max())) + 1
    model = _build(model_kind, x_train, num_classes, preset, sequence_length)
    if learning_rate is None and model_kind == "bert":
        learning_rate = 5e-4 if preset == "tiny" else 5e-5
    models.compile_model(model, learning_rate=learning_rate)
    batch_size = batch_size or DEFAULT_BATCH[model_kind]
    started = time.perf_counter()
    history = model.fit(
        x_train, y_train, validation_data=(x_val, y_val), epochs=epochs, batch_size=batch_size,
        callbacks=callbacks.default_callbacks(
            training_dir, batch_size=batch_size, live_plot=False, resumable=resume,
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
    epoch_rows = callbacks.read_metrics(training_dir / "metrics.json")
    summary = {
        "model": model_kind,
        "preset": preset,
        "data": data,
        "train_examples": int(len(x_train)),
        "batch_size": batch_size,
        "epochs_completed": len(epoch_rows),
        "epochs_this_call": len(history.epoch),
        "fit_seconds": round(seconds, 2),
        "final": {k: float(v[-1]) for k, v in history.history.items()} if history.history else {},
        "test": {k: float(v) for k, v in test.items()},
        "model_path": str(model_path),
        "backend": keras.backend.backend(),
    }
    atomic_write_text(out / "metrics.json", json.dumps(summary, indent=2))
    return summary
