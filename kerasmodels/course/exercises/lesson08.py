"""Exercises of lesson 08: the L2 penalty, a cosine learning-rate schedule, batch normalisation."""

import math

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close


@exercise("08.l2_penalty", "the L2 penalty added to the loss",
          hint="L2 is named after the Euclidean (L2) norm: it penalises the SQUARE of every weight, "
               "over all weights of all kernels",
          formula="penalty = l2 * sum over kernels of np.sum(k ** 2) (the absolute values give the L1 penalty)")
def check_l2_penalty(fn):
    rng = np.random.default_rng(8)
    cases = [("one kernel", [np.array([[1.0, -2.0], [3.0, 0.5]])], 0.01),
             ("two kernels of different shapes", [rng.normal(size=(4, 3)), rng.normal(size=(3,))], 0.1),
             ("weights between -1 and 1", [np.array([0.1, -0.2, 0.3])], 1.0),
             ("l2 = 0 turns it off", [rng.normal(size=(2, 2))], 0.0)]
    for name, kernels, l2 in cases:
        expected = l2 * sum(float(np.sum(k**2)) for k in kernels)
        # rtol 1e-5 accepts float32 (keras.regularizers.L2); the L1 penalty and the 1/2 * l2 form still
        # miss by far more.
        expect_close(name, fn(kernels, l2), expected, rtol=1e-5, atol=1e-12)


@exercise("08.cosine_decay", "cosine learning-rate decay",
          hint="half a cosine wave, shifted and scaled so that it falls from 1 at step 0 to alpha at "
               "decay_steps, then stays at alpha; multiply by the initial rate",
          formula="lr(t) = initial * (alpha + (1 - alpha) * 0.5 * (1 + cos(pi * min(t, T) / T))), T = decay_steps")
def check_cosine_decay(fn):
    for step, initial, decay_steps, alpha in [(0, 0.1, 100, 0.0), (50, 0.1, 100, 0.0), (100, 0.1, 100, 0.0),
                                              (25, 0.01, 100, 0.1), (150, 0.1, 100, 0.05), (1, 1.0, 3, 0.0)]:
        t = min(step, decay_steps)
        expected = initial * (alpha + (1 - alpha) * 0.5 * (1 + math.cos(math.pi * t / decay_steps)))
        # rtol 1e-5: a float32 answer (Keras's CosineDecay computes in float32) is right too.
        expect_close(f"step={step}, initial={initial}, decay_steps={decay_steps}, alpha={alpha}",
                     fn(step, initial, decay_steps, alpha), expected, rtol=1e-5, atol=1e-9)


@exercise("08.batch_norm", "batch normalisation in training mode",
          hint="each FEATURE (column) is standardised over the examples of the batch (the rows), then "
               "scaled by gamma and shifted by beta",
          formula="mean, var = x.mean(axis=0), x.var(axis=0); gamma * (x - mean) / np.sqrt(var + eps) + beta")
def check_batch_norm(fn):
    rng = np.random.default_rng(9)
    cases = [("batch 4, 3 features", rng.normal(2.0, 3.0, size=(4, 3))),
             ("batch 16, 5 features", rng.normal(-1.0, 0.5, size=(16, 5))),
             ("square batch 3x3", rng.normal(size=(3, 3)))]
    for name, x in cases:
        gamma, beta, eps = rng.normal(size=x.shape[1]), rng.normal(size=x.shape[1]), 1e-3
        expected = gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta
        # rtol 1e-5 accepts float32 (Keras's BatchNormalization); forgetting eps or using the unbiased
        # variance (ddof=1) still changes the answer by far more.
        expect_close(name, fn(x, gamma, beta, eps), expected, rtol=1e-5, atol=1e-6)
