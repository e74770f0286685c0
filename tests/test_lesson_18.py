"""Lesson 18's claims: linkage re-identifies, DP-SGD's gradients and accountant are right, FedAvg and inversion work."""

import math

import numpy as np
import pytest

from kerasmodels.course.topics import privacy


def test_lesson_18_numbers(executed_lessons):
    result = executed_lessons(18)
    assert result.status == "passed", result.error
    metrics = {k: v["value"] for k, v in result.metrics.items()}
    assert metrics["share_unique_zip_birth_date_sex"] > 0.9
    # The ZIPs span several 3-digit areas, so ZIP[:3] coarsens the ZIP rather than deleting it;
    # the prose: ZIP[:3] with the full birth date still leaves 97.2 % unique, the birth year
    # gives 43.7 % with the full ZIP and 0.0 % with ZIP[:3].
    assert metrics["zip3_areas"] == 5
    assert metrics["share_unique_zip3_birth_date_sex"] == pytest.approx(0.972, abs=0.0005)
    assert metrics["share_unique_zip_birth_year_sex"] == pytest.approx(0.437, abs=0.0005)
    assert metrics["share_unique_zip3_birth_year_sex"] < 0.0005
    assert metrics["max_err_hand_vs_keras_grad"] < 1e-5
    headline = metrics["dp_sgd_test_acc"]  # "DP-SGD test accuracy at epsilon ..." (the epsilon the lesson chose)
    assert 0.8 < headline < metrics["non_private_test_acc"]
    assert metrics["grad_inversion_max_pixel_err"] < 1e-4
    assert metrics["fedavg_non_iid_test_acc"] > 0.3
    # The Laplace mechanism's exact largest ratio is e^eps; the tolerance is float round-off of
    # probabilities near 1e-6 in the farthest bins (relative error ~1e-10).
    assert metrics["laplace_max_exact_ratio"] <= metrics["laplace_e_epsilon"] * (1 + 1e-9)
    assert metrics["laplace_max_exact_ratio"] == pytest.approx(math.exp(0.5), rel=1e-9)
    # The bins of 411 and 412 straddle the two true counts: for 412, P(with) = 1 - e^(-1/4) (the centre bin)
    # and P(without) = (e^(-1/4) - e^(-3/4)) / 2 (Laplace scale 2), a ratio of 1.4437.
    straddle = (1 - math.exp(-0.25)) / (0.5 * (math.exp(-0.25) - math.exp(-0.75)))
    assert metrics["laplace_min_exact_ratio"] == pytest.approx(straddle, rel=1e-9)
    assert metrics["laplace_min_exact_ratio"] == pytest.approx(1.4437, abs=1e-4)
    # The sampled maximum: its simultaneous interval holds e^eps, and every bin's holds its exact ratio.
    low = metrics["max_sampled_ratio_low"]
    high = metrics["max_sampled_ratio_high"]
    assert low <= math.exp(0.5) <= high
    assert low <= metrics["max_sampled_ratio"] <= high
    assert metrics["bins_simultaneous_miss"] == 0
    # The prose: the sampled maximum is above e^eps (biased upwards); in this run some one-bin intervals miss, which
    # with this many bins happens in about half of all runs (1 - 0.95^m), not in every run.
    assert metrics["max_sampled_ratio"] > math.exp(0.5)
    assert metrics["bins_one_bin_miss"] >= 1
    assert 0.4 < metrics["chance_some_one_bin_miss"] < 0.6  # "about half"
    # ... and non-IID clients end less accurate than IID ones after the same rounds.
    assert metrics["fedavg_non_iid_test_acc"] < metrics["fedavg_iid_test_acc"]
    # A one-noise-std shift (clipped) is detectable ~69% of the time (Phi(1/2)); unclipped, almost always.
    assert metrics["membership_acc_clipped"] == pytest.approx(0.691, abs=0.01)
    assert metrics["membership_acc_unclipped"] > 0.99
    assert {f.stem for f in result.figures} >= {"anonymity", "privacy_utility", "fedavg", "gradient_inversion"}
    # The legend says "mostly 2 classes each": shards straddle class boundaries, so a client can hold a third
    # or fourth class (the review's run: at most 4), as the prose says.
    assert metrics["non_iid_min_top2_class_share"] > 0.8
    assert 3 <= metrics["non_iid_max_classes_one_client"] <= 4


def test_per_example_gradients_match_finite_differences():
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    x, y = rng.normal(size=(1, 4)), np.array([2])

    def loss(w_):
        p = privacy.softmax(x @ w_ + b)
        return -np.log(p[0, y[0]])

    grad_w, _ = privacy.softmax_per_example_gradients(w, b, x, y)
    numeric = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        step = np.zeros_like(w)
        step[i] = 1e-6
        numeric[i] = (loss(w + step) - loss(w - step)) / 2e-6
    np.testing.assert_allclose(grad_w[0], numeric, atol=1e-6)


def test_clipping_bounds_every_row_and_keeps_short_ones():
    g = np.array([[3.0, 4.0], [0.3, 0.4]])
    np.testing.assert_allclose(privacy.clip_per_example(g, 1.0), [[0.6, 0.8], [0.3, 0.4]])
    with pytest.raises(ValueError, match="clip_norm"):
        privacy.clip_per_example(g, 0.0)


def test_accountant_behaves_like_differential_privacy():
    # Known reference: MNIST, batch 256 of 60,000, sigma 1.1, 60 epochs, delta 1e-5 gives epsilon about 3.
    eps = privacy.dp_sgd_epsilon(256 / 60000, 1.1, int(60 * 60000 / 256), 1e-5)
    assert 2.5 < eps < 3.5
    # More noise or fewer steps: more privacy (smaller epsilon); no noise: no guarantee.
    assert privacy.dp_sgd_epsilon(0.05, 2.0, 400) < privacy.dp_sgd_epsilon(0.05, 1.0, 400)
    assert privacy.dp_sgd_epsilon(0.05, 1.0, 100) < privacy.dp_sgd_epsilon(0.05, 1.0, 400)
    assert math.isinf(privacy.dp_sgd_epsilon(0.05, 0.0, 10))
    # Without subsampling (q = 1) one step's RDP is the Gaussian mechanism's alpha / (2 sigma^2).
    assert privacy.subsampled_gaussian_rdp(1.0, 2.0, 8) == pytest.approx(8 / 8)
    assert privacy.subsampled_gaussian_rdp(0.999999, 2.0, 8) == pytest.approx(1.0, rel=1e-4)


def test_noise_without_clipping_is_refused():
    x, y = np.zeros((10, 2)), np.zeros(10, int)
    with pytest.raises(ValueError, match="clip"):
        privacy.dp_sgd_softmax(x, y, 2, noise_multiplier=1.0, clip_norm=None)


def test_non_iid_split_gives_each_client_few_classes():
    y = np.repeat(np.arange(10), 50)
    parts = privacy.split_clients(y, 5, iid=False, classes_per_client=2)
    assert sorted(np.concatenate(parts)) == list(range(500))
    assert all(len(np.unique(y[p])) <= 2 for p in parts)
    iid = privacy.split_clients(y, 5, iid=True)
    assert all(len(np.unique(y[p])) == 10 for p in iid)


def test_invert_dense_gradient_recovers_the_input_exactly():
    rng = np.random.default_rng(1)
    x, upstream = rng.random(6), rng.normal(size=3)
    assert np.allclose(privacy.invert_dense_gradient(np.outer(x, upstream), upstream), x)
