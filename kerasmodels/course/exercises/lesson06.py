"""Exercises of lesson 06: a numerically stable softmax, accuracy from logits."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close, expect_true


def _softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@exercise("06.softmax", "softmax of a batch of logits",
          hint="np.exp(1000) is inf, and inf / inf is nan. Which change to a row of logits leaves its softmax "
               "unchanged (look at what cancels in the fraction)? And each row, not the whole array, must sum to 1",
          formula="subtract each row's maximum first, e^(z_c - m) / sum_k e^(z_k - m) = e^(z_c) / sum_k e^(z_k): "
                  "e = np.exp(z - z.max(axis=1, keepdims=True)); return e / e.sum(axis=1, keepdims=True)")
def check_softmax(fn):
    cases = {
        "one row of small logits": np.array([[1.0, 2.0, 3.0]]),
        "two rows (normalise each row, not the whole batch)": np.array([[0.0, 0.0], [1.0, -1.0]]),
        "large logits must not overflow": np.array([[1000.0, 1001.0, 999.0]]),
        "very negative logits must not underflow to 0/0": np.array([[-1000.0, -1001.0]]),
        "rows at very different scales (shift each row by its own maximum)": np.array([[1000.0, 1001.0],
                                                                                      [-1000.0, -1001.0]]),
        "a row spread over more than 710 (exp(710) overflows)": np.array([[0.0, 1000.0], [-5.0, 800.0]]),
        "a row spread over more than 1420 (shifting by the row's mean still leaves exp(1000))":
            np.array([[0.0, 2000.0]]),
    }
    for name, z in cases.items():
        with np.errstate(all="ignore"):
            got = np.asarray(fn(z.copy()), dtype=np.float64)
        expect_true(name, np.all(np.isfinite(got)), f"the result contains inf or nan: {got!r}")
        expect_close(name, got, _softmax(z), rtol=1e-6, atol=1e-12)


@exercise("06.accuracy_from_logits", "accuracy of logits against integer labels",
          hint="each ROW is one example: its prediction is the class with the largest logit in that row",
          formula="np.mean(np.argmax(logits, axis=1) == labels)")
def check_accuracy_from_logits(fn):
    logits = np.array([[2.0, 0.1, -1.0], [0.0, 3.0, 1.0], [0.5, 0.2, 0.9], [1.0, 4.0, 0.0]])
    cases = {
        "4 examples, 3 classes": (logits, np.array([0, 1, 2, 0]), 0.75),
        "all wrong": (logits, np.array([1, 0, 0, 2]), 0.0),
        "more examples than classes": (np.tile(logits, (3, 1)), np.tile(np.array([0, 1, 2, 1]), 3), 1.0),
        "negative logits": (-np.abs(logits), np.array([1, 0, 1, 2]), float(np.mean(np.argmax(-np.abs(logits), 1)
                                                                                  == np.array([1, 0, 1, 2])))),
    }
    for name, (z, labels, expected) in cases.items():
        expect_close(name, fn(z, labels), expected)
