"""Exercises of lesson 16: a magnitude-pruning mask, int8 quantization, temperature softmax, the distillation loss."""

import numpy as np

from kerasmodels.course.exercises._core import CheckFailed, exercise, expect_close, expect_equal, expect_true


def _array(case, value, hint=None):
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(case, hint=hint, message=f"case {case}: expected an array, got {value!r}") from None


@exercise("16.magnitude_mask", "the mask of magnitude pruning",
          hint="pruning removes the weights nearest zero, whatever their sign",
          formula="rank by |w| and zero the k = round(sparsity * n) smallest: "
                  "mask = ones; mask.flat[np.argsort(np.abs(w), axis=None)[:k]] = 0")
def check_magnitude_mask(fn):
    cases = {
        "the lesson's 2x3 matrix at 50%": (np.array([[0.5, -0.05, 0.3], [-0.8, 0.02, -0.1]]), 0.5),
        "large negative weights are important too (50%)": (np.array([-4.0, -3.0, 0.1, 0.2, 1.0, 2.0]), 0.5),
        "no pruning (0%)": (np.array([0.3, -0.2, 0.1, 0.4]), 0.0),
        "75% of a 4x2 kernel": (np.array([[0.9, -0.01], [0.2, -0.7], [0.05, 0.3], [-0.15, 0.02]]), 0.75),
        # round(0.75 * 5) = 4 weights go; np.quantile lands on the 4th-smallest |w| itself.
        "75% of 5 weights: round(3.75) = 4 pruned": (np.array([0.6, -0.1, 0.3, -0.2, 0.05]), 0.75),
        # round(0.6 * 6) = 4 go: both 0.05s and both 0.4s (tied magnitudes, opposite signs).
        "60% of 6 weights with tied magnitudes": (np.array([[0.4, -0.4, 0.05], [-0.05, 0.6, 0.7]]), 0.6),
    }
    for case, (weights, sparsity) in cases.items():
        magnitudes = np.abs(weights).ravel()
        expected = np.ones(weights.size)
        expected[np.argsort(magnitudes, kind="stable")[: int(round(sparsity * weights.size))]] = 0.0
        expected = expected.reshape(weights.shape)
        got = _array(case, fn(weights.copy(), sparsity))
        threshold = np.quantile(np.abs(weights), sparsity)
        threshold_mask = (np.abs(weights) > threshold).astype(np.float64)
        at_least_mask = (np.abs(weights) >= threshold).astype(np.float64)
        hint = None
        if "negative" in case:
            hint = "a weight of -4 is far from zero: compare magnitudes |w|, not signed values"
        elif got.shape == weights.shape and np.array_equal(got, threshold_mask):
            hint = ("a threshold |w| > quantile(|w|, sparsity) prunes the smallest weight even at sparsity 0 "
                    "(np.quantile(..., 0) is the minimum): rank the weights and zero exactly round(sparsity * n)")
        elif got.shape == weights.shape and np.array_equal(got, at_least_mask):
            hint = (f"a threshold |w| >= quantile(|w|, sparsity) keeps the weight the quantile lands on and its ties: "
                    f"it zeroes {int(weights.size - at_least_mask.sum())} weights here, not "
                    f"round(sparsity * n) = {int(round(sparsity * weights.size))}; rank the weights instead")
        expect_close(case, got, expected, hint=hint)


@exercise("16.quantize_int8", "symmetric int8 quantization",
          hint="the scale must make the largest MAGNITUDE, positive or negative, land on 127",
          formula="scale = max(|w|) / 127 so that the most negative weight fits too; q = round(w / scale) as int8")
def check_quantize_int8(fn):
    cases = {
        "mixed signs, largest magnitude negative": np.array([0.5, -1.27, 0.02, 0.9]),
        "all positive": np.array([[0.1, 0.2], [0.3, 0.4]]),
        "all negative": np.array([-0.3, -0.6, -0.05]),
        "tiny weights": np.array([1e-4, -2e-4, 5e-5]),
    }
    for case, weights in cases.items():
        answer = fn(weights.copy())
        expect_true(case, isinstance(answer, tuple) and len(answer) == 2,
                    f"expected a tuple (q, scale), got {type(answer).__name__}")
        q, scale = answer
        q = np.asarray(q)
        expect_equal(f"{case}: dtype of q", str(q.dtype), "int8", hint="cast with .astype(np.int8)")
        expected_scale = np.abs(weights).max() / 127
        if not np.isclose(float(np.asarray(scale)), expected_scale, rtol=1e-6):
            raise CheckFailed(f"{case}: scale", float(round(expected_scale, 8)), round(float(np.asarray(scale)), 8))
        expect_close(f"{case}: q", q, np.round(weights / expected_scale), atol=0.5)
        error = np.abs(weights - q.astype(np.float64) * float(np.asarray(scale)))
        expect_true(case, error.max() <= expected_scale / 2 * (1 + 1e-6),
                    f"reconstruction error {error.max():.3g} exceeds scale/2 = {expected_scale / 2:.3g}")


@exercise("16.softmax_with_temperature", "softmax with a temperature",
          hint="large logits overflow np.exp: shift each row first (the softmax does not change)",
          formula="divide the logits by T, subtract the row maximum before np.exp, normalise each row")
def check_softmax_with_temperature(fn):
    cases = {
        "T = 1": (np.array([[2.0, 1.0, 0.1]]), 1.0),
        "T = 4 softens": (np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 5.0]]), 4.0),
        "T = 0.5 sharpens": (np.array([[1.0, 2.0]]), 0.5),
        "large logits (2000) must not overflow": (np.array([[2000.0, 1990.0, 0.0]]), 2.0),
    }
    for case, (logits, temperature) in cases.items():
        z = logits / temperature
        expected = np.exp(z - z.max(axis=-1, keepdims=True))
        expected /= expected.sum(axis=-1, keepdims=True)
        with np.errstate(all="ignore"):
            got = _array(case, fn(logits.copy(), temperature))
        expect_true(case, np.all(np.isfinite(got)), f"got non-finite values {got}",
                    hint="np.exp(1000) overflows: subtract each row's maximum first (the softmax does not change)")
        expect_close(case, got, expected, rtol=1e-6, atol=1e-12)


@exercise("16.distillation_loss", "the soft part of the distillation loss",
          hint="compare your function with the soft term of section 4's loss, factor by factor: which divergence, "
               "weighted by whose probabilities, and the factor that keeps its gradients the same size whatever T is",
          formula="KL(p || q) = sum p (log p - log q) per example, averaged over the batch, times T**2")
def check_distillation_loss(fn):
    def log_softmax(z):
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))

    rng = np.random.default_rng(15)
    cases = {
        "one example, T = 1": (np.array([[1.0, 0.0, -1.0]]), np.array([[3.0, 0.5, -2.0]]), 1.0),
        "batch of 4, T = 4": (rng.normal(size=(4, 10)), 3 * rng.normal(size=(4, 10)), 4.0),
        "student equals teacher": (np.array([[0.2, 1.5]]), np.array([[0.2, 1.5]]), 3.0),
        "T = 2, batch of 3": (rng.normal(size=(3, 5)), rng.normal(size=(3, 5)), 2.0),
    }
    for case, (student, teacher, t) in cases.items():
        log_p, log_q = log_softmax(teacher / t), log_softmax(student / t)
        expected = t * t * np.mean(np.sum(np.exp(log_p) * (log_p - log_q), axis=-1))
        with np.errstate(all="ignore"):
            got = fn(student.copy(), teacher.copy(), t)
        try:
            got = float(np.asarray(got, dtype=np.float64))
        except (TypeError, ValueError):
            raise CheckFailed(case, hint=None, message=f"case {case}: expected one number, got {got!r}") from None
        if not np.isclose(got, expected, rtol=1e-6, atol=1e-10):
            hint = None
            reverse = np.mean(np.sum(np.exp(log_q) * (log_q - log_p), axis=-1))  # KL(q || p)
            entropy = np.mean(-np.sum(np.exp(log_p) * log_p, axis=-1))  # H(p), the teacher's entropy
            cross_entropy = expected + t * t * entropy  # T**2 * mean(-sum p log q), Hinton et al.'s form
            if np.isclose(got, reverse, rtol=1e-6) or np.isclose(got, t * t * reverse, rtol=1e-6):
                hint = ("that is KL(q || p), weighted by the student's q: the loss is KL(p || q), "
                        "sum p (log p - log q), weighted by the teacher's p")
            elif np.isclose(got, cross_entropy, rtol=1e-6) or np.isclose(got, cross_entropy / (t * t), rtol=1e-6):
                hint = ("that is the cross-entropy H(p, q) = -sum p log q = KL(p || q) + H(p): subtract the "
                        "teacher's entropy H(p) (same gradient, different value)"
                        + ("" if np.isclose(got, cross_entropy, rtol=1e-6) else ", and multiply by T**2"))
            elif np.isclose(got * t * t, expected, rtol=1e-6) and t != 1:
                hint = "right KL, but multiply by T**2 so the soft term's gradients do not shrink as T grows"
            raise CheckFailed(case, round(float(expected), 6), round(got, 6), hint)
