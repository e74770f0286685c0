"""Lesson 14 (hardware and scale): FLOPs by hand match the package, data parallelism computes the same update,
two worker processes follow one process's loss curve, mixed precision's numerics are as the errata says, and a
profiler trace is written. Every fact is read from the metrics the lesson recorded."""

import pytest

from kerasmodels import hardware


@pytest.fixture(scope="module")
def lesson14(executed_lessons):
    result = executed_lessons(14)
    assert result.status == "passed", result.error
    return result


def value(result, name):
    return result.metrics[name]["value"]


@pytest.mark.slow
def test_flops_by_hand_match_count_flops(lesson14):
    assert value(lesson14, "layers_counted_hand") == 5  # conv2d_1..3, dense_1, logits
    assert value(lesson14, "layers_hand_eq_count_flops") == 5
    assert value(lesson14, "conv2d_1_forward_flops_hand") == 2 * 3 * 3 * 1 * 32 * 26 * 26


@pytest.mark.slow
def test_two_replicas_apply_the_same_update_as_one_device(lesson14):
    assert value(lesson14, "data_parallel_replicas") == 2
    assert value(lesson14, "replicas_vs_one_device_max_weight_diff") < 1e-5
    # ... and the same loss to float32 rounding, so the two-worker gap below is not data parallelism's arithmetic
    in_process = value(lesson14, "replicas_vs_one_device_rel_loss_diff")
    assert in_process < 1e-5
    assert (lesson14.run_dir / "data_parallel_demo.py").exists()


@pytest.mark.slow
def test_two_workers_follow_one_process_and_step_times_are_measured(lesson14):
    # Both runs train in float32 (--precision float32; setup() would pick mixed_bfloat16 on an AVX512-BF16 CPU, whose
    # rounding alone gave a gap of about 7e-5), so the curves agree to float32 rounding, as the prose says.
    assert value(lesson14, "workers_train_float32") == 1
    two_workers_gap = value(lesson14, "workers_max_rel_loss_diff")
    assert two_workers_gap < 1e-6
    # The printed verdict follows the gap: within float32 rounding.
    assert value(lesson14, "workers_loss_gap_above_rounding") == 0
    assert value(lesson14, "workers_epochs_completed") == 2  # quick mode
    one = value(lesson14, "step_ms_1_process_last_epoch")
    two = value(lesson14, "step_ms_2_workers_last_epoch")
    assert one > 0 and two > 0
    last = value(lesson14, "step_ratio_last_epoch")
    assert last == pytest.approx(two / one)
    # Each epoch's ratio is printed (quick mode cannot tell which is faster from 3 or 4 timed steps an epoch): the last one lies
    # within the recorded spread.
    smallest = value(lesson14, "step_ratio_min")
    largest = value(lesson14, "step_ratio_max")
    assert 0 < smallest <= last <= largest
    assert "one_vs_two_workers" in {f.stem for f in lesson14.figures}


@pytest.mark.slow
def test_mixed_precision_numerics_and_measurements(lesson14):
    assert value(lesson14, "float16_one_plus_1e_4") == 1.0  # the update vanished
    assert value(lesson14, "float16_grad_1e_8") == 0.0  # underflow
    assert value(lesson14, "grad_1e_8_after_loss_scaling") == pytest.approx(1e-8, rel=0.01)
    assert value(lesson14, "mixed_bf16_dense_float32_weights") == 1
    assert value(lesson14, "mixed_bf16_dense_computes_bf16") == 1
    assert value(lesson14, "mixed_float16_loss_scaling") == 1
    # Keras does not keep a softmax in float32 by itself; dtype="float32" does, as the package CNN's logits layer.
    assert value(lesson14, "mixed_bf16_softmax_outputs_bf16") == 1
    assert value(lesson14, "softmax_float32_dtype_outputs_float32") == 1
    assert value(lesson14, "package_cnn_logits_float32") == 1
    # The memory saving, counted: mixed precision halves the layer outputs except the float32 logits.
    assert 0.5 < value(lesson14, "activation_bytes_bf16_over_f32") < 0.55
    # Quick mode. JAX compiles the step with XLA (by default, and in every row): float32 and mixed_bfloat16;
    # TensorFlow: float32 without and with XLA, mixed_bfloat16 without.
    on_jax = hardware.backend_name() == "jax"
    assert value(lesson14, "precision_xla_configurations") == (2 if on_jax else 3)
    assert ("xla_speedup" in lesson14.metrics) == (not on_jax)

    def rounds_range(row):
        low = value(lesson14, f"{row}_min_round")
        high = value(lesson14, f"{row}_max_round")
        assert 0 < low <= high
        return low, high

    def rule_verdicts_follow(rule_picks_it, slower, faster, agrees, disagrees):
        # "agrees"/"DISAGREES" only when the rounds settled a direction, else "cannot tell from this run".
        assert not (slower and faster)
        assert agrees == ((slower or faster) and rule_picks_it == faster)
        assert disagrees == ((slower or faster) and rule_picks_it != faster)

    # "slower" or "faster" is said only when the two rows' per-round ranges of samples/s do not overlap (every
    # round of one row beyond every round of the other), else "not settled" (the compiling first step is out).
    # Precision: mixed_bfloat16 against float32, both without XLA on TensorFlow, both compiled on JAX. XLA (TensorFlow
    # only): float32 with XLA against float32 without. The ratio is of the best rounds, as the bar chart shows.
    xla = "xla" if on_jax else "no_xla"  # JAX always compiles with XLA
    checks = [("mixed_bfloat16", f"mixed_bfloat16_{xla}", f"float32_{xla}", "setup_picks_mixed_bf16", "setup_precision")]
    if not on_jax:
        checks.append(("xla", "float32_xla", "float32_no_xla", "setup_turns_xla_on", "setup_xla"))
    for key, row, reference_row, rule_picks, rule in checks:
        low, high = rounds_range(row)
        reference_low, reference_high = rounds_range(reference_row)
        slower = value(lesson14, f"{key}_slower_every_round") == 1
        faster = value(lesson14, f"{key}_faster_every_round") == 1
        assert slower == (high < reference_low)
        assert faster == (low > reference_high)
        assert value(lesson14, f"{key}_speedup") == pytest.approx(high / reference_high, rel=1e-3)
        rule_verdicts_follow(value(lesson14, rule_picks) == 1, slower, faster,
                             value(lesson14, f"{rule}_agrees") == 1,
                             value(lesson14, f"{rule}_disagrees") == 1)
    # Every verdict says how often two equally fast rows would pass that test: 2 x 2!2!/4! = 1/3 with quick mode's
    # two rounds per row (the prose's "1 time in 3").
    assert value(lesson14, "equal_rows_no_overlap_one_in") == 3
    assert value(lesson14, "float32_train_gflop_per_s") > 0
    assert value(lesson14, "float32_train_samples_per_s") > 0
    if "float32_mfu" in lesson14.metrics:  # left out when the model beat the measured peak (a busy machine)
        assert 0 < value(lesson14, "float32_mfu") <= 1


@pytest.mark.slow
def test_profile_trace_is_written_and_summarised(lesson14):
    traces = list((lesson14.run_dir / "tensorboard").glob("plugins/profile/*/*.xplane.pb"))
    assert traces and traces[0].stat().st_size > 1000
    assert value(lesson14, "profile_trace_kib") > 1
    assert value(lesson14, "profile_op_types") >= 3  # convolutions, pooling, dense at least
    assert {"profile_top_ops", "precision_and_xla"} <= {f.stem for f in lesson14.figures}


@pytest.mark.slow
def test_memory_column_and_backward_time(lesson14):
    # Memory is shown only where the device peak can be reset per row: TensorFlow on a GPU (not on a CPU, not on JAX).
    on_gpu_tf = hardware.backend_name() == "tensorflow" and bool(hardware.accelerators("tensorflow"))
    assert value(lesson14, "memory_column_shown") == on_gpu_tf
    # Section 5: in time the backward convolutions cost above their 2x in FLOPs (TensorFlow names them apart).
    if hardware.backend_name() == "tensorflow":
        assert value(lesson14, "profile_backward_over_forward_conv") > 2
    else:
        assert "profile_backward_over_forward_conv" not in lesson14.metrics


@pytest.mark.slow
def test_all_reduce_size_and_peak_warning_follow_the_recorded_values(lesson14):
    # The all-reduce sends one float32 gradient per parameter of article 002's CNN (93,322 parameters).
    assert value(lesson14, "grad_bytes_all_reduced") == 4 * 93_322
    share = value(lesson14, "all_reduce_1gbps_over_step")
    assert share == pytest.approx(4 * 93_322 / 1e6 / value(lesson14, "step_ms_1_process_last_epoch"),
                                  rel=1e-3)
    spread = (value(lesson14, "step_ratio_max")
              - value(lesson14, "step_ratio_min"))
    assert value(lesson14, "all_reduce_below_spread") == (share < spread)
    if "cpu_matmul_bf16_over_f32" in lesson14.metrics:  # a CPU: section 2 measured the peaks
        ratio = value(lesson14, "cpu_matmul_bf16_over_f32")
        largest = lesson14.metrics.get("max_cpu_mfu_table", {"value": 0})["value"]
        suspect = ratio > 2 or value(lesson14, "cpu_mfu_rows_na") > 0 or largest > 0.8
        assert value(lesson14, "cpu_peak_low_warning") == suspect
        # The warning names the suspect dtype: float32's when the ratio is above 2 (a row's own for its MFU).
        from conftest import notebook_text_outputs

        warnings = [line for line in notebook_text_outputs(lesson14).splitlines() if line.startswith("WARNING: section 2")]
        assert len(warnings) == suspect
        if ratio > 2:
            assert "float32" in warnings[0]
        # The warning names both causes of an MFU near 100 %: a loaded machine, or kernels as fast as the matmul.
        assert all("loaded machine" in w and "convolution kernels" in w for w in warnings)
        # The prose: 3 x forward overstates this CNN's training FLOPs by a few % (the first layer's input gradient).
        overcount = value(lesson14, "three_x_forward_overcount_share")
        assert overcount == pytest.approx(value(lesson14, "conv2d_1_forward_flops_hand") / 3 / 5_616_512, rel=1e-3)
        assert 0.01 < overcount < 0.05


def test_training_mfu_exercise_says_fraction_not_percentage():
    from kerasmodels.course import exercises

    result = exercises.check("14.training_mfu", lambda f, r, p: 100 * 3 * f * r / p, quiet=True, hint=1)
    assert not result and "not a percentage" in result.message
    result = exercises.check("14.training_mfu", lambda f, r, p: f * r / p, quiet=True, hint=1)
    assert not result and "not a percentage" not in result.message


def test_exercise_checkers_accept_float32_answers():
    """A right answer computed in float32 passes (it differs from float64 in the 7th digit)."""
    import numpy as np

    from kerasmodels.course import exercises

    assert exercises.check("14.training_mfu", lambda f, r, p: np.float32(3 * f * r / p), quiet=True)
    assert exercises.check("14.all_reduce_mean",
                           lambda grads: np.mean(np.stack(grads).astype("float32"), axis=0), quiet=True)
    assert not exercises.check("14.all_reduce_mean", lambda grads: grads[0], quiet=True)  # one replica's only
