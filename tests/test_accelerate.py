"""kerasmodels.accelerate.setup: choices from faked hardware, and real data parallelism on 2 CPU devices."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest
from _bfloat16 import needs_tensorflow_bfloat16

from kerasmodels import accelerate, errors, flops, hardware


def machine(backend="tensorflow", gpus=(), cpu_flags=(), tpu=False):
    accelerators = [
        {"name": name, "kind": "GPU", "memory_bytes": 16 * 2**30, "compute_capability": cc} for name, cc in gpus
    ]
    if tpu:
        accelerators.append({"name": "TPU v4", "kind": "TPU", "memory_bytes": None, "compute_capability": None})
    return {"backend": backend, "cpu": {"model": "test CPU", "cores": 8, "flags": list(cpu_flags)},
            "accelerators": accelerators}


A100 = ("NVIDIA A100-SXM4-40GB", (8, 0))
T4 = ("Tesla T4", (7, 5))
V100 = ("Tesla V100-SXM2-16GB", (7, 0))
P100 = ("Tesla P100-PCIE-16GB", (6, 0))


@pytest.mark.parametrize(
    "gpu, expected",
    [(A100, "mixed_bfloat16"), (T4, "mixed_float16"), (V100, "mixed_float16"), (P100, "float32"),
     (("NVIDIA H100 80GB HBM3", (9, 0)), "mixed_bfloat16"), (("NVIDIA L4", (8, 9)), "mixed_bfloat16")],
)
def test_precision_follows_gpu_compute_capability(gpu, expected):
    result = accelerate.setup(hardware=machine(gpus=[gpu]))
    assert result.precision == expected
    assert result.applied is False  # faked hardware is never applied to this process
    assert gpu[0] in result.reasons[0]


def test_mixed_gpus_use_what_the_weakest_supports():
    assert accelerate.setup(hardware=machine(gpus=[A100, T4])).precision == "mixed_float16"


def test_tpu_uses_bfloat16():
    assert accelerate.setup(hardware=machine(backend="jax", tpu=True)).precision == "mixed_bfloat16"


@pytest.mark.parametrize(
    "flags, kind, backend, expected",
    [
        (["amx_bf16", "avx512_bf16"], "cnn", "tensorflow", "mixed_bfloat16"),
        (["amx_bf16"], None, "tensorflow", "mixed_bfloat16"),
        (["amx_bf16"], "mlp", "tensorflow", "float32"),  # overhead-bound: bf16 does not help
        (["amx_bf16"], "cnn", "jax", "float32"),  # not measured on JAX: keep float32
        (["avx512_bf16"], "cnn", "tensorflow", "mixed_bfloat16"),  # measured 1.1-2.1x on AMD EPYC (docs/hardware.md)
        (["avx512_bf16"], "bert", "tensorflow", "mixed_bfloat16"),  # MiniLM measured 1.51x faster
        (["avx512_bf16"], None, "tensorflow", "float32"),  # a raw-ops transformer block: 2.4x slower
        (["avx512_bf16"], "mlp", "tensorflow", "float32"),
        ([], "cnn", "tensorflow", "float32"),  # no bfloat16 instructions
        ([], "bert", "tensorflow", "float32"),
    ],
)
def test_cpu_precision_follows_measurements(flags, kind, backend, expected):
    result = accelerate.setup(hardware=machine(backend=backend, cpu_flags=flags), model_kind=kind)
    assert result.precision == expected


@pytest.mark.parametrize(
    "kind, backend, gpus, jit, steps",
    [
        ("cnn", "tensorflow", (), False, 1),  # XLA halves conv-net speed on CPU
        ("bert", "tensorflow", (), True, 1),
        ("mlp", "tensorflow", (), False, 16),
        (None, "tensorflow", (), False, 1),
        ("cnn", "tensorflow", (A100,), True, accelerate.GPU_CNN_STEPS_PER_EXECUTION),  # per-step overhead
        ("bert", "jax", (A100,), True, 1),
        ("cnn", "jax", (), True, 1),  # JAX always compiles
        ("cnn", "torch", (), False, 1),
    ],
)
def test_jit_and_steps_per_execution(kind, backend, gpus, jit, steps):
    result = accelerate.setup(hardware=machine(backend=backend, gpus=gpus), model_kind=kind)
    assert result.jit_compile is jit
    assert result.steps_per_execution == steps
    assert result.compile_kwargs() == {"jit_compile": jit, "steps_per_execution": steps}


@pytest.mark.parametrize(
    "backend, strategy",
    [("tensorflow", "MirroredStrategy"), ("jax", "DataParallel"), ("torch", "default")],
)
def test_several_gpus_pick_the_backends_data_parallel_strategy(backend, strategy):
    result = accelerate.setup(hardware=machine(backend=backend, gpus=[A100] * 4))
    assert result.strategy_name == strategy
    assert result.replicas == (4 if strategy != "default" else 1)
    assert result.global_batch_size(32) == 32 * result.replicas
    assert result.strategy is None  # described, not created: the GPUs are fake


def test_one_device_uses_the_default_strategy_and_explains_every_choice():
    result = accelerate.setup(hardware=machine(gpus=[T4]), model_kind="cnn")
    assert (result.strategy_name, result.replicas) == ("default", 1)
    text = str(result)
    assert text.count("[accelerate] - ") == len(result.reasons) == 4
    assert "T4" in text and "loss scaling" in text and "steps_per_execution=16" in text
    with result.scope():
        pass


def test_explicit_choices_and_mistakes():
    result = accelerate.setup(precision="mixed_float16", jit=True, hardware=machine())
    assert result.precision == "mixed_float16" and result.jit_compile is True
    assert "slow on CPUs" in result.reasons[0]
    assert accelerate.setup(devices=2, hardware=dict(machine(), cpu_devices=2)).strategy_name == "MirroredStrategy"
    with pytest.raises(ValueError, match="precision='fp16'"):
        accelerate.setup(precision="fp16", hardware=machine())
    with pytest.raises(ValueError, match="model_kind='resnet'"):
        accelerate.setup(model_kind="resnet", hardware=machine())
    with pytest.raises(ValueError, match="devices=0"):
        accelerate.setup(devices=0, hardware=machine())
    with pytest.raises(ValueError, match="xla_force_host_platform_device_count"):
        accelerate.setup(devices=3, hardware=dict(machine(), cpu_devices=1))
    with pytest.raises(ValueError, match="jit='yes'"):
        accelerate.setup(jit="yes", hardware=machine())


@needs_tensorflow_bfloat16  # setup refuses mixed_bfloat16 under the cap (the next tests)
def test_setup_on_this_machine_applies_the_policy():
    import keras

    previous = keras.mixed_precision.global_policy().name
    try:
        result = accelerate.setup(precision="mixed_bfloat16", model_kind="cnn")
        assert result.applied
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
    finally:
        keras.mixed_precision.set_global_policy(previous)


DATA_PARALLEL = textwrap.dedent(
    """
    import json, os
    if os.environ["KERAS_BACKEND"] == "tensorflow":
        import tensorflow as tf  # two logical CPUs, configured before TensorFlow initialises
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import numpy as np
    import keras
    from kerasmodels import accelerate

    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype("float32")
    y = x @ rng.standard_normal((8, 1)).astype("float32")

    def train(devices):
        acc = accelerate.setup(devices=devices, precision="float32")
        init = keras.initializers.GlorotUniform
        with acc.scope():
            model = keras.Sequential([
                keras.Input((8,)),
                keras.layers.Dense(16, activation="tanh", kernel_initializer=init(seed=1)),
                keras.layers.Dense(1, kernel_initializer=init(seed=2)),
            ])
            model.compile(keras.optimizers.SGD(0.05), "mse", **acc.compile_kwargs())
        history = model.fit(x, y, batch_size=32, epochs=4, shuffle=False, verbose=0)
        return {"strategy": acc.strategy_name, "replicas": acc.replicas, "loss": history.history["loss"]}

    print("RESULT " + json.dumps([train(1), train(2)]))
    """
)


@pytest.mark.slow  # a process of its own per backend (two CPU devices)
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_cpu_devices_give_the_same_loss_curve_as_one(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    script = tmp_path / "data_parallel.py"
    script.write_text(DATA_PARALLEL)
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_force_host_platform_device_count=2")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    one, two = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert (one["strategy"], one["replicas"]) == ("default", 1)
    expected = "MirroredStrategy" if backend == "tensorflow" else "DataParallel"
    assert (two["strategy"], two["replicas"]) == (expected, 2)
    assert one["loss"][-1] < one["loss"][0]  # it learns
    assert two["loss"] == pytest.approx(one["loss"], rel=1e-4)


def test_bert_on_avx512_bf16_cpu_uses_bfloat16_without_xla():
    # Measured (bench_throughput, 3 rounds): bf16 1.51x float32; bf16 + XLA 0.57x of bf16 alone.
    result = accelerate.setup(hardware=machine(cpu_flags=["avx512_bf16"]), model_kind="bert")
    assert (result.precision, result.jit_compile) == ("mixed_bfloat16", False)
    assert "XLA off" in " ".join(result.reasons)
    float32 = accelerate.setup(hardware=machine(cpu_flags=[]), model_kind="bert")
    assert (float32.precision, float32.jit_compile) == ("float32", True)


def test_the_model_dependent_rules_come_from_the_registry():
    """A registered kind's HardwareRules decide for it; accelerate compares no kind names itself (issue 28)."""
    import ast
    import dataclasses

    from kerasmodels import registry

    source = ast.parse(open(accelerate.__file__, encoding="utf-8").read())
    compared = [node for node in ast.walk(source) if isinstance(node, ast.Compare)
                and any(isinstance(side, ast.Name) and side.id == "model_kind" for side in [node.left, *node.comparators])
                and any(isinstance(side, ast.Constant) and side.value in registry.MODEL_KINDS
                        for side in [node.left, *node.comparators])]
    assert compared == [], "accelerate.py dispatches on a kind's name: put the rule in its registry.HardwareRules"

    rules = registry.HardwareRules(precision_avx512_bf16=("mixed_bfloat16", "measured faster"),
                                   jit=(True, "measured faster with XLA"), steps_per_execution=(4, "overhead"))
    kind = dataclasses.replace(registry.model_kind("mlp"), name="wide_mlp", hardware=rules)
    registry.register_model_kind(kind)
    try:
        result = accelerate.setup(hardware=machine(cpu_flags=["avx512_bf16"]), model_kind="wide_mlp")
        assert (result.precision, result.jit_compile, result.steps_per_execution) == ("mixed_bfloat16", True, 4)
        assert {"measured faster", "measured faster with XLA", "overhead"} <= set(result.reasons)
        on_gpu = accelerate.setup(hardware=machine(gpus=(A100,)), model_kind="mlp")
        assert on_gpu.steps_per_execution == registry.MLP_STEPS_PER_EXECUTION  # MLPs: 16 on any device
    finally:
        del registry.MODEL_KINDS["wide_mlp"]


def test_avx2_emulation_hides_bfloat16_and_setup_chooses_float32(monkeypatch):
    """bench/avx2_only.sh's knob: this machine looks like a student's AVX2 laptop to every decision (issue 32)."""
    from kerasmodels import hardware

    monkeypatch.setenv("KERASMODELS_CPU_MAX_ISA", "avx2")
    here = hardware.cpu()
    assert not any(flag.startswith(("avx512", "amx")) for flag in here.flags)
    assert "emulating AVX2 only" in here.model
    machine_here = hardware.machine(hardware.describe(with_devices=False))
    result = accelerate.setup(hardware=machine_here, model_kind="cnn")
    assert result.precision == "float32"
    assert "without bfloat16 instructions" in " ".join(result.reasons)


# ------------------------------------------------------------ a oneDNN cap that would crash bfloat16


@pytest.mark.parametrize("cap, chip_flags, blocked", [
    ("AVX2", {"avx2", "avx512f", "avx512_bf16"}, True),   # bench/avx2_only.sh on an AVX-512 chip
    ("avx2", {"avx2", "avx512f"}, True),
    ("AVX512_CORE", {"avx2", "avx512f"}, False),          # oneDNN keeps its bfloat16 kernels
    ("AVX2", {"avx2", "fma"}, False),                     # a real AVX2 laptop: TensorFlow converts instead
    ("", {"avx2", "avx512f"}, False),
])
def test_a_onednn_cap_below_avx512_blocks_tensorflow_bfloat16(monkeypatch, cap, chip_flags, blocked):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", cap)
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.setattr(hardware, "_cpuinfo", lambda: ("a test CPU", frozenset(chip_flags)))
    reason = hardware.tensorflow_bfloat16_blocked()
    assert (reason is not None) == blocked
    if blocked:
        assert "ONEDNN_MAX_CPU_ISA" in reason and "unset it" in reason and "\n" not in reason
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")  # TensorFlow's own kernels: bfloat16 runs
        assert hardware.tensorflow_bfloat16_blocked() is None


@pytest.mark.skipif(hardware.backend_name() != "tensorflow", reason="the cap concerns TensorFlow's oneDNN kernels")
def test_setup_and_the_cpu_peak_refuse_bfloat16_under_the_cap_instead_of_crashing(monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.delenv("KERASMODELS_CPU_MAX_ISA", raising=False)  # the chip's bfloat16 flags are seen
    monkeypatch.setattr(hardware, "_cpuinfo", lambda: ("a test CPU", frozenset({"avx2", "avx512f", "avx512_bf16"})))
    chosen = accelerate.setup(model_kind="cnn", apply=False)
    assert chosen.precision == "float32" and "ONEDNN_MAX_CPU_ISA=AVX2" in str(chosen)
    with pytest.raises(errors.InvalidArgumentError, match="ONEDNN_MAX_CPU_ISA=AVX2"):
        accelerate.setup(precision="mixed_bfloat16", apply=False)
    with pytest.raises(errors.KerasmodelsError, match="measure_cpu_peak"):
        flops.measure_cpu_peak("bfloat16", size=64, repeats=1)
