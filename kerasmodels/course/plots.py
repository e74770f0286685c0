"""Figures the lessons share: image grids, training curves, confusion matrices.

Every function returns the matplotlib Figure, so a lesson can show it and save
it with `lesson.savefig(fig, "name")`. Sizes and fonts are chosen to be legible
when projected.

Example:

```python
import numpy as np
from kerasmodels.course import plots
fig = plots.image_grid(np.random.rand(10, 8, 8), labels=list(range(10)))
```
"""

import matplotlib

if not matplotlib.get_backend():  # pragma: no cover - a default backend is always set
    matplotlib.use("Agg")
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

plt.rcParams.update({"font.size": 12, "axes.titlesize": 13, "figure.dpi": 100})


def image_grid(images, labels=None, predictions=None, class_names=None, ncols=10, title=None, size=1.3):
    """A grid of images, titled with the label (and the prediction: ✓ green when right, ✗ red when wrong).

    Args:
        images: array (N, H, W) or (N, H, W, C) with values in [0, 1].
        labels: optional N true labels (ints).
        predictions: optional N predicted labels (ints).
        class_names: optional names indexed by label.
        ncols: images per row.
        title: optional figure title.
        size: inches per image.
    """
    images = np.asarray(images)
    n = len(images)
    if n == 0:
        raise ValueError("image_grid needs at least one image, got 0")
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if title else 0)),
                             squeeze=False)

    def name(k):
        return str(class_names[k]) if class_names is not None else str(int(k))

    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        image = images[i]
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        ax.imshow(np.clip(image, 0, 1), cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
        text, color = "", "black"
        if labels is not None and predictions is not None:
            right = predictions[i] == labels[i]
            # The mark, not only the colour, tells right from wrong (red-green colour blindness).
            text = f"{'✓' if right else '✗'} {name(predictions[i])} ({name(labels[i])})"
            if len(text) > 11 * size:  # about 11 characters per inch at font size 10: wrap, don't overlap
                text = f"{'✓' if right else '✗'} {name(predictions[i])}\n({name(labels[i])})"
            color = "tab:green" if right else "tab:red"
        elif labels is not None:
            text = name(labels[i])
        elif predictions is not None:
            text = name(predictions[i])
        if text:
            ax.set_title(text, fontsize=10, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _history_dict(history):
    return history.history if hasattr(history, "history") else dict(history)


def training_curves(histories, metrics=("loss", "accuracy"), title=None, ylabels=None):
    """Training (solid) and validation (dashed) curves of one or several runs side by side.

    Args:
        histories: a keras History, a dict of lists, or {run name: History/dict}.
        metrics: metric names to draw, one panel each (missing ones are skipped).
        title: optional figure title.
        ylabels: optional {metric: y-axis label}, e.g. {"loss": "cross-entropy"}.
    """
    if hasattr(histories, "history") or (histories and all(isinstance(v, list) for v in histories.values())):
        histories = {"": histories}
    runs = {name: _history_dict(h) for name, h in histories.items()}
    metrics = [m for m in metrics if any(m in h for h in runs.values())]
    if not metrics:
        raise ValueError("none of the requested metrics is in the histories")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, metric in zip(axes.flat, metrics):
        for k, (name, h) in enumerate(runs.items()):
            color = colors[k % len(colors)]
            label = f"{name} " if name else ""
            if metric in h:
                epochs = np.arange(1, len(h[metric]) + 1)
                ax.plot(epochs, h[metric], color=color, label=f"{label}train")
            if f"val_{metric}" in h:
                epochs = np.arange(1, len(h[f"val_{metric}"]) + 1)
                ax.plot(epochs, h[f"val_{metric}"], color=color, linestyle="--", label=f"{label}validation")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # no epoch 1.5
        ax.set_title(metric)
        if ylabels and metric in ylabels:
            ax.set_ylabel(ylabels[metric])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(matrix, class_names=None, normalize=False, title="Confusion matrix"):
    """Draw a confusion matrix (rows: true class, columns: predicted class) with counts in cells."""
    matrix = np.asarray(matrix, dtype=float)
    shown = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    k = matrix.shape[0]
    names = class_names if class_names is not None else [str(i) for i in range(k)]
    fig, ax = plt.subplots(figsize=(0.6 * k + 3, 0.6 * k + 2.5))
    im = ax.imshow(shown, cmap="Blues")
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_xticks(range(k), names, rotation=45, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = shown.max() / 2 if shown.size else 0
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else f"{int(matrix[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=9,
                    color="white" if shown[i, j] > threshold else "black")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def image_rows(rows, row_labels=None, title=None, size=1.1):
    """Rows of images, one row per stage (e.g. a GAN's samples after each epoch), labelled on the left.

    Args:
        rows: a list of arrays (N, H, W) or (N, H, W, C) with values in [0, 1]; every row the same N.
        row_labels: optional text per row, e.g. ["epoch 1", "epoch 2"].
        title: optional figure title.
        size: inches per image.
    """
    rows = [np.asarray(row) for row in rows]
    if not rows or any(len(row) == 0 for row in rows):
        raise ValueError("image_rows needs at least one non-empty row of images")
    if len({len(row) for row in rows}) != 1:
        raise ValueError(f"image_rows: every row needs the same number of images, got {[len(r) for r in rows]}")
    if row_labels is not None and len(row_labels) != len(rows):
        raise ValueError(f"image_rows: {len(row_labels)} row_labels for {len(rows)} rows")
    nrows, ncols = len(rows), len(rows[0])
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols + 1.0, size * nrows + (0.5 if title else 0)),
                             squeeze=False)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if image.ndim == 3 and image.shape[-1] == 1:
                image = image[..., 0]
            ax.imshow(np.clip(image, 0, 1), cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=1)
        if row_labels is not None:
            axes[r, 0].set_ylabel(str(row_labels[r]), rotation=0, ha="right", va="center", fontsize=11)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
