"""Fairness across groups: per-group metrics, disparity measures, and a data set with a group attribute.

A model is checked for fairness by splitting its test predictions by a *group
attribute* (a protected characteristic such as sex or ethnicity, or a proxy of it)
and comparing, group by group:

- selection rate P(ŷ = 1 | group): *demographic parity* asks these to be equal;
  `disparate_impact_ratio` = min/max (the US "four-fifths rule" flags < 0.8);
- true positive rate P(ŷ = 1 | y = 1, group): *equal opportunity*;
- TPR and false positive rate together: *equalised odds*;
- precision P(y = 1 | ŷ = 1, group): *predictive parity* (calibration-like).

When the groups' base rates P(y = 1) differ, no imperfect classifier can satisfy
predictive parity and equal error rates at once (Chouldechova 2017; Kleinberg et al.
2016): fairness is a choice between criteria, not a box to tick.

`make_loans` builds the lessons' example: loan applications from two groups with the
same rule for repaying but different income distributions, and a postcode feature
that is a proxy for the group.

Example:

```python
from kerasmodels.course.topics import fairness
data = fairness.make_loans(2000, seed=0)
table = fairness.group_metrics(data["y"], data["y"], data["group"])
```
"""

import numpy as np

FEATURES = ("log income", "debt ratio", "years employed", "postcode area")
GROUP_NAMES = ("group A", "group B")


def make_loans(n, seed=0, minority_share=0.3, proxy_strength=0.85):
    """Synthetic loan applications with a group attribute (the causal story is in the lesson).

    - group: 0 (A, majority) or 1 (B, `minority_share` of applicants).
    - income: log-normal; group B earns less on average (a historical disadvantage).
    - debt ratio and years employed: the same distribution in both groups.
    - repaid (y): drawn from the SAME logistic rule of income, debt and years for
      everybody; base rates differ only because incomes differ.
    - postcode area: equals the group with probability `proxy_strength`, so dropping the
      group column does not hide it from a model.

    Returns:
        dict with "x" (n, 4) float32 standardised features (`FEATURES`), "y" (n,) int32,
        "group" (n,) int32 and the raw columns.
    """
    if not 0 < minority_share < 1:
        raise ValueError(f"minority_share={minority_share!r}: must be between 0 and 1")
    rng = np.random.default_rng(seed)
    group = (rng.random(n) < minority_share).astype(np.int32)
    log_income = rng.normal(10.6 - 0.45 * group, 0.45)
    debt = np.clip(rng.beta(2, 5, n), 0, 1)
    years = rng.gamma(2.0, 3.0, n)
    score = 2.2 * (log_income - 10.4) - 4.0 * (debt - 0.3) + 0.08 * (years - 6) + 0.6
    y = (rng.random(n) < 1 / (1 + np.exp(-score))).astype(np.int32)
    postcode = np.where(rng.random(n) < proxy_strength, group, 1 - group)
    raw = np.stack([log_income, debt, years, postcode], axis=1)
    x = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    return {"x": x.astype(np.float32), "y": y, "group": group, "log_income": log_income, "debt": debt,
            "years": years, "postcode": postcode}


def _rate(mask, condition):
    count = int(np.sum(condition))
    return float(np.sum(mask & condition) / count) if count else float("nan")


def group_metrics(y_true, y_pred, groups, names=None):
    """Per-group counts and rates of a binary classifier.

    Args:
        y_true: (N,) 0/1 true outcomes.
        y_pred: (N,) 0/1 decisions.
        groups: (N,) group ids.
        names: optional {group id: name}.

    Returns:
        {group name: {"n", "base rate", "selection rate", "TPR", "FPR", "precision", "accuracy"}}.
    """
    y_true, y_pred, groups = (np.asarray(a).astype(int).reshape(-1) for a in (y_true, y_pred, groups))
    if not len(y_true) == len(y_pred) == len(groups):
        raise ValueError(f"y_true, y_pred and groups need the same length; got {len(y_true)}, {len(y_pred)}, "
                         f"{len(groups)}")
    table = {}
    for g in np.unique(groups):
        m = groups == g
        t, p = y_true[m] == 1, y_pred[m] == 1
        table[(names or {}).get(g, str(g))] = {
            "n": int(m.sum()), "base rate": float(t.mean()), "selection rate": float(p.mean()),
            "TPR": _rate(p, t), "FPR": _rate(p, ~t), "precision": _rate(t, p), "accuracy": float(np.mean(t == p)),
        }
    return table


def demographic_parity_difference(y_pred, groups):
    """Largest minus smallest selection rate over the groups (0 = parity)."""
    y_pred, groups = np.asarray(y_pred).reshape(-1), np.asarray(groups).reshape(-1)
    rates = [np.mean(y_pred[groups == g] == 1) for g in np.unique(groups)]
    return float(max(rates) - min(rates))


def disparate_impact_ratio(y_pred, groups):
    """Smallest over largest selection rate (1 = parity; below 0.8 fails the four-fifths rule)."""
    y_pred, groups = np.asarray(y_pred).reshape(-1), np.asarray(groups).reshape(-1)
    rates = [np.mean(y_pred[groups == g] == 1) for g in np.unique(groups)]
    return float(min(rates) / max(rates)) if max(rates) > 0 else float("nan")


def equal_opportunity_difference(y_true, y_pred, groups):
    """Largest minus smallest true positive rate over the groups (0 = equal opportunity)."""
    y_true, y_pred, groups = (np.asarray(a).reshape(-1) for a in (y_true, y_pred, groups))
    rates = [np.mean(y_pred[(groups == g) & (y_true == 1)] == 1) for g in np.unique(groups)]
    return float(max(rates) - min(rates))


def equalized_odds_difference(y_true, y_pred, groups):
    """The larger of the TPR gap and the FPR gap between groups."""
    y_true, y_pred, groups = (np.asarray(a).reshape(-1) for a in (y_true, y_pred, groups))
    fpr = [np.mean(y_pred[(groups == g) & (y_true == 0)] == 1) for g in np.unique(groups)]
    return max(equal_opportunity_difference(y_true, y_pred, groups), float(max(fpr) - min(fpr)))


def equal_opportunity_thresholds(scores, y_true, groups, target_tpr):
    """Per-group score thresholds that give every group the same true positive rate (Hardt et al. 2016).

    Returns:
        {group id: threshold}; approve when score ≥ threshold of the applicant's group.
    """
    scores, y_true, groups = (np.asarray(a).reshape(-1) for a in (scores, y_true, groups))
    if not 0 < target_tpr <= 1:
        raise ValueError(f"target_tpr={target_tpr!r}: must be in (0, 1]")
    thresholds = {}
    for g in np.unique(groups):
        positives = np.sort(scores[(groups == g) & (y_true == 1)])
        if not len(positives):
            raise ValueError(f"group {g!r} has no positive examples: its TPR is undefined")
        thresholds[int(g)] = float(positives[int(np.floor((1 - target_tpr) * len(positives)))])
    return thresholds


def format_table(table, columns=("n", "base rate", "selection rate", "TPR", "FPR", "precision", "accuracy")):
    """The per-group table as aligned text."""
    lines = [f"{'':10s}" + "".join(f"{c:>15s}" for c in columns)]
    for name, row in table.items():
        lines.append(f"{name:10s}" + "".join(f"{row[c]:>15d}" if c == "n" else f"{row[c]:>15.3f}" for c in columns))
    return "\n".join(lines)
