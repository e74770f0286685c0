"""Small helpers shared by the callbacks (formatting, backend quirks)."""

import sys

# Keys the hardware callbacks write into `MetricsLogger` rows; plots of
# loss/metric curves leave them out.
SYSTEM_KEYS = frozenset(
    {
        "epoch",
        "learning_rate",
        "samples_per_sec",
        "tokens_per_sec",
        "step_time_p50_ms",
        "step_time_p95_ms",
        "flops_per_sec",
        "mfu",
        "epoch_seconds",
        "compile_seconds",
        "steps_per_sec",
        "peak_memory_bytes",
        "peak_rss_bytes",
    }
)


def say(text):
    print(text, flush=True)


def human(value, unit=""):
    """1234567 -> '1.23 M' (with `unit` appended)."""
    if value is None:
        return "-"
    for threshold, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.3g} {prefix}{unit}"
    return f"{value:.3g} {unit}".rstrip()


def human_bytes(value):
    if value is None:
        return "-"
    for threshold, name in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if value >= threshold:
            return f"{value / threshold:.1f} {name}"
    return f"{int(value)} B"


def sync_jax_state(model):
    """On JAX, fit() keeps variables outside the model between steps; put them back."""
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()


def in_notebook():
    """True inside a running Jupyter kernel (where display handles update in place)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def learning_rate(model):
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    except Exception:
        return None
