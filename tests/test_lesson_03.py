"""Lesson 03: backprop gradients pass a float64 finite-difference check and match Keras autodiff."""

import numpy as np
import pytest

from kerasmodels.course.scratch import numpy_nn


def _batch(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(5, sizes[0])), rng.uniform(size=(5, sizes[-1]))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_backprop_passes_gradient_check(activation):
    sizes = (4, 5, 3, 2)
    net = numpy_nn.MLP(sizes, activation=activation, seed=1)
    x, t = _batch(sizes)
    errors = numpy_nn.gradient_check(net, x, t)
    assert set(errors) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert max(errors.values()) < 1e-6, errors


def test_backprop_matches_keras_autodiff():
    sizes = (4, 5, 3, 2)
    net = numpy_nn.MLP(sizes, seed=2)
    x, t = _batch(sizes, seed=2)
    loss, ours = net.gradients(x, t)
    keras_loss, theirs = numpy_nn.keras_gradients(net, x, t)
    assert keras_loss == pytest.approx(loss, rel=1e-12)
    for name in ours:
        assert theirs[name].shape == net.params[name].shape
        assert numpy_nn.relative_error(ours[name], theirs[name]) < 1e-10


def test_article_001s_delta_fails_the_check():
    # delta2 = delta3 W3^T without sigma'(z2), as article 001 §4.4 can be read, gives wrong gradients.
    net = numpy_nn.MLP((4, 5, 3, 2), seed=3)
    x, t = _batch((4, 5, 3, 2), seed=3)
    y, cache = net.forward(x)
    delta3 = (y - t) * numpy_nn.sigmoid_derivative(cache["z3"])
    wrong_dW2 = cache["a1"].T @ (delta3 @ net.params["W3"].T)
    numeric = numpy_nn.numerical_gradient(lambda: net.loss(x, t), net.params["W2"])
    assert numpy_nn.relative_error(wrong_dW2, numeric) > 0.1


def test_numerical_gradient_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        numpy_nn.numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))


def test_bad_input_shape_is_explained():
    net = numpy_nn.MLP((4, 3, 1))
    with pytest.raises(ValueError, match=r"\(batch, 4\)"):
        net.forward(np.zeros((2, 5)))


@pytest.mark.slow
def test_lesson_03_facts(executed_lessons):
    result = executed_lessons(3)
    assert result.status == "passed", result.error
    assert result.metrics["max_rel_err_backprop_vs_finite_diff"]["value"] < 1e-6
    assert result.metrics["max_rel_err_vs_keras_autodiff"]["value"] < 1e-10
    assert result.metrics["circle_train_acc"]["value"] > 0.9
    m = {k: v["value"] for k, v in result.metrics.items()}
    # "one bump, between steps about 1040 and 1140 ... rises by about 40 % ... well below where it began"
    assert 1000 <= m["first_step_where_loss_rose"] <= 1080
    assert 1100 <= m["last_step_where_loss_rose"] <= 1180
    assert 1.3 < m["loss_bump_top_over_before"] < 1.5
    assert m["loss_end_over_before_bump"] < 0.8
    assert 0.5 < m["share_rises_two_steps_apart"] < 0.75  # "about 60 %"
    # "lesson 02's step above its limit, briefly": lambda_max * alpha "1.825 at step 500, passes 2 by step
    # 650 (2.004) and stays above it until the bump begins (at most 2.101) ... from 50 steps after the bump
    # on ... below 2 (at most 1.974)"; the overshoot's growth factor |1 - alpha lambda_max| is "about 1.1".
    assert m["lambda_alpha_step_500"] == pytest.approx(1.825, abs=5e-4)
    assert m["first_step_lambda_alpha_above_2"] == 650
    assert 2 < m["lambda_alpha_first_step_above_2"] == pytest.approx(2.004, abs=5e-4)
    assert m["first_step_lambda_alpha_above_2"] < m["first_step_where_loss_rose"]
    assert 2 < m["lambda_alpha_max_before_bump"] == pytest.approx(2.101, abs=5e-4)
    assert m["lambda_alpha_min_650_to_bump"] > 2
    # "the loss first rises about 400 steps after lambda_max alpha passes 2"
    assert 350 < m["first_step_where_loss_rose"] - m["first_step_lambda_alpha_above_2"] < 450
    assert m["lambda_alpha_max_before_bump"] - 1 == pytest.approx(1.1, abs=0.05)
    assert m["lambda_alpha_max_after_bump"] == pytest.approx(1.974, abs=5e-4)
    assert m["lambda_alpha_max_after_bump"] < 2
    # Control: half the learning rate for twice the steps, and the loss never rises ("0 rising steps").
    assert m["loss_rises_half_rate"] == 0
    assert {"computation_graph", "numpy_mlp_training"} <= {f.stem for f in result.figures}
