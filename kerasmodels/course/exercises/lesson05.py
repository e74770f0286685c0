"""Exercises of lesson 05: one step of Momentum, RMSprop and Adam in Keras's form."""

import numpy as np

from kerasmodels.course.exercises._core import CheckFailed, exercise, expect_close


def _unpack(name, result, count):
    try:
        parts = tuple(result)
    except TypeError:
        parts = ()
    if len(parts) != count:
        raise CheckFailed(name, message=f"case {name}: return a tuple of {count} arrays, got {result!r:.80}")
    return parts


def _vectors(seed, size=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=size), rng.normal(size=size), rng.normal(size=size) * 0.1, rng.uniform(size=size) * 0.01


@exercise("05.momentum_step", "one step of SGD with momentum (Keras form)",
          hint="the buffer m collects the steps (downhill is minus the gradient), decaying old ones by `momentum`; "
               "the weights then move by the new buffer",
          formula="m_new = momentum*m - learning_rate*g, then w_new = w + m_new")
def check_momentum_step(fn):
    w, g, m, _ = _vectors(0)
    for name, (w_, g_, m_, lr, mu) in {
        "first step (m = 0)": (w, g, np.zeros(3), 0.1, 0.9),
        "with a running m": (w, g, m, 0.1, 0.9),
        "momentum 0 is plain SGD": (w, g, m, 0.05, 0.0),
        "one parameter": (np.array([1.0]), np.array([2.0]), np.array([-0.5]), 0.5, 0.5),
    }.items():
        w_new, m_new = _unpack(name, fn(w_.copy(), g_.copy(), m_.copy(), lr, mu), 2)
        expected_m = mu * m_ - lr * g_
        expect_close(f"{name}: momentum buffer", m_new, expected_m)
        expect_close(f"{name}: weights", w_new, w_ + expected_m)


@exercise("05.rmsprop_step", "one step of RMSprop (Keras form, no momentum)",
          hint="v is a moving AVERAGE of g**2: old v weighted by rho, the new g**2 by what is left; "
               "the step divides the gradient by the root of the NEW v",
          formula="v_new = rho*v + (1 - rho)*g**2, then w_new = w - learning_rate*g/sqrt(v_new + epsilon)")
def check_rmsprop_step(fn):
    w, g, _, v = _vectors(1)
    for name, (g_, v_, lr, rho) in {
        "first step (v = 0)": (g, np.zeros(3), 0.01, 0.9),
        "with a running v": (g, v, 0.01, 0.9),
        "rho = 0.5": (g, v, 0.1, 0.5),
        # v far below epsilon: only here does epsilon's place (inside or outside the root) matter.
        "tiny gradients (v = 1e-12, below epsilon)": (g * 1e-6, np.full(3, 1e-12), 0.01, 0.9),
    }.items():
        w_new, v_new = _unpack(name, fn(w.copy(), g_.copy(), v_.copy(), lr, rho, 1e-7), 2)
        expected_v = rho * v_ + (1 - rho) * g_**2
        expect_close(f"{name}: moving average v", v_new, expected_v)
        expected_w = w - lr * g_ / np.sqrt(expected_v + 1e-7)
        # The epsilon hint only where the answer is the textbook form sqrt(v) + epsilon; otherwise the generic one.
        textbook_w = w - lr * g_ / (np.sqrt(expected_v) + 1e-7)
        try:
            epsilon_outside = not np.allclose(expected_w, textbook_w) and np.allclose(
                np.asarray(w_new, dtype=np.float64), textbook_w)
        except (TypeError, ValueError):  # not numbers, or the wrong shape: expect_close says so
            epsilon_outside = False
        expect_close(f"{name}: weights", w_new, expected_w,
                     hint="Keras adds epsilon INSIDE the square root, sqrt(v + epsilon), not sqrt(v) + epsilon; "
                          "the two differ only when v is near epsilon or below it" if epsilon_outside else None)


@exercise("05.adam_step", "one step of Adam",
          hint="m and v start at 0, so in the first steps they are biased towards 0: Adam divides each by "
               "(1 - beta**t) before using them",
          formula="step = lr * (m/(1-beta_1**t)) / (sqrt(v/(1-beta_2**t)) + eps); without the correction the first "
                  "step is (1-beta_1)/sqrt(1-beta_2) = 3.16x too LARGE")
def check_adam_step(fn):
    w, g, m, v = _vectors(2)
    for name, (m_, v_, t) in {
        "first step (t = 1)": (np.zeros(3), np.zeros(3), 1),
        "step 5 with running moments": (m, v, 5),
        "step 1000": (m, v, 1000),
    }.items():
        got = _unpack(name, fn(w.copy(), g.copy(), m_.copy(), v_.copy(), t, 0.01, 0.9, 0.999, 1e-7), 3)
        expected_m = 0.9 * m_ + 0.1 * g
        expected_v = 0.999 * v_ + 0.001 * g**2
        alpha = 0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        expect_close(f"{name}: first moment m", got[1], expected_m)
        expect_close(f"{name}: second moment v", got[2], expected_v)
        # rtol 1e-5 accepts the textbook placement of epsilon as well as Keras's.
        expect_close(f"{name}: weights", got[0], w - alpha * expected_m / (np.sqrt(expected_v) + 1e-7), rtol=1e-5)
