"""Lesson 02: losses match keras.losses; gradient descent reaches least squares; article 000's rule diverges."""

import numpy as np
import pytest


@pytest.mark.slow
def test_lesson_02_facts(executed_lessons):
    result = executed_lessons(2)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["max_err_hand_loss_vs_keras"] < 1e-6
    # from_logits=True gives the same loss from the logits; given probabilities, Keras clips p to [1e-7, 1 - 1e-7].
    assert m["bce_logits_vs_probs_diff"] < 1e-6
    assert m["keras_bce_label1_p0_clipped"] == pytest.approx(-np.log(1e-7), rel=1e-6)
    # On TensorFlow Keras recovers the logits from a Keras sigmoid layer's output (exact loss 40), on JAX it clips.
    exact_or_clipped = 40.0 if m["backend_is_tensorflow"] == 1 else -np.log(1e-7)
    assert m["keras_bce_label1_sigmoid_minus40"] == pytest.approx(exact_or_clipped,
                                                                                                 rel=1e-4)
    # "The three agree": autodiff (ops.sum / n, float64 on JAX too) to float64 rounding, finite differences to
    # ~1e-9: "the loss here is about 8.5", so rounding is about 8.5e-16 / 1e-6.
    assert m["max_err_grad_vs_autodiff"] < 1e-12
    assert 1e-10 < m["max_err_grad_vs_finite_diff"] < 5e-9
    assert 8 < m["loss_test_point"] < 9
    assert m["theta_gd_vs_least_squares"] < 1e-6
    # Article 002 §4.2.2: with both indices the cross-entropy is Keras's; one index read as the class
    # divides it by the number of classes (3).
    assert m["ce_with_both_indices_vs_keras_diff"] < 1e-6
    assert m["ce_example1_over_art002_literal"] == pytest.approx(3.0)
    # Article 001 §4.3's "MSE" is half the sum of squares: n/2 times the mean, growing with n.
    assert m["art001_half_sse_over_mse_x1"] == pytest.approx(2.0)
    assert m["art001_half_sse_over_mse_x10"] == pytest.approx(20.0)
    # Keras's SGD on MSE with lr/2 reproduces our 200 steps.
    # "the same steps, up to float32 rounding (about 4e-7)"
    assert 1e-7 < m["theta_keras_vs_ours_200_steps"] < 1e-6
    # With a sigmoid output the squared error's gradient vanishes when confidently wrong; cross-entropy's does not.
    assert m["dl_dz_cross_entropy_p_0_01"] > 0.95
    assert m["dl_dz_squared_error_p_0_01"] < 0.05 * m["dl_dz_cross_entropy_p_0_01"]
    # Article 000's "sum" of the two components is one number, 0; its update climbs: its loss after
    # 30 steps is huge, the correct one is not.
    assert m["art000_summed_grad"] == 0
    assert m["correct_gradient_loss_30_steps"] < 0.2 < m["loss_start"]
    assert m["article_000s_update_loss_30_steps"] > 1e3
    # "each step turns r into r (1 + alpha (1 + mean x))": on this data (mean x about 1.1) about 1.6 per step.
    assert m["mean_x_data"] == pytest.approx(1.1, abs=0.05)
    factor = m["one_plus_alpha_one_plus_mean_x"]
    assert factor == pytest.approx(1.6, abs=0.05)
    for which in ("max", "min"):
        assert m[f"art000_update_residual_ratio_{which}"] == \
            pytest.approx(factor, rel=1e-6)
    # Below the stability limit the loss converges, above it diverges.
    assert m["too_large_final_loss"] > 100 * m["near_the_limit_final_loss"]
    # "along each eigenvector the error is multiplied by 1 - alpha lambda_i": above the limit it grows by
    # |1 - alpha lambda_max| = 1.05 x 2 - 1 = 1.10 per step (the largest eigenvector dominates after 40 steps).
    assert m["too_large_contraction"] == pytest.approx(1.10, abs=1e-9)
    assert m["too_large_theta_err_ratio"] == pytest.approx(1.10, abs=1e-3)
    assert m["good_final_loss"] < m["too_small_final_loss"]
    assert m["exercises_passing_written"] == 0
    assert {"losses", "gradient_descent_path", "learning_rates"} <= {f.stem for f in result.figures}


def test_categorical_checker_rejects_the_predicted_class_probability():
    """Exercise 4.3: minus the log of each row's LARGEST probability is right only when the model is right."""
    from kerasmodels.course import exercises

    result = exercises.check("02.categorical_cross_entropy", lambda y, p: -np.mean(np.log(p.max(axis=1))), quiet=True)
    assert not result.passed
    assert "confidently wrong" in result.message
