"""`default_callbacks`: the set the lessons and `kerasmodels train` use."""

from pathlib import Path

from kerasmodels.callbacks._common import in_notebook
from kerasmodels.callbacks.device_report import DeviceReport
from kerasmodels.callbacks.live_plot import LivePlot
from kerasmodels.callbacks.memory_monitor import MemoryMonitor
from kerasmodels.callbacks.metrics_logger import MetricsLogger
from kerasmodels.callbacks.nan_guard import NaNGuard
from kerasmodels.callbacks.resumable import ResumableTraining
from kerasmodels.callbacks.throughput import Throughput


def default_callbacks(directory=None, batch_size=None, live_plot=None, resumable=True,
                      tokens_per_example=None, monitor="val_loss", tensorboard=False, verbose=1,
                      peak_flops="auto"):
    """The callbacks a lesson passes to `fit()`, in the order they must run.

    Always: `DeviceReport`, `Throughput`, `MemoryMonitor`, `NaNGuard`. With a
    `directory`: `MetricsLogger` (metrics.csv/json there) and, if `resumable`,
    `ResumableTraining` in `directory/checkpoints` (first in the list, so that
    the starting epoch is known to the others).

    Args:
        directory: folder for this run's files; None writes nothing.
        batch_size: the global batch size given to `fit()` (for samples/s).
        live_plot: True, False, or None (on in a notebook, off in a script).
            The PNG goes to `directory/curves.png` when there is a directory.
        resumable: resume after a kill (needs a directory).
        tokens_per_example: sequence length of a text model (tokens/s, FLOPs).
        monitor: value that picks `best.keras`.
        tensorboard: also add `keras.callbacks.TensorBoard(directory/tensorboard)`
            (needs TensorFlow installed).
        verbose: 0 prints nothing, 1 the short reports.
        peak_flops: the peak FLOP/s behind MFU, passed to `Throughput`: "auto"
            (a known GPU's data sheet, or a matmul timed on this CPU once per
            process), a number you know (nothing is measured), or None (no MFU).

    Example:

    ```python
    callbacks = default_callbacks("runs/lesson07", batch_size=64)
    model.fit(x, y, batch_size=64, epochs=5, validation_split=0.1, callbacks=callbacks)
    ```
    """
    if directory is not None and not isinstance(directory, (str, Path)):
        raise TypeError(f"default_callbacks(directory={directory!r}): pass a folder path or None.")
    if live_plot not in (None, True, False):
        raise ValueError(f"default_callbacks(live_plot={live_plot!r}): use True, False or None (auto).")
    directory = Path(directory) if directory is not None else None
    throughput = Throughput(batch_size=batch_size, tokens_per_example=tokens_per_example, peak_flops=peak_flops,
                            verbose=verbose)
    memory = MemoryMonitor(verbose=verbose)
    callbacks = []
    if directory is not None and resumable:
        callbacks.append(ResumableTraining(directory / "checkpoints", monitor=monitor, verbose=verbose))
    callbacks += [DeviceReport(batch_size=batch_size, verbose=verbose), throughput, memory, NaNGuard(verbose=verbose)]
    if directory is not None:
        callbacks.append(MetricsLogger(directory, sources=[throughput, memory]))
    if live_plot or (live_plot is None and in_notebook()):
        callbacks.append(LivePlot(directory / "curves.png" if directory is not None else None))
    if tensorboard:
        from kerasmodels import hardware

        if hardware.version("tensorflow") is None:
            raise ValueError(
                "default_callbacks(tensorboard=True) needs TensorFlow, which is not installed; "
                "use tensorboard=False (metrics.csv/json are written anyway) or pip install tensorflow."
            )
        if directory is None:
            raise ValueError("default_callbacks(tensorboard=True) needs directory=<folder> for the logs.")
        import keras

        callbacks.append(keras.callbacks.TensorBoard(str(directory / "tensorboard")))
    return callbacks
