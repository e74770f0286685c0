"""Lesson 06: the corrected MLP learns MNIST; the document's one-sigmoid model cannot."""

import math

import pytest


def test_batches_per_epoch_of_the_document():
    # Seed 001 §5.4 prints 633/633; 60,000 images in batches of 128 make 469.
    assert math.ceil(60000 / 128) == 469 != 633


@pytest.mark.slow
def test_lesson_06_facts(executed_lessons):
    from conftest import notebook_text_outputs

    result = executed_lessons(6)
    assert result.status == "passed", result.error
    text = notebook_text_outputs(result)
    assert "60,000 images -> 469" in text
    assert "parameters by hand: 55,050; Keras counts 55,050" in text
    # The document's model: its "accuracy" can only count labels 0 and 1.
    share_01 = float(text.split("could ever count): ")[1].split("%")[0]) / 100
    assert result.metrics["document's model: reported 'accuracy'"]["value"] <= share_01 + 1e-6
    # Quick mode (12,000 images, 4 epochs) is far above chance and far above the broken model.
    assert result.metrics["MNIST test accuracy"]["value"] > 0.85
    assert {"mnist_examples", "training_curves", "misclassified_digits", "confusion_matrix"} <= {
        f.stem for f in result.figures}
