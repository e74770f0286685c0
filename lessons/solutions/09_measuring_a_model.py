"""Solutions to lesson 09's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def recall(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fn = np.sum((y_true == 1) & (y_pred == 0))
    return tp / (tp + fn) if tp + fn else 0.0


def f1(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    fn = np.sum((y_true == 1) & (y_pred == 0))
    return 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0


def roc_auc(y_true, scores):
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def recall_as_in_article_002(y_true, y_pred):
    # Article 002 §9.3's definition: "of the examples predicted positive, the fraction that are positive".
    tp = np.sum((y_true == 1) & (y_pred == 1))
    fp = np.sum((y_true == 0) & (y_pred == 1))
    return tp / (tp + fp) if tp + fp else 0.0


def f1_arithmetic_mean(y_true, y_pred):
    tp = np.sum((y_true == 1) & (y_pred == 1))
    p_den, r_den = np.sum(y_pred == 1), np.sum(y_true == 1)
    p = tp / p_den if p_den else 0.0
    r = tp / r_den if r_den else 0.0
    return (p + r) / 2


def roc_auc_ignoring_ties(y_true, scores):
    pos, neg = scores[y_true == 1], scores[y_true == 0]
    return (pos[:, None] > neg[None, :]).mean()


SOLUTIONS = {
    "09.recall": recall,
    "09.f1": f1,
    "09.roc_auc": roc_auc,
}

WRONG_ANSWERS = {
    "09.recall": recall_as_in_article_002,
    "09.f1": f1_arithmetic_mean,
    "09.roc_auc": roc_auc_ignoring_ties,
}
