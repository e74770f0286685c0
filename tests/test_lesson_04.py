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
    assert m["matmul_hand_vs_numpy_max_diff"] == 0
    assert m["matmul_hand_vs_keras_max_diff"] < 1e-6
    assert m["broadcast_3x1_times_3_entries"] == 9  # a wrong `*` runs silently
    # On the tilted bowl, -grad f does not point at the minimum: about 27 degrees off at (1.8, -1.8).
    assert m["angle_neg_grad_to_minimum_deg"] == pytest.approx(26.6, abs=0.5)
    assert m["max_err_transpose_of_product"] < 1e-12
    assert m["max_err_rotation_of_product"] > 0.1  # article 002's "transpose" breaks the rule
    posterior = m["p_condition_given_positive"]
    assert posterior == pytest.approx(0.90 * 0.01 / (0.90 * 0.01 + 0.05 * 0.99))
    assert 6 < 1 / posterior < 7  # "about one positive in six and a half is real"
    assert m["simulated_share_positives_with_condition"] == pytest.approx(posterior, abs=0.02)
    assert m["binomial_max_err_simulated"] < 0.01
    # Normal and Poisson: samples match the formulas; the prose's 68%, mean = variance, the binomial limit.
    assert m["normal_max_err_histogram"] < 0.05
    assert m["normal_share_within_one_sigma"] == pytest.approx(0.6827, abs=0.01)
    assert m["poisson_max_err_simulated"] < 0.01
    assert m["poisson_mean_minus_variance"] < 0.1
    assert m["binomial_vs_poisson_max_diff"] < 0.001
    # HeNormal draws from a normal cut at 2 sigma, sigma enlarged by 1/0.88: the spread is as asked and no draw
    # lies beyond "about 2.27" standard deviations (2 / 0.8796); RandomNormal, uncut, has a draw "beyond 4".
    assert m["he_normal_std_over_formula"] == pytest.approx(1, abs=0.02)
    assert m["he_normal_max_draw_over_std"] == pytest.approx(2 / 0.8796, abs=0.02)
    assert m["random_normal_max_draw_over_std"] > 4
    # Updating parameters learns the rule; updating p only learns the label frequency.
    assert m["test_acc_params_updated"] > 0.9
    assert m["test_acc_p_updated_art002"] < 0.7
    assert m["exercises_passing_written"] == 0
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
