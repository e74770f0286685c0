"""Lesson 01: activations and their derivatives agree with finite differences and autodiff."""

import numpy as np
import pytest

from kerasmodels.course.scratch import numpy_nn


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_derivative_formulas_match_finite_differences(name):
    f, df = numpy_nn.ACTIVATIONS[name]
    z = np.linspace(-4, 4, 41) + 0.013  # avoid ReLU's kink at exactly 0
    finite = (f(z + 1e-6) - f(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(df(z), finite, atol=1e-8)


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise"):
        assert np.array_equal(numpy_nn.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="sigmoid"):
        numpy_nn.get_activation("softplus")


@pytest.mark.slow
def test_lesson_01_runs_and_derivatives_agree(executed_lessons):
    result = executed_lessons(1)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["max_err_formula_vs_autodiff"] < 1e-12
    assert m["max_err_formula_vs_finite_diff"] < 1e-8
    # The one-unit Dense layer reproduces the hand computation.
    assert m["one_unit_dense_vs_hand_diff"] < 1e-6
    # sigmoid' <= 0.25 bounds the activation factors only: the weights decide between vanishing and exploding.
    for size in ("small", "large"):
        assert m[f"sigmoid_grad_norm_10_layers_{size}"] <= m[f"bound_prod_quarter_w_norm_{size}"]
    assert m["sigmoid_grad_norm_10_layers_small"] < 1e-3
    assert m["sigmoid_grad_norm_10_layers_large"] > 10 > 0.25**10
    # Keras's default (Glorot uniform) for 16 -> 16 has the "small" case's spread, 0.25.
    assert m["std_fresh_dense16_kernel"] == pytest.approx(0.25, abs=0.03)
    # With those weights (a fresh matrix per layer): sigmoid's gradient vanishes on every seed, tanh's survives on every seed.
    assert m["grad_norm_max_glorot_sigmoid"] < 1e-6
    assert 3e-7 < m["grad_norm_median_glorot_sigmoid"] < 5e-7  # "about 4e-7"
    assert 0.2 < m["factor_median_glorot_sigmoid"] < 0.3  # "shrinks about four times" per layer
    # 4 x Glorot lifts sigmoid's median > 1e4 times, to about 6e-3, yet it still vanishes (about 0.6 per layer).
    assert (m["grad_norm_median_4_glorot_sigmoid"]
            > 1e4 * m["grad_norm_median_glorot_sigmoid"])
    assert 4e-3 < m["grad_norm_median_4_glorot_sigmoid"] < 8e-3
    assert 0.55 < m["factor_median_4_glorot_sigmoid"] < 0.65
    assert m["grad_norm_max_4_glorot_sigmoid"] < 0.05
    # Larger scales keep sigmoid's gradient norm (8x: ~0.15, ~0.83 per layer; 12x: ~1.2, ~1.02 per layer) but
    # saturate the units (12x: ~73 % with slope < 0.05; 4x: ~24 %; 1x: < 0.1 %); mean output 0.50 at every scale.
    assert 0.1 < m["sigmoid_glorot_x8_median_grad_norm"] < 0.2
    assert 0.8 < m["sigmoid_glorot_x8_median_factor"] < 0.86
    assert 1.0 < m["sigmoid_glorot_x12_median_grad_norm"] < 1.5
    assert 1.0 < m["sigmoid_glorot_x12_median_factor"] < 1.05
    share = {k: m[f"sigmoid_glorot_x{k}_share_flat"] for k in (1, 4, 8, 12)}
    assert share[1] < 0.001 and 0.21 < share[4] < 0.27 and 0.7 < share[12] < 0.76
    assert share[1] < share[4] < share[8] < share[12]
    for k in (1, 4, 8, 12):
        assert 0.49 < m[f"sigmoid_glorot_x{k}_mean_output"] < 0.51
        # the scan reuses the pairings' draws: its 1x and 4x rows are the figure's
        if k in (1, 4):
            name = "glorot_sigmoid" if k == 1 else "4_glorot_sigmoid"
            assert m[f"sigmoid_glorot_x{k}_median_grad_norm"] == pytest.approx(
                m[f"grad_norm_median_{name}"])
    assert 0.15 < m["grad_norm_min_glorot_tanh"]
    assert m["grad_norm_max_glorot_tanh"] < 0.4
    assert 0.25 < m["grad_norm_median_glorot_tanh"] < 0.35  # "near 0.3"
    assert 0.85 < m["factor_median_glorot_tanh"] < 0.9  # "loses about 12 % per layer"
    # ReLU: He's weights are Glorot's draws times sqrt(2), so every seed's gradient is 2**5 = 32 times larger.
    assert m["he_over_glorot_grad_relu_min"] == pytest.approx(32, rel=1e-4)
    assert m["he_over_glorot_grad_relu_max"] == pytest.approx(32, rel=1e-4)
    assert 0.015 < m["grad_norm_median_glorot_relu"] < 0.025  # "about 0.02"
    assert 0.6 < m["grad_norm_median_he_relu"] < 0.8  # "about 0.7"
    # He + ReLU keeps more in the median (factor ~0.96 vs 0.88), but the seeds' ranges touch.
    assert 0.95 < m["factor_median_he_relu"] < 0.97
    assert 0.3 < m["grad_norm_min_he_relu"] < 0.4  # "about 0.36"
    assert 1.3 < m["grad_norm_max_he_relu"] < 1.7  # "to 1.5"
    assert (m["grad_norm_min_he_relu"]
            < 1.1 * m["grad_norm_max_glorot_tanh"])  # "ranges touch"
    assert m["exercises_passing_written"] == 0
    assert {"neuron_output", "activations", "initialisation_gradients"} <= {f.stem for f in result.figures}
