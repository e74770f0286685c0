"""`NaNGuard`: stop at the first non-finite loss and say which layer broke and why."""

import math

import keras
import numpy as np

from kerasmodels.callbacks._common import learning_rate, say, sync_jax_state


def first_non_finite_layer(model):
    """(layer path, weight name) of the first layer, in model order, with a NaN/inf weight; or None."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if layer._layers:
            continue  # a container: its sublayers are checked one by one
        for weight in layer.weights:
            value = keras.ops.convert_to_numpy(keras.ops.cast(weight.value, "float32"))
            if not np.all(np.isfinite(value)):
                return layer.path or layer.name, weight.name
    return None


def likely_fixes(model):
    """Plain-English fixes for a diverging run, most likely first."""
    fixes = []
    lr = learning_rate(model)
    optimizer = getattr(model, "optimizer", None)
    lr_text = f" (now {lr:g})" if lr is not None else ""
    fixes.append(f"lower the learning rate{lr_text}, e.g. 3-10x smaller, or find one with LRFinder")
    clipped = optimizer is not None and any(
        getattr(optimizer, name, None) for name in ("clipnorm", "global_clipnorm", "clipvalue")
    )
    if not clipped:
        fixes.append("add gradient clipping: keras.optimizers.Adam(learning_rate, global_clipnorm=1.0)")
    if model.dtype_policy.compute_dtype == "float16":
        is_scaled = isinstance(optimizer, keras.optimizers.LossScaleOptimizer)
        fixes.append(
            "float16 overflows above 65504: keep loss scaling on (Keras wraps the optimizer in "
            "LossScaleOptimizer under mixed_float16"
            + ("" if is_scaled else "; this optimizer is not wrapped")
            + ") or switch to mixed_bfloat16"
        )
    fixes.append("check the data: NaN/inf in inputs or labels, or log(0) in a custom loss")
    return fixes


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first NaN/inf loss and explains it.

    After the bad step the optimizer has usually written non-finite values
    into the weights; the guard names the first layer (in model order) where
    that happened, which points at where the blow-up started.

    Args:
        raise_error: raise `FloatingPointError` instead of stopping quietly
            (use it in scripts that must fail loudly).
        verbose: 0 silent, 1 print the report.

    Attributes:
        report: None, or a dict with `epoch`, `batch`, `loss`, `layer`,
            `weight`, `fixes` and `message`.

    Example:

    ```python
    guard = NaNGuard()
    model.fit(x, y, callbacks=[guard])
    if guard.report:
        print(guard.report["layer"])
    ```
    """

    def __init__(self, raise_error=False, verbose=1):
        super().__init__()
        self.raise_error = raise_error
        self.verbose = verbose
        self.report = None

    def on_train_begin(self, logs=None):
        self.report = None
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        self._stop(batch, float(loss))

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if self.report is None and loss is not None and not math.isfinite(float(loss)):
            self._stop(None, float(loss))

    def _stop(self, batch, loss):
        sync_jax_state(self.model)
        found = first_non_finite_layer(self.model)
        fixes = likely_fixes(self.model)
        where = f"epoch {self._epoch + 1}" + (f", batch {batch + 1}" if batch is not None else "")
        lines = [f"[nan] loss became {loss} at {where}; training stopped."]
        if found:
            lines.append(f"[nan] first layer with non-finite weights: {found[0]} ({found[1]})")
        else:
            lines.append("[nan] all weights are still finite: the inputs, labels or loss produced the NaN")
        lines += [f"[nan] likely fix: {fix}" for fix in fixes]
        message = "\n".join(lines)
        self.report = {
            "epoch": self._epoch + 1,
            "batch": None if batch is None else batch + 1,
            "loss": loss,
            "layer": found[0] if found else None,
            "weight": found[1] if found else None,
            "fixes": fixes,
            "message": message,
        }
        self.model.stop_training = True
        if self.raise_error:
            raise FloatingPointError(message)
        if self.verbose:
            say(message)
