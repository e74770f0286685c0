"""Solutions to lesson 17's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def demographic_parity_difference(y_pred, groups):
    rates = [np.mean(y_pred[groups == g] == 1) for g in np.unique(groups)]
    return max(rates) - min(rates)


def equal_opportunity_difference(y_true, y_pred, groups):
    rates = [np.mean(y_pred[(groups == g) & (y_true == 1)] == 1) for g in np.unique(groups)]
    return max(rates) - min(rates)


def integrated_gradients(grad_fn, x, baseline, steps):
    alphas = (np.arange(steps) + 0.5) / steps
    mean_grad = np.mean([grad_fn(baseline + a * (x - baseline)) for a in alphas], axis=0)
    return (x - baseline) * mean_grad


def two_group_parity(y_pred, groups):
    return abs(y_pred[groups == 0].mean() - y_pred[groups == 1].mean())


def selection_rate_gap(y_true, y_pred, groups):
    rates = [y_pred[groups == g].mean() for g in np.unique(groups)]
    return max(rates) - min(rates)


SOLUTIONS = {
    "17.demographic_parity_difference": demographic_parity_difference,
    "17.equal_opportunity_difference": equal_opportunity_difference,
    "17.integrated_gradients": integrated_gradients,
}

WRONG_ANSWERS = {
    "17.demographic_parity_difference": two_group_parity,
    "17.equal_opportunity_difference": selection_rate_gap,
    "17.integrated_gradients": lambda grad_fn, x, baseline, steps: (x - baseline) * grad_fn(x),
}
