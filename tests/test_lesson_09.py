"""Lesson 09: hand-computed metrics agree with keras.metrics and scikit-learn; the lesson's claims hold."""

import numpy as np
import pytest

from kerasmodels.course.scratch import metrics as ms


def _random_case(seed, n=300):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    scores = np.round(rng.random(n) + 0.4 * y, 2)  # rounded: plenty of ties
    return y, scores


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_scikit_learn(seed):
    from sklearn import metrics as sk

    y, scores = _random_case(seed)
    pred = (scores >= 0.6).astype(int)
    assert ms.precision(y, pred) == pytest.approx(sk.precision_score(y, pred))
    assert ms.recall(y, pred) == pytest.approx(sk.recall_score(y, pred))
    assert ms.f1_score(y, pred) == pytest.approx(sk.f1_score(y, pred))
    assert ms.roc_auc(y, scores) == pytest.approx(sk.roc_auc_score(y, scores))
    fpr, tpr, _ = ms.roc_curve(y, scores)
    sk_fpr, sk_tpr, _ = sk.roc_curve(y, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr)
    np.testing.assert_allclose(tpr, sk_tpr)
    assert ms.auc(fpr, tpr) == pytest.approx(ms.roc_auc(y, scores))
    labels = np.random.default_rng(seed).integers(0, 4, 100)
    guesses = np.random.default_rng(seed + 10).integers(0, 4, 100)
    np.testing.assert_array_equal(ms.confusion_matrix(labels, guesses, 4), sk.confusion_matrix(labels, guesses))


def test_zero_denominators_follow_keras_convention():
    assert ms.precision([1, 0], [0, 0]) == 0.0
    assert ms.recall([0, 0], [1, 0]) == 0.0
    assert ms.f1_score([0, 0], [0, 0]) == 0.0


def test_user_mistakes_get_clear_errors():
    with pytest.raises(ValueError, match="only 0 and 1"):
        ms.precision([0, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match="both classes"):
        ms.roc_auc([1, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match="1-D"):
        ms.recall(np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="entries"):
        ms.accuracy([0, 1, 1], [0, 1])


def test_exercises_accept_keras_float32_answers_and_reject_classic_mistakes():
    import keras

    from kerasmodels.course import exercises

    def keras_recall(y_true, y_pred):  # float32: recall 0.6 comes back as 0.6000000238
        metric = keras.metrics.Recall()
        metric.update_state(y_true, y_pred)
        return float(metric.result())

    def keras_f1(y_true, y_pred):
        metric = keras.metrics.F1Score(threshold=0.5)
        metric.update_state(y_true.reshape(-1, 1).astype("float32"), y_pred.reshape(-1, 1).astype("float32"))
        return float(np.asarray(metric.result()).ravel()[0])

    assert exercises.check("09.recall", keras_recall, quiet=True).passed
    assert exercises.check("09.f1", keras_f1, quiet=True).passed
    # Precision in recall's place; the arithmetic mean of precision and recall in F1's.
    assert not exercises.check("09.recall", ms.precision, quiet=True).passed
    assert not exercises.check("09.f1", lambda y, p: (ms.precision(y, p) + ms.recall(y, p)) / 2, quiet=True).passed


def test_lesson_09_facts(executed_lessons):
    from conftest import notebook_text_outputs

    result = executed_lessons(9)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["hand_vs_keras_metrics_max_diff"] < 1e-5
    # Accuracy misleads: doing nothing scores about 90 % because only one digit in ten is an 8.
    assert 0.85 < m["always_not8_acc"] < 0.95
    assert m["val_auc"] > 0.9
    assert m["ten_class_test_acc"] > 0.9
    assert m["selection_bias_best_val_acc"] > 0.55
    assert m["always_not8_precision_recall_f1_sum"] == 0
    # Article 002's "recall" is precision, and differs from keras.metrics.Recall.
    for threshold in (0.5, 0.2):
        assert m[f"threshold_{threshold}_recall_minus_precision".replace(".", "_")] == pytest.approx(0, abs=1e-9)
        assert abs(m[f"threshold_{threshold}_recall_minus_keras".replace(".", "_")]) > 0.01
    # Precision-recall: AP by hand = scikit-learn's; more negatives leave the ROC AUC unchanged and lower the AP.
    assert m["avg_precision_hand_vs_sklearn_diff"] < 1e-9
    assert m["val_roc_auc_negatives_x10"] == pytest.approx(m["val_auc"], abs=1e-12)
    assert m["val_avg_precision_negatives_x10"] < m["val_avg_precision"] - 0.05
    # Stratified folds keep the share of 8s; plain folds let it wander more; the F1 spreads across folds.
    assert m["stratifiedkfold_max_fold_share_gap"] < 0.005
    assert (m["kfold_max_fold_share_gap"]
            > m["stratifiedkfold_max_fold_share_gap"])
    assert m["kfold5_f1_std"] > 0
    # The scaler fitted with the test images reports a far higher (optimistic) accuracy on the shifted test set.
    assert (m["scaler_leaky_grey_acc"]
            > m["scaler_honest_grey_acc"] + 0.2)
    # The shift survives both scalers (similar median); the leak caps the extreme pixels' shift.
    assert m["scaler_honest_median_shift"] == pytest.approx(m["scaler_leaky_median_shift"], abs=0.25)
    assert m["scaler_honest_max_shift"] > 20
    assert m["scaler_leaky_max_shift"] < 5
    # The controls: without the shift the leak is within a point; with no scaler the grey images cost little, so
    # the honest collapse is per-pixel standardisation of near-constant pixels.
    assert abs(m["scaler_honest_unshifted_acc"] - m["scaler_leaky_unshifted_acc"]) < 0.01
    assert (m["no_scaler_grey_background_acc"]
            > m["no_scaler_unshifted_acc"] - 0.03)
    assert (m["no_scaler_grey_background_acc"]
            > m["scaler_honest_grey_acc"] + 0.5)
    # Selection bias: the winner's test score is a coin-flipper's, within two standard deviations (5 points) of 50 %.
    assert abs(m["selection_bias_test_acc"] - 0.5) <= 0.1
    # Error analysis: most off-diagonal cells hold one image; at least one pair holds two or more.
    assert m["confused_pairs_2_or_more"] >= 1
    assert m["confused_pairs_exactly_1"] > m["confused_pairs_2_or_more"]
    # A two-error cell is no proof of a confusion: E errors at random over 90 cells put 2+ in some cell about as
    # often as not (birthday problem; the formula checked against a simulation).
    n_errors = int(m["off_diagonal_errs"])
    chance = m["chance_random_errors_pile_up"]
    assert chance == pytest.approx(1 - np.prod((90 - np.arange(n_errors)) / 90))
    cells = np.random.default_rng(0).integers(0, 90, (20_000, n_errors))
    simulated = np.mean([np.bincount(row, minlength=90).max() >= 2 for row in cells])
    assert simulated == pytest.approx(chance, abs=0.02)
    assert 0.35 < chance < 0.75  # "about one in two" in the prose
    # Precision is undefined (not plotted) at the highest thresholds, where no image is flagged.
    assert m["thresholds_with_none_flagged"] >= 1
    # Error analysis: rows sum to 1; the most confused pair is a real, non-zero share.
    assert m["row_normalised_max_row_sum_err"] < 1e-12
    assert m["most_confused_pair_share"] > 0
    assert {"precision_recall", "error_analysis"} <= {f.stem for f in result.figures}
    text = notebook_text_outputs(result)
    for exercise in ("09.recall", "09.f1", "09.roc_auc"):
        assert f"[NOT YET] {exercise}" in text  # the stubs are the plausible wrong first attempts
