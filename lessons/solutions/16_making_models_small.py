"""Solutions to lesson 16's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def magnitude_mask(weights, sparsity):
    magnitudes = np.abs(weights).ravel()
    mask = np.ones(weights.size, dtype="float32")
    mask[np.argsort(magnitudes, kind="stable")[: int(round(sparsity * weights.size))]] = 0.0
    return mask.reshape(weights.shape)


def quantize_int8(weights):
    scale = np.abs(weights).max() / 127
    return np.round(weights / scale).astype(np.int8), scale


def softmax_with_temperature(logits, temperature):
    z = logits / temperature
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def distillation_loss(student_logits, teacher_logits, temperature):
    p = softmax_with_temperature(teacher_logits, temperature)
    log_p = np.log(p)
    z = student_logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    log_q = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return float(temperature**2 * np.mean(np.sum(p * (log_p - log_q), axis=-1)))


def _signed_mask(weights, sparsity):
    return (weights > np.quantile(weights, sparsity)).astype("float32")


def _kl_without_t_squared(student_logits, teacher_logits, temperature):
    return distillation_loss(student_logits, teacher_logits, temperature) / temperature**2


SOLUTIONS = {
    "16.magnitude_mask": magnitude_mask,
    "16.quantize_int8": quantize_int8,
    "16.softmax_with_temperature": softmax_with_temperature,
    "16.distillation_loss": distillation_loss,
}

WRONG_ANSWERS = {
    "16.magnitude_mask": _signed_mask,
    "16.quantize_int8": lambda w: (np.round(w / (np.max(w) / 127)).astype(np.int8), np.max(w) / 127),
    "16.softmax_with_temperature": lambda z, t: np.exp(z / t) / np.exp(z / t).sum(axis=-1, keepdims=True),
    "16.distillation_loss": _kl_without_t_squared,
}
