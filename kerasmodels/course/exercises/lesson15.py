"""Exercises of lesson 15: GAN losses, the optimal discriminator, the class entropy that reveals mode collapse."""

import numpy as np

from kerasmodels.course.exercises._core import CheckFailed, exercise, expect_close, expect_true


def _softplus(v):
    return np.logaddexp(0.0, v)


def _finite_float(case, value, hint=None):
    try:
        number = float(np.asarray(value, dtype=np.float64))
    except (TypeError, ValueError):
        raise CheckFailed(case, hint=hint, message=f"case {case}: expected one number, got {value!r}") from None
    expect_true(case, np.isfinite(number), f"expected a finite number, got {number}", hint=hint)
    return number


def _expect_number(case, got, expected, hint, rtol=1e-6, atol=1e-9):
    if not np.isclose(got, expected, rtol=rtol, atol=atol):
        raise CheckFailed(case, round(float(expected), 6), round(float(got), 6), hint)


DISCRIMINATOR_CASES = {
    "moderate logits": ([2.0, 0.5, -1.0], [-3.0, 0.0, 1.5]),
    "D undecided (all logits 0)": ([0.0, 0.0], [0.0, 0.0]),
    "D very sure and right (real +40, fake -40)": ([40.0, 40.0], [-40.0, -40.0]),
    "D very sure and wrong (real -800, fake +800)": ([-800.0], [800.0]),
}


@exercise("15.discriminator_loss", "the discriminator's binary cross-entropy from logits",
          hint="write -log sigmoid in a form that cannot overflow or take log(0) for large logits",
          formula="softplus(-real_logits) for real images, softplus(fake_logits) for generated ones")
def check_discriminator_loss(fn):
    for case, (real, fake) in DISCRIMINATOR_CASES.items():
        real, fake = np.array(real), np.array(fake)
        expected = np.mean(_softplus(-real)) + np.mean(_softplus(fake))
        with np.errstate(all="ignore"):
            got = fn(real, fake)
        got = _finite_float(case, got, hint="sigmoid rounds to exactly 0 or 1 for large logits, and log(0) "
                                             "is -inf: compute -log D from the logit directly")
        if np.isclose(2 * got, expected, rtol=1e-6, atol=1e-9) and not np.isclose(got, expected, rtol=1e-6, atol=1e-9):
            hint = ("you returned half the loss: it is the sum of two means, one over the real logits and one "
                    "over the generated ones, not one mean over both sets together")
        else:
            hint = "real images have label 1, generated ones label 0"
        _expect_number(case, got, expected, hint=hint)


GENERATOR_CASES = {
    "moderate logits": [-3.0, 0.0, 1.5],
    "D undecided": [0.0],
    "D rejects the fakes (logit -30)": [-30.0, -30.0],
    "D fooled (logit +30)": [30.0],
    "extreme logit -900": [-900.0],
}


@exercise("15.generator_loss", "the non-saturating generator loss",
          hint="the generator wants D(G(z)) high, with a loss whose gradient stays large while D rejects its images",
          formula="minimise -log D(G(z)) = softplus(-logit), not log(1 - D(G(z)))")
def check_generator_loss(fn):
    for case, fake in GENERATOR_CASES.items():
        fake = np.array(fake)
        with np.errstate(all="ignore"):
            got = fn(fake)
        got = _finite_float(case, got, hint="exp or sigmoid overflows or underflows for extreme logits (np.exp(900) "
                                             "is inf): compute -log D from the logit, np.logaddexp(0, -logit)")
        _expect_number(case, got, np.mean(_softplus(-fake)),
                       hint="log(1 - D) is the minimax loss, whose gradient vanishes when D rejects the fakes; "
                            "the non-saturating loss asks for D(G(z)) to be high instead")


@exercise("15.optimal_discriminator", "the optimal discriminator D*",
          hint="for fixed G, maximise the discriminator's objective pointwise in x",
          formula="D* = p_data / (p_data + p_g)")
def check_optimal_discriminator(fn):
    cases = {
        "densities equal": (np.array([0.2, 1.0, 3.0]), np.array([0.2, 1.0, 3.0])),
        "only real data here": (np.array([0.5, 2.0]), np.array([0.0, 0.0])),
        "only generated data here": (np.array([0.0]), np.array([0.7])),
        "mixed": (np.array([0.1, 0.3, 0.9]), np.array([0.3, 0.1, 0.9])),
    }
    for case, (p_data, p_g) in cases.items():
        with np.errstate(all="ignore"):
            got = fn(p_data.copy(), p_g.copy())
        expect_close(case, got, p_data / (p_data + p_g), rtol=1e-9,
                     hint="D* is a probability, 1/2 where the two densities agree")


@exercise("15.class_entropy", "entropy in bits of a class histogram",
          hint="turn counts into shares first; classes that never occur contribute nothing",
          formula="frequencies = bincount / n; keep p > 0; H = -sum(p log2 p)")
def check_class_entropy(fn):
    cases = {
        "uniform over 10 classes": (np.repeat(np.arange(10), 5), 10, np.log2(10)),
        "total collapse onto one digit": (np.full(20, 7), 10, 0.0),
        "two digits, equally often (others missing)": (np.array([1, 7] * 8), 10, 1.0),
        "four classes, 1/2 1/4 1/8 1/8": (np.array([0, 0, 0, 0, 1, 1, 2, 3]), 4, 1.75),
    }
    for case, (labels, k, expected) in cases.items():
        with np.errstate(all="ignore"):
            got = fn(labels.copy(), num_classes=k)
        got = _finite_float(case, got, hint="classes that never occur contribute 0 (p log p -> 0 as p -> 0), "
                                            "but log(0) is -inf")
        _expect_number(case, got, expected, rtol=1e-9, atol=1e-12,
                       hint="entropy in bits uses log base 2")
