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
    assert value(lesson14, "layers counted by hand") == 5  # conv2d_1..3, dense_1, logits
    assert value(lesson14, "layers where by hand = count_flops") == 5
    assert value(lesson14, "conv2d_1 forward FLOPs by hand") == 2 * 3 * 3 * 1 * 32 * 26 * 26


@pytest.mark.slow
def test_two_replicas_apply_the_same_update_as_one_device(lesson14):
    assert value(lesson14, "data-parallel replicas") == 2
    assert value(lesson14, "max |weights(2 replicas) - weights(1 device)| after 4 steps") < 1e-5
    # ... and the same loss to float32 rounding, so the two-worker gap below is not data parallelism's arithmetic
    in_process = value(lesson14, "relative loss difference, 2 replicas in one process vs 1 device")
    assert in_process < 1e-5
    assert (lesson14.run_dir / "data_parallel_demo.py").exists()


@pytest.mark.slow
def test_two_workers_follow_one_process_and_step_times_are_measured(lesson14):
    # Both runs train in float32 (--precision float32; setup() would pick mixed_bfloat16 on an AVX512-BF16 CPU, whose
    # rounding alone gave a gap of about 7e-5), so the curves agree to float32 rounding, as the prose says.
    assert value(lesson14, "1 process and 2 workers train in float32") == 1
    two_workers_gap = value(lesson14, "2 workers: max relative loss difference from 1 process")
    assert two_workers_gap < 1e-6
    # The printed verdict follows the gap: within float32 rounding.
    assert value(lesson14, "2 workers: loss gap above float32 rounding") == 0
    assert value(lesson14, "2 workers: epochs completed") == 2  # quick mode
    one = value(lesson14, "time per step, 1 process, last epoch (ms)")
    two = value(lesson14, "time per step, 2 workers, last epoch (ms)")
    assert one > 0 and two > 0
    last = value(lesson14, "time per step, 2 workers / 1 process, last epoch")
    assert last == pytest.approx(two / one)
    # Each epoch's ratio is printed (quick mode cannot tell which is faster from 3 or 4 timed steps an epoch): the last one lies
    # within the recorded spread.
    smallest = value(lesson14, "time per step, 2 workers / 1 process, smallest over epochs")
    largest = value(lesson14, "time per step, 2 workers / 1 process, largest over epochs")
    assert 0 < smallest <= last <= largest
    assert "one_vs_two_workers" in {f.stem for f in lesson14.figures}


@pytest.mark.slow
def test_mixed_precision_numerics_and_measurements(lesson14):
    assert value(lesson14, "float16: 1 + 1e-4") == 1.0  # the update vanished
    assert value(lesson14, "float16 gradient 1e-8") == 0.0  # underflow
    assert value(lesson14, "gradient 1e-8 after loss scaling and unscaling") == pytest.approx(1e-8, rel=0.01)
    assert value(lesson14, "mixed_bfloat16 Dense keeps float32 weights") == 1
    assert value(lesson14, "mixed_bfloat16 Dense computes in bfloat16") == 1
    assert value(lesson14, "mixed_float16 adds loss scaling") == 1
    # Keras does not keep a softmax in float32 by itself; dtype="float32" does, as the package CNN's logits layer.
    assert value(lesson14, "mixed_bfloat16 Dense(softmax) outputs bfloat16") == 1
    assert value(lesson14, "Dense(softmax, dtype='float32') outputs float32") == 1
    assert value(lesson14, "package CNN logits compute in float32 under mixed_bfloat16") == 1
    # The memory saving, counted: mixed precision halves the layer outputs except the float32 logits.
    assert 0.5 < value(lesson14, "activation bytes per batch, mixed_bfloat16 / float32") < 0.55
    # Quick mode. JAX compiles the step with XLA (by default, and in every row): float32 and mixed_bfloat16;
    # TensorFlow: float32 without and with XLA, mixed_bfloat16 without.
    on_jax = hardware.backend_name() == "jax"
    assert value(lesson14, "precision/XLA configurations measured") == (2 if on_jax else 3)
    assert ("XLA speed-up over float32" in lesson14.metrics) == (not on_jax)

    def rounds_range(row):
        low = value(lesson14, f"{row}: slowest round (samples/s)")
        high = value(lesson14, f"{row}: fastest round (samples/s)")
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
    xla = "with" if on_jax else "without"
    checks = [("mixed_bfloat16", f"mixed_bfloat16 {xla} XLA", f"float32 {xla} XLA",
               "setup's precision rule picks mixed_bfloat16", "precision rule", "bfloat16")]
    if not on_jax:
        checks.append(("XLA", "float32 with XLA", "float32 without XLA", "setup's XLA rule turns XLA on", "XLA rule", "XLA"))
    for label, row, reference_row, rule_picks, rule, measured in checks:
        low, high = rounds_range(row)
        reference_low, reference_high = rounds_range(reference_row)
        slower = value(lesson14, f"{label} slower than float32 in every round (ranges do not overlap)") == 1
        faster = value(lesson14, f"{label} faster than float32 in every round (ranges do not overlap)") == 1
        assert slower == (high < reference_low)
        assert faster == (low > reference_high)
        assert value(lesson14, f"{label} speed-up over float32") == pytest.approx(high / reference_high, rel=1e-3)
        rule_verdicts_follow(value(lesson14, rule_picks) == 1, slower, faster,
                             value(lesson14, f"setup's {rule} agrees with this run's {measured} measurement") == 1,
                             value(lesson14, f"setup's {rule} disagrees with this run's {measured} measurement") == 1)
    # Every verdict says how often two equally fast rows would pass that test: 2 x 2!2!/4! = 1/3 with quick mode's
    # two rounds per row (the prose's "1 time in 3").
    assert value(lesson14, "equally fast rows' rounds fail to overlap by chance: 1 time in") == 3
    assert value(lesson14, "float32 training GFLOP/s") > 0
    assert value(lesson14, "float32 training throughput (samples/s)") > 0
    if "float32 MFU" in lesson14.metrics:  # left out when the model beat the measured peak (a busy machine)
        assert 0 < value(lesson14, "float32 MFU") <= 1


@pytest.mark.slow
def test_profile_trace_is_written_and_summarised(lesson14):
    traces = list((lesson14.run_dir / "tensorboard").glob("plugins/profile/*/*.xplane.pb"))
    assert traces and traces[0].stat().st_size > 1000
    assert value(lesson14, "profile trace size (KiB)") > 1
    assert value(lesson14, "operation types in the profile") >= 3  # convolutions, pooling, dense at least
    assert {"profile_top_ops", "precision_and_xla"} <= {f.stem for f in lesson14.figures}


@pytest.mark.slow
def test_memory_column_and_backward_time(lesson14):
    # Memory is shown only where the device peak can be reset per row: TensorFlow on a GPU (not on a CPU, not on JAX).
    on_gpu_tf = hardware.backend_name() == "tensorflow" and bool(hardware.accelerators("tensorflow"))
    assert value(lesson14, "memory column shown") == on_gpu_tf
    # Section 5: in time the backward convolutions cost above their 2x in FLOPs (TensorFlow names them apart).
    if hardware.backend_name() == "tensorflow":
        assert value(lesson14, "profile: backward / forward convolution time") > 2
    else:
        assert "profile: backward / forward convolution time" not in lesson14.metrics


@pytest.mark.slow
def test_all_reduce_size_and_peak_warning_follow_the_recorded_values(lesson14):
    # The all-reduce sends one float32 gradient per parameter of article 002's CNN (93,322 parameters).
    assert value(lesson14, "gradient bytes all-reduced per step") == 4 * 93_322
    share = value(lesson14, "all-reduce at 1 GB/s / 1-process step time")
    assert share == pytest.approx(4 * 93_322 / 1e6 / value(lesson14, "time per step, 1 process, last epoch (ms)"),
                                  rel=1e-3)
    spread = (value(lesson14, "time per step, 2 workers / 1 process, largest over epochs")
              - value(lesson14, "time per step, 2 workers / 1 process, smallest over epochs"))
    assert value(lesson14, "all-reduce below the step-ratio spread") == (share < spread)
    if "CPU matmul speed, bfloat16 / float32" in lesson14.metrics:  # a CPU: section 2 measured the peaks
        ratio = value(lesson14, "CPU matmul speed, bfloat16 / float32")
        largest = lesson14.metrics.get("largest CPU MFU in the table", {"value": 0})["value"]
        suspect = ratio > 2 or value(lesson14, "CPU MFU rows shown n/a") > 0 or largest > 0.8
        assert value(lesson14, "CPU peak probably measured low (warning printed)") == suspect
        # The warning names the suspect dtype: float32's when the ratio is above 2 (a row's own for its MFU).
        from conftest import notebook_text_outputs

        warnings = [line for line in notebook_text_outputs(lesson14).splitlines() if line.startswith("WARNING: section 2")]
        assert len(warnings) == suspect
        if ratio > 2:
            assert "float32" in warnings[0]
        # The warning names both causes of an MFU near 100 %: a loaded machine, or kernels as fast as the matmul.
        assert all("loaded machine" in w and "convolution kernels" in w for w in warnings)
        # The prose: 3 x forward overstates this CNN's training FLOPs by a few % (the first layer's input gradient).
        overcount = value(lesson14, "3 x forward overcount: first layer's input gradient, share")
        assert overcount == pytest.approx(value(lesson14, "conv2d_1 forward FLOPs by hand") / 3 / 5_616_512, rel=1e-3)
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
