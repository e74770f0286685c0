"""Solutions to lesson 08's exercises, and plausible wrong answers the checks must reject."""

import math

import numpy as np


def l2_penalty(kernels, l2):
    return l2 * sum(np.sum(np.square(k)) for k in kernels)


def cosine_decay(step, initial, decay_steps, alpha):
    t = min(step, decay_steps)
    return initial * (alpha + (1 - alpha) * 0.5 * (1 + math.cos(math.pi * t / decay_steps)))


def batch_norm(x, gamma, beta, eps):
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta


SOLUTIONS = {
    "08.l2_penalty": l2_penalty,
    "08.cosine_decay": cosine_decay,
    "08.batch_norm": batch_norm,
}

WRONG_ANSWERS = {
    "08.l2_penalty": lambda kernels, l2: l2 * sum(np.sum(np.abs(k)) for k in kernels),  # that is L1
    "08.cosine_decay": lambda step, initial, decay_steps, alpha: initial * math.cos(math.pi * step / decay_steps),
    "08.batch_norm": lambda x, gamma, beta, eps: gamma * (x - x.mean(axis=1, keepdims=True))
    / np.sqrt(x.var(axis=1, keepdims=True) + eps) + beta,  # normalises each example, not each feature
}
