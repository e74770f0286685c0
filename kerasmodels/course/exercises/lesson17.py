"""Exercises of lesson 17: demographic parity, equal opportunity, integrated gradients."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close
from kerasmodels.course.topics.fairness import demographic_parity_difference, equal_opportunity_difference

_GROUP_CASES = {
    "two groups, rates 3/4 and 1/4": ([1, 1, 1, 0, 1, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1],
                                      [1, 1, 0, 0, 1, 1, 0, 0]),
    "equal rates": ([1, 0, 1, 0], [0, 0, 1, 1], [1, 0, 1, 0]),
    # Both labels in every group, and the FPR gap (1 - 0 = 1) differs from the TPR gap (1 - 1/2 = 1/2), so the
    # FPR confused for the TPR fails here with a number, before a group without negatives would give it NaN.
    "both labels in each group, TPR gap 1/2, FPR gap 1": ([1, 1, 1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1],
                                                        [1, 1, 0, 0, 1, 1, 0, 0]),
    "three groups (labels 0, 1, 2)": ([1, 1, 0, 1, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1, 2, 2, 2],
                                      [1, 1, 1, 1, 1, 0, 1, 0, 1]),
    "string group names": ([1, 0, 0, 0], ["a", "a", "b", "b"], [1, 1, 1, 0]),
}


@exercise("17.demographic_parity_difference", "demographic parity difference",
          hint="compare how often each group is selected (predicted 1)",
          formula="compute the selection rate mean(y_pred == 1) of every group in np.unique(groups), "
               "then max(rates) - min(rates)")
def check_demographic_parity(fn):
    for case, (y_pred, groups, _) in _GROUP_CASES.items():
        y_pred, groups = np.array(y_pred), np.array(groups)
        expect_close(case, fn(y_pred, groups), demographic_parity_difference(y_pred, groups))


@exercise("17.equal_opportunity_difference", "equal opportunity (TPR) difference",
          hint="compare how often each group's truly positive members are selected",
          formula="the TPR of a group is the mean of y_pred over its members with y_true == 1; "
               "return max - min over the groups")
def check_equal_opportunity(fn):
    for case, (y_pred, groups, y_true) in _GROUP_CASES.items():
        y_pred, groups, y_true = np.array(y_pred), np.array(groups), np.array(y_true)
        expect_close(case, fn(y_true, y_pred, groups), equal_opportunity_difference(y_true, y_pred, groups))


def _riemann(grad_fn, x, baseline, alphas):
    return (x - baseline) * np.mean([grad_fn(baseline + a * (x - baseline)) for a in alphas], axis=0)


@exercise("17.integrated_gradients", "integrated gradients with a Riemann sum (midpoints, k/m as in the IG paper, "
          "or a mean over np.linspace(0, 1, steps))",
          hint="average the gradient along the straight path from the baseline to x, then weigh it by the step x - baseline",
          formula="alphas = (np.arange(steps) + 0.5) / steps; average grad_fn(baseline + a * (x - baseline)) over "
               "the alphas, then multiply by (x - baseline)")
def check_integrated_gradients(fn):
    x = np.array([0.5, -1.0, 2.0])
    cases = {
        # For f(x) = sum(x**2), IG_i = x_i**2 - baseline_i**2 exactly (completeness, one variable each).
        "f = sum(x^2), zero baseline": (lambda v: 2 * v, x, np.zeros(3), x**2),
        "f = sum(x^2), baseline 1": (lambda v: 2 * v, x, np.ones(3), x**2 - 1),
        "f = sum(sin x), zero baseline": (np.cos, x, np.zeros(3), np.sin(x)),
        "linear f = w.x": (lambda v: np.broadcast_to([1.0, -2.0, 3.0], np.shape(v)), x, np.zeros(3), np.array([0.5, 2.0, 6.0])),
    }
    steps = 200
    for case, (grad_fn, point, baseline, expected) in cases.items():
        got = fn(grad_fn, point, baseline, steps)

        # The right (IG paper) and left Riemann sums are right answers too, though their error is O(1/steps)
        # against the midpoint rule's O(1/steps^2) (0.5% at 200 steps); so is the trapezoid rule, and so is the
        # plain mean over alphas = np.linspace(0, 1, steps) (or steps + 1 points) that many tutorials use, also O(1/steps).
        right, left, linspace, linspace_plus_one = (
            _riemann(grad_fn, point, baseline, alphas)
            for alphas in (np.arange(1, steps + 1) / steps, np.arange(steps) / steps, np.linspace(0, 1, steps),
                           np.linspace(0, 1, steps + 1)))
        other_rules = [right, left, (right + left) / 2, linspace, linspace_plus_one]
        try:
            if any(np.allclose(np.asarray(got, dtype=np.float64), rule, rtol=1e-6, atol=1e-9) for rule in other_rules):
                continue
        except (TypeError, ValueError):
            pass
        hint = None
        try:
            if np.allclose(np.asarray(got, dtype=np.float64), (point - baseline) * grad_fn(point)):
                hint = ("that is gradient x input, the gradient at x only: average grad_fn at points between the "
                        "baseline and x, alphas = (np.arange(steps) + 0.5) / steps")
        except (TypeError, ValueError):
            pass
        expect_close(case, got, expected, rtol=1e-3, atol=1e-4, hint=hint)
