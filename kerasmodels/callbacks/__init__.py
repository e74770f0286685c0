"""Hardware-aware Keras 3 callbacks for `fit()`, on TensorFlow, JAX and torch.

- `DeviceReport`: backend, devices, precision, XLA, replicas, batch sizes at train start.
- `Throughput`: samples/s (tokens/s), step time p50/p95, FLOP/s and MFU per epoch.
- `MemoryMonitor`: peak accelerator memory and process RSS per epoch.
- `LivePlot`: loss/metric curves, live in a notebook, PNG in a script.
- `NaNGuard`: stops at the first non-finite loss, names the layer, says the fix.
- `LRFinder`: learning-rate range test with a plot and a suggestion.
- `ResumableTraining`: atomic backup/restore plus best-model checkpoint.
- `MetricsLogger`: per-epoch CSV and JSON without TensorFlow.
- `default_callbacks(...)`: the set the lessons use.

FLOP counting and device peaks, the numbers behind MFU, live in `kerasmodels.flops`.

Example:

```python
from kerasmodels.callbacks import default_callbacks
# peak_flops: your hardware's peak FLOP/s, if you know it (then nothing is measured); the default
# "auto" takes a known GPU's data sheet or times a matmul on this CPU, once per process.
callbacks = default_callbacks("runs/demo", batch_size=64, peak_flops=1e12)
model.fit(x, y, batch_size=64, epochs=2, callbacks=callbacks)
```
"""

from kerasmodels.callbacks.defaults import default_callbacks
from kerasmodels.callbacks.device_report import DeviceReport
from kerasmodels.callbacks.live_plot import LivePlot
from kerasmodels.callbacks.lr_finder import LRFinder
from kerasmodels.callbacks.memory_monitor import MemoryMonitor
from kerasmodels.callbacks.metrics_logger import MetricsLogger, read_metrics
from kerasmodels.callbacks.nan_guard import NaNGuard
from kerasmodels.callbacks.resumable import ResumableTraining, read_state
from kerasmodels.callbacks.throughput import Throughput

__all__ = [
    "DeviceReport",
    "LRFinder",
    "LivePlot",
    "MemoryMonitor",
    "MetricsLogger",
    "NaNGuard",
    "ResumableTraining",
    "Throughput",
    "default_callbacks",
    "read_metrics",
    "read_state",
]
