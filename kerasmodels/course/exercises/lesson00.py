"""Exercises of lesson 00: batches per epoch, parameters of a dense layer."""

import math

from kerasmodels.course.exercises._core import exercise, expect_equal

BATCH_CASES = [(60000, 128), (50000, 32), (1797, 64), (64, 64), (10, 32), (1, 1)]


@exercise("00.batches_per_epoch", "number of batches in one epoch",
          hint="the examples left over after the full batches still make one last, smaller batch",
          formula="math.ceil(num_examples / batch_size), i.e. round the division up")
def check_batches_per_epoch(fn):
    for n, b in BATCH_CASES:
        expect_equal(f"num_examples={n}, batch_size={b}", fn(n, b), math.ceil(n / b))


@exercise("00.dense_parameters", "parameters of a dense layer",
          hint="each of the `units` outputs has one weight per input plus one bias",
          formula="inputs * units + units")
def check_dense_parameters(fn):
    for inputs, units in [(784, 128), (8, 1), (64, 10), (1, 1)]:
        expect_equal(f"inputs={inputs}, units={units}", fn(inputs, units), inputs * units + units)
