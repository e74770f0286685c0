"""Lesson 06: the corrected MLP learns MNIST; article 001 §5.2's one-sigmoid model cannot."""

import numpy as np
import pytest
from _reference_cpu import EMULATED_AVX2_RUN, QUOTED_RUN_CPU

from kerasmodels.course import exercises


@pytest.mark.parametrize("wrong", [
    lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=1, keepdims=True),  # one maximum for the batch
    lambda z: np.exp(z - z.min(axis=1, keepdims=True))
    / np.exp(z - z.min(axis=1, keepdims=True)).sum(axis=1, keepdims=True),  # each row's minimum
    lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True),  # no shift at all
    lambda z: np.exp(z - z.mean(axis=1, keepdims=True))
    / np.exp(z - z.mean(axis=1, keepdims=True)).sum(axis=1, keepdims=True),  # each row's mean
], ids=["global max", "row minimum", "no shift", "row mean"])
def test_softmax_checker_rejects_plausible_wrong_shifts(wrong):
    result = exercises.check("06.softmax", wrong, quiet=True)
    assert not result.passed and "case" in result.message


def test_softmax_checker_accepts_the_row_max_shift():
    def right(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    assert exercises.check("06.softmax", right, quiet=True).passed


@pytest.mark.slow
def test_lesson_06_facts(executed_lessons):
    result = executed_lessons(6)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    # Article 001 §5.4 prints 633/633; 60,000 images in batches of 128 make 469.
    assert m["batches_per_epoch_60000_batch_128"] == 469
    assert m["batches_per_epoch_ours_batch_128"] == 94
    assert m["params_by_hand"] == m["params_keras_counts"] == 55_050
    # Article 001 §5.2's model: its "accuracy" can only count labels 0 and 1.
    share_01 = m["share_test_labels_0_or_1"]
    assert m["art001_model_reported_acc"] <= share_01 + 1e-6 < 0.3
    # Quick mode (12,000 images, 4 epochs) is far above chance and far above the broken model.
    assert m["mnist_test_acc"] > 0.85
    assert m["misclassified_test_images"] == round((1 - m["mnist_test_acc"]) * 10_000)
    # Lesson 07's quick test images (the first 2,000) are harder than the rest for this MLP; the binomial
    # standard error of a score near 90 % on 2,000 images is about 0.66 points.
    mlp_2000 = m["mnist_test_acc_first_2000"]
    assert mlp_2000 < m["mnist_test_acc"]
    assert m["std_err_acc_first_2000_test"] == pytest.approx(
        np.sqrt(mlp_2000 * (1 - mlp_2000) / 2000))
    # Binary cross-entropy with a label of 9 goes negative as p -> 1.
    assert m["bce_label9_p_0_999999"] < -100
    # In evaluate, TensorFlow computes it from the sigmoid's logit (no floor): far below the clipped loss of
    # the same outputs (the review measured -345 against -56); JAX clips in evaluate too, so the two agree.
    reported = m["art001_model_bce_evaluate"]
    clipped = m["art001_model_bce_clipped"]
    assert clipped < 0
    if m["backend_is_tensorflow"] == 1:
        assert reported < 2 * clipped
    else:
        assert reported == pytest.approx(clipped, rel=1e-3)
    # The learning curves: after epoch 1 validation is below training (running average with dropout
    # against end-of-epoch without); re-evaluated after the epoch, the training loss drops too.
    assert m["epoch1_val_loss"] < m["epoch1_train_loss_running_avg"]
    assert m["last_epoch_train_loss_reevaluated"] < m[
        "last_epoch_train_loss_fit"]
    assert m["val_loss_fell_every_epoch"] == 1
    assert m["exercises_passing_written"] == 0
    assert {"mnist_examples", "training_curves", "misclassified_digits", "confusion_matrix"} <= {
        f.stem for f in result.figures}


@pytest.mark.slow
def test_quick_mode_mlp_and_cnn_differ_by_less_than_a_change_of_seed_on_the_same_images(executed_lessons):
    # Lesson 06's prose (quick mode, TensorFlow): on the same 2,000 test images lesson 07's CNN scores 91.20 % on
    # this course's EPYC with AVX-512 and 90.55 % with its kernels capped at AVX2; this MLP 90.50 % on both. The gap
    # (0.70 / 0.05 points) is smaller than the 1.85 points by which changing only lesson 07's seed moved its score
    # (93.05 % before commit b7250f3, AVX-512); the CPU moved it by 0.65 points.
    seed_shift = 0.9305 - 0.9120
    m6 = {k: v["value"] for k, v in executed_lessons(6).metrics.items()}
    mlp_2000 = m6["mnist_test_acc_first_2000"]
    cnn = executed_lessons(7).metrics["mnist_test_acc_art002_cnn"]["value"]
    assert abs(mlp_2000 - cnn) < seed_shift  # on any CPU: what the prose concludes from the quoted runs
    if QUOTED_RUN_CPU:
        assert (f"{cnn:.2%}", f"{mlp_2000:.2%}") == ("91.20%", "90.50%")
    if EMULATED_AVX2_RUN:
        assert (f"{cnn:.2%}", f"{mlp_2000:.2%}") == ("90.55%", "90.50%")
