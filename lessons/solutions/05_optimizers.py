"""Solutions to lesson 05's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def momentum_step(w, g, m, learning_rate, momentum):
    m = momentum * m - learning_rate * g
    return w + m, m


def rmsprop_step(w, g, v, learning_rate, rho=0.9, epsilon=1e-7):
    v = rho * v + (1 - rho) * g**2
    return w - learning_rate * g / np.sqrt(v + epsilon), v


def adam_step(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def _momentum_uphill(w, g, m, learning_rate, momentum):
    m = momentum * m + learning_rate * g
    return w + m, m


def _rmsprop_sum(w, g, v, learning_rate, rho=0.9, epsilon=1e-7):
    v = rho * v + g**2  # a decaying sum, not an average
    return w - learning_rate * g / np.sqrt(v + epsilon), v


def _rmsprop_epsilon_outside(w, g, v, learning_rate, rho=0.9, epsilon=1e-7):
    v = rho * v + (1 - rho) * g**2
    return w - learning_rate * g / (np.sqrt(v) + epsilon), v  # the textbook placement, not Keras's


def _adam_uncorrected(w, g, m, v, t, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    return w - learning_rate * m / (np.sqrt(v) + epsilon), m, v


SOLUTIONS = {
    "05.momentum_step": momentum_step,
    "05.rmsprop_step": rmsprop_step,
    "05.adam_step": adam_step,
}

WRONG_ANSWERS = {
    "05.momentum_step": _momentum_uphill,
    "05.rmsprop_step": _rmsprop_sum,
    "05.adam_step": _adam_uncorrected,
}
