"""Solutions to lesson 10's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def rnn_step(x, h, w, u, b):
    return np.tanh(x @ w + h @ u + b)


def lstm_parameters(input_dim, units):
    return 4 * (input_dim * units + units * units + units)


def attention(q, k, v):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ v


def attention_without_scaling(q, k, v):
    scores = q @ np.swapaxes(k, -1, -2)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ v


SOLUTIONS = {
    "10.rnn_step": rnn_step,
    "10.lstm_parameters": lstm_parameters,
    "10.attention": attention,
}

WRONG_ANSWERS = {
    "10.rnn_step": lambda x, h, w, u, b: np.tanh(x @ w + b),  # forgets the previous state
    "10.lstm_parameters": lambda input_dim, units: 4 * (input_dim * units + units * units),  # no biases
    "10.attention": attention_without_scaling,
}
