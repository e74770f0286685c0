"""Lesson 05: the scratch optimizers reproduce keras.optimizers step by step (to 1e-6 and better)."""

from pathlib import Path

import numpy as np
import pytest

from kerasmodels.course.scratch import optimizers as opt

START = np.array([-4.5, 2.0])


@pytest.mark.parametrize("optimizer,surface", [
    (opt.SGD(0.4), "ravine"),
    (opt.Momentum(0.1, momentum=0.8), "ravine"),
    (opt.Momentum(0.002, momentum=0.9), "rosenbrock"),
    (opt.Adagrad(1.0), "ravine"),
    (opt.Adagrad(0.1, initial_accumulator_value=0.01, epsilon=1e-3), "rosenbrock"),
    (opt.RMSprop(0.1), "ravine"),
    (opt.RMSprop(0.05, rho=0.8, momentum=0.5), "rosenbrock"),
    (opt.Adam(0.3), "ravine"),
    (opt.Adam(0.05, beta_1=0.8, beta_2=0.99, epsilon=1e-4), "rosenbrock"),
    (opt.AdamW(0.3, weight_decay=0.1), "ravine"),
    (opt.AdamW(0.05, weight_decay=0.3), "rosenbrock"),
], ids=lambda value: repr(value) if not isinstance(value, str) else value)
def test_scratch_matches_keras_step_by_step(optimizer, surface):
    fresh = type(optimizer)(**optimizer.get_config())
    start = START if surface == "ravine" else np.array([-1.5, 2.5])
    result = opt.compare_with_keras(fresh, opt.SURFACES[surface].gradient, start, steps=30)
    assert np.all(np.isfinite(result.keras))
    assert result.max_abs_difference < 1e-6


def test_textbook_adagrad_would_not_match():
    # Keras starts the accumulator at 0.1: the first step is not lr * sign(g).
    g = np.array([-0.45, 4.0])
    step = opt.Adagrad(1.0).step(np.zeros(2), g)
    assert not np.allclose(step, -np.sign(g), atol=1e-3)
    np.testing.assert_allclose(step, -g / np.sqrt(np.float32(0.1) + g**2 + 1e-7))


def test_adamw_decay_is_decoupled():
    # With a zero gradient Adam does not move; AdamW still shrinks the weights by lr * wd.
    w = np.array([2.0, -4.0])
    assert np.array_equal(opt.Adam(0.1).step(w, np.zeros(2)), w)
    np.testing.assert_allclose(opt.AdamW(0.1, weight_decay=0.5).step(w, np.zeros(2)), w * (1 - 0.05), rtol=1e-7)


def test_bad_hyper_parameters_are_explained():
    with pytest.raises(ValueError, match="learning_rate"):
        opt.SGD(-1)
    with pytest.raises(ValueError, match="momentum"):
        opt.Momentum(0.1, momentum=1.5)
    used = opt.SGD(0.1)
    used.step(np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="fresh optimizer"):
        opt.compare_with_keras(used, opt.SURFACES["ravine"].gradient, START)


@pytest.mark.slow
def test_lesson_05_facts(executed_lessons):
    result = executed_lessons(5)
    assert result.status == "passed", result.error
    (name, metric), = [(k, v) for k, v in result.metrics.items() if v["headline"]]
    assert name == "max_err_scratch_vs_keras_optimizers"
    assert metric["value"] < 1e-6
    assert {"optimizer_paths", "minibatch_sgd", "optimizers_on_digits"} <= {f.stem for f in result.figures}
    m = {k: v["value"] for k, v in result.metrics.items()}
    # GD on the ravine (curvature 2 across): no bouncing below alpha = 1/2, bouncing but converging
    # below 2/2 = 1, diverging above.
    assert m["gd_alpha_0_4_w2_sign_changes"] == 0
    assert m["gd_alpha_0_75_w2_sign_changes"] == 10
    assert m["gd_alpha_0_75_w2_abs_10_steps"] < 0.01 < 2.0 < m["gd_alpha_1_05_w2_abs_10_steps"]
    # Adam's first step without bias correction is (1 - beta_1) / sqrt(1 - beta_2) = 3.16x too large.
    assert m["adam_step1_uncorrected_over_corrected"] == pytest.approx(0.1 / np.sqrt(0.001))
    assert m["adam_first_step_keras_over_lr"] == pytest.approx(1.0, abs=1e-5)
    assert m["adam_uncorrected_over_corrected_max"] == pytest.approx(6.6, abs=0.05)
    assert 10 <= m["adam_uncorrected_over_corrected_argmax"] <= 14  # "around step 12"
    # The prose about the paths: Adagrad ends lowest by far; Momentum overshoots across the valley,
    # Adam and AdamW along it.
    final = {name: m[f"{name.lower()}_ravine_final_loss"] for name in
             ("GD", "Momentum", "Adagrad", "RMSprop", "Adam", "AdamW")}
    assert min(final, key=final.get) == "Adagrad"
    assert sorted(final.values())[1] > 10 * final["Adagrad"]
    assert m["momentum_ravine_min_w2"] < -0.5
    assert m["adam_ravine_max_w1"] > 0.5 and m["adamw_ravine_max_w1"] > 0.5
    # Adam and AdamW overshoot across the valley too (w2 to about -0.7 and -0.6); only Adagrad and
    # RMSprop head nearly straight for the minimum.
    assert m["adam_ravine_min_w2"] < -0.55 and m["adamw_ravine_min_w2"] < -0.55
    assert m["adagrad_ravine_min_w2"] > -0.01 and m["rmsprop_ravine_min_w2"] > -0.01
    # Adam: first steps about alpha (sign-like), momentum carries the step along the valley where the gradient
    # is tiny (step 18), later steps shrink to about 0.2 alpha.
    assert m["adam_min_step_over_alpha_first_5"] >= 0.9
    assert m["adam_grad_along_valley_step18"] < 0.01 < 0.1 < m["adam_step_along_valley_step18"]
    assert 0.15 < m["adam_max_step_over_alpha_steps_41_60"] < 0.25
    # ... in quick mode (60 steps). Run for 150 steps (recorded in both modes) RMSprop gets very close, is
    # thrown back out and ends higher than at step 60: its effective rate alpha / sqrt(v + eps) grows once the
    # gradient is tiny and passes 2 / curvature, across (limit 1) at step 68 and along (limit 20) at step 106.
    assert m["rmsprop_lr_along_valley_step60"] == pytest.approx(1.8, abs=0.05)
    assert m["rmsprop_lr_across_valley_step60"] == pytest.approx(0.67, abs=0.005)
    assert m["rmsprop_first_step_across_rate_above_1"] == 68
    assert m["rmsprop_first_step_along_rate_above_20"] == 106
    assert (m["rmsprop_first_step_across_rate_above_1"]
            < m["rmsprop150_argmin_loss"] < m["rmsprop150_argmin_w2"])
    assert m["rmsprop150_argmin_w2"] == 101
    assert (m["rmsprop_first_step_along_rate_above_20"]
            < m["rmsprop150_argmax_w1"] == 139)
    assert m["rmsprop150_min_loss"] < 1e-15
    assert 80 < m["rmsprop150_argmin_loss"] < 100
    assert m["rmsprop150_final_loss"] > 10 * m["rmsprop150_loss_step60"]
    assert m["rmsprop150_final_loss"] == pytest.approx(4e-3, rel=0.1)
    assert m["rmsprop150_min_w2"] == pytest.approx(-0.23, abs=0.01)
    assert m["rmsprop150_max_w1"] == pytest.approx(0.15, abs=0.01)
    # Adagrad wins by a settled per-coordinate rate: above GD's 0.4 along the valley, below 1/2 across.
    assert m["adagrad_lr_along_valley_end"] > 2 * 0.4
    assert m["adagrad_lr_across_valley_end"] < 0.5
    assert m["adagrad_accumulator_share_10_steps"] > 0.9
    # Adam + L2 divides the decay by sqrt(v): the large-gradient weight is barely decayed, the small one
    # hard; AdamW decays both alike.
    assert m["adam_l2_weight_kept_grad_0_01"] < 0.2
    assert m["adam_l2_weight_kept_grad_10"] > 0.9
    aw_small = m["adamw_weight_kept_grad_0_01"]
    aw_large = m["adamw_weight_kept_grad_10"]
    assert aw_small < 0.8 and aw_large < 0.8 and abs(aw_small - aw_large) < 0.05
    # Mini-batch SGD: jitter grows with the learning rate, shrinks with the batch size, about sqrt(alpha / B);
    # full-batch GD settles.
    spread = {(a, b): m[f"sgd_rms_distance_{str(a).replace('.', '_')}_b{b}"]
              for a in (0.01, 0.04) for b in (1, 4, 16, 64)}
    for a in (0.01, 0.04):
        assert spread[a, 1] > spread[a, 4] > spread[a, 16] > spread[a, 64]
        assert 1.5 < spread[a, 4] / spread[a, 16] < 2.7  # four times the batch, about half the jitter
    for b in (1, 4, 16, 64):
        assert 1.5 < spread[0.04, b] / spread[0.01, b] < 2.7  # four times the learning rate, about double
    assert spread[0.01, 4] == pytest.approx(spread[0.04, 16], rel=0.3)  # same alpha / B
    assert m["gd_rms_distance_alpha_0_04"] < 1e-6
    # Momentum's long-run step is alpha / (1 - mu); on the digits MLP (quick mode) the long-run step decides,
    # and at the same long-run step momentum and SGD differ by less than a fifth of the step-size gap.
    assert m["momentum_step200_over_terminal_step"] == pytest.approx(1, abs=1e-4)
    sgd_01, mom_01 = m["digits_mlp_sgd_train_loss"], m["digits_mlp_momentum_train_loss"]  # long-run step 0.1
    sgd_05, mom_05 = m["digits_mlp_sgd_0_5_train_loss"], m["digits_mlp_momentum_0_05_0_9_train_loss"]  # and 0.5
    step_gap = min(sgd_01, mom_01) - max(sgd_05, mom_05)
    assert step_gap > 0.3
    assert abs(sgd_01 - mom_01) < step_gap / 5 and abs(sgd_05 - mom_05) < step_gap / 5
    # A second seed moves each of the four losses by much less than the step-size gap.
    assert m["digits_mlp_max_loss_change_second_seed"] < step_gap / 5
    assert mom_01 > sgd_01  # at 0.1, momentum is a little behind
    # Back on the ravine (60 steps): at the same long-run step 0.5 momentum ends about 5x below GD, GD at 0.9
    # ends over 30x below section 4's Momentum(0.1, 0.8), and tuned momentum over 1e14x below the best GD run.
    momentum_run = m["ravine_loss_momentum_0_1_0_8_section_4"]
    assert m["ravine_loss_gd_0_4_section_4"] == pytest.approx(m["gd_ravine_final_loss"], rel=1e-9)
    assert momentum_run == pytest.approx(m["momentum_ravine_final_loss"], rel=1e-9)
    assert 3 < m["ravine_loss_gd_0_5"] / momentum_run < 8
    assert momentum_run / m["ravine_loss_gd_0_9"] > 30
    best_gd = min(m["ravine_loss_gd_0_9"], m["ravine_loss_gd_tuned_2_2_1"])
    assert best_gd == m["ravine_loss_gd_0_9"]
    assert best_gd / m["ravine_loss_momentum_tuned_1_34_0_40"] > 1e14
    # Tuned GD (best worst-case rate, 19/21 in both directions) ends above GD at 0.9 from this start: most of
    # its final loss is the leftover w2 across the valley (4 / (4 + 0.05 * 4.5**2) = 0.80 of it).
    assert m["ravine_loss_gd_tuned_2_2_1"] > m["ravine_loss_gd_0_9"]
    share = m["ravine_gd_tuned_w2_share_of_loss"]
    assert share == pytest.approx(0.8, abs=0.01)


def test_rmsprop_check_rejects_epsilon_outside_the_root():
    # Exercise 7.2 asks for Keras's form: sqrt(v + eps). The textbook sqrt(v) + eps fails the tiny-v case.
    import importlib.util

    from kerasmodels.course import exercises

    path = Path(__file__).resolve().parents[1] / "lessons" / "solutions" / "05_optimizers.py"
    spec = importlib.util.spec_from_file_location("solutions_05_optimizers", path)
    solutions = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solutions)
    assert exercises.check("05.rmsprop_step", solutions.rmsprop_step, quiet=True).passed
    result = exercises.check("05.rmsprop_step", solutions._rmsprop_epsilon_outside, quiet=True)
    assert not result.passed and "tiny gradients" in result.message and "INSIDE the square root" in result.message


def test_rmsprop_check_gives_the_epsilon_hint_only_for_the_epsilon_mistake():
    # Stepping with the OLD v fails the first case; the hint must not blame epsilon's place.
    from kerasmodels.course import exercises

    def old_v_in_the_step(w, g, v, learning_rate, rho=0.9, epsilon=1e-7):
        return w - learning_rate * g / np.sqrt(v + epsilon), rho * v + (1 - rho) * g**2

    result = exercises.check("05.rmsprop_step", old_v_in_the_step, quiet=True, hint=1)
    assert not result.passed and "first step" in result.message
    assert "epsilon" not in result.message and "NEW v" in result.message
