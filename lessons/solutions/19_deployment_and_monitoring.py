"""Solutions to lesson 19's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def validate_image(instance):
    try:
        array = np.asarray(instance)
    except ValueError:
        return "rows have different lengths"
    if array.dtype.kind not in "iuf":
        return f"expected numbers, got {array.dtype}"
    if array.shape != (28, 28):
        return f"expected shape (28, 28), got {array.shape}"
    if not np.all(np.isfinite(array)):
        return "NaN or infinite values"
    if array.min() < 0 or array.max() > 1:
        return f"values must be in [0, 1], got [{array.min()}, {array.max()}]"
    return None


def psi(reference_counts, current_counts):
    r = np.maximum(np.asarray(reference_counts) / np.sum(reference_counts), 1e-4)
    c = np.maximum(np.asarray(current_counts) / np.sum(current_counts), 1e-4)
    return float(np.sum((c - r) * np.log(c / r)))


def max_throughput(workers, latency_ms):
    return workers / (latency_ms / 1000.0)


def shape_only(instance):
    array = np.asarray(instance)
    return None if array.shape == (28, 28) else f"expected shape (28, 28), got {array.shape}"


def one_sided_divergence(reference_counts, current_counts):
    r = np.maximum(np.asarray(reference_counts) / np.sum(reference_counts), 1e-4)
    c = np.maximum(np.asarray(current_counts) / np.sum(current_counts), 1e-4)
    return float(np.sum(c * np.log(c / r)))


SOLUTIONS = {
    "19.validate_image": validate_image,
    "19.psi": psi,
    "19.max_throughput": max_throughput,
}

WRONG_ANSWERS = {
    "19.validate_image": shape_only,
    "19.psi": one_sided_divergence,
    "19.max_throughput": lambda workers, latency_ms: workers / latency_ms,
}
