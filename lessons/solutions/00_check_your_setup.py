"""Solutions to lesson 00's exercises, and plausible wrong answers the checks must reject."""

import math


def batches_per_epoch(num_examples, batch_size):
    return math.ceil(num_examples / batch_size)


def dense_parameters(inputs, units):
    return inputs * units + units


SOLUTIONS = {
    "00.batches_per_epoch": batches_per_epoch,
    "00.dense_parameters": dense_parameters,
}

WRONG_ANSWERS = {
    "00.batches_per_epoch": lambda n, b: n // b,
    "00.dense_parameters": lambda inputs, units: inputs * units,
}
