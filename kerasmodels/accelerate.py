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
  (article 002's MNIST CNN, `cnn(preset="article002")`, trained 1.3-4.4x
  faster) and for BERT (bert_classifier("minilm-l6") 1.51x, median of 3 rounds), float32 for other models (a
  transformer block built from raw ops measured 2.4x slower); float32
  without bfloat16 instructions, and always for small MLPs (they are bound
  by per-step overhead).
- XLA (`jit_compile`): always on JAX; on TensorFlow on for GPUs and for
  BERT-like models on CPU in float32 (same wall time on 2 cores while using
  two thirds of the CPU time), off for BERT in mixed_bfloat16 on CPU (0.57x
  of bfloat16 without it), for conv nets on CPU (XLA halves their speed
  there) and small MLPs.
- `steps_per_execution`: 16 for MLPs (1.8x: the per-step Python overhead is
  paid once per 16 steps), 16 for CNNs on GPUs and TPUs (same reason; not yet
  measured on a GPU), else 1.
- float32 on GPUs of compute capability >= 8.0: JAX and TensorFlow run float32
  matmuls as TF32 by default, torch only when asked; `float32_matmul` says
  which, and `peak_flops()` gives the peak of that arithmetic.

`recipe(model_kind, preset, acc)` gives the training recipe to go with it
(batch size, optimizer, `warmup_cosine` peak, epochs); `kerasmodels train` uses
both by default.
- Devices: with several GPUs, `tf.distribute.MirroredStrategy` on
  TensorFlow and `keras.distribution.DataParallel` on JAX; one device
  otherwise. `devices=n` asks for n devices (logical CPU devices too, for
  trying data parallelism on a laptop). Several machines: `setup()` recognises a multi-worker
  launch and hands over to `kerasmodels.distributed` (`kerasmodels train --workers N` / `--hosts`).
"""

import contextlib
import time
from dataclasses import dataclass, field

from kerasmodels import hardware as _hardware

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
MODEL_KINDS = ("cnn", "mlp", "bert")
BACKENDS = ("tensorflow", "jax", "torch")
MLP_STEPS_PER_EXECUTION = 16
GPU_CNN_STEPS_PER_EXECUTION = 16


@dataclass
class AcceleratorSetup:
    """What `setup()` chose, and why.

    Attributes:
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


def _device_kind(info):
    kinds = {a.get("kind") for a in info.get("accelerators") or []}
    return "TPU" if "TPU" in kinds else "GPU" if "GPU" in kinds else "CPU"


def _cc(accelerator):
    cc = accelerator.get("compute_capability")
    if isinstance(cc, str):
        cc = tuple(int(p) for p in cc.split("."))
    return tuple(cc) if cc else None


def _cc_text(cc):
    return ".".join(str(p) for p in cc)


def _choose_precision(info, backend, model_kind):
    accelerators = info.get("accelerators") or []
    gpus = [a for a in accelerators if a.get("kind") == "GPU"]
    if any(a.get("kind") == "TPU" for a in accelerators):
        return "mixed_bfloat16", "TPU: its matrix units compute in bfloat16, so mixed_bfloat16"
    if gpus:
        name = gpus[0].get("name", "GPU")
        ccs = [_cc(g) for g in gpus]
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
    flags = set((info.get("cpu") or {}).get("flags") or ())
    amx, avx512_bf16 = "amx_bf16" in flags, "avx512_bf16" in flags
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
    if model_kind == "mlp":
        return "float32", (
            "a small MLP is bound by per-step overhead, not arithmetic: bfloat16 does not speed it "
            "up (measured slower), so float32"
        )
    if not amx and model_kind == "bert":
        return "mixed_bfloat16", (
            "CPU with avx512_bf16 (no AMX): mixed_bfloat16 trained bert_classifier('minilm-l6') 1.51x "
            "faster than float32 (median of 3 rounds on an AMD EPYC, docs/benchmarks.md)"
        )
    if not amx and model_kind != "cnn":
        return "float32", (
            "CPU with avx512_bf16 but no AMX: bfloat16 helps convolutions and keras-hub's BERT there "
            "but slowed a transformer block built from raw ops 2.4x in our measurements, so float32 "
            "(setup(measure=True) times both)"
        )
    if amx:
        return "mixed_bfloat16", (
            "CPU with AMX bfloat16 units (amx_bf16): mixed_bfloat16 trained a small CNN ~1.8x faster "
            "than float32 on this class of CPU"
        )
    return "mixed_bfloat16", (
        "CPU with avx512_bf16 (no AMX): mixed_bfloat16 trained article 002's MNIST CNN 1.3-4.4x faster than "
        "float32 in our measurements on an AMD EPYC (lesson 14, docs/hardware.md)"
    )


def _choose_jit(info, backend, model_kind, precision="float32"):
    if backend == "jax":
        return True, "JAX always compiles the training step with XLA"
    if backend == "torch":
        return False, "torch backend: jit_compile off (Keras's torch compilation is not used by default)"
    has_gpu = any(a.get("kind") in ("GPU", "TPU") for a in info.get("accelerators") or [])
    if has_gpu:
        return True, "XLA on: it fuses element-wise ops into the matmuls/convolutions on GPUs"
    if model_kind == "bert" and precision == "mixed_bfloat16":
        return False, (
            "XLA off: with mixed_bfloat16 on CPU it made BERT slower (0.57x of mixed_bfloat16 alone, "
            "median of 3 rounds)"
        )
    if model_kind == "bert":
        return True, (
            "XLA on: in float32 it trains a transformer in the same wall time on 2 cores using two "
            "thirds of the CPU time (1.2-1.5x reported on other CPUs)"
        )
    if model_kind == "cnn":
        return False, "XLA off: it halves the speed of conv nets on CPU"
    if model_kind == "mlp":
        return False, "XLA off: a small MLP does too little work per step for XLA to matter"
    return False, "XLA off on CPU (pass model_kind='bert' for transformers, where it helps)"


def _choose_steps_per_execution(info, model_kind):
    on_gpu = any(a.get("kind") in ("GPU", "TPU") for a in info.get("accelerators") or [])
    if model_kind == "mlp":
        return MLP_STEPS_PER_EXECUTION, (
            f"steps_per_execution={MLP_STEPS_PER_EXECUTION}: a small MLP is bound by the per-step "
            "overhead of fit(), which is then paid once per 16 steps (1.8x measured on CPU)"
        )
    if model_kind == "cnn" and on_gpu:
        return GPU_CNN_STEPS_PER_EXECUTION, (
            f"steps_per_execution={GPU_CNN_STEPS_PER_EXECUTION}: on an accelerator a small CNN's step "
            "takes less time than fit()'s Python work per step, which is then paid once per "
            f"{GPU_CNN_STEPS_PER_EXECUTION} steps (as for MLPs on CPU; not yet measured on a GPU)"
        )
    return 1, None


def _float32_matmuls(info, backend, precision):
    """On a GPU with TF32 and a float32 policy: say that matmuls run as TF32 (or not), and why."""
    from kerasmodels import flops

    gpus = [a for a in info.get("accelerators") or [] if a.get("kind") == "GPU"]
    if precision != "float32" or not gpus:
        return None, None
    ccs = [_cc(g) for g in gpus]
    if any(cc is None or cc < (8, 0) for cc in ccs):
        return "float32", None
    if info.get("float32_matmul"):  # a described machine: "tf32" or "float32"
        arithmetic, setting = info["float32_matmul"], "as described"
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


def _choose_devices(info, backend, devices, real):
    gpus = [a for a in info.get("accelerators") or [] if a.get("kind") == "GPU"]
    kind = "GPU" if gpus else "CPU"
    if real:
        available = _real_devices(backend, kind)
    elif gpus:
        available = [f"GPU:{i}" for i in range(len(gpus))]
    else:
        count = int(info.get("cpu_devices", devices if isinstance(devices, int) else 1))
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
    if model_kind is not None and model_kind not in MODEL_KINDS:
        raise ValueError(
            f"setup(model_kind={model_kind!r}): use None or one of {', '.join(MODEL_KINDS)} "
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
        hardware: a dict like `kerasmodels.hardware.describe()` to decide for
            other hardware (tests, "what would happen on an A100"); may add
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
        # A multi-worker launch (TF_CONFIG, or Keras's JAX process variables) must set up its
        # strategy before the backend runs anything, so it is recognised before describe().
        from kerasmodels import distributed

        launch = distributed.detect(_hardware.backend_name())
        if launch is not None:
            return distributed.setup(precision, jit, model_kind, launch)
    info = _hardware.describe() if real else dict(hardware)
    backend = info.get("backend") or _hardware.backend_name()
    _validate(precision, jit, devices, model_kind, backend)
    apply = real if apply is None else bool(apply)

    reasons = []
    if precision == "auto":
        precision, reason = _choose_precision(info, backend, model_kind)
        if measure and not info.get("accelerators"):
            timings = benchmark_precisions(model_kind or "cnn")
            faster = min(timings, key=timings.get)
            precision = faster
            reason = "measured on this CPU, seconds per step: " + ", ".join(
                f"{p} {t * 1e3:.1f} ms" for p, t in timings.items()
            ) + f" -> {faster}"
    else:
        reason = f"precision {precision} as requested"
        on_cpu = not info.get("accelerators")
        if on_cpu and precision == "mixed_float16":
            reason += " (float16 math is slow on CPUs; mixed_bfloat16 or float32 is usually faster)"
    reasons.append(reason)

    if jit == "auto":
        jit_compile, reason = _choose_jit(info, backend, model_kind, precision)
    else:
        jit_compile, reason = bool(jit), f"jit_compile={bool(jit)} as requested"
        if backend == "jax" and not jit:
            reason += " (JAX then runs every op eagerly: much slower)"
    reasons.append(reason)

    float32_matmul, reason = _float32_matmuls(info, backend, precision)
    if reason:
        reasons.append(reason)

    steps_per_execution, reason = _choose_steps_per_execution(info, model_kind)
    if reason:
        reasons.append(reason)

    strategy_name, device_names, reason = _choose_devices(info, backend, devices, real)
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
        device_kind=_device_kind(info),
        device_name=next((a.get("name") for a in info.get("accelerators") or []), None),
    )
    if apply:
        _apply(result, info)
    return result


def _apply(result, info):
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

        has_gpu = any(a.get("kind") == "GPU" for a in info.get("accelerators") or [])
        chosen = jax.devices("gpu" if has_gpu else "cpu")[: result.replicas]
        distribution = keras.distribution.DataParallel(devices=chosen)
        keras.distribution.set_distribution(distribution)
        result.strategy = distribution
    result.applied = True


def _tiny_model(model_kind):
    import keras

    if model_kind == "mlp":
        shape = (784,)
        body = [keras.layers.Dense(256, activation="relu"), keras.layers.Dense(256, activation="relu")]
    elif model_kind == "bert":
        inputs = keras.Input((64, 128))
        x = keras.layers.MultiHeadAttention(4, 32)(inputs, inputs)
        x = keras.layers.Dense(512, activation="gelu")(x)
        x = keras.layers.Dense(128)(x)
        x = keras.layers.GlobalAveragePooling1D()(x)
        outputs = keras.layers.Dense(10, dtype="float32")(x)
        return keras.Model(inputs, outputs), (64, 128)
    else:
        shape = (32, 32, 3)
        body = [
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.GlobalAveragePooling2D(),
        ]
    model = keras.Sequential([keras.Input(shape), *body, keras.layers.Dense(10, dtype="float32")])
    return model, shape


def benchmark_precisions(model_kind="cnn", policies=("float32", "mixed_bfloat16"), steps=20, batch_size=64):
    """Seconds per training step of a small model of `model_kind` under each dtype policy.

    The global policy is restored afterwards. Takes a few seconds on a CPU.

    Example:

    ```python
    benchmark_precisions("cnn")  # {'float32': 0.031, 'mixed_bfloat16': 0.017}
    ```
    """
    import keras
    import numpy as np

    if model_kind not in MODEL_KINDS:
        raise ValueError(f"benchmark_precisions(model_kind={model_kind!r}): use one of {', '.join(MODEL_KINDS)}.")
    for policy in policies:
        if policy not in PRECISIONS:
            raise ValueError(f"benchmark_precisions(policies=...): {policy!r} is not one of {', '.join(PRECISIONS)}.")
    previous = keras.mixed_precision.global_policy().name
    rng = np.random.default_rng(0)
    timings = {}
    try:
        for policy in policies:
            keras.mixed_precision.set_global_policy(policy)
            model, shape = _tiny_model(model_kind)
            model.compile(
                optimizer="adam",
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                jit_compile=_choose_jit({}, keras.backend.backend(), model_kind, policy)[0],
            )
            x = rng.standard_normal((batch_size * steps, *shape)).astype("float32")
            y = rng.integers(0, 10, batch_size * steps).astype("int32")
            model.fit(x[: batch_size * 2], y[: batch_size * 2], batch_size=batch_size, epochs=1, verbose=0)
            start = time.perf_counter()
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
            timings[policy] = (time.perf_counter() - start) / steps
    finally:
        keras.mixed_precision.set_global_policy(previous)
    return timings


@dataclass
class Recipe:
    """How to train a factory model: batch size, optimizer and learning-rate schedule, epochs.

    Attributes:
        batch_size: the global batch size for `fit()`.
        peak_learning_rate: the peak of `warmup_cosine` (None: the optimizer's default rate, constant).
        epochs: epochs the schedule is laid out over.
        optimizer: "adam" or "adamw".
        weight_decay: AdamW's weight decay (None for Adam).
        ema_momentum: AdamW's weight averaging (None: off).
        source: where the recipe comes from, and what was measured.
    """

    batch_size: int
    peak_learning_rate: float | None
    epochs: int
    optimizer: str = "adam"
    weight_decay: float | None = None
    ema_momentum: float | None = None
    source: str = ""

    def make_optimizer(self, train_examples, epochs=None, learning_rate=None):
        """The optimizer, its schedule laid out over `epochs` (default the recipe's) of `train_examples`.

        A given `learning_rate` replaces the schedule: a constant rate.
        """
        import keras

        from kerasmodels.models import warmup_cosine

        epochs = epochs or self.epochs
        steps = epochs * -(-int(train_examples) // self.batch_size)
        if learning_rate is not None:
            rate = learning_rate
        elif self.peak_learning_rate:
            rate = warmup_cosine(self.peak_learning_rate, max(steps, 2))
        else:
            rate = None
        kwargs = {} if rate is None else {"learning_rate": rate}
        if self.optimizer == "adamw":
            if self.weight_decay is not None:
                kwargs["weight_decay"] = self.weight_decay
            if self.ema_momentum:
                kwargs.update(use_ema=True, ema_momentum=self.ema_momentum)
            return keras.optimizers.AdamW(**kwargs)
        return keras.optimizers.Adam(**kwargs)

    def as_dict(self):
        return {"batch_size": self.batch_size, "peak_learning_rate": self.peak_learning_rate,
                "epochs": self.epochs, "optimizer": self.optimizer, "weight_decay": self.weight_decay,
                "ema_momentum": self.ema_momentum, "schedule": "warmup_cosine" if self.peak_learning_rate
                else "constant (optimizer default)", "source": self.source}


# The default cnn() on an accelerator: 4x the CPU batch with the peak rate scaled by sqrt(4), the
# usual rule for Adam, over 5 epochs. On a GPU a 128-image step of this small network is dominated
# by per-step overhead, so fewer, larger steps: on MNIST (CPU, mixed_bfloat16, seed 0) it first
# reached 99.0% after 3.75 epochs = 367 steps (the CPU recipe: ~2 epochs = ~780 steps) and ended
# at 99.28%; with 3 epochs it peaked at 98.97%. Its wall time on a GPU is not measured yet
# (bench/gpu_check.py measures it).
GPU_CNN_BATCH, GPU_CNN_PEAK, GPU_CNN_EPOCHS = 512, 6e-3, 5


def recipe(model_kind, preset=None, acc=None):
    """The recommended training recipe for a factory model on the hardware `acc` describes.

    Args:
        model_kind: "cnn", "mlp" or "bert".
        preset: the factory's preset (cnn: None, "article002", "lenet"; bert: "minilm-l6", "tiny").
        acc: an `AcceleratorSetup` (default: the CPU recipe, one device).

    Returns:
        A `Recipe`. On a CPU, the measured recipes of docs/benchmarks.md: cnn batch 128, Adam
        with `warmup_cosine` peak 3e-3, 3 epochs; mlp the same over 15 epochs; bert
        ("minilm-l6") AdamW (weight decay 0.01, EMA 0.99), peak 5e-5, batch 32, 3 epochs;
        "tiny" peak 1e-3, 4 epochs. On a GPU or TPU the default cnn() uses batch 512 (per
        device), peak 6e-3, 5 epochs (fewer, larger steps); everything else keeps the CPU recipe.

    Example:

    ```python
    recipe("cnn").batch_size  # 128
    ```
    """
    if model_kind not in MODEL_KINDS:
        raise ValueError(f"recipe(model_kind={model_kind!r}): use one of {', '.join(MODEL_KINDS)}.")
    replicas = acc.replicas if acc is not None else 1
    on_accelerator = acc is not None and acc.device_kind != "CPU"
    if model_kind == "cnn" and preset is not None:
        return Recipe(32 * replicas, None, 5, source=f"cnn(preset={preset!r}): the recipe of article 002 §5.2, "
                      "Adam with its default rate, batch 32, 5 epochs")
    if model_kind == "cnn" and on_accelerator:
        return Recipe(GPU_CNN_BATCH * replicas, GPU_CNN_PEAK, GPU_CNN_EPOCHS, source=(
            f"cnn() on {acc.device_kind}: batch {GPU_CNN_BATCH} per device, Adam, warmup_cosine peak "
            f"{GPU_CNN_PEAK:g} (the CPU recipe's 3e-3 scaled by sqrt(4)), {GPU_CNN_EPOCHS} epochs; on MNIST "
            "it reached 99.0% in 367 steps (measured on a CPU), its speed on a GPU is not measured yet"))
    if model_kind == "cnn":
        return Recipe(128 * replicas, 3e-3, 3, source=(
            "cnn(): batch 128, Adam, warmup_cosine peak 3e-3, 3 epochs (99.13% on MNIST, "
            "docs/benchmarks.md)"))
    if model_kind == "mlp":
        return Recipe(128 * replicas, 3e-3, 15, source=(
            "mlp(): batch 128, Adam, warmup_cosine peak 3e-3, 15 epochs (97.76% on MNIST, docs/benchmarks.md)"))
    if preset == "tiny":
        return Recipe(32 * replicas, 1e-3, 4, optimizer="adamw", weight_decay=0.01, source=(
            "bert_classifier('tiny'): AdamW, warmup_cosine peak 1e-3, batch 32, 4 epochs (docs/benchmarks.md)"))
    return Recipe(32 * replicas, 5e-5, 3, optimizer="adamw", weight_decay=0.01, ema_momentum=0.99, source=(
        "bert_classifier('minilm-l6'): AdamW (weight decay 0.01, EMA 0.99), warmup_cosine peak 5e-5, "
        "batch 32, 3 epochs (docs/benchmarks.md)"))
