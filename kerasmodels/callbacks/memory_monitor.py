"""`MemoryMonitor`: peak accelerator memory and process RSS per epoch."""

import os
import sys

import keras
import psutil

try:
    import resource  # POSIX only: Windows has no getrusage
except ImportError:
    resource = None

from kerasmodels.callbacks._common import human_bytes, say


def current_rss_bytes():
    """Resident set size of this process now (Linux /proc, which is cheap per batch; psutil elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return psutil.Process().memory_info().rss


def peak_rss_bytes():
    """Largest resident set size this process has had since it started."""
    if resource is not None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB, macOS bytes
    memory = psutil.Process().memory_info()
    # Windows reports the peak working set; elsewhere the current RSS is the best psutil knows.
    return getattr(memory, "peak_wset", memory.rss)


class _AcceleratorMemory:
    """Per-backend peak memory of the first accelerator, or nothing on a CPU-only machine."""

    def __init__(self):
        self.backend = keras.backend.backend()
        self.device = None
        if self.backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_logical_devices("GPU")
            self.device = gpus[0].name.replace("/device:", "") if gpus else None
        elif self.backend == "jax":
            import jax

            devices = [d for d in jax.devices() if d.platform != "cpu"]
            self.device = devices[0] if devices else None
        elif self.backend == "torch":
            import torch

            self.device = 0 if torch.cuda.is_available() else None

    def reset(self):
        if self.device is None:
            return
        if self.backend == "tensorflow":
            import tensorflow as tf

            tf.config.experimental.reset_memory_stats(self.device)
        elif self.backend == "torch":
            import torch

            torch.cuda.reset_peak_memory_stats(self.device)
        # JAX has no reset: its peak is the peak since the process started.

    def peak(self):
        if self.device is None:
            return None
        if self.backend == "tensorflow":
            import tensorflow as tf

            return int(tf.config.experimental.get_memory_info(self.device)["peak"])
        if self.backend == "jax":
            stats = self.device.memory_stats() or {}
            return stats.get("peak_bytes_in_use")
        import torch

        return int(torch.cuda.max_memory_allocated(self.device))


class MemoryMonitor(keras.callbacks.Callback):
    """Records peak accelerator memory and process RSS for each epoch.

    Accelerator memory comes from `tf.config.experimental.get_memory_info`
    (TensorFlow), `device.memory_stats()` (JAX; peak since the process
    started, JAX cannot reset it) or `torch.cuda.max_memory_allocated`
    (torch). RSS is sampled at every batch end from /proc and is what a CPU
    run uses.

    Args:
        verbose: 0 silent, 1 one line per epoch.

    Attributes:
        history: one dict per epoch with `peak_rss_bytes` and, with an
            accelerator, `peak_memory_bytes`.

    Example:

    ```python
    memory = MemoryMonitor()
    model.fit(x, y, epochs=1, callbacks=[memory])
    memory.history[-1]["peak_rss_bytes"]
    ```
    """

    def __init__(self, verbose=1):
        super().__init__()
        self.verbose = verbose
        self.history = []

    def on_train_begin(self, logs=None):
        self.history = []
        self._accelerator = _AcceleratorMemory()

    def on_epoch_begin(self, epoch, logs=None):
        self._accelerator.reset()
        self._rss_peak = current_rss_bytes()

    def on_train_batch_end(self, batch, logs=None):
        self._rss_peak = max(self._rss_peak, current_rss_bytes())

    def on_epoch_end(self, epoch, logs=None):
        record = {"epoch": epoch + 1, "peak_rss_bytes": max(self._rss_peak, current_rss_bytes())}
        peak = self._accelerator.peak()
        if peak is not None:
            record["peak_memory_bytes"] = peak
        self.history.append(record)
        if self.verbose:
            text = f"[memory] epoch {epoch + 1}: process RSS peak {human_bytes(record['peak_rss_bytes'])}"
            if peak is not None:
                text += f" | accelerator peak {human_bytes(peak)}"
            say(text)

    def epoch_stats(self):
        """The last epoch's numbers, for `MetricsLogger`."""
        return {k: v for k, v in (self.history[-1] if self.history else {}).items() if k != "epoch"}
