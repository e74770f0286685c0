"""Classification metrics computed by hand in NumPy, to check keras.metrics against.

Every function takes plain arrays (labels as 0/1 or class ids, scores as
probabilities or logits) and returns NumPy numbers, so a lesson can compute a
metric from its definition and compare it with `keras.metrics`.

Conventions, the same as Keras's: a ratio whose denominator is zero (precision
with no positive prediction, recall with no positive example) is 0.

Example:

```python
import numpy as np
from kerasmodels.course.scratch import metrics as ms
y_true = np.array([1, 0, 1, 1, 0])
y_pred = np.array([1, 0, 0, 1, 1])
counts = ms.binary_counts(y_true, y_pred)    # tp=2, fp=1, fn=1, tn=1
ms.precision(y_true, y_pred), ms.recall(y_true, y_pred)   # (0.667, 0.667)
```
"""

from dataclasses import dataclass

import numpy as np


def _labels(values, name):
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels; got shape {array.shape}. "
                         "Fix: pass one label per example, e.g. y.ravel() or np.argmax(probs, axis=1).")
    return array


def _binary(values, name):
    array = _labels(values, name)
    if array.size and not np.isin(array, (0, 1)).all():
        bad = array[~np.isin(array, (0, 1))][:3]
        raise ValueError(f"{name} must contain only 0 and 1; got values such as {bad.tolist()}. "
                         "Fix: threshold the scores first, e.g. (probabilities >= 0.5).astype(int).")
    return array.astype(np.int64)


def _same_length(a, b, name_a, name_b):
    if len(a) != len(b):
        raise ValueError(f"{name_a} has {len(a)} entries but {name_b} has {len(b)}; "
                         "they must describe the same examples.")


def _ratio(numerator, denominator):
    return float(numerator / denominator) if denominator else 0.0


@dataclass(frozen=True)
class BinaryCounts:
    """The four cells of a binary confusion matrix."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def total(self):
        return self.tp + self.fp + self.fn + self.tn

    def as_matrix(self):
        """[[tn, fp], [fn, tp]]: rows are the true class (0, 1), columns the predicted one."""
        return np.array([[self.tn, self.fp], [self.fn, self.tp]])


def binary_counts(y_true, y_pred):
    """True/false positives and negatives of 0/1 predictions.

    Args:
        y_true: 1-D array of 0/1 labels.
        y_pred: 1-D array of 0/1 predictions.

    Returns:
        A `BinaryCounts(tp, fp, fn, tn)`.
    """
    y_true, y_pred = _binary(y_true, "y_true"), _binary(y_pred, "y_pred")
    _same_length(y_true, y_pred, "y_true", "y_pred")
    return BinaryCounts(
        tp=int(np.sum((y_true == 1) & (y_pred == 1))),
        fp=int(np.sum((y_true == 0) & (y_pred == 1))),
        fn=int(np.sum((y_true == 1) & (y_pred == 0))),
        tn=int(np.sum((y_true == 0) & (y_pred == 0))),
    )


def accuracy(y_true, y_pred):
    """Fraction of examples whose predicted label equals the true one (any number of classes)."""
    y_true, y_pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    _same_length(y_true, y_pred, "y_true", "y_pred")
    return _ratio(np.sum(y_true == y_pred), len(y_true))


def precision(y_true, y_pred):
    """TP / (TP + FP): of the examples predicted positive, the fraction that are positive."""
    c = binary_counts(y_true, y_pred)
    return _ratio(c.tp, c.tp + c.fp)


def recall(y_true, y_pred):
    """TP / (TP + FN): of the positive examples, the fraction the model finds."""
    c = binary_counts(y_true, y_pred)
    return _ratio(c.tp, c.tp + c.fn)


def f1_score(y_true, y_pred):
    """Harmonic mean of precision and recall, 2PR / (P + R) = 2TP / (2TP + FP + FN)."""
    c = binary_counts(y_true, y_pred)
    return _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn)


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts matrix M with M[i, j] = number of examples of true class i predicted as class j.

    Args:
        y_true: 1-D array of integer class ids.
        y_pred: 1-D array of integer class ids.
        num_classes: size of the matrix; default: 1 + the largest id seen.
    """
    y_true, y_pred = _labels(y_true, "y_true").astype(np.int64), _labels(y_pred, "y_pred").astype(np.int64)
    _same_length(y_true, y_pred, "y_true", "y_pred")
    if num_classes is None:
        num_classes = int(max(y_true.max(initial=-1), y_pred.max(initial=-1))) + 1
    if y_true.size and (min(y_true.min(), y_pred.min()) < 0 or max(y_true.max(), y_pred.max()) >= num_classes):
        raise ValueError(f"class ids must lie in [0, {num_classes - 1}] for num_classes={num_classes}; "
                         f"got ids from {min(y_true.min(), y_pred.min())} to {max(y_true.max(), y_pred.max())}.")
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (y_true, y_pred), 1)
    return matrix


def per_class_report(matrix):
    """Precision, recall and F1 of every class from a confusion matrix (one-vs-rest).

    Returns:
        dict with arrays "precision", "recall", "f1", "support" (examples per true class).
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    tp = np.diag(matrix)
    predicted = matrix.sum(axis=0)
    actual = matrix.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(predicted > 0, tp / predicted, 0.0)
        rec = np.where(actual > 0, tp / actual, 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    return {"precision": prec, "recall": rec, "f1": f1, "support": actual.astype(np.int64)}


def roc_curve(y_true, scores):
    """False- and true-positive rates as the threshold sweeps down through every distinct score.

    Args:
        y_true: 1-D array of 0/1 labels (both classes must occur).
        scores: 1-D array of scores, higher meaning "more positive".

    Returns:
        (fpr, tpr, thresholds): fpr and tpr start at (0, 0) (threshold +inf) and end at (1, 1).
    """
    y_true = _binary(y_true, "y_true")
    scores = np.asarray(scores, dtype=np.float64).ravel()
    _same_length(y_true, scores, "y_true", "scores")
    positives, negatives = int(y_true.sum()), int((1 - y_true).sum())
    if positives == 0 or negatives == 0:
        raise ValueError(f"roc_curve needs both classes in y_true; got {positives} positives and "
                         f"{negatives} negatives. Fix: evaluate on a split that contains both classes.")
    order = np.argsort(-scores, kind="stable")
    sorted_scores, sorted_true = scores[order], y_true[order]
    # One point per distinct score: ties move together, so a tie draws a diagonal segment.
    last_of_each_score = np.r_[np.nonzero(np.diff(sorted_scores))[0], len(scores) - 1]
    tp = np.cumsum(sorted_true)[last_of_each_score]
    fp = (last_of_each_score + 1) - tp
    tpr = np.r_[0.0, tp / positives]
    fpr = np.r_[0.0, fp / negatives]
    thresholds = np.r_[np.inf, sorted_scores[last_of_each_score]]
    return fpr, tpr, thresholds


def auc(x, y):
    """Area under a curve given by its points, with the trapezoid rule (x must be monotonic)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def roc_auc(y_true, scores):
    """Area under the ROC curve: the probability that a random positive outscores a random negative.

    Ties count one half. Equal to `auc(*roc_curve(y_true, scores)[:2])`.
    """
    y_true = _binary(y_true, "y_true")
    scores = np.asarray(scores, dtype=np.float64).ravel()
    _same_length(y_true, scores, "y_true", "scores")
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    if pos.size == 0 or neg.size == 0:
        raise ValueError(f"roc_auc needs both classes in y_true; got {pos.size} positives and {neg.size} negatives.")
    # Rank-based (Mann-Whitney U) formula: O(n log n) instead of comparing every pair.
    ranks = _average_ranks(np.r_[pos, neg])
    u = ranks[: pos.size].sum() - pos.size * (pos.size + 1) / 2
    return float(u / (pos.size * neg.size))


def _average_ranks(values):
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    ranks = np.empty(len(values), dtype=np.float64)
    boundaries = np.r_[0, np.nonzero(np.diff(sorted_values))[0] + 1, len(values)]
    for start, stop in zip(boundaries[:-1], boundaries[1:]):
        ranks[order[start:stop]] = (start + stop + 1) / 2  # 1-based average rank of a tie group
    return ranks


def paired_difference(a_right, b_right, z=1.96):
    """Accuracy of A minus accuracy of B on the same examples, with a 95% interval (normal approximation).

    `a_right` and `b_right` say, per example, whether A and B got it right (bools or 0/1,
    fractions such as 0.5 for a tie allowed). Pairing uses only where they disagree, so the
    interval is narrower than the two accuracies' own intervals. Returns
    `(difference, low, high)`.
    """
    a = np.asarray(a_right, dtype=float)
    b = np.asarray(b_right, dtype=float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"a_right and b_right must be 1-D and of one length >= 2, got shapes {a.shape} and {b.shape}; "
                         "pass one entry per example, for the same examples in the same order.")
    d = a - b
    difference = float(d.mean())
    half = z * float(np.sqrt(max(np.mean(d**2) - difference**2, 0.0) / len(d)))
    return difference, difference - half, difference + half
