"""Exercises of lesson 01: a neuron's output, the derivatives of sigmoid and ReLU."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


@exercise("01.neuron", "output of one sigmoid neuron for a batch of inputs",
          hint="the order matters: weight each input, sum the products, add the bias, and only then apply "
               "the sigmoid, once per example (row)",
          formula="y = 1 / (1 + np.exp(-(x @ w + b)))")
def check_neuron(fn):
    rng = np.random.default_rng(1)
    cases = {
        "one example, three inputs": (np.array([[1.0, 2.0, -1.0]]), np.array([0.5, -0.25, 1.0]), 0.1),
        "zero weights give sigmoid(b)": (np.ones((2, 3)), np.zeros(3), 2.0),
        "batch of 5, four inputs": (rng.normal(size=(5, 4)), rng.normal(size=4), -0.3),
        "large negative input saturates": (np.array([[-50.0, 0.0]]), np.array([1.0, 1.0]), 0.0),
    }
    for name, (x, w, b) in cases.items():
        expected = _sigmoid(x @ w + b)
        got = np.asarray(fn(x, w, b))
        if got.shape == expected.shape + (1,):  # a (batch, 1) column is as good as (batch,)
            got = got[..., 0]
        expect_close(name, got, expected, rtol=1e-6, atol=1e-9)


@exercise("01.sigmoid_derivative", "derivative of the sigmoid",
          hint="the sigmoid's slope can be written with the sigmoid itself, sigma(z), not with z; "
               "it is largest (0.25) at z = 0",
          formula="s = 1 / (1 + np.exp(-z)); return s * (1 - s)")
def check_sigmoid_derivative(fn):
    for name, z in {
        "z = 0 (the peak, 0.25)": np.array([0.0]),
        "symmetric points": np.array([-2.0, 2.0]),
        "a grid from -6 to 6": np.linspace(-6, 6, 13),
        "far tails are nearly flat": np.array([-20.0, 20.0]),
    }.items():
        s = _sigmoid(z)
        expect_close(name, fn(z), s * (1 - s), rtol=1e-6, atol=1e-9)


@exercise("01.relu_derivative", "derivative of ReLU",
          hint="ReLU is z on one side of 0 and flat on the other; at exactly z = 0 frameworks take the "
               "flat side's slope",
          formula="(z > 0).astype(float): 1 for z > 0, 0 for z <= 0")
def check_relu_derivative(fn):
    for name, z in {
        "positive inputs": np.array([0.5, 3.0, 100.0]),
        "negative inputs": np.array([-0.5, -3.0]),
        "z = 0 exactly (frameworks use 0)": np.array([0.0]),
        "mixed grid": np.linspace(-2, 2, 9),
    }.items():
        expect_close(name, fn(z), (z > 0).astype(np.float64))
