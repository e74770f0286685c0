"""Lesson 08: the remedies computed by hand equal Keras's; the controlled experiment shows over- and under-fitting."""

import pytest


def test_lesson_08_facts(executed_lessons):
    result = executed_lessons(8)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["L2 penalty by hand vs keras: absolute difference"] < 1e-5
    assert m["batch norm by hand vs keras: max difference"] < 1e-4
    assert m["schedules by hand vs keras: max relative difference"] < 1e-5
    # Over-fitting: validation loss far above a training loss near zero.
    assert m["baseline over-fitting gap: validation loss minus training loss"] > 0.05
    # Under-fitting: three hidden units cannot learn ten digits as well as the baseline does.
    assert m["too small: final validation accuracy"] < m["baseline: final validation accuracy"] - 0.2
    # Quick mode is too short for augmentation to pay off (the prose says so).
    assert m["augmentation: final validation accuracy"] < m["baseline: final validation accuracy"]
    assert m["early stopping: epochs trained"] < 40  # stopped before the quick-mode budget
    # Keras 3: each output's loss excludes the regularisation penalty; the total adds it once.
    assert m["evaluate: L2 penalty (model.losses)"] > 1e-3
    assert m["evaluate: total loss"] == pytest.approx(
        m["evaluate: sum of the output losses"] + m["evaluate: L2 penalty (model.losses)"], rel=1e-5, abs=1e-6)
    assert m["evaluate: total loss"] - m["evaluate: sum of the output losses"] > 0.5 * m[
        "evaluate: L2 penalty (model.losses)"]
    assert m["dropout in training: fraction zeroed"] == pytest.approx(0.5, abs=0.03)
    assert m["dropout at inference: largest change"] == 0
    # Hyper-parameter search (quick mode): the grid trains 3x the settings random search does and finds the better
    # one, which random search never tried; both winners use no dropout; retraining a setting changes its score.
    assert m["grid search: trainings"] == 9 and m["random search: trainings"] == 3
    assert m["random search tried the grid's best setting"] == 0
    assert m["grid search: best validation accuracy"] > m["random search: best validation accuracy"]
    assert m["grid search: dropout rate of the best setting"] == 0
    assert m["random search: dropout rate of the best setting"] == 0
    assert m["same setting in both searches: largest difference in validation accuracy"] > 0
    assert m["exercises passing as written"] == 0  # every first attempt is a plausible mistake
    assert {"regularisation_experiment.png", "learning_rate_schedules.png", "hyperparameter_search.png"} <= {
        f.name for f in result.figures}
