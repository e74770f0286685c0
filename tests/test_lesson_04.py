"""Lesson 04: transpose versus the document's rotation, binomial simulation, Bayes, what GD updates."""

import pytest


@pytest.mark.slow
def test_lesson_04_facts(executed_lessons):
    from conftest import notebook_text_outputs

    result = executed_lessons(4)
    assert result.status == "passed", result.error
    text = notebook_text_outputs(result)
    assert "equal to A @ B: True | equal to keras.ops.matmul: True" in text
    assert "(PQ)^T == Q^T P^T: True" in text
    assert "rot(PQ) == rot(Q) rot(P): False" in text  # the document's "transpose" breaks the rule
    posterior = result.metrics["P(condition | positive test)"]["value"]
    assert posterior == pytest.approx(0.95 * 0.01 / (0.95 * 0.01 + 0.05 * 0.99))
    simulated = float(text.split("of whom ")[1].split("%")[0]) / 100
    assert simulated == pytest.approx(posterior, abs=0.02)
    binomial_gap = float(text.split("binomial formula| over k = 0..10: ")[1].split()[0])
    assert binomial_gap < 0.01
    # Updating parameters learns the rule; updating p only learns the label frequency.
    assert result.metrics["test accuracy, parameters updated"]["value"] > 0.9
    assert result.metrics["test accuracy, p updated (seed 002 §4.4)"]["value"] < 0.7
    assert {"gradient_field", "bernoulli_binomial", "bayes_natural_frequencies"} <= {f.stem for f in result.figures}
