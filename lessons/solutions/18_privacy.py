"""Solutions to lesson 18's exercises, and plausible wrong answers the checks must reject."""

import collections

import numpy as np


def k_anonymity(rows):
    return min(collections.Counter(rows).values())


def clip_per_example(gradients, clip_norm):
    norms = np.linalg.norm(gradients, axis=1, keepdims=True)
    return gradients * np.minimum(1.0, clip_norm / np.maximum(norms, 1e-12))


def fedavg(client_weights, client_sizes):
    total = sum(client_sizes)
    return [sum(n / total * w[i] for n, w in zip(client_sizes, client_weights)) for i in range(len(client_weights[0]))]


def clip_whole_batch(gradients, clip_norm):
    return gradients * min(1.0, clip_norm / np.linalg.norm(gradients))


SOLUTIONS = {
    "18.k_anonymity": k_anonymity,
    "18.clip_per_example": clip_per_example,
    "18.fedavg": fedavg,
}

WRONG_ANSWERS = {
    "18.k_anonymity": lambda rows: len(set(rows)),
    "18.clip_per_example": clip_whole_batch,
    "18.fedavg": lambda ws, ns: [np.mean([w[i] for w in ws], axis=0) for i in range(len(ws[0]))],
}
