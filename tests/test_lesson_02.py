"""Lesson 02: losses match keras.losses; gradient descent reaches least squares; article 000's rule diverges."""

import numpy as np
import pytest


@pytest.mark.slow
def test_lesson_02_facts(executed_lessons):
    result = executed_lessons(2)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["max |hand loss - keras.losses|"] < 1e-6
    # from_logits=True gives the same loss from the logits; given probabilities, Keras clips p to [1e-7, 1 - 1e-7].
    assert m["|binary CE from logits - from probabilities|"] < 1e-6
    assert m["Keras binary CE for label 1 and p = 0 (clipped)"] == pytest.approx(-np.log(1e-7), rel=1e-6)
    # On TensorFlow Keras recovers the logits from a Keras sigmoid layer's output (exact loss 40), on JAX it clips.
    exact_or_clipped = 40.0 if m["backend is TensorFlow (1) or not (0)"] == 1 else -np.log(1e-7)
    assert m["Keras binary CE for label 1, p = sigmoid(-40) from a sigmoid layer"] == pytest.approx(exact_or_clipped,
                                                                                                 rel=1e-4)
    # "The three agree": autodiff (ops.sum / n, float64 on JAX too) to float64 rounding, finite differences to
    # ~1e-9: "the loss here is about 8.5", so rounding is about 8.5e-16 / 1e-6.
    assert m["max |our gradient - autodiff|"] < 1e-12
    assert 1e-10 < m["max |our gradient - finite difference|"] < 5e-9
    assert 8 < m["loss at the test point"] < 9
    assert m["|theta_GD - theta_least_squares|"] < 1e-6
    # Article 002 §4.2.2: with both indices the cross-entropy is Keras's; one index read as the class
    # divides it by the number of classes (3).
    assert m["CE with both indices vs keras: difference"] < 1e-6
    assert m["CE of example 1 / article 002's formula read literally"] == pytest.approx(3.0)
    # Article 001 §4.3's "MSE" is half the sum of squares: n/2 times the mean, growing with n.
    assert m["article 001's 1/2 sum of squares / MSE, n = 4"] == pytest.approx(2.0)
    assert m["article 001's 1/2 sum of squares / MSE, n = 40"] == pytest.approx(20.0)
    # Keras's SGD on MSE with lr/2 reproduces our 200 steps.
    # "the same steps, up to float32 rounding (about 4e-7)"
    assert 1e-7 < m["|theta_Keras - theta_ours| after 200 steps"] < 1e-6
    # With a sigmoid output the squared error's gradient vanishes when confidently wrong; cross-entropy's does not.
    assert m["|dL/dz| at p = 0.01, cross-entropy"] > 0.95
    assert m["|dL/dz| at p = 0.01, squared error"] < 0.05 * m["|dL/dz| at p = 0.01, cross-entropy"]
    # Article 000's "sum" of the two components is one number, 0; its update climbs: its loss after
    # 30 steps is huge, the correct one is not.
    assert m["article 000's summed gradient"] == 0
    assert m["correct gradient: loss after 30 steps"] < 0.2 < m["loss at the start"]
    assert m["article 000's update: loss after 30 steps"] > 1e3
    # "each step turns r into r (1 + alpha (1 + mean x))": on this data (mean x about 1.1) about 1.6 per step.
    assert m["mean x of the data"] == pytest.approx(1.1, abs=0.05)
    factor = m["1 + alpha (1 + mean x), alpha = 0.3"]
    assert factor == pytest.approx(1.6, abs=0.05)
    for which in ("largest", "smallest"):
        assert m[f"article 000's update: mean residual after a step / before ({which} over 30 steps)"] == \
            pytest.approx(factor, rel=1e-6)
    # Below the stability limit the loss converges, above it diverges.
    assert m["too large: loss after 40 steps"] > 100 * m["near the limit: loss after 40 steps"]
    # "along each eigenvector the error is multiplied by 1 - alpha lambda_i": above the limit it grows by
    # |1 - alpha lambda_max| = 1.05 x 2 - 1 = 1.10 per step (the largest eigenvector dominates after 40 steps).
    assert m["too large: |1 - alpha lambda_max|"] == pytest.approx(1.10, abs=1e-9)
    assert m["too large: |theta - theta*| after the last step / before"] == pytest.approx(1.10, abs=1e-3)
    assert m["good: loss after 40 steps"] < m["too small: loss after 40 steps"]
    assert m["exercises passing as written"] == 0
    assert {"losses", "gradient_descent_path", "learning_rates"} <= {f.stem for f in result.figures}


def test_categorical_checker_rejects_the_predicted_class_probability():
    """Exercise 4.3: minus the log of each row's LARGEST probability is right only when the model is right."""
    from kerasmodels.course import exercises

    result = exercises.check("02.categorical_cross_entropy", lambda y, p: -np.mean(np.log(p.max(axis=1))), quiet=True)
    assert not result.passed
    assert "confidently wrong" in result.message
