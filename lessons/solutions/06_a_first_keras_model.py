"""Solutions to lesson 06's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def accuracy_from_logits(logits, labels):
    return np.mean(np.argmax(logits, axis=1) == labels)


def _softmax_overflows(logits):
    e = np.exp(logits)
    return e / e.sum(axis=1, keepdims=True)


SOLUTIONS = {
    "06.softmax": softmax,
    "06.accuracy_from_logits": accuracy_from_logits,
}

WRONG_ANSWERS = {
    "06.softmax": _softmax_overflows,
    # argmax over the batch axis instead of the class axis (breaks as soon as n != classes).
    "06.accuracy_from_logits": lambda logits, labels: np.mean(np.argmax(logits, axis=0) == labels[: logits.shape[1]]),
}
