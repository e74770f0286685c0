"""`ResumableTraining`: survive a kill at any instant and resume on the next identical call.

Why not `keras.callbacks.BackupAndRestore` as is: in Keras 3.15 it writes
`latest.weights.h5` in place with h5py and then `training_metadata.json` as
a second file. A SIGKILL during the h5 write leaves a truncated file (the
next `fit()` fails to load it), and a kill between the two writes pairs new
weights with the old epoch number. Here one file holds the weights, the
optimizer state, the epoch and the best monitored value; it is written
under a temporary name, flushed to disk and then renamed over the old one
with `os.replace`, which is atomic: a reader sees the old state or the new
one, never half of either. The best-model checkpoint is written the same way.

The state of epoch k is committed when epoch k+1 begins (or training ends),
after every other callback has seen the end of epoch k: a kill can then never
leave a checkpoint of epoch k without the `MetricsLogger` row of epoch k (the
row is written first; a row without its checkpoint is trained again and
replaced). The state it replaces is kept as `state.previous.weights.h5`, the
fallback if the newest file is ever damaged.
"""

import contextlib
import hashlib
import math
import os
import shutil
from pathlib import Path

import keras

from kerasmodels.callbacks._common import say
from kerasmodels.errors import DamagedFileError, KerasmodelsError
from kerasmodels.paths import atomic_save

STATE_FILE = "state.weights.h5"
PREVIOUS_STATE_FILE = "state.previous.weights.h5"
BEST_FILE = "best.keras"
_TMP_PREFIX = ".tmp-"


def _fingerprint(model):
    """What must not change between the killed run and the resumed one: the weight shapes."""
    shapes = ";".join(f"{tuple(w.shape)}" for w in model.weights)
    return hashlib.sha1(shapes.encode()).hexdigest()[:16]


def _read_attrs(path):
    """The kerasmodels attributes of a state file; DamagedFileError if it cannot be read."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            attrs = dict(f.attrs)
        return {
            "epoch": int(attrs["kerasmodels_epoch"]),
            "best": float(attrs["kerasmodels_best"]),
            "monitor": str(attrs["kerasmodels_monitor"]),
            "fingerprint": str(attrs["kerasmodels_fingerprint"]),
        }
    except (OSError, KeyError, ValueError) as error:
        raise DamagedFileError(damaged_state_message(path, error)) from error


def damaged_state_message(path, error):
    """One paragraph: which checkpoint is damaged, why, and the two ways out."""
    path = Path(path)
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    size = path.stat().st_size if path.exists() else 0
    message = (f"training checkpoint {path} is damaged ({size} bytes; {reason}), so training cannot "
               "resume from it.")
    previous = path.with_name(PREVIOUS_STATE_FILE)
    if path.name == STATE_FILE and previous.is_file():
        try:
            epoch = _read_attrs(previous)["epoch"]
        except DamagedFileError:
            epoch = None
        if epoch is not None:
            message += (f" Fix: resume from the previous checkpoint (epoch {epoch}) by putting it in its "
                        f"place: mv {previous} {path} ; or start over with --no-resume (kerasmodels train "
                        "keeps the old folder as training.old-<time>) or a new folder.")
            return message
    return message + (" Fix: start over with --no-resume (kerasmodels train keeps the old folder as "
                      f"training.old-<time>), or move {path.parent} aside.")


def read_state(directory):
    """The epoch, best value and fingerprint stored in `directory`, or None if there is no state.

    Reads the state a `ResumableTraining` callback wrote, without building a model: how far a
    run got before it stopped.

    Args:
        directory: the folder given to `ResumableTraining`.

    Returns:
        A dict with `epoch` (epochs finished), `best` (the best `monitor` value), `monitor` and
        `fingerprint` (of the model's weight shapes), or None when `directory` holds no state.

    Raises:
        DamagedFileError: the state file exists but is truncated or not a kerasmodels state.

    Example:

    ```python
    >>> import tempfile
    >>> run = tempfile.mkdtemp()
    >>> read_state(run) is None
    True
    >>> import kerasmodels as km
    >>> x, y = km.data.load("digits", split="train", limit=64)
    >>> model = km.models.compile_model(km.models.mlp(input_shape=(8, 8), num_classes=10))
    >>> _ = model.fit(x, y, epochs=2, verbose=0, callbacks=[ResumableTraining(run, verbose=0)])
    >>> state = read_state(run)
    >>> state["epoch"], sorted(state)
    (2, ['best', 'epoch', 'fingerprint', 'monitor'])
    ```
    """
    path = Path(directory) / STATE_FILE
    if not path.exists():
        return None
    return _read_attrs(path)


class ResumableTraining(keras.callbacks.Callback):
    """Back up after every epoch and restore on the next `fit()`, plus a best-model checkpoint.

    A run killed at any instant (SIGKILL, a Colab disconnect, Ctrl-C) and
    started again with the same code and the same `directory` continues from
    the last finished epoch, so it loses at most one epoch of work and
    `fit(epochs=N)` still ends after epoch N in total. A finished run called
    again restores the trained model and trains no further (raise `epochs`
    to train longer, or delete the directory to start over).

    Files in `directory`:
        state.weights.h5: weights + optimizer state + epoch + best value, one atomic file.
        state.previous.weights.h5: the state before it (the fallback if the newest is damaged).
        best.keras: the full model at the best `monitor` value so far
            (`keras.models.load_model` reads it).

    Put this callback first in the list: it sets the starting epoch in
    `on_train_begin`, before the others look at it.

    Args:
        directory: folder for this run only (created if missing).
        monitor: the log value that picks the best model; "val_loss" falls
            back to "loss" when there is no validation data.
        mode: "min", "max" or "auto" ("max" for accuracy-like names).
        save_best: write best.keras.
        delete_on_finish: remove the state after the last epoch (then an
            identical call trains again from scratch).
        verbose: 0 silent, 1 one line when resuming.

    Example:

    ```python
    model.fit(x, y, epochs=10, validation_split=0.1,
              callbacks=[ResumableTraining("runs/lesson07")])
    best = keras.models.load_model("runs/lesson07/best.keras")
    ```
    """

    def __init__(self, directory, monitor="val_loss", mode="auto", save_best=True,
                 delete_on_finish=False, verbose=1):
        super().__init__()
        if not isinstance(directory, (str, os.PathLike)) or not str(directory):
            raise TypeError(
                f"ResumableTraining(directory={directory!r}): pass a folder path (str or pathlib.Path) "
                "used by this run only."
            )
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"ResumableTraining(mode={mode!r}): use 'auto', 'min' or 'max'.")
        self.directory = Path(directory)
        self.monitor = monitor
        if mode == "auto":
            mode = "max" if any(k in monitor for k in ("acc", "auc", "precision", "recall", "f1")) else "min"
        self.mode = mode
        self.save_best = save_best
        self.delete_on_finish = delete_on_finish
        self.verbose = verbose
        self.state_path = self.directory / STATE_FILE
        self.best_path = self.directory / BEST_FILE
        self.best = None
        self.initial_epoch = 0
        self._pending_epoch = None

    def on_train_begin(self, logs=None):
        model = self.model
        if not model.built:
            raise KerasmodelsError(
                f"ResumableTraining: model {model.name!r} is not built, so saved weights cannot be "
                "loaded into it. Give the model an input shape (keras.Input(...) first, or "
                "model.build(...)) before fit()."
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        for leftover in self.directory.glob(_TMP_PREFIX + "*"):
            leftover.unlink()  # a write that a kill interrupted; the real files are intact
        self.best = math.inf if self.mode == "min" else -math.inf
        self.initial_epoch = 0
        self._monitor_used = None
        self._pending_epoch = None
        state = read_state(self.directory)
        if state is None:
            model._initial_epoch = None
            return
        if state["fingerprint"] != _fingerprint(model):
            raise KerasmodelsError(
                f"ResumableTraining: {self.directory} holds a run of a different model (other weight "
                "shapes), so it cannot resume this one. Use a new directory for a new model, or delete "
                f"{self.directory} to start over."
            )
        if model.optimizer is not None and not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        try:
            model.load_weights(self.state_path)
        except (OSError, KeyError, ValueError) as error:
            raise DamagedFileError(damaged_state_message(self.state_path, error)) from error
        self.best = state["best"]
        self.initial_epoch = state["epoch"]
        model._initial_epoch = state["epoch"]
        if self.verbose:
            epochs = self.params.get("epochs") if self.params else None
            if epochs is not None and state["epoch"] >= epochs:
                say(f"[resume] {self.directory} already holds {state['epoch']} trained epochs; nothing to "
                    "train (raise epochs to go on, or delete the folder to start over)")
            else:
                say(f"[resume] restored epoch {state['epoch']}"
                    + (f"/{epochs}" if epochs else "") + f" from {self.directory}")

    def _monitored(self, logs):
        if self.monitor in logs:
            return self.monitor
        fallback = self.monitor[4:] if self.monitor.startswith("val_") else None
        return fallback if fallback in logs else None

    def _improved(self, value):
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            # Saving NaN weights would make every resumed run start broken.
            if self.verbose:
                say(f"[resume] loss is {loss} at epoch {epoch + 1}: kept the state of the last good epoch")
            return
        key = self._monitored(logs)
        if self.save_best and key is not None:
            value = float(logs[key])
            if math.isfinite(value) and self._improved(value):
                self.best = value
                self._atomic_save(self.best_path, lambda tmp: self.model.save(tmp))
        # Committed once the later callbacks (MetricsLogger) have recorded this epoch.
        self._pending_epoch = epoch + 1

    def on_epoch_begin(self, epoch, logs=None):
        self._commit()

    def _commit(self):
        if self._pending_epoch is None:
            return
        epoch, self._pending_epoch = self._pending_epoch, None
        self._keep_previous()
        self._atomic_save(self.state_path, lambda tmp: self._write_state(tmp, epoch))

    def _keep_previous(self):
        """Keep the current state as the previous one; the current name stays valid throughout."""
        if not self.state_path.exists():
            return
        previous = self.directory / PREVIOUS_STATE_FILE
        with contextlib.suppress(OSError):
            if os.path.samefile(self.state_path, previous):
                # A kill after the last call, before the new state replaced the current one: the two
                # names are one file already. (os.replace between two links of one file does nothing
                # and would leave the temporary link behind.)
                return
        tmp = self.directory / f"{_TMP_PREFIX}{os.getpid()}-{PREVIOUS_STATE_FILE}"
        try:
            os.link(self.state_path, tmp)
        except OSError:  # file systems without hard links
            shutil.copyfile(self.state_path, tmp)
        try:
            os.replace(tmp, previous)
        finally:
            tmp.unlink(missing_ok=True)

    def _write_state(self, path, epoch):
        import h5py

        self.model.save_weights(path)  # includes the optimizer's variables
        with h5py.File(path, "a") as f:
            f.attrs["kerasmodels_epoch"] = epoch
            f.attrs["kerasmodels_best"] = float(self.best)
            f.attrs["kerasmodels_monitor"] = self.monitor
            f.attrs["kerasmodels_fingerprint"] = _fingerprint(self.model)

    def _atomic_save(self, final_path, write):
        # The package's one atomic writer; the temporary name keeps the suffix (Keras picks the
        # format from it) and starts with _TMP_PREFIX, so on_train_begin removes a killed write's leftover.
        atomic_save(final_path, write, temporary_prefix=_TMP_PREFIX)

    def on_train_end(self, logs=None):
        self._commit()
        self.model._initial_epoch = None
        if self.delete_on_finish and self.state_path.exists():
            epochs = self.params.get("epochs") if self.params else None
            state = read_state(self.directory)
            if epochs is None or (state and state["epoch"] >= epochs):
                self.state_path.unlink()
                (self.directory / PREVIOUS_STATE_FILE).unlink(missing_ok=True)
