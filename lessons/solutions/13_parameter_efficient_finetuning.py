"""Solutions to lesson 13's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def lora_parameters(d_in, d_out, rank):
    return rank * (d_in + d_out)


def lora_dense(x, kernel, bias, lora_a, lora_b, alpha, rank):
    return x @ (kernel + (alpha / rank) * lora_a @ lora_b) + bias


def mean_pooling(sequence_output, padding_mask):
    mask = np.asarray(padding_mask, dtype=float)[..., None]
    return (sequence_output * mask).sum(axis=1) / mask.sum(axis=1)


def adapter_parameters(hidden, bottleneck):
    return (hidden * bottleneck + bottleneck) + (bottleneck * hidden + hidden)


SOLUTIONS = {
    "13.lora_parameters": lora_parameters,
    "13.lora_dense": lora_dense,
    "13.mean_pooling": mean_pooling,
    "13.adapter_parameters": adapter_parameters,
}

WRONG_ANSWERS = {
    "13.lora_parameters": lambda d_in, d_out, rank: d_in * d_out + rank * (d_in + d_out),
    "13.lora_dense": lambda x, kernel, bias, a, b, alpha, rank: x @ (kernel + a @ b) + bias,
    "13.mean_pooling": lambda sequence_output, padding_mask: np.mean(sequence_output, axis=1),
    "13.adapter_parameters": lambda hidden, bottleneck: 2 * hidden * bottleneck,
}
