"""Solutions to the Transformer-block lesson's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def positional_encoding(length, depth):
    positions = np.arange(length)[:, None]
    frequencies = 10000.0 ** (-(2 * (np.arange(depth) // 2)) / depth)
    angles = positions * frequencies
    return np.where(np.arange(depth) % 2 == 0, np.sin(angles), np.cos(angles))


def positional_encoding_halves(length, depth):
    # Sines in the first half of the features, cosines in the second: the same numbers, other places.
    positions = np.arange(length)[:, None]
    frequencies = 10000.0 ** (-2 * np.arange(depth // 2) / depth)
    return np.concatenate([np.sin(positions * frequencies), np.cos(positions * frequencies)], axis=-1)


def layer_norm(x, gamma, beta):
    mean = x.mean(axis=-1, keepdims=True)
    variance = x.var(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-5) * gamma + beta


def batch_norm(x, gamma, beta):
    # Normalises over the batch axis: batch normalisation, not layer normalisation.
    mean = x.mean(axis=0, keepdims=True)
    variance = x.var(axis=0, keepdims=True)
    return (x - mean) / np.sqrt(variance + 1e-5) * gamma + beta


def encoder_parameters(d_model, intermediate_dim):
    attention = 4 * (d_model * d_model + d_model)
    feed_forward = d_model * intermediate_dim + intermediate_dim + intermediate_dim * d_model + d_model
    layer_norms = 2 * 2 * d_model
    return attention + feed_forward + layer_norms


SOLUTIONS = {
    "11.positional_encoding": positional_encoding,
    "11.layer_norm": layer_norm,
    "11.encoder_parameters": encoder_parameters,
}

WRONG_ANSWERS = {
    "11.positional_encoding": positional_encoding_halves,
    "11.layer_norm": batch_norm,
    # Forgets the layer norms' gamma and beta.
    "11.encoder_parameters": lambda d, ff: 4 * (d * d + d) + 2 * d * ff + ff + d,
}
