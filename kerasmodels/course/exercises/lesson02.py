"""Exercises of lesson 02: the linear-regression gradient, binary and categorical cross-entropy."""

import numpy as np

from kerasmodels.course.exercises._core import CheckFailed, exercise, expect_close


@exercise("02.linreg_gradient", "gradient of L = 1/(2n) sum (y - theta0 - theta1 x)^2",
          hint="apply the chain rule to each parameter separately: the inner function is the residual "
               "r = y - theta0 - theta1*x; what is dr/dtheta0, and what is dr/dtheta1?",
          formula="dL/dtheta0 = -mean(r) and dL/dtheta1 = -mean(r * x)")
def check_linreg_gradient(fn):
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 3, size=20)
    y = 1 + 2 * x + rng.normal(scale=0.3, size=20)
    for name, (t0, t1, xs, ys) in {
        "theta = (0, 0), 20 points": (0.0, 0.0, x, y),
        "theta = (-1, 0.5), 20 points": (-1.0, 0.5, x, y),
        "one point x=2, y=3 at theta = (0, 0)": (0.0, 0.0, np.array([2.0]), np.array([3.0])),
        "a perfect fit has zero gradient": (1.0, 2.0, x, 1 + 2 * x),
    }.items():
        r = ys - t0 - t1 * xs
        try:
            got = np.asarray(fn(t0, t1, xs, ys), dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise CheckFailed(name, message=f"case {name}: return two numbers (dL/dtheta0, dL/dtheta1)")
        expect_close(name, got, np.array([-np.mean(r), -np.mean(r * xs)]), rtol=1e-6, atol=1e-9)


@exercise("02.binary_cross_entropy", "mean binary cross-entropy",
          hint="an example with label 0 must be penalised too: by how little probability it gave to class 0",
          formula="-mean(y*log(p) + (1-y)*log(1-p))")
def check_binary_cross_entropy(fn):
    for name, (y, p) in {
        "all labels 1": (np.array([1.0, 1.0]), np.array([0.9, 0.6])),
        "label 0 with p = 0.8": (np.array([0.0]), np.array([0.8])),
        "mixed labels": (np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.9, 0.2, 0.6, 0.4])),
        "p = 0.5 everywhere gives log 2": (np.array([0.0, 1.0, 1.0]), np.full(3, 0.5)),
    }.items():
        expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
        expect_close(name, fn(y, p), expected, rtol=1e-6)


@exercise("02.categorical_cross_entropy", "mean categorical cross-entropy with integer labels",
          hint="each example's loss is minus the log of the probability it gave to its TRUE class, "
               "which differs from row to row",
          formula="-np.mean(np.log(p[np.arange(len(y)), y]))")
def check_categorical_cross_entropy(fn):
    for name, (y, p) in {
        "two examples, three classes": (np.array([0, 2]), np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])),
        "true class is not the first": (np.array([1]), np.array([[0.2, 0.5, 0.3]])),
        "uniform over 4 classes gives log 4": (np.array([3, 1]), np.full((2, 4), 0.25)),
        "confident and right is near 0": (np.array([2]), np.array([[0.0005, 0.0005, 0.999]])),
        # The true class is not the most probable one: the probability of the predicted class is wrong here.
        "confidently wrong: the true class 0 got 0.1": (np.array([0]), np.array([[0.1, 0.7, 0.2]])),
    }.items():
        expected = -np.mean(np.log(p[np.arange(len(y)), y]))
        expect_close(name, fn(y, p), expected, rtol=1e-6)
