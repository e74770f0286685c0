"""Lesson 04: transpose versus article 002's rotation, binomial simulation, Bayes, what GD updates."""

import pytest

from kerasmodels.course import exercises


def _posterior_with_miss_rate(prior, sensitivity, false_positive_rate):
    # The classic slip: the healthy test positive at 1 - sensitivity (the miss rate), not at the FPR.
    return sensitivity * prior / (sensitivity * prior + (1 - sensitivity) * (1 - prior))


def test_bayes_check_rejects_the_miss_rate_in_place_of_the_false_positive_rate():
    result = exercises.check("04.bayes_posterior", _posterior_with_miss_rate, quiet=True)
    assert not result.passed
    assert "false_positive_rate=0.2" in result.message, result.message


@pytest.mark.slow
def test_lesson_04_facts(executed_lessons):
    result = executed_lessons(4)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["AB by hand vs A @ B: max difference"] == 0
    assert m["AB by hand vs keras.ops.matmul: max difference"] < 1e-6
    assert m["entries of a (3, 1) * (3,) product (broadcast)"] == 9  # a wrong `*` runs silently
    # On the tilted bowl, -grad f does not point at the minimum: about 27 degrees off at (1.8, -1.8).
    assert m["angle between -grad f and the direction to the minimum at (1.8, -1.8), degrees"] == pytest.approx(26.6, abs=0.5)
    assert m["max |(PQ)^T - Q^T P^T|"] < 1e-12
    assert m["max |rot(PQ) - rot(Q) rot(P)|"] > 0.1  # article 002's "transpose" breaks the rule
    posterior = m["P(condition | positive test)"]
    assert posterior == pytest.approx(0.90 * 0.01 / (0.90 * 0.01 + 0.05 * 0.99))
    assert 6 < 1 / posterior < 7  # "about one positive in six and a half is real"
    assert m["simulated: share of the positives who have the condition"] == pytest.approx(posterior, abs=0.02)
    assert m["largest |simulated - binomial formula| over k = 0..10"] < 0.01
    # Normal and Poisson: samples match the formulas; the prose's 68%, mean = variance, the binomial limit.
    assert m["normal: largest |histogram density - formula|"] < 0.05
    assert m["normal: share of draws within one sigma of the mean"] == pytest.approx(0.6827, abs=0.01)
    assert m["Poisson: largest |simulated - formula| over k = 0..12"] < 0.01
    assert m["Poisson: mean and variance of the draws, |difference|"] < 0.1
    assert m["largest |Binomial(1000, 0.003) - Poisson(3)| over k"] < 0.001
    # HeNormal draws from a normal cut at 2 sigma, sigma enlarged by 1/0.88: the spread is as asked and no draw
    # lies beyond "about 2.27" standard deviations (2 / 0.8796); RandomNormal, uncut, has a draw "beyond 4".
    assert m["HeNormal: std of the draws / sqrt(2 / fan_in)"] == pytest.approx(1, abs=0.02)
    assert m["HeNormal: largest |draw| / std of the draws"] == pytest.approx(2 / 0.8796, abs=0.02)
    assert m["RandomNormal: largest |draw| / std of the draws"] > 4
    # Updating parameters learns the rule; updating p only learns the label frequency.
    assert m["test accuracy, parameters updated"] > 0.9
    assert m["test accuracy, p updated (article 002 §4.4)"] < 0.7
    assert m["exercises passing as written"] == 0
    figures = {f.stem for f in result.figures}
    assert {"gradient_field", "bernoulli_binomial", "bayes_natural_frequencies", "normal_poisson"} <= figures


def test_every_numbered_section_heading_is_in_a_markdown_cell():
    # Section 4's heading once sat inside a code cell (no "# %% [markdown]" marker), so it rendered as a comment.
    from pathlib import Path

    source = (Path(__file__).parents[1] / "lessons" / "04_the_maths_toolkit.py").read_text(encoding="utf-8")
    cells = source.split("\n# %%")
    for cell in cells:
        if any(line.startswith("# ## ") for line in cell.splitlines()):
            assert cell.startswith(" [markdown]"), cell[:200]
