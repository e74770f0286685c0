"""Lesson 02: losses match keras.losses; gradient descent reaches least squares; the document's rule diverges."""

import re

import pytest


@pytest.mark.slow
def test_lesson_02_facts(executed_lessons):
    from conftest import notebook_text_outputs

    result = executed_lessons(2)
    assert result.status == "passed", result.error
    assert result.metrics["max |hand loss - keras.losses|"]["value"] < 1e-6
    assert result.metrics["|theta_GD - theta_least_squares|"]["value"] < 1e-6
    text = notebook_text_outputs(result)
    # Keras's SGD on MSE with lr/2 reproduces our 200 steps.
    keras_line = next(line for line in text.splitlines() if line.startswith("Keras: theta"))
    ours, theirs = re.findall(r"\[([^\]]+)\]", keras_line)
    assert [float(v) for v in ours.split()] == pytest.approx([float(v) for v in theirs.split()], abs=2e-4)
    # The document's update climbs: its loss after 30 steps is huge, the correct one is not.
    losses = {name: float(re.search(r"loss ([-0-9.e+]+)", line).group(1))
              for line in text.splitlines()
              for name in ("correct gradient", "document's update") if line.startswith(name)}
    assert losses["correct gradient"] < 0.2 < 1e3 < losses["document's update"]
    # Below the stability limit the loss converges, above it diverges.
    rates = {line.split(" (")[0]: float(line.rsplit(":", 1)[1]) for line in text.splitlines() if "loss after" in line}
    assert rates["too large"] > 100 * rates["near the limit"]
    assert rates["good"] < rates["too small"]
    assert {"losses", "gradient_descent_path", "learning_rates"} <= {f.stem for f in result.figures}
