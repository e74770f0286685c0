"""Lesson 13 (hardware and scale): FLOPs by hand match the package, data parallelism computes the same update,
mixed precision's numerics are as the errata says, and a profiler trace is written."""

import re

import pytest
from conftest import notebook_text_outputs


@pytest.fixture(scope="module")
def lesson13(executed_lessons):
    result = executed_lessons(13)
    assert result.status == "passed", result.error
    return result, notebook_text_outputs(result)


@pytest.mark.slow
def test_flops_by_hand_match_count_flops(lesson13):
    _, text = lesson13
    rows = re.findall(r"^(\w+)\s+by hand\s+([\d,]+)\s+count_flops\s+([\d,]+)$", text, flags=re.M)
    assert {name for name, _, _ in rows} == {"conv2d_1", "conv2d_2", "conv2d_3", "dense_1", "logits"}
    for name, hand, package in rows:
        assert hand == package, name
    assert "conv2d_1   by hand    389,376" in text  # 2 * 3*3*1*32 * 26*26


@pytest.mark.slow
def test_two_replicas_apply_the_same_update_as_one_device(lesson13):
    result, text = lesson13
    assert "strategy MirroredStrategy, 2 replica(s) | batch global 128, per replica 64" in text
    assert result.metrics["max |weights(2 replicas) - weights(1 device)| after 4 steps"]["value"] < 1e-5
    assert (result.run_dir / "data_parallel_demo.py").exists()


@pytest.mark.slow
def test_mixed_precision_numerics_and_measurements(lesson13):
    result, text = lesson13
    assert "float16: 1 + 1e-4 = 1.0 " in text
    assert "float16 gradient 1e-8 -> 0.0;" in text
    unscaled = float(re.search(r"unscaled in float32: ([\d.e+-]+)", text).group(1))
    assert unscaled == pytest.approx(1e-8, rel=0.01)
    assert "weights stored as float32, computes and outputs <dtype: 'bfloat16'>" in text
    assert "LossScaleOptimizer" in text
    table = re.findall(r"^(float32|mixed_bfloat16)\s+(True|False)\s+([\d,]+)\s", text, flags=re.M)
    assert len(table) == 4 and all(int(speed.replace(",", "")) > 0 for *_, speed in table)
    assert result.metrics["float32 MFU"]["value"] > 0


@pytest.mark.slow
def test_profile_trace_is_written_and_summarised(lesson13):
    result, text = lesson13
    traces = list((result.run_dir / "tensorboard").glob("plugins/profile/*/*.xplane.pb"))
    assert traces and traces[0].stat().st_size > 1000
    assert "tensorboard --logdir" in text
    assert {"profile_top_ops", "precision_and_xla"} <= {f.stem for f in result.figures}
