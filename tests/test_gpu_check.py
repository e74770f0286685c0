"""bench/gpu_check.py --quick on this CPU: every section runs and reports (the real check needs a GPU).

The JAX run hides TensorFlow (a `tensorflow` package that raises ImportError comes first on the
path), as on a JAX-only GPU machine. The lessons section is left out here: tests/test_lesson_06.py
and tests/test_lesson_07.py run those lessons already, and it would double the time.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _bfloat16 import needs_tensorflow_bfloat16

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "gpu_check.py"


def gpu_check(*args, env=None, timeout=900):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, **(env or {})), timeout=timeout)


def test_unknown_sections_are_refused_before_anything_runs():
    done = gpu_check("--only", "devices,warp", timeout=60)
    assert done.returncode == 2 and "unknown section(s) warp" in done.stderr


@pytest.mark.slow
def test_quick_run_on_jax_without_tensorflow(tmp_path):
    blocked = tmp_path / "no_tensorflow" / "tensorflow"
    blocked.mkdir(parents=True)
    (blocked / "__init__.py").write_text('raise ImportError("TensorFlow hidden by test_gpu_check")\n')
    out = tmp_path / "gpu_check.json"
    done = gpu_check("--quick", "--only", "devices,setup,train,bert,tta", "--out", str(out),
                     env={"KERAS_BACKEND": "jax", "PYTHONPATH": str(blocked.parent), "JAX_PLATFORMS": "cpu"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    record = json.loads(out.read_text())
    assert [row[:2] for row in record["sections"]] == [[name, "ok"] for name in
                                                      ("devices", "setup", "train", "bert", "tta")]
    results = record["results"]
    assert results["devices"]["backend"] == "jax" and results["setup"]["cnn"]["jit_compile"] is True
    # train's default path is setup(): its summary records the choice, with the recipe's batch.
    assert results["train"]["accelerate"]["backend"] == "jax"
    assert results["train"]["batch_size"] == results["setup"]["cnn"]["recipe"]["batch_size"]
    bert = results["bert_keras"]
    assert bert["samples_per_sec"] > 0 and bert["flops_per_example"] > 0
    assert bert["mfu"] is None or 0 < bert["mfu"] <= 1  # never above 100%
    assert "skipped" in results["bert_hf"] or results["bert_hf"]["eager"]["samples_per_sec"] > 0
    for recipe in ("tta_kerasmodels", "tta_seed"):
        assert 0.1 < results[recipe]["best"] <= 1 and results[recipe]["curve"]
    text = done.stdout
    for line in ("=== devices ===", "[accelerate] jax", "[device] backend jax", "[speed] epoch 1",
                 "[tta] seed", "=== summary ==="):
        assert line in text, line
    assert "MFU of" in text or "MFU n/a" in text


@pytest.mark.slow
@needs_tensorflow_bfloat16  # it asserts the mixed_bfloat16 that setup() does not choose under the cap
def test_quick_run_on_tensorflow_reports_setup_and_bert(tmp_path):
    out = tmp_path / "gpu_check.json"
    done = gpu_check("--quick", "--only", "setup,bert", "--out", str(out), env={"KERAS_BACKEND": "tensorflow"})
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    results = json.loads(out.read_text())["results"]
    assert results["setup"]["bert"]["backend"] == "tensorflow"
    assert results["bert_keras"]["samples_per_sec"] > 0
    assert "[accelerate] tensorflow: precision mixed_bfloat16" in done.stdout
