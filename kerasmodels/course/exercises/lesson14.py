"""Exercises of lesson 14: FLOPs of a convolution, training MFU, the all-reduce of data parallelism."""

import numpy as np

from kerasmodels.course.exercises._core import CheckFailed, exercise, expect_close, expect_equal


@exercise("14.conv2d_flops", "forward FLOPs of a Conv2D layer",
          hint="the work is (operations per output value) x (number of output values); the padding decides "
               "how many output values there are",
          formula="2 FLOPs per multiply-add; 'valid' output is (H - k + 1) x (W - k + 1), 'same' keeps H x W")
def check_conv2d_flops(fn):
    cases = [
        ((28, 28, 1, 32, 3, "valid"), 2 * 3 * 3 * 1 * 32 * 26 * 26),
        ((13, 13, 32, 64, 3, "valid"), 2 * 3 * 3 * 32 * 64 * 11 * 11),
        ((32, 32, 3, 16, 5, "same"), 2 * 5 * 5 * 3 * 16 * 32 * 32),
        ((7, 9, 8, 8, 1, "valid"), 2 * 8 * 8 * 7 * 9),
        ((5, 5, 2, 4, 5, "valid"), 2 * 5 * 5 * 2 * 4),
    ]
    for (h, w, c_in, c_out, k, padding), expected in cases:
        case = f"{h}x{w}x{c_in} -> {c_out} channels, {k}x{k} kernel, padding={padding!r}"
        got = fn(h, w, c_in, c_out, k, padding=padding)
        if got == expected / 2:
            raise CheckFailed(case, expected, got, "your count is exactly half of the expected one: how many "
                                                   "floating-point operations is one multiply-add?")
        expect_equal(case, got, expected)


@exercise("14.training_mfu", "model FLOP utilisation of training",
          hint="a training step costs more than a forward pass: the backward pass has two products per layer",
          formula="training FLOPs per example are about 3x the forward FLOPs (forward + two backward products)")
def check_training_mfu(fn):
    cases = [
        ("article 002's CNN on a CPU", (5.6e6, 2000.0, 100e9)),
        ("BERT-base on an A100", (22e9, 400.0, 312e12)),
        ("idle hardware", (1e6, 0.0, 1e12)),
    ]
    for case, (flops, rate, peak) in cases:
        got = fn(flops, rate, peak)
        try:
            got = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(case, hint=None, message=f"case {case}: expected a number, got {got!r}") from None
        expected = 3 * flops * rate / peak
        if expected and np.isclose(got, 100 * expected, rtol=1e-6):
            raise CheckFailed(case, round(expected, 6), round(got, 6),
                              "return a fraction between 0 and 1, not a percentage")
        if not np.isclose(got, expected, rtol=1e-6, atol=1e-15):  # a float32 answer is right too
            raise CheckFailed(case, round(expected, 6), round(got, 6))


@exercise("14.all_reduce_mean", "the gradient all replicas apply",
          hint="the replicas hold equal shares; the full batch's mean gradient combines their means",
          formula="each replica's gradient is a mean over its share; the full batch's mean gradient is their average")
def check_all_reduce_mean(fn):
    rng = np.random.default_rng(13)
    batch_gradients = rng.normal(size=(8, 3))  # per-example gradients of one global batch of 8
    for replicas in (1, 2, 4):
        shards = np.split(batch_gradients, replicas)
        per_replica = [shard.mean(axis=0) for shard in shards]
        got = fn([g.copy() for g in per_replica])
        expect_close(f"{replicas} replica(s): equals the mean gradient of the whole batch", got,
                     batch_gradients.mean(axis=0), rtol=1e-6)  # float32 answers pass
    matrices = [np.full((2, 2), 1.0), np.full((2, 2), 3.0)]
    expect_close("2 replicas, 2x2 kernels", fn(matrices), np.full((2, 2), 2.0))
