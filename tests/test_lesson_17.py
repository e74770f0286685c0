"""Lesson 17's claims: attributions add up and are faithful, and the fairness audit measures what it says."""

import numpy as np
import pytest

from kerasmodels.course.topics import fairness


def test_lesson_16_numbers(executed_lessons):
    result = executed_lessons(17)
    assert result.status == "passed", result.error
    metrics = {k: v["value"] for k, v in result.metrics.items()}
    assert metrics["CNN test accuracy"] > 0.7  # explanations need a model that learned something, not a good one
    assert metrics["IG completeness relative error"] < 0.05
    assert metrics["word contributions sum error"] < 1e-4
    assert metrics["disparate impact ratio"] < 0.8  # the constructed data set does show a disparity
    assert metrics["equal opportunity difference"] > 0.02
    assert {f.stem for f in result.figures} >= {"image_attributions", "word_attributions", "fairness_by_group"}


def test_integrated_gradients_are_exact_for_a_linear_model_on_any_backend():
    keras = pytest.importorskip("keras")
    from kerasmodels.course.topics import explain

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3, 3)), keras.layers.Flatten(), keras.layers.Dense(2)])
    x = np.random.default_rng(0).random((2, 3, 3)).astype("float32")
    kernel = model.layers[-1].get_weights()[0]
    ig = explain.integrated_gradients(model, x, steps=4, class_index=1)
    np.testing.assert_allclose(ig.reshape(2, -1), x.reshape(2, -1) * kernel[:, 1], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(explain.saliency(model, x, class_index=1)[0].reshape(-1), np.abs(kernel[:, 1]),
                               rtol=1e-5)


def test_group_metrics_and_disparities_on_a_hand_made_case():
    y_true = np.array([1, 1, 0, 0, 1, 1, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 1, 0, 0, 0])
    groups = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    table = fairness.group_metrics(y_true, y_pred, groups, {0: "A", 1: "B"})
    assert table["A"]["selection rate"] == 0.75 and table["B"]["selection rate"] == 0.25
    assert table["A"]["TPR"] == 1.0 and table["B"]["TPR"] == 0.5
    assert table["A"]["FPR"] == 0.5 and table["B"]["FPR"] == 0.0
    assert fairness.demographic_parity_difference(y_pred, groups) == 0.5
    assert fairness.disparate_impact_ratio(y_pred, groups) == pytest.approx(1 / 3)
    assert fairness.equal_opportunity_difference(y_true, y_pred, groups) == 0.5
    assert fairness.equalized_odds_difference(y_true, y_pred, groups) == 0.5


def test_equal_opportunity_thresholds_equalise_tpr():
    data = fairness.make_loans(4000, seed=3)
    scores = data["x"][:, 0] + np.random.default_rng(0).normal(0, 0.5, 4000)  # income-driven scores
    thresholds = fairness.equal_opportunity_thresholds(scores, data["y"], data["group"], target_tpr=0.8)
    decisions = scores >= np.vectorize(thresholds.get)(data["group"])
    assert fairness.equal_opportunity_difference(data["y"], decisions.astype(int), data["group"]) < 0.01


def test_make_loans_has_the_story_the_lesson_tells():
    data = fairness.make_loans(20000, seed=0)
    group, y = data["group"], data["y"]
    assert 0.27 < group.mean() < 0.33
    assert y[group == 0].mean() - y[group == 1].mean() > 0.1  # lower base rate for group B
    assert np.mean(data["postcode"] == group) == pytest.approx(0.85, abs=0.02)  # the proxy
    assert data["x"].shape == (20000, 4) and data["x"].dtype == np.float32
