"""Exercises of lesson 09: recall, F1 and ROC AUC written from their definitions."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close
from kerasmodels.course.scratch import metrics as ms

# (name, y_true, y_pred): chosen so that precision and recall differ, plus the edge cases.
LABEL_CASES = [
    # First the case that shows why F1 is a harmonic mean: precision 1/4, recall 1, F1 0.4 where the
    # plain average would say 0.625.
    ("1 TP, 3 FP, 0 FN", [1, 0, 0, 0, 0], [1, 1, 1, 1, 0]),
    ("3 TP, 1 FP, 2 FN", [1, 1, 1, 1, 1, 0, 0, 0], [1, 1, 1, 0, 0, 1, 0, 0]),
    ("all correct", [0, 1, 0, 1], [0, 1, 0, 1]),
    ("no positive example (recall defined as 0)", [0, 0, 0], [1, 0, 0]),
    ("no positive prediction", [1, 1, 0], [0, 0, 0]),
    ("one example", [1], [1]),
]

SCORE_CASES = [
    ("perfect ranking", [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]),
    ("reversed ranking", [1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9]),
    ("one swapped pair", [0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]),
    ("ties count one half", [0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]),
    ("partial tie", [0, 0, 1, 1, 1], [0.2, 0.7, 0.7, 0.9, 0.1]),
    ("logits, not probabilities", [0, 1, 0, 1, 1], [-3.0, -1.0, -2.0, 4.0, -2.5]),
]


def _as_arrays(y_true, other):
    return np.array(y_true), np.array(other)


@exercise("09.recall", "recall, from the confusion matrix's counts",
          hint="recall asks: of the examples that ARE positive, how many did the model find? "
               "Which examples belong in the denominator: those predicted positive, or those that are positive?",
          formula="recall = TP / (TP + FN): the true positives plus the positives it missed (false negatives); "
                  "TP / (TP + FP) is precision. Return 0 when there is no positive example.")
def check_recall(fn):
    for name, y_true, y_pred in LABEL_CASES:
        yt, yp = _as_arrays(y_true, y_pred)
        # rtol 1e-6 accepts float32 (keras.metrics.Recall); precision's TP / (TP + FP) still fails.
        expect_close(name, fn(yt, yp), ms.recall(yt, yp), rtol=1e-6, atol=1e-12)


@exercise("09.f1", "F1 = harmonic mean of precision and recall",
          hint="precision and recall are rates: average them so that a poor one drags the score down (not the plain mean)",
          formula="F1 = 2 * precision * recall / (precision + recall), and 0 when both are 0; "
               "the plain average (P + R) / 2 lets a useless detector with recall 1 score above 0.5.")
def check_f1(fn):
    for name, y_true, y_pred in LABEL_CASES:
        yt, yp = _as_arrays(y_true, y_pred)
        expect_close(name, fn(yt, yp), ms.f1_score(yt, yp), rtol=1e-6, atol=1e-12)  # float32 passes too


@exercise("09.roc_auc", "ROC AUC as the probability that a positive outscores a negative",
          hint="AUC needs no threshold: it is the chance that a random positive scores above a random negative",
          formula="compare every (positive, negative) pair of scores: count 1 when the positive's score is higher, "
               "1/2 when they tie, 0 otherwise, and divide by the number of pairs. Use the raw scores; no threshold.")
def check_roc_auc(fn):
    for name, y_true, scores in SCORE_CASES:
        yt, s = np.array(y_true), np.array(scores, dtype=float)
        expect_close(name, fn(yt, s), ms.roc_auc(yt, s), rtol=1e-9, atol=1e-12)
