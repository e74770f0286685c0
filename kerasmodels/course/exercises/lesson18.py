"""Exercises of lesson 18: k-anonymity, per-example clipping (DP-SGD), FedAvg's weighted average."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close, expect_equal
from kerasmodels.course.topics.privacy import average_weights, clip_per_example, k_anonymity

K_CASES = {
    "all rows different": [(1, "a"), (2, "a"), (3, "b")],
    "two groups of 2 and 3": [(1, "a"), (1, "a"), (2, "b"), (2, "b"), (2, "b")],
    "one unique among a crowd": [("80110", 1970, "F")] * 4 + [("80111", 1970, "F")],
    "one person": [(7,)],
    "everybody identical": [(0, 0)] * 6,
}


@exercise("18.k_anonymity", "k of a released table",
          hint="k is the size of the SMALLEST group of identical rows, not the number of groups",
          formula="count how many rows share each distinct tuple (a dict or collections.Counter), then take the "
               "smallest count")
def check_k_anonymity(fn):
    for case, rows in K_CASES.items():
        expect_equal(case, fn(list(rows)), k_anonymity(rows))


@exercise("18.clip_per_example", "clip each example's gradient to norm C",
          hint="each example (row) gets its own norm and its own scale",
          formula="norms = np.linalg.norm(gradients, axis=1, keepdims=True); scale each row by "
               "min(1, clip_norm / norm) - rows already shorter than C stay as they are")
def check_clip_per_example(fn):
    rng = np.random.default_rng(17)
    cases = {
        "one long row [3, 4], C=1": (np.array([[3.0, 4.0]]), 1.0),
        "one short row [0.3, 0.4], C=1 (unchanged)": (np.array([[0.3, 0.4]]), 1.0),
        "rows of mixed lengths, C=2": (np.array([[3.0, 4.0], [0.6, 0.8], [0.0, 10.0]]), 2.0),
        "8 random rows of 5, C=0.5": (rng.normal(0, 1, (8, 5)), 0.5),
    }
    for case, (gradients, clip_norm) in cases.items():
        got = fn(gradients.copy(), clip_norm)
        expect_close(case, got, clip_per_example(gradients, clip_norm), rtol=1e-6, atol=1e-9)


@exercise("18.fedavg", "FedAvg: example-weighted average of client weights",
          hint="clients with more examples should count for more",
          formula="weight client k by n_k / sum(n): sum(n_k / n * w_k[i] for each client) for each weight array i")
def check_fedavg(fn):
    cases = {
        "two clients, equal sizes": ([[np.array([0.0, 2.0])], [np.array([2.0, 4.0])]], [10, 10]),
        "two clients, 1 vs 3 examples": ([[np.array([0.0])], [np.array([4.0])]], [1, 3]),
        "three clients, kernel and bias": (
            [[np.ones((2, 2)), np.zeros(2)], [3 * np.ones((2, 2)), np.ones(2)], [np.zeros((2, 2)), 5 * np.ones(2)]],
            [100, 50, 50]),
        "one client": ([[np.array([1.0, -1.0])]], [7]),
    }
    for case, (weights, sizes) in cases.items():
        got = fn(weights, sizes)
        expected = average_weights(weights, sizes)
        expect_equal(f"{case}: number of weight arrays", len(got), len(expected))
        for i, (g, e) in enumerate(zip(got, expected)):
            expect_close(f"{case}, weight array {i}", g, e)
