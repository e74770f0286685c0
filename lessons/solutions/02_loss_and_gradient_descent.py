"""Solutions to lesson 02's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def linreg_gradient(theta0, theta1, x, y):
    r = y - theta0 - theta1 * x
    return -np.mean(r), -np.mean(r * x)


def binary_cross_entropy(y, p):
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def categorical_cross_entropy(y, p):
    return -np.mean(np.log(p[np.arange(len(y)), y]))


def _article_000_gradient(theta0, theta1, x, y):
    # Article 000 §4.3: wrong sign for theta0, missing factor x for theta1.
    r = np.mean(y - theta0 - theta1 * x)
    return r, -r


SOLUTIONS = {
    "02.linreg_gradient": linreg_gradient,
    "02.binary_cross_entropy": binary_cross_entropy,
    "02.categorical_cross_entropy": categorical_cross_entropy,
}

WRONG_ANSWERS = {
    "02.linreg_gradient": _article_000_gradient,
    # Forgets the (1 - y) log(1 - p) term, so label-0 examples cost nothing.
    "02.binary_cross_entropy": lambda y, p: -np.mean(y * np.log(p)),
    # Sums over all classes' log-probabilities instead of the true one.
    "02.categorical_cross_entropy": lambda y, p: -np.mean(np.sum(np.log(p), axis=1)),
}
