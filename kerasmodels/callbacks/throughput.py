"""`Throughput`: samples/s, step-time percentiles, achieved FLOP/s and MFU per epoch."""

import time

import keras
import numpy as np

from kerasmodels import flops as _flops
from kerasmodels import hardware
from kerasmodels.callbacks._common import human, say
from kerasmodels.flops import TRAINING_FLOPS_FACTOR, count_flops, mfu_text, peak_flops


class Throughput(keras.callbacks.Callback):
    """Measures training speed per epoch and compares it with the hardware's peak.

    Step times are taken between consecutive `on_train_batch_end` calls (with
    `steps_per_execution > 1`, one call covers several steps and the time is
    shared between them). The very first step of `fit()` includes tracing and
    compilation; it is reported once as `compile_seconds` and left out of the
    percentiles and rates. Training FLOP/s = 3 x forward FLOPs per example x
    samples/s (see `flops.py` for the convention); MFU = that / peak FLOP/s,
    the peak of the arithmetic the model uses (TF32 for float32 on GPUs where
    the backend runs float32 matmuls as TF32). An MFU above 100% is never
    reported: on a CPU the peak is measured again once, more carefully; if the
    model still beats it, the line says "MFU n/a" and why the peak is wrong.

    Args:
        batch_size: global batch size given to `fit()`; without it only
            steps/s and step times are known.
        tokens_per_example: sequence length of text models; adds tokens/s and is
            used as the length when counting FLOPs.
        flops_per_example: forward FLOPs per example; "auto" counts them with
            `count_flops(model)`, None skips FLOP/s and MFU.
        peak_flops: peak FLOP/s of the whole machine; "auto" uses the GPU table
            or measures a CPU matmul, None skips MFU.
        verbose: 0 silent, 1 one line per epoch.

    Attributes:
        history: one dict per epoch (keys `samples_per_sec`, `tokens_per_sec`,
            `step_time_p50_ms`, `step_time_p95_ms`, `flops_per_sec`, `mfu`,
            `epoch_seconds`; `mfu` is left out when it would exceed 1).
        flops_per_example, peak, peak_source, compile_seconds.

    Example:

    ```python
    speed = Throughput(batch_size=64)
    model.fit(x, y, batch_size=64, epochs=2, callbacks=[speed])
    speed.history[-1]["samples_per_sec"]
    ```
    """

    def __init__(self, batch_size=None, tokens_per_example=None, flops_per_example="auto",
                 peak_flops="auto", verbose=1):
        super().__init__()
        for name, value in (("batch_size", batch_size), ("tokens_per_example", tokens_per_example)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"Throughput({name}={value!r}): pass a positive int or None.")
        if not (flops_per_example in ("auto", None) or isinstance(flops_per_example, (int, float))):
            raise ValueError(
                f"Throughput(flops_per_example={flops_per_example!r}): pass 'auto', a number or None."
            )
        if not (peak_flops in ("auto", None) or isinstance(peak_flops, (int, float))):
            raise ValueError(f"Throughput(peak_flops={peak_flops!r}): pass 'auto', a number (FLOP/s) or None.")
        self.batch_size = batch_size
        self.tokens_per_example = tokens_per_example
        self._flops_setting = flops_per_example
        self._peak_setting = peak_flops
        self.verbose = verbose
        self.history = []
        self.flops_per_example = None
        self.peak = None
        self.peak_source = None
        self.compile_seconds = None

    def on_train_begin(self, logs=None):
        self.history = []
        self.compile_seconds = None
        self._first_step_done = False
        self.flops_per_example = self._flops_setting if self._flops_setting != "auto" else None
        if self._flops_setting == "auto":
            try:
                self.flops_per_example = count_flops(self.model, sequence_length=self.tokens_per_example)
            except (ValueError, TypeError) as error:
                self.peak_source = f"FLOPs unknown: {error}"
        self.peak, self.peak_source = None, self.peak_source
        self._may_remeasure = False  # only a peak measured on this CPU here
        if isinstance(self._peak_setting, (int, float)):
            self.peak, self.peak_source = float(self._peak_setting), "given"
        elif self._peak_setting == "auto" and self.flops_per_example:
            dtype = self.model.dtype_policy.compute_dtype
            accelerators = hardware.accelerators(keras.backend.backend())
            if accelerators:
                one, self.peak_source = peak_flops(dtype, accelerators[0].name)
                self.peak = one * len(accelerators) if one else None
            else:
                self.peak, self.peak_source = peak_flops(dtype)
                self._may_remeasure = True

    def _check_peak(self, achieved):
        """A CPU peak that the model beat was measured while something else ran: measure again, once."""
        if achieved <= self.peak or not self._may_remeasure:
            return
        self._may_remeasure = False
        dtype = self.model.dtype_policy.compute_dtype
        again = _flops.measure_cpu_peak(dtype, size=2048, repeats=5, statistic="best")
        if again > self.peak:
            self.peak = again
            self.peak_source = (f"best {dtype} 2048x2048 matmul measured again on this CPU with "
                                f"{keras.backend.backend()} after the first measurement was beaten")

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._last = None
        self._last_batch = -1
        self._step_times = []

    def on_train_batch_begin(self, batch, logs=None):
        if self._last is None:
            # Start the clock at the first batch, not the epoch: setting up the
            # data iterator is a per-epoch cost, counted in epoch_seconds.
            self._last = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        steps = max(batch - self._last_batch, 1)
        elapsed = now - self._last
        self._last, self._last_batch = now, batch
        if not self._first_step_done:
            self._first_step_done = True
            self.compile_seconds = elapsed
            return
        self._step_times.extend([elapsed / steps] * steps)

    def on_epoch_end(self, epoch, logs=None):
        record = {"epoch": epoch + 1, "epoch_seconds": time.perf_counter() - self._epoch_start}
        times = np.asarray(self._step_times)
        if times.size:
            mean = float(times.mean())
            record["step_time_p50_ms"] = float(np.percentile(times, 50) * 1e3)
            record["step_time_p95_ms"] = float(np.percentile(times, 95) * 1e3)
            if self.batch_size:
                record["samples_per_sec"] = self.batch_size / mean
                if self.tokens_per_example:
                    record["tokens_per_sec"] = record["samples_per_sec"] * self.tokens_per_example
                if self.flops_per_example:
                    record["flops_per_sec"] = (
                        TRAINING_FLOPS_FACTOR * self.flops_per_example * record["samples_per_sec"]
                    )
                    if self.peak:
                        self._check_peak(record["flops_per_sec"])
                        if record["flops_per_sec"] <= self.peak:
                            record["mfu"] = record["flops_per_sec"] / self.peak
            else:
                record["steps_per_sec"] = 1.0 / mean
        if not self.history and self.compile_seconds is not None:
            record["compile_seconds"] = self.compile_seconds
        self.history.append(record)
        if self.verbose:
            say(self.format(record))

    def epoch_stats(self):
        """The last epoch's numbers, for `MetricsLogger`."""
        return {k: v for k, v in (self.history[-1] if self.history else {}).items() if k != "epoch"}

    def format(self, record):
        parts = [f"[speed] epoch {record['epoch']}:"]
        if "samples_per_sec" in record:
            parts.append(f"{record['samples_per_sec']:,.0f} samples/s")
        elif "steps_per_sec" in record:
            parts.append(f"{record['steps_per_sec']:,.1f} steps/s (pass batch_size= for samples/s)")
        if "tokens_per_sec" in record:
            parts.append(f"{record['tokens_per_sec']:,.0f} tokens/s")
        if "step_time_p50_ms" in record:
            parts.append(f"step p50 {record['step_time_p50_ms']:.2f} ms, p95 {record['step_time_p95_ms']:.2f} ms")
        if "flops_per_sec" in record:
            text = f"{human(record['flops_per_sec'], 'FLOP/s')}"
            if self.peak:
                text += " = " + mfu_text(record["flops_per_sec"], self.peak, self.peak_source)
            parts.append(text)
        if "compile_seconds" in record:
            parts.append(f"first step {record['compile_seconds']:.2f} s (incl. compile)")
        return parts[0] + " " + " | ".join(parts[1:])

