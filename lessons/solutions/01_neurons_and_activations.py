"""Solutions to lesson 01's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def neuron(x, w, b):
    return 1.0 / (1.0 + np.exp(-(x @ w + b)))


def sigmoid_derivative(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)


def relu_derivative(z):
    return (z > 0).astype(float)


SOLUTIONS = {
    "01.neuron": neuron,
    "01.sigmoid_derivative": sigmoid_derivative,
    "01.relu_derivative": relu_derivative,
}

WRONG_ANSWERS = {
    # Squashes each weighted input before summing: sum of sigmoids, not sigmoid of the sum.
    "01.neuron": lambda x, w, b: (1.0 / (1.0 + np.exp(-(x * w)))).sum(axis=1) + b,
    # Differentiates as if sigma(z) were z: z * (1 - z).
    "01.sigmoid_derivative": lambda z: z * (1.0 - z),
    # Counts z = 0 as "on".
    "01.relu_derivative": lambda z: (z >= 0).astype(float),
}
