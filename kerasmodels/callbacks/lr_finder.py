"""`LRFinder`: the learning-rate range test (Smith 2015), with its plot and a suggested rate."""

import math

import keras
import numpy as np

from kerasmodels.callbacks._common import say, sync_jax_state


class LRFinder(keras.callbacks.Callback):
    """Raises the learning rate exponentially each batch and records the loss.

    The loss first barely moves (rate too small), then falls fastest, then
    blows up (rate too large). The suggestion is the rate where the smoothed
    loss falls fastest (steepest negative slope against log(rate)); it is
    capped at a tenth of the rate with the lowest loss. Training stops
    once the loss exceeds 4x its best value or after `steps` batches. The
    model's weights and optimizer state are put back at the end, so the test
    leaves the model as it found it.

    Args:
        min_lr: first learning rate.
        max_lr: last learning rate.
        steps: number of batches the sweep lasts; run `fit()` with enough
            epochs to cover it, or use `LRFinder.run(...)`, which does.
        smoothing: weight of the exponential moving average of the loss.
        verbose: 0 silent, 1 print the suggestion.

    Attributes:
        rates, losses: the sweep (losses smoothed).
        suggestion: the suggested learning rate (None before a run).

    Example:

    ```python
    finder = LRFinder(min_lr=1e-5, max_lr=1.0, steps=60)
    finder.run(model, x, y, batch_size=64)
    fig = finder.plot()
    model.optimizer.learning_rate = finder.suggestion
    ```
    """

    def __init__(self, min_lr=1e-6, max_lr=1.0, steps=100, smoothing=0.9, verbose=1):
        super().__init__()
        if not (isinstance(min_lr, (int, float)) and isinstance(max_lr, (int, float)) and 0 < min_lr < max_lr):
            raise ValueError(
                f"LRFinder(min_lr={min_lr!r}, max_lr={max_lr!r}): need 0 < min_lr < max_lr, "
                "e.g. min_lr=1e-6, max_lr=1.0."
            )
        if not isinstance(steps, int) or steps < 5:
            raise ValueError(f"LRFinder(steps={steps!r}): pass an int of at least 5 (50-200 is typical).")
        if not 0 <= smoothing < 1:
            raise ValueError(f"LRFinder(smoothing={smoothing!r}): pass a number in [0, 1), e.g. 0.9.")
        self.min_lr, self.max_lr, self.steps = float(min_lr), float(max_lr), steps
        self.smoothing = smoothing
        self.verbose = verbose
        self.rates, self.losses = [], []
        self.suggestion = None

    def run(self, model, x, y, batch_size=32, **fit_kwargs):
        """Run the sweep with `fit()`, using as many epochs as `steps` needs, and return the suggestion."""
        steps_per_epoch = max(1, math.ceil(len(x) / batch_size))
        epochs = math.ceil(self.steps / steps_per_epoch)
        fit_kwargs.setdefault("verbose", 0)
        model.fit(x, y, batch_size=batch_size, epochs=epochs, callbacks=[self], **fit_kwargs)
        return self.suggestion

    def _rate(self, step):
        return self.min_lr * (self.max_lr / self.min_lr) ** (step / (self.steps - 1))

    def on_train_begin(self, logs=None):
        optimizer = self.model.optimizer
        if isinstance(getattr(optimizer, "_learning_rate", None), keras.optimizers.schedules.LearningRateSchedule):
            raise TypeError(
                "LRFinder: the optimizer uses a learning-rate schedule; compile with a float "
                "learning rate (e.g. keras.optimizers.Adam(1e-3)) for the range test."
            )
        if not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        self._saved_weights = [keras.ops.convert_to_numpy(v.value) for v in self.model.variables]
        self._saved_optimizer = [keras.ops.convert_to_numpy(v.value) for v in optimizer.variables]
        self._saved_lr = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        self.rates, self.losses, self.suggestion = [], [], None
        self._step, self._average, self._best = 0, 0.0, math.inf

    def on_train_batch_begin(self, batch, logs=None):
        sync_jax_state(self.model)  # so that the new rate reaches JAX's functional state
        self.model.optimizer.learning_rate = self._rate(self._step)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_mean, self._epoch_batches = 0.0, 0

    def on_train_batch_end(self, batch, logs=None):
        # fit() logs the running mean of the epoch; undo the averaging to get this batch's loss.
        mean = float((logs or {}).get("loss", math.nan))
        seen = batch + 1
        loss = (seen * mean - self._epoch_batches * self._epoch_mean) / max(seen - self._epoch_batches, 1)
        self._epoch_mean, self._epoch_batches = mean, seen
        rate = self._rate(self._step)
        self._step += 1
        if not math.isfinite(loss):
            self.model.stop_training = True
            return
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        smoothed = self._average / (1 - self.smoothing**self._step)
        self.rates.append(rate)
        self.losses.append(smoothed)
        self._best = min(self._best, smoothed)
        if self._step >= self.steps or (self._step > 5 and smoothed > 4 * self._best):
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        sync_jax_state(self.model)
        for variable, value in zip(self.model.variables, self._saved_weights):
            variable.assign(value)
        for variable, value in zip(self.model.optimizer.variables, self._saved_optimizer):
            variable.assign(value)
        self.model.optimizer.learning_rate = self._saved_lr
        self.suggestion = self.suggest()
        if self.verbose:
            if self.suggestion is None:
                say(f"[lr] range test over {len(self.rates)} batches: the loss never fell; "
                    "lower min_lr or check the model and data")
            else:
                say(f"[lr] range test over {len(self.rates)} batches: suggested learning rate {self.suggestion:.2g}")

    def suggest(self):
        """The rate where the smoothed loss falls fastest, capped at a tenth of the best rate.

        None with fewer than 5 points, or when the loss never fell (start
        lower with `min_lr`).
        """
        if len(self.losses) < 5:
            return None
        rates, losses = np.log10(self.rates), np.asarray(self.losses)
        # Ignore the explosion at the end: only look up to the lowest loss.
        lowest = int(np.argmin(losses))
        if lowest < 2:
            return None  # the loss never fell: the range starts too high or the model cannot learn
        slopes = np.gradient(losses[: lowest + 1], rates[: lowest + 1])
        steepest = float(self.rates[int(np.argmin(slopes))])
        return min(steepest, float(self.rates[lowest]) / 10)

    def plot(self, ax=None):
        """Loss against learning rate (log scale) with the suggestion marked; returns the figure."""
        if not self.rates:
            raise ValueError("LRFinder.plot(): no sweep yet; run fit(..., callbacks=[finder]) or finder.run(...) first.")
        if ax is None:
            from matplotlib.figure import Figure

            figure = Figure(figsize=(5, 3.2))
            ax = figure.subplots()
        else:
            figure = ax.figure
        ax.plot(self.rates, self.losses)
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("smoothed training loss")
        if self.suggestion is not None:
            ax.axvline(self.suggestion, color="tab:red", linestyle="--", label=f"suggested {self.suggestion:.2g}")
            ax.legend()
        ax.grid(alpha=0.3)
        figure.tight_layout()
        return figure
