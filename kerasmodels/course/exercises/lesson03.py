"""Exercises of lesson 03: the output delta, a hidden layer's delta, a weight gradient."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _sigmoid_derivative(z):
    s = _sigmoid(z)
    return s * (1 - s)


def _cases(seed, shapes):
    rng = np.random.default_rng(seed)
    return [tuple(rng.normal(size=shape) for shape in case) for case in shapes]


@exercise("03.output_delta", "error term of a sigmoid output layer with J = 1/2 sum (y - t)^2",
          hint="chain rule: delta = dJ/dz is dJ/dy times dy/dz; the loss gives one factor, the sigmoid the other",
          formula="delta = (y - t) * sigma'(z), with y = sigma(z) and sigma'(z) = sigma(z) * (1 - sigma(z))")
def check_output_delta(fn):
    for name, (z, t) in zip(["one example, one output", "batch of 4, two outputs", "batch of 3, five outputs"],
                            _cases(3, [((1, 1), (1, 1)), ((4, 2), (4, 2)), ((3, 5), (3, 5))])):
        y = _sigmoid(z)
        expect_close(name, fn(y, t, z), (y - t) * _sigmoid_derivative(z), rtol=1e-6, atol=1e-10)
    z = np.array([[0.3, -1.2]])
    expect_close("perfect prediction gives zero delta", fn(_sigmoid(z), _sigmoid(z), z), np.zeros((1, 2)))


@exercise("03.hidden_delta", "error term of a hidden sigmoid layer",
          hint="two steps back: through the next layer's weights (which way round must W be to map the "
               "next layer's units to this layer's?), then through this layer's sigmoid",
          formula="(delta_next @ W_next.T) * sigma'(z)")
def check_hidden_delta(fn):
    names = ["batch 1, 3 units -> 2 units", "batch 6, 5 units -> 3 units", "batch 2, 4 units -> 4 units"]
    shapes = [((1, 2), (3, 2), (1, 3)), ((6, 3), (5, 3), (6, 5)), ((2, 4), (4, 4), (2, 4))]
    for name, (delta_next, W_next, z) in zip(names, _cases(4, shapes)):
        expected = (delta_next @ W_next.T) * _sigmoid_derivative(z)
        expect_close(name, fn(delta_next, W_next, z), expected, rtol=1e-6, atol=1e-10)


@exercise("03.weight_gradient", "gradient of a layer's weights",
          hint="z = a_prev @ W: the gradient has W's shape (units_in, units_out) and sums over the examples "
               "of the batch; which product of a_prev and delta has that shape?",
          formula="dJ/dW = a_prev.T @ delta")
def check_weight_gradient(fn):
    names = ["batch 6, 4 -> 5", "batch 1, 3 -> 2", "batch 5, 2 -> 7"]
    for name, (a_prev, delta) in zip(names, _cases(5, [((6, 4), (6, 5)), ((1, 3), (1, 2)), ((5, 2), (5, 7))])):
        expect_close(name, fn(a_prev, delta), a_prev.T @ delta, rtol=1e-6, atol=1e-10)
