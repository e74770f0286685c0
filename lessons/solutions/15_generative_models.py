"""Solutions to lesson 15's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def discriminator_loss(real_logits, fake_logits):
    return float(np.mean(np.logaddexp(0, -real_logits)) + np.mean(np.logaddexp(0, fake_logits)))


def generator_loss(fake_logits):
    return float(np.mean(np.logaddexp(0, -fake_logits)))


def optimal_discriminator(p_data, p_g):
    return p_data / (p_data + p_g)


def class_entropy(predicted_labels, num_classes=10):
    frequencies = np.bincount(predicted_labels, minlength=num_classes) / len(predicted_labels)
    frequencies = frequencies[frequencies > 0]
    return float(-np.sum(frequencies * np.log2(frequencies)))


def _naive_discriminator_loss(real_logits, fake_logits):
    d_real, d_fake = 1 / (1 + np.exp(-real_logits)), 1 / (1 + np.exp(-fake_logits))
    return -np.mean(np.log(d_real)) - np.mean(np.log(1 - d_fake))


def _entropy_in_nats(predicted_labels, num_classes=10):
    frequencies = np.bincount(predicted_labels, minlength=num_classes) / len(predicted_labels)
    frequencies = frequencies[frequencies > 0]
    return float(-np.sum(frequencies * np.log(frequencies)))


SOLUTIONS = {
    "15.discriminator_loss": discriminator_loss,
    "15.generator_loss": generator_loss,
    "15.optimal_discriminator": optimal_discriminator,
    "15.class_entropy": class_entropy,
}

WRONG_ANSWERS = {
    "15.discriminator_loss": _naive_discriminator_loss,
    "15.generator_loss": lambda fake_logits: float(np.mean(-np.logaddexp(0, fake_logits))),
    "15.optimal_discriminator": lambda p_data, p_g: p_g / (p_data + p_g),
    "15.class_entropy": _entropy_in_nats,
}
