"""Exercises of lesson 10: one RNN step, LSTM parameters, scaled dot-product attention."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close, expect_equal
from kerasmodels.course.scratch.attention import scaled_dot_product_attention


def _rnn_cases():
    rng = np.random.default_rng(10)
    cases = []
    for name, batch, features, units in [("batch 1, 3 features, 2 units", 1, 3, 2),
                                         ("batch 4, 5 features, 3 units", 4, 5, 3),
                                         ("large pre-activations (tanh saturates)", 2, 2, 2)]:
        scale = 5.0 if "large" in name else 1.0
        cases.append((name, rng.normal(size=(batch, features)) * scale, rng.normal(size=(batch, units)),
                      rng.normal(size=(features, units)), rng.normal(size=(units, units)), rng.normal(size=units)))
    return cases


@exercise("10.rnn_step", "one step of a simple RNN",
          hint="the new state depends on the current input AND on the previous state",
          formula="h_t = tanh(x_t W + h_{t-1} U + b): the new state mixes the input AND the previous state, "
               "and squashes with tanh (keras.layers.SimpleRNN's default activation).")
def check_rnn_step(fn):
    for name, x, h, w, u, b in _rnn_cases():
        expect_close(name, fn(x, h, w, u, b), np.tanh(x @ w + h @ u + b), rtol=1e-6, atol=1e-9)


@exercise("10.lstm_parameters", "parameters of keras.layers.LSTM",
          hint="count one gate's weights (input kernel, recurrent kernel, bias), then count the gates",
          formula="an LSTM has 4 gate blocks (input, forget, cell, output); each has an input kernel "
               "(input_dim x units), a recurrent kernel (units x units) and a bias (units).")
def check_lstm_parameters(fn):
    for input_dim, units in [(8, 16), (1, 1), (300, 128), (16, 8)]:
        expected = 4 * (input_dim * units + units * units + units)
        expect_equal(f"input_dim={input_dim}, units={units}", fn(input_dim, units), expected)


def _attention_cases():
    rng = np.random.default_rng(11)
    cases = []
    for name, t_q, t_k, d_k, d_v in [("3 queries, 4 keys, d_k=2", 3, 4, 2, 2),
                                     ("one query, d_k=16", 1, 5, 16, 3),
                                     ("batch of 2, d_k=64 (scaling matters)", 6, 6, 64, 4)]:
        lead = (2,) if "batch" in name else ()
        q = rng.normal(size=lead + (t_q, d_k))
        k = rng.normal(size=lead + (t_k, d_k))
        v = rng.normal(size=lead + (t_k, d_v))
        cases.append((name, q, k, v))
    return cases


@exercise("10.attention", "scaled dot-product attention softmax(QK^T / sqrt(d_k)) V",
          hint="large d_k makes the dot products large: the scores must be scaled before the softmax",
          formula="scores = Q @ K^T / sqrt(d_k) (K transposed on its last two axes), softmax over the KEYS "
               "(the last axis), then multiply by V.")
def check_attention(fn):
    for name, q, k, v in _attention_cases():
        expected, _ = scaled_dot_product_attention(q, k, v)
        # rtol 1e-5 accepts float32 (keras.ops); unscaled scores or a softmax over the queries miss by far more.
        expect_close(name, fn(q, k, v), expected, rtol=1e-5, atol=1e-9)
