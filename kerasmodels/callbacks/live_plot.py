"""`LivePlot`: loss and metric curves that redraw each epoch (notebook) or go to a PNG (script)."""

import io
from pathlib import Path

import keras

from kerasmodels.callbacks._common import SYSTEM_KEYS, in_notebook
from kerasmodels.paths import atomic_write_bytes


class LivePlot(keras.callbacks.Callback):
    """Draws training (solid) and validation (dashed) curves with matplotlib alone.

    In a Jupyter kernel one figure is shown and updated in place after every
    epoch through an IPython display handle; elsewhere (a script, a test) the
    figure is saved to `path` after every epoch and at the end of training.

    Args:
        path: PNG file to write; None means no file (notebook display only).
        metrics: names to plot (e.g. ["loss", "accuracy"]); None plots the
            loss and every compiled metric found in the logs.
        notebook: force (True) or disable (False) in-place notebook display;
            None detects a running kernel.

    Attributes:
        history: `{name: [value per epoch]}` for every plotted key.
        figure: the matplotlib figure (after the first epoch).

    Example:

    ```python
    model.fit(x, y, validation_split=0.2, epochs=5,
              callbacks=[LivePlot("figures/curves.png")])
    ```
    """

    def __init__(self, path=None, metrics=None, notebook=None):
        super().__init__()
        if path is not None and not str(path).lower().endswith(".png"):
            raise ValueError(f"LivePlot(path={str(path)!r}): the file name must end in .png, e.g. 'curves.png'.")
        if metrics is not None and (isinstance(metrics, str) or not all(isinstance(m, str) for m in metrics)):
            raise TypeError(
                f"LivePlot(metrics={metrics!r}): pass a list of metric names such as ['loss', 'accuracy']."
            )
        self.path = Path(path) if path is not None else None
        self.metrics = list(metrics) if metrics is not None else None
        self.notebook = notebook
        self.history = {}
        self.epochs = []
        self.figure = None
        self._handle = None

    def on_train_begin(self, logs=None):
        self.history, self.epochs = {}, []
        self._live = in_notebook() if self.notebook is None else bool(self.notebook)
        self._handle = None

    def _names(self, logs):
        if self.metrics is not None:
            return [m for m in self.metrics if m in logs]
        return [k for k in logs if not k.startswith("val_") and k not in SYSTEM_KEYS]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epochs.append(epoch + 1)
        for name in self._names(logs):
            for key in (name, f"val_{name}"):
                if key in logs:
                    series = self.history.setdefault(key, [None] * (len(self.epochs) - 1))
                    series.append(float(logs[key]))
        for series in self.history.values():
            series += [None] * (len(self.epochs) - len(series))
        self._draw()

    def on_train_end(self, logs=None):
        if self.figure is not None and self.path is not None:
            atomic_write_bytes(self.path, self._png())

    def _draw(self):
        # A bare Figure (no pyplot) never opens a window or changes the user's backend.
        from matplotlib.figure import Figure

        names = [k for k in self.history if not k.startswith("val_")]
        if not names:
            return
        self.figure = Figure(figsize=(4.5 * len(names), 3.2))
        axes = self.figure.subplots(1, len(names), squeeze=False)[0]
        for ax, name in zip(axes, names):
            for key, style in ((name, "-"), (f"val_{name}", "--")):
                points = [(e, v) for e, v in zip(self.epochs, self.history.get(key, [])) if v is not None]
                if points:
                    ax.plot(*zip(*points), style, marker="o", markersize=3,
                            label="validation" if key.startswith("val_") else "training")
            ax.set_title(name)
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        self.figure.tight_layout()
        png = self._png()
        if self._live:
            from IPython.display import Image, display

            if self._handle is None:
                self._handle = display(Image(data=png), display_id=True)
            else:
                self._handle.update(Image(data=png))
        if self.path is not None:
            atomic_write_bytes(self.path, png)

    def _png(self):
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()
