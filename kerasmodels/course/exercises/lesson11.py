"""Exercises of the Transformer-block lesson: positional encoding, layer normalisation, an encoder layer's size."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close, expect_equal
from kerasmodels.course.scratch import transformer


@exercise("11.positional_encoding", "sinusoidal positional encoding, interleaved sin/cos",
          hint="even features are sines, odd features cosines; a pair of features shares one frequency",
          formula="PE[p, j] = sin(p * w_j) for even j, cos(p * w_j) for odd j, with "
               "w_j = 10000 ** (-(2 * (j // 2)) / depth): features 2i and 2i+1 share the frequency w_2i.")
def check_positional_encoding(fn):
    # Tolerances admit a float32 answer (keras_hub's SinePositionEncoding differs by about 1e-6).
    for length, depth in [(4, 2), (10, 8), (50, 16), (7, 6)]:
        expect_close(f"length={length}, depth={depth}", fn(length, depth),
                     transformer.positional_encoding(length, depth), rtol=1e-5, atol=1e-5)


def _norm_cases():
    rng = np.random.default_rng(20)
    cases = []
    # The last case has a variance (about 1e-5) comparable to epsilon, so where epsilon goes matters;
    # centred on 0, it stays exact enough in float32.
    for name, shape, loc, scale in [("one vector of 4 features", (1, 4), 3.0, 2.0),
                                    ("batch of 3 positions, 6 features", (3, 6), 3.0, 2.0),
                                    ("(batch 2, 5 positions, 8 features)", (2, 5, 8), 3.0, 2.0),
                                    ("3 positions of 6 nearly equal features (epsilon matters)", (3, 6), 0.0, 0.003)]:
        x = rng.normal(loc=loc, scale=scale, size=shape)
        gamma, beta = rng.normal(size=shape[-1]), rng.normal(size=shape[-1])
        cases.append((name, x, gamma, beta))
    return cases


@exercise("11.layer_norm", "layer normalisation over each position's features",
          hint="layer norm normalises each vector over its OWN features (the last axis), not over the batch",
          formula="mean and variance over axis=-1 with keepdims=True; (x - mean) / sqrt(variance + epsilon) "
               "* gamma + beta, with epsilon = 1e-5.")
def check_layer_norm(fn):
    for name, x, gamma, beta in _norm_cases():
        expect_close(name, fn(x, gamma, beta), transformer.layer_norm(x, gamma, beta, 1e-5), rtol=1e-5, atol=1e-5)


@exercise("11.encoder_parameters", "parameters of one keras_hub.layers.TransformerEncoder",
          hint="count the attention (four d x d projections with biases), the feed-forward network "
               "(two Dense layers) and the two layer norms",
          formula="4 * (d*d + d) for Q, K, V, O; d*ff + ff and ff*d + d for the feed-forward network; "
               "2 * 2 * d for the gamma and beta of two layer norms.")
def check_encoder_parameters(fn):
    for d_model, intermediate_dim in [(8, 32), (64, 128), (768, 3072), (16, 16)]:
        expected = 4 * (d_model * d_model + d_model) + 2 * d_model * intermediate_dim + intermediate_dim + 5 * d_model
        expect_equal(f"d_model={d_model}, intermediate_dim={intermediate_dim}", fn(d_model, intermediate_dim),
                     expected)
