"""Solutions to lesson 03's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def _sigmoid_derivative(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1 - s)


def output_delta(y, t, z):
    return (y - t) * _sigmoid_derivative(z)


def hidden_delta(delta_next, W_next, z):
    return (delta_next @ W_next.T) * _sigmoid_derivative(z)


def weight_gradient(a_prev, delta):
    return a_prev.T @ delta


SOLUTIONS = {
    "03.output_delta": output_delta,
    "03.hidden_delta": hidden_delta,
    "03.weight_gradient": weight_gradient,
}

WRONG_ANSWERS = {
    # Forgets the slope of the output sigmoid.
    "03.output_delta": lambda y, t, z: y - t,
    # Article 001 §4.4's reading: back through the weights but without sigma'(z).
    "03.hidden_delta": lambda delta_next, W_next, z: delta_next @ W_next.T,
    # Multiplies in the wrong order: (units_out, units_in), the transpose of W's shape.
    "03.weight_gradient": lambda a_prev, delta: delta.T @ a_prev,
}
