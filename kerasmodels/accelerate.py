"""`setup()`: pick precision, XLA and data-parallel devices from the hardware, and say why.

One call before building the model:

```python
import kerasmodels as km

x, y = km.data.load("digits", split="train")
acc = km.accelerate.setup(model_kind="cnn")
print(acc)                      # one line per choice, with the reason
with acc.scope():               # MirroredStrategy / DataParallel when there are several devices
    model = km.models.cnn((8, 8), 10)
    km.models.compile_model(model, **acc.compile_kwargs())
model.fit(x, y, batch_size=acc.global_batch_size(64), epochs=1, verbose=0)
```

Rules (what was measured on this course's machines; `measure=True` times
float32 against bfloat16 on the machine at hand instead of trusting them):

- Precision: mixed_bfloat16 on GPUs of compute capability >= 8.0 (A100, L4,
  H100, RTX 30xx/40xx) and TPUs; mixed_float16 on 7.x (V100, T4), whose
  tensor cores lack bfloat16 (Keras adds loss scaling); float32 on older GPUs.
  On CPUs (TensorFlow): with AMX (`amx_bf16`, Intel Sapphire Rapids and
  later) mixed_bfloat16 for CNNs and BERT (a small CNN trains ~1.8x faster);
  with `avx512_bf16` but no AMX (e.g. AMD EPYC Zen 4) mixed_bfloat16 for CNNs
  (a small CNN trained 1.1-2.1x faster with `benchmark_precisions`) and for
  BERT (bert_classifier("minilm-l6") 1.51x, median of 3 rounds), float32 for other models (a
  transformer block built from raw ops measured 2.4x slower); float32
  without bfloat16 instructions, and always for small MLPs (they are bound
  by per-step overhead).
- XLA (`jit_compile`): always on JAX; on TensorFlow on for GPUs and for
  BERT-like models on CPU in float32 (same wall time on 2 cores while using
  two thirds of the CPU time), off for BERT in mixed_bfloat16 on CPU (0.57x
  of bfloat16 without it), for conv nets on CPU (about half as fast
  with XLA on a 2-core Xeon) and small MLPs.
- The rules that depend on the model (precision on a CPU with bfloat16, XLA
  on a CPU, `steps_per_execution`) are each model kind's `HardwareRules` in
  `kerasmodels.registry`, with the measurement behind each.
- `steps_per_execution`: 16 for MLPs (1.8x: the per-step Python overhead is
  paid once per 16 steps), 16 for CNNs on GPUs and TPUs (same reason; not yet
  measured on a GPU), else 1.
- float32 on GPUs of compute capability >= 8.0: JAX and TensorFlow run float32
  matmuls as TF32 by default, torch only when asked; `float32_matmul` says
  which, and `peak_flops()` gives the peak of that arithmetic.

- Devices: with several GPUs, `tf.distribute.MirroredStrategy` on
  TensorFlow and `keras.distribution.DataParallel` on JAX; one device
  otherwise. `devices=n` asks for n devices (logical CPU devices too, for
  trying data parallelism on a laptop).

`setup()` decides for one process. A multi-worker launch (several processes or
machines) is `kerasmodels.distributed.setup()`'s job: it creates the cluster's
strategy and asks `setup()` for this process's own choices
(`kerasmodels train --workers N` / `--hosts` do both).

`recipe(model_kind, preset, acc)` gives the training recipe to go with it
(batch size, optimizer, `warmup_cosine` peak, epochs; the recipes are declared
with the model kinds in `kerasmodels.registry`); `kerasmodels train` uses both
by default. The precision micro-benchmark behind `measure=True` lives with the
other measurements, `kerasmodels.flops.benchmark_precisions`
(`accelerate.benchmark_precisions` still works).
"""

import contextlib
import os
import warnings
from dataclasses import dataclass, field

from kerasmodels import errors, registry
from kerasmodels import hardware as _hardware
from kerasmodels.registry import GPU_CNN_BATCH, GPU_CNN_EPOCHS, GPU_CNN_PEAK, Recipe  # noqa: F401 (moved names)

__all__ = ["AcceleratorSetup", "Recipe", "benchmark_precisions", "recipe", "setup"]

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
MODEL_KINDS = registry.model_kind_names()  # the registry's kinds when this module was imported
BACKENDS = ("tensorflow", "jax", "torch")
MLP_STEPS_PER_EXECUTION = registry.MLP_STEPS_PER_EXECUTION  # moved to the registry (each kind's HardwareRules)
GPU_CNN_STEPS_PER_EXECUTION = registry.GPU_CNN_STEPS_PER_EXECUTION


@dataclass
class AcceleratorSetup:
    """What `setup()` chose, and why.

    `setup()` makes it; read its fields (or `print()` it for the reasons) and pass
    `precision`, `jit_compile` and `steps_per_execution` on to `model.compile`.

    Args:
        backend: the Keras backend the choices are for.
        precision: "float32", "mixed_float16" or "mixed_bfloat16".
        jit_compile: value for `model.compile(jit_compile=...)`.
        steps_per_execution: suggested value for `model.compile`.
        strategy_name: "default", "MirroredStrategy" or "DataParallel".
        replicas: number of devices one global batch is split over.
        devices: the device names used.
        reasons: one plain-English sentence per choice.
        strategy: the `tf.distribute.Strategy` or `keras.distribution.Distribution`
            object (None for the default, or when not applied).
        applied: whether the policy and strategy were set in this process.
        float32_matmul: on a GPU with a float32 policy, "tf32" or "float32": the arithmetic
            float32 matmuls use (None elsewhere).
        device_kind: "GPU", "TPU" or "CPU": what the model trains on.
        device_name: the accelerator's name (e.g. "NVIDIA H100 80GB HBM3"), None on a CPU.

    Example:

    ```python
    >>> a100 = {"backend": "tensorflow", "cpu": {"flags": []},
    ...         "accelerators": [{"name": "NVIDIA A100", "kind": "GPU", "compute_capability": (8, 0)}]}
    >>> acc = setup(hardware=a100, model_kind="cnn")  # decides only: nothing applied here
    >>> acc.device_kind, acc.precision, acc.jit_compile, acc.applied
    ('GPU', 'mixed_bfloat16', True, False)
    >>> print(acc.reasons[0])
    NVIDIA A100 (compute capability 8.0) has bfloat16 tensor cores: mixed_bfloat16 is ~2x float32 ...
    ```
    """

    backend: str
    precision: str
    jit_compile: bool
    steps_per_execution: int
    strategy_name: str
    replicas: int
    devices: list
    reasons: list = field(default_factory=list)
    strategy: object = None
    applied: bool = False
    float32_matmul: str | None = None
    device_kind: str = "CPU"
    device_name: str | None = None

    def peak_flops(self, measure_cpu=True):
        """(peak FLOP/s, source) of the arithmetic this setup trains with, summed over its replicas.

        On GPUs: the data-sheet peak of the precision's compute dtype (TF32 for float32 where
        float32 matmuls run as TF32); on a CPU: measured (`flops.measure_cpu_peak`), or
        (None, reason) with `measure_cpu=False`.
        """
        from kerasmodels import flops

        dtype = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}.get(self.precision, "float32")
        if self.device_kind == "CPU":
            return flops.peak_flops(dtype, measure_cpu=measure_cpu)
        peak, source = flops.peak_flops(dtype, self.device_name or self.device_kind, backend=self.backend,
                                        float32_arithmetic=self.float32_matmul)
        if peak and self.replicas > 1:
            return peak * self.replicas, f"{self.replicas} x {source}"
        return peak, source

    def as_dict(self):
        """The choices as plain data (for a run's summary JSON)."""
        return {
            "backend": self.backend, "precision": self.precision, "jit_compile": self.jit_compile,
            "steps_per_execution": self.steps_per_execution, "strategy": self.strategy_name,
            "replicas": self.replicas, "devices": list(self.devices), "float32_matmul": self.float32_matmul,
            "device_kind": self.device_kind, "device_name": self.device_name, "applied": self.applied,
            "reasons": list(self.reasons),
        }


    def scope(self):
        """Context to build and compile the model in (a no-op on one device)."""
        if self.strategy is None:
            return contextlib.nullcontext()
        return self.strategy.scope()

    def compile_kwargs(self):
        """`model.compile(..., **setup.compile_kwargs())`."""
        return {"jit_compile": self.jit_compile, "steps_per_execution": self.steps_per_execution}

    def global_batch_size(self, per_replica_batch_size):
        """The batch size to give `fit()` so that each replica sees `per_replica_batch_size`."""
        return int(per_replica_batch_size) * self.replicas

    def __str__(self):
        head = (
            f"[accelerate] {self.backend}: precision {self.precision}, jit_compile {self.jit_compile}, "
            f"steps_per_execution {self.steps_per_execution}, {self.strategy_name} on {self.replicas} device(s)"
        )
        return "\n".join([head] + [f"[accelerate] - {reason}" for reason in self.reasons])


def _cc_text(cc):
    return ".".join(str(p) for p in cc)


def _choose_precision(machine, backend, model_kind):
    gpus = machine.gpus
    if machine.has_tpu:
        return "mixed_bfloat16", "TPU: its matrix units compute in bfloat16, so mixed_bfloat16"
    if gpus:
        name = gpus[0].name or "GPU"
        ccs = [g.compute_capability for g in gpus]
        if any(cc is None for cc in ccs):
            return "float32", f"{name}: compute capability unknown, so float32 (the safe default)"
        cc = min(ccs)
        if cc >= (8, 0):
            return "mixed_bfloat16", (
                f"{name} (compute capability {_cc_text(cc)}) has bfloat16 tensor cores: mixed_bfloat16 "
                "is ~2x float32 and keeps float32's range (no loss scaling needed)"
            )
        if cc >= (7, 0):
            return "mixed_float16", (
                f"{name} (compute capability {_cc_text(cc)}) has float16 tensor cores but no bfloat16: "
                "mixed_float16, with the loss scaling Keras adds automatically"
            )
        return "float32", (
            f"{name} (compute capability {_cc_text(cc)}) has no tensor cores: mixed precision gains "
            "little there, so float32"
        )
    amx, avx512_bf16 = machine.cpu.has_amx_bf16, machine.cpu.has_avx512_bf16
    if not (amx or avx512_bf16):
        return "float32", (
            "CPU without bfloat16 instructions (no amx_bf16 or avx512_bf16 flag): bfloat16 would be "
            "emulated and slower, so float32"
        )
    if backend != "tensorflow":
        return "float32", (
            f"CPU with bfloat16 instructions, but the bfloat16 speed-up was measured with TensorFlow "
            f"only; float32 on {backend} (setup(measure=True) times both here)"
        )
    rules = _rules(model_kind)
    return rules.precision_amx if amx else rules.precision_avx512_bf16


def _choose_jit(machine, backend, model_kind, precision="float32"):
    if backend == "jax":
        return True, "JAX always compiles the training step with XLA"
    if backend == "torch":
        return False, "torch backend: jit_compile off (Keras's torch compilation is not used by default)"
    if machine is not None and machine.accelerators:
        return True, "XLA on: it fuses element-wise ops into the matmuls/convolutions on GPUs"
    rules = _rules(model_kind)
    if precision == "mixed_bfloat16" and rules.jit_bfloat16 is not None:
        return rules.jit_bfloat16
    return rules.jit


def _choose_steps_per_execution(machine, model_kind):
    rules = _rules(model_kind)
    return rules.accelerator_steps_per_execution if machine.accelerators else rules.steps_per_execution


def _rules(model_kind):
    """The registry's model-dependent rules for `model_kind` (None: those for any other model)."""
    return registry.model_kind(model_kind).hardware if model_kind else registry.HardwareRules()


def _float32_matmuls(machine, backend, precision):
    """On a GPU with TF32 and a float32 policy: say that matmuls run as TF32 (or not), and why."""
    from kerasmodels import flops

    gpus = machine.gpus
    if precision != "float32" or not gpus:
        return None, None
    ccs = [g.compute_capability for g in gpus]
    if any(cc is None or cc < (8, 0) for cc in ccs):
        return "float32", None
    if machine.float32_matmul:  # a described machine: "tf32" or "float32"
        arithmetic, setting = machine.float32_matmul, "as described"
    else:
        arithmetic, setting = flops.float32_matmul_arithmetic(backend)
    if arithmetic == "tf32":
        return "tf32", (
            f"float32 matmuls run as TF32 on the tensor cores ({setting}): float32's range, a "
            "10-bit mantissa, several times the FP32 speed; MFU is measured against the TF32 peak"
        )
    return "float32", f"float32 matmuls run in full FP32 ({setting}): slower than TF32, MFU against the FP32 peak"


def _real_devices(backend, kind):
    """Names of this process's devices of `kind` ("GPU" or "CPU") for the given backend."""
    if backend == "tensorflow":
        import tensorflow as tf

        return [d.name for d in tf.config.list_logical_devices(kind)]
    if backend == "jax":
        import jax

        platform = "gpu" if kind == "GPU" else "cpu"
        try:
            return [str(d) for d in jax.devices(platform)]
        except RuntimeError:
            return []
    if backend == "torch" and kind == "GPU":
        import torch

        return [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return ["cpu"]


def _choose_devices(machine, backend, devices, real):
    gpus = machine.gpus
    kind = "GPU" if gpus else "CPU"
    if real:
        available = _real_devices(backend, kind)
    elif gpus:
        available = [f"GPU:{i}" for i in range(len(gpus))]
    else:
        count = int(machine.cpu_devices if machine.cpu_devices is not None
                    else devices if isinstance(devices, int) else 1)
        available = [f"CPU:{i}" for i in range(count)]
    if devices == "auto":
        chosen = available if kind == "GPU" else available[:1]
    else:
        if devices > len(available):
            fix = (
                "on a CPU, create logical devices first: with TensorFlow, "
                "tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n) "
                "before TensorFlow initialises; with JAX, XLA_FLAGS=--xla_force_host_platform_device_count=n "
                "before importing jax"
                if kind == "CPU"
                else "pass devices='auto' to use every GPU"
            )
            raise ValueError(
                f"setup(devices={devices}): only {len(available)} {kind} device(s) are visible "
                f"({', '.join(available) or 'none'}); {fix}."
            )
        chosen = available[:devices]
    if len(chosen) < 2:
        return "default", chosen or ["CPU:0"], "one device: the default strategy, no data parallelism"
    if backend == "tensorflow":
        return "MirroredStrategy", chosen, (
            f"{len(chosen)} {kind} devices: tf.distribute.MirroredStrategy copies the model to each and "
            "splits every batch between them (all-reduce of the gradients)"
        )
    if backend == "jax":
        return "DataParallel", chosen, (
            f"{len(chosen)} {kind} devices: keras.distribution.DataParallel shards every batch over them "
            "and replicates the weights"
        )
    return "default", chosen[:1], (
        f"{len(chosen)} {kind} devices, but Keras has no built-in data parallelism for the torch "
        "backend: one device (use TensorFlow or JAX for several)"
    )


def _validate(precision, jit, devices, model_kind, backend):
    if precision != "auto" and precision not in PRECISIONS:
        raise ValueError(
            f"setup(precision={precision!r}): use 'auto' or one of {', '.join(PRECISIONS)}."
        )
    if jit not in ("auto", True, False):
        raise ValueError(f"setup(jit={jit!r}): use 'auto', True or False.")
    if devices != "auto" and (isinstance(devices, bool) or not isinstance(devices, int) or devices < 1):
        raise ValueError(f"setup(devices={devices!r}): use 'auto' or a positive int (number of devices).")
    if model_kind is not None and model_kind not in registry.MODEL_KINDS:
        raise ValueError(
            f"setup(model_kind={model_kind!r}): use None or one of {', '.join(registry.MODEL_KINDS)} "
            "(it decides XLA and steps_per_execution)."
        )
    if backend not in BACKENDS:
        raise ValueError(f"setup(): backend {backend!r} is not one of {', '.join(BACKENDS)}.")


def setup(precision="auto", jit="auto", devices="auto", model_kind=None, hardware=None,
          apply=None, measure=False):
    """Choose precision, XLA and devices for this machine, apply them and explain each choice.

    Args:
        precision: "auto", "float32", "mixed_float16" or "mixed_bfloat16".
        jit: "auto", True or False (`jit_compile` for `model.compile`).
        devices: "auto" (every GPU; one CPU) or the number of devices to use.
        model_kind: "cnn", "mlp", "bert" or None; decides XLA on CPU and
            `steps_per_execution`.
        hardware: a `kerasmodels.hardware.Machine`, or a dict like
            `kerasmodels.hardware.describe()`, to decide for other hardware
            (tests, "what would happen on an A100"); a dict may add
            "cpu_devices": n and "float32_matmul": "tf32" or "float32" (default:
            this process's framework setting). Default: this machine.
        apply: set the global dtype policy, TF GPU memory growth and the
            strategy in this process. Default: True for this machine, False
            for a given `hardware`.
        measure: time float32 against mixed_bfloat16 for `model_kind` on this
            machine and keep the faster (CPU only; a few seconds).

    Returns:
        An `AcceleratorSetup`; `print()` it to see the reasons.

    Example:

    ```python
    a100 = {"backend": "tensorflow", "cpu": {"flags": []},
            "accelerators": [{"name": "NVIDIA A100", "kind": "GPU", "compute_capability": (8, 0)}]}
    setup(hardware=a100).precision  # 'mixed_bfloat16'
    ```
    """
    real = hardware is None
    if real:
        _warn_if_launched()
        machine = _hardware.machine()
    elif isinstance(hardware, _hardware.Machine):
        machine = hardware
    else:
        machine = _hardware.Machine.from_dict(dict(hardware))
    backend = machine.backend or _hardware.backend_name()
    _validate(precision, jit, devices, model_kind, backend)
    apply = real if apply is None else bool(apply)

    reasons = []
    # A oneDNN cap below AVX-512 makes TensorFlow's bfloat16 crash this process (see hardware).
    bfloat16_blocked = _hardware.tensorflow_bfloat16_blocked() if real and backend == "tensorflow" else None
    if precision == "auto":
        precision, reason = _choose_precision(machine, backend, model_kind)
        if bfloat16_blocked and (precision == "mixed_bfloat16" or measure):
            precision, reason = "float32", f"float32, not measured: {bfloat16_blocked}"
        elif measure and not machine.accelerators:
            timings = benchmark_precisions(model_kind or "cnn")
            faster = min(timings, key=timings.get)
            precision = faster
            reason = "measured on this CPU, seconds per step: " + ", ".join(
                f"{p} {t * 1e3:.1f} ms" for p, t in timings.items()
            ) + f" -> {faster}"
    else:
        if bfloat16_blocked and precision == "mixed_bfloat16" and not machine.accelerators:
            raise errors.InvalidArgumentError(f"setup(precision='mixed_bfloat16'): {bfloat16_blocked}")
        reason = f"precision {precision} as requested"
        on_cpu = not machine.accelerators
        if on_cpu and precision == "mixed_float16":
            reason += " (float16 math is slow on CPUs; mixed_bfloat16 or float32 is usually faster)"
    reasons.append(reason)

    if jit == "auto":
        jit_compile, reason = _choose_jit(machine, backend, model_kind, precision)
    else:
        jit_compile, reason = bool(jit), f"jit_compile={bool(jit)} as requested"
        if backend == "jax" and not jit:
            reason += " (JAX then runs every op eagerly: much slower)"
    reasons.append(reason)

    float32_matmul, reason = _float32_matmuls(machine, backend, precision)
    if reason:
        reasons.append(reason)

    steps_per_execution, reason = _choose_steps_per_execution(machine, model_kind)
    if reason:
        reasons.append(reason)

    strategy_name, device_names, reason = _choose_devices(machine, backend, devices, real)
    reasons.append(reason)

    result = AcceleratorSetup(
        backend=backend,
        precision=precision,
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
        strategy_name=strategy_name,
        replicas=len(device_names) if strategy_name != "default" else 1,
        devices=device_names,
        reasons=reasons,
        float32_matmul=float32_matmul,
        device_kind=machine.device_kind,
        device_name=next((a.name for a in machine.accelerators), None),
    )
    if apply:
        _apply(result, machine)
    return result


# The environment variables of a multi-worker launch (read by kerasmodels.distributed.detect).
_LAUNCH_VARIABLES = ("TF_CONFIG", "KERAS_DISTRIBUTION_NUM_PROCESSES", "KERAS_DISTRIBUTION_PROCESS_ID")


def _warn_if_launched():
    named = [name for name in _LAUNCH_VARIABLES if os.environ.get(name)]
    if named:
        warnings.warn(f"{named[0]} is set: this process may be one worker of a multi-worker launch, but "
                      "accelerate.setup() decides for one process. Fix: call kerasmodels.distributed.setup(), "
                      "which sets up the cluster (kerasmodels train does).", RuntimeWarning, stacklevel=3)


def _apply(result, machine):
    import keras

    if result.backend != keras.backend.backend():
        raise ValueError(
            f"setup(apply=True): the decisions are for backend {result.backend!r} but Keras runs "
            f"{keras.backend.backend()!r}; pass apply=False to only see the decisions."
        )
    keras.mixed_precision.set_global_policy(result.precision)
    if result.backend == "tensorflow":
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:
                result.reasons.append(
                    "GPU memory growth could not be turned on: TensorFlow had already initialised the "
                    "GPU (call setup() before building any model)"
                )
                break
        else:
            if tf.config.list_physical_devices("GPU"):
                result.reasons.append("GPU memory growth on: TensorFlow takes GPU memory as needed")
        if result.strategy_name == "MirroredStrategy":
            result.strategy = tf.distribute.MirroredStrategy(devices=result.devices)
    elif result.backend == "jax" and result.strategy_name == "DataParallel":
        import jax

        has_gpu = bool(machine.gpus)
        chosen = jax.devices("gpu" if has_gpu else "cpu")[: result.replicas]
        distribution = keras.distribution.DataParallel(devices=chosen)
        keras.distribution.set_distribution(distribution)
        result.strategy = distribution
    result.applied = True


def benchmark_precisions(model_kind="cnn", policies=("float32", "mixed_bfloat16"), steps=20, batch_size=64):
    """Seconds per training step of a small model of `model_kind` under each dtype policy.

    Moved to `kerasmodels.flops.benchmark_precisions` (where the package's measurements live); this
    name keeps working and compiles each policy's model with `setup()`'s XLA rule for a CPU.

    Args:
        model_kind: a registered model kind ("mlp", "cnn", "bert").
        policies: Keras dtype policies to time.
        steps: timed training steps per policy.
        batch_size: examples per step.

    Returns:
        A dict policy -> seconds per step.

    Raises:
        ValueError: `model_kind` is not a registered kind.

    Example:

    ```python
    >>> seconds = benchmark_precisions("mlp", policies=("float32",), steps=2, batch_size=8)
    >>> sorted(seconds), seconds["float32"] > 0  # timings vary by machine
    (['float32'], True)
    ```
    """
    from kerasmodels import flops

    if model_kind not in registry.MODEL_KINDS:
        raise ValueError(f"benchmark_precisions(model_kind={model_kind!r}): use one of "
                         f"{', '.join(registry.MODEL_KINDS)}.")
    backend = _hardware.backend_name()
    return flops.benchmark_precisions(
        model_kind, policies, steps=steps, batch_size=batch_size,
        jit_compile=lambda policy: _choose_jit(None, backend, model_kind, policy)[0])


def recipe(model_kind, preset=None, acc=None):
    """The recommended training recipe for a factory model on the hardware `acc` describes.

    Args:
        model_kind: "cnn", "mlp" or "bert".
        preset: the factory's preset (cnn: None, "article002", "lenet"; bert: "minilm-l6", "tiny").
        acc: an `AcceleratorSetup` (default: the CPU recipe, one device); its `replicas`
            multiply the batch (a fixed batch per device).

    Returns:
        A `Recipe`. On a CPU, the measured recipes of docs/benchmarks.md: cnn batch 128, Adam
        with `warmup_cosine` peak 3e-3, 3 epochs (in float32, as `setup()` chooses on a CPU
        without bfloat16: peak 5e-3, 2 epochs); mlp the same over 15 epochs; bert
        ("minilm-l6") AdamW (weight decay 0.01, EMA 0.99), peak 5e-5, batch 32, 3 epochs;
        "tiny" peak 1e-3, 4 epochs. On a GPU or TPU the default cnn() uses batch 512 (per
        device), peak 6e-3, 5 epochs (fewer, larger steps); everything else keeps the CPU recipe.

    Example:

    ```python
    recipe("cnn").batch_size  # 128
    ```
    """
    if model_kind not in registry.MODEL_KINDS:
        raise ValueError(f"recipe(model_kind={model_kind!r}): use one of {', '.join(registry.MODEL_KINDS)}.")
    replicas = acc.replicas if acc is not None else 1
    device_kind = acc.device_kind if acc is not None else "CPU"
    precision = acc.precision if acc is not None else None
    return registry.model_kind(model_kind).recipe(preset, device_kind=device_kind, replicas=replicas,
                                                  precision=precision)
