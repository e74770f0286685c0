"""Issue 18 on faked hardware: the peak of the arithmetic in use (TF32), no MFU above 100%, device memory.

No GPU runs here: GPUs are described to `accelerate.setup(hardware=...)`, JAX's device list and
`nvidia-smi` are replaced by fakes, and the frameworks' real TF32 switches are flipped.
bench/gpu_check.py checks the same things on a real GPU.
"""

import os
import sys
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from _bfloat16 import needs_tensorflow_bfloat16  # noqa: E402

from kerasmodels import accelerate, flops, hardware  # noqa: E402
from kerasmodels import callbacks as kcb  # noqa: E402

H100 = ("NVIDIA H100 80GB HBM3", (9, 0))
H100_PCIE = ("NVIDIA H100 PCIe", (9, 0))
H200 = ("NVIDIA H200", (9, 0))
A100 = ("NVIDIA A100-SXM4-80GB", (8, 0))
T4 = ("Tesla T4", (7, 5))


def machine(backend="jax", gpus=(), cpu_flags=(), float32_matmul=None):
    info = {
        "backend": backend,
        "cpu": {"model": "test CPU", "cores": 8, "flags": list(cpu_flags)},
        "accelerators": [{"name": n, "kind": "GPU", "memory_bytes": 80 * 2**30, "compute_capability": cc}
                         for n, cc in gpus],
    }
    if float32_matmul:
        info["float32_matmul"] = float32_matmul
    return info


# ------------------------------------------------------------------ the frameworks' TF32 switches


@pytest.fixture
def jax_precision():
    jax = pytest.importorskip("jax")
    before = jax.config.jax_default_matmul_precision
    yield jax
    jax.config.update("jax_default_matmul_precision", before)


def test_jax_runs_float32_matmuls_as_tf32_unless_told_highest(jax_precision):
    jax_precision.config.update("jax_default_matmul_precision", None)
    assert flops.float32_matmul_arithmetic("jax")[0] == "tf32"
    peak, source = flops.peak_flops("float32", H200[0], backend="jax")
    assert peak == 494.7e12 and "TF32" in source and "jax_default_matmul_precision=None" in source
    jax_precision.config.update("jax_default_matmul_precision", "highest")
    assert flops.float32_matmul_arithmetic("jax") == ("float32", "jax_default_matmul_precision='highest'")
    peak, source = flops.peak_flops("float32", H200[0], backend="jax")
    assert peak == 67e12 and "TF32 off" in source


def test_tensorflow_tf32_switch_is_read():
    tf = pytest.importorskip("tensorflow")
    assert tf.config.experimental.tensor_float_32_execution_enabled()  # TensorFlow's default
    assert flops.peak_flops("float32", A100[0], backend="tensorflow")[0] == 156e12
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        assert flops.peak_flops("float32", A100[0], backend="tensorflow")[0] == 19.5e12
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(True)


@pytest.mark.parametrize("allow, precision, expected", [
    (False, "highest", "float32"),  # torch's defaults: no TF32
    (True, "highest", "tf32"),
    (False, "high", "tf32"),
])
def test_torch_tf32_switches_are_read(monkeypatch, allow, precision, expected):
    fake = types.SimpleNamespace(
        backends=types.SimpleNamespace(cuda=types.SimpleNamespace(matmul=types.SimpleNamespace(allow_tf32=allow))),
        get_float32_matmul_precision=lambda: precision,
    )
    monkeypatch.setitem(sys.modules, "torch", fake)
    assert flops.float32_matmul_arithmetic("torch")[0] == expected


def test_nvidia_override_turns_tf32_off_everywhere(monkeypatch):
    monkeypatch.setenv("NVIDIA_TF32_OVERRIDE", "0")
    assert flops.float32_matmul_arithmetic("tensorflow")[0] == "float32"
    assert flops.peak_flops("float32", H100[0], backend="jax")[0] == 67e12


def test_tf32_peaks_of_the_table_and_gpus_without_tf32():
    expected = {"NVIDIA H100 80GB HBM3": 494.7, "NVIDIA H200": 494.7, "NVIDIA H100 PCIe": 378.0,
                "NVIDIA A100-SXM4-40GB": 156.0, "NVIDIA L4": 60.0, "NVIDIA L40S": 183.0, "NVIDIA A10": 62.5,
                "NVIDIA GeForce RTX 4090": 82.6, "NVIDIA GeForce RTX 3090": 35.6}
    for name, tflops in expected.items():
        assert flops.peak_flops("float32", name, float32_arithmetic="tf32")[0] == tflops * 1e12, name
    for name, fp32 in (("Tesla V100-SXM2-16GB", 15.7), ("Tesla T4", 8.1), ("Tesla P100-PCIE-16GB", 9.3)):
        peak, source = flops.peak_flops("float32", name, float32_arithmetic="tf32")
        assert peak == fp32 * 1e12 and "no TF32" in source


# ------------------------------------------------------------------ setup(): precision, jit, peak


@pytest.mark.parametrize("gpu, float32_matmul, peak", [
    (H100, "tf32", 494.7e12), (H100, "float32", 67e12),
    (H200, "tf32", 494.7e12), (H200, "float32", 67e12),
    (H100_PCIE, "tf32", 378e12), (A100, "tf32", 156e12), (A100, "float32", 19.5e12),
])
def test_float32_on_ampere_and_later_measures_against_the_arithmetic_in_use(gpu, float32_matmul, peak):
    acc = accelerate.setup(precision="float32", model_kind="bert",
                           hardware=machine(gpus=[gpu], float32_matmul=float32_matmul))
    assert (acc.precision, acc.jit_compile, acc.float32_matmul) == ("float32", True, float32_matmul)
    assert acc.peak_flops()[0] == peak
    assert ("run as TF32" if float32_matmul == "tf32" else "full FP32") in str(acc)


@pytest.mark.parametrize("gpu, precision, peak", [
    (H100, "mixed_bfloat16", 989e12), (H200, "mixed_bfloat16", 989e12), (A100, "mixed_bfloat16", 312e12),
    (T4, "mixed_float16", 65e12),
])
def test_auto_precision_and_its_peak_on_gpus(gpu, precision, peak):
    acc = accelerate.setup(model_kind="cnn", hardware=machine(gpus=[gpu]))
    assert acc.precision == precision and acc.jit_compile is True
    assert acc.float32_matmul is None  # the matmuls run in the mixed policy's 16-bit type
    assert acc.steps_per_execution == accelerate.GPU_CNN_STEPS_PER_EXECUTION
    assert acc.peak_flops()[0] == peak
    assert acc.device_kind == "GPU" and acc.device_name == gpu[0]


def test_t4_float32_has_no_tf32():
    acc = accelerate.setup(precision="float32", hardware=machine(gpus=[T4], float32_matmul="tf32"))
    assert acc.float32_matmul == "float32" and acc.peak_flops()[0] == 8.1e12


def test_several_gpus_add_up_their_peaks():
    acc = accelerate.setup(hardware=machine(gpus=[H100] * 4))
    peak, source = acc.peak_flops()
    assert peak == 4 * 989e12 and source.startswith("4 x ")


@pytest.mark.parametrize("flags, precision, jit", [
    (["amx_bf16", "avx512_bf16"], "mixed_bfloat16", False),  # AMX: bfloat16 for conv nets, XLA off
    ([], "float32", False),  # no bfloat16 instructions
])
def test_cpu_with_and_without_amx(monkeypatch, flags, precision, jit):
    acc = accelerate.setup(model_kind="cnn", hardware=machine(backend="tensorflow", cpu_flags=flags))
    assert (acc.precision, acc.jit_compile, acc.steps_per_execution) == (precision, jit, 1)
    assert acc.device_kind == "CPU" and acc.float32_matmul is None
    measured = []
    monkeypatch.setattr(flops, "measure_cpu_peak", lambda dtype, **kw: measured.append(dtype) or 1e11)
    assert acc.peak_flops() == (1e11, f"best {acc.precision.replace('mixed_', '')} matmul measured on this "
                                      f"CPU with {keras.backend.backend()}")
    assert measured == [acc.precision.replace("mixed_", "")]  # the dtype the model computes in


# ------------------------------------------------------------------ never an MFU above 100%


def test_the_reported_h200_run_is_no_longer_above_100_percent():
    achieved = 68.7e12  # the float32 BERT run of issue 18 (JAX on an H200)
    peak, source = flops.peak_flops("float32", H200[0], float32_arithmetic="tf32")
    assert flops.mfu_text(achieved, peak, source).startswith("13.89% MFU of 494.7 TFLOP/s")
    peak, source = flops.peak_flops("float32", H200[0], float32_arithmetic="float32")
    text = flops.mfu_text(achieved, peak, source)
    assert text.startswith("MFU n/a: achieved 68.7 TFLOP/s exceeds the assumed peak 67.0 TFLOP/s, "
                           "so the peak is wrong (")
    assert "%" not in text


def tiny_fit(callback, epochs=1):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16), keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    model.fit(rng.standard_normal((128, 8)).astype("float32"), rng.integers(0, 2, 128),
              batch_size=32, epochs=epochs, verbose=0, callbacks=[callback])


def test_throughput_prints_mfu_na_instead_of_a_number_above_100_percent(capsys):
    speed = kcb.Throughput(batch_size=32, peak_flops=1.0)  # a peak every model beats
    tiny_fit(speed)
    assert "mfu" not in speed.history[0] and speed.history[0]["flops_per_sec"] > 1.0
    out = capsys.readouterr().out
    assert "MFU n/a: achieved" in out and "exceeds the assumed peak 1 FLOP/s, so the peak is wrong (given)" in out


def test_a_beaten_cpu_peak_is_measured_again_once(monkeypatch, capsys):
    calls = []

    def fake(dtype="float32", size=1024, **kwargs):
        calls.append(size)
        return 1.0 if size == 1024 else 1e15  # first under load, then the real peak

    monkeypatch.setattr(flops, "measure_cpu_peak", fake)
    monkeypatch.setattr(hardware, "accelerators", lambda backend=None: [])
    speed = kcb.Throughput(batch_size=32)
    tiny_fit(speed, epochs=2)
    assert calls == [1024, 2048]  # measured again once, not every epoch
    assert 0 < speed.history[-1]["mfu"] < 1 and "measured again" in speed.peak_source
    assert "MFU n/a" not in capsys.readouterr().out


def test_a_cpu_peak_still_beaten_after_measuring_again_prints_why(monkeypatch, capsys):
    monkeypatch.setattr(flops, "measure_cpu_peak", lambda dtype="float32", **kwargs: 1.0)
    monkeypatch.setattr(hardware, "accelerators", lambda backend=None: [])
    speed = kcb.Throughput(batch_size=32)
    tiny_fit(speed)
    assert "mfu" not in speed.history[0]
    assert "so the peak is wrong (best float32 matmul measured on this CPU" in capsys.readouterr().out


@needs_tensorflow_bfloat16
def test_cpu_peak_is_measured_with_the_models_backend_and_dtype():
    flops._CPU_PEAK_CACHE.clear()
    best = flops.measure_cpu_peak("float32", size=256, repeats=3)
    median = flops.measure_cpu_peak("float32", size=256, repeats=3, statistic="median")
    assert 1e8 < median and 1e8 < best < 1e14
    assert flops.peak_flops("bfloat16")[1] == f"best bfloat16 matmul measured on this CPU with {keras.backend.backend()}"


# ------------------------------------------------------------------ memory: the device's and the framework's


FAKE_NVIDIA_SMI = """#!/bin/sh
# nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits --id=N: one H200 per id, in MiB
for arg in "$@"; do case "$arg" in --id=*) id="${arg#--id=}";; esac; done
case "$id" in 0) echo 143771;; 3) echo 81559;; *) exit 6;; esac
"""


@pytest.fixture
def fake_nvidia_smi(tmp_path, monkeypatch):
    script = tmp_path / "nvidia-smi"
    script.write_text(FAKE_NVIDIA_SMI)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)


class FakeJaxGpu:
    platform, device_kind, compute_capability = "gpu", "NVIDIA H200", "9.0"

    def __init__(self, id):
        self.id = self.local_hardware_id = id

    def memory_stats(self):
        return {"bytes_limit": 112_644_571_136}  # JAX's default: 75% of the memory it found free


def test_jax_gpu_memory_is_the_devices_total_and_jax_share_separately(fake_nvidia_smi, monkeypatch):
    jax = pytest.importorskip("jax")
    monkeypatch.setattr(jax, "devices", lambda *a: [FakeJaxGpu(0)])
    [gpu] = hardware.accelerators("jax")
    assert gpu.memory_bytes == 143771 * 2**20 and gpu.framework_memory_bytes == 112_644_571_136
    assert gpu.kind == "GPU" and gpu.compute_capability == (9, 0)
    report = hardware.format_report({"versions": hardware.versions(), "backend": "jax",
                                     "cpu": {"model": "x", "cores": 2, "flags": []},
                                     "accelerators": [vars(gpu)]})
    assert "GPU: NVIDIA H200, 140.4 GiB (JAX may use 104.9 GiB), compute capability 9.0" in report


def test_cuda_visible_devices_maps_to_nvidia_smi_ids(fake_nvidia_smi, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3")
    assert hardware._nvidia_memory(0) == 81559 * 2**20  # the framework's GPU 0 is nvidia-smi's 3


def test_without_nvidia_smi_the_frameworks_share_is_named_as_such(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    jax = pytest.importorskip("jax")
    monkeypatch.setattr(jax, "devices", lambda *a: [FakeJaxGpu(0)])
    [gpu] = hardware.accelerators("jax")
    assert gpu.memory_bytes is None
    assert hardware.memory_text(gpu, "jax") == "device total unknown, JAX may use 104.9 GiB"
