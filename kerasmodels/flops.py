"""Counting a model's FLOPs and knowing the hardware's peak, for throughput and MFU.

Convention: one multiply-add is 2 FLOPs (a Dense layer with `d_in` inputs and
`units` outputs costs `2 * d_in * units` FLOPs per example). Bias additions,
activations and normalisation are not counted: they are a few percent of the
matmuls in the models of this course. Pooling counts one FLOP per element of
each window. Embedding lookups move memory and count 0 FLOPs.

`count_flops` gives FORWARD FLOPs per example. One training step costs about
3x that (forward, plus the backward pass that computes gradients with respect
to both activations and weights, each as expensive as the forward pass).

Model FLOP utilisation (MFU) is achieved FLOP/s divided by the hardware's
peak of the arithmetic the model actually uses: `peak_flops()` looks the GPU up in
`GPU_PEAK_TFLOPS` (TF32 for float32 where the backend runs float32 matmuls as TF32) or, on a
CPU, measures a large matmul with `measure_cpu_peak()` (same backend and dtype as the model).
`mfu_text()` never prints an MFU above 100%: such a number means the peak is wrong.

Example:

```python
import keras
from kerasmodels.flops import count_flops

model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10)])
count_flops(model)  # 2 * 784 * 10 = 15680
```
"""

import math
import re
import time
from dataclasses import dataclass, field

import keras
import numpy as np

from kerasmodels import hardware

__all__ = ["GPU_PEAK_TFLOPS", "TRAINING_FLOPS_FACTOR", "FlopCount", "benchmark_precisions", "count_flops",
           "float32_matmul_arithmetic", "measure_cpu_peak", "mfu_text", "peak_flops"]

#: FLOPs of one training step per forward FLOP, 3 (the forward pass, plus a backward pass that
#: computes gradients with respect to activations and to weights, each as costly as the forward).
#: Training FLOPs per example = `TRAINING_FLOPS_FACTOR * count_flops(model)`
#: (`FlopCount.training_per_example`).
TRAINING_FLOPS_FACTOR = 3

# Dense (no sparsity) peak TFLOP/s from the vendors' data sheets, per arithmetic:
# tensor-core numbers for bfloat16/float16, "tf32" for float32 matmuls run on TF32 tensor cores
# (JAX and TensorFlow do that by default on compute capability 8.0 and later; torch only when
# asked), plain FP32 for "float32". V100, T4 and P100 have no TF32.
# Order matters: more specific names first, matched as substrings of the device name.
#: The GPUs whose data-sheet peaks `peak_flops` knows, a tuple of `(name, peaks)` pairs.
#: `peaks` maps an arithmetic ("bfloat16", "float16", "tf32" or "float32") to the dense (no sparsity)
#: peak in TFLOP/s. A device matches the first entry whose name is a substring of its own
#: ("H100 PCIe" before "H100").
#: Read it with `peak_flops(dtype, device_name)`; e.g. `dict(GPU_PEAK_TFLOPS)["A100"]["tf32"]` is 156.0.
GPU_PEAK_TFLOPS = (
    ("H200", {"bfloat16": 989.0, "float16": 989.0, "tf32": 494.7, "float32": 67.0}),
    ("H100 PCIe", {"bfloat16": 756.0, "float16": 756.0, "tf32": 378.0, "float32": 51.0}),
    ("H100", {"bfloat16": 989.0, "float16": 989.0, "tf32": 494.7, "float32": 67.0}),
    ("A100", {"bfloat16": 312.0, "float16": 312.0, "tf32": 156.0, "float32": 19.5}),
    ("L40S", {"bfloat16": 362.0, "float16": 362.0, "tf32": 183.0, "float32": 91.6}),
    ("L4", {"bfloat16": 121.0, "float16": 121.0, "tf32": 60.0, "float32": 30.3}),
    ("A10G", {"bfloat16": 70.0, "float16": 70.0, "tf32": 35.0, "float32": 31.2}),
    ("A10", {"bfloat16": 125.0, "float16": 125.0, "tf32": 62.5, "float32": 31.2}),
    ("RTX 4090", {"bfloat16": 165.2, "float16": 165.2, "tf32": 82.6, "float32": 82.6}),
    ("RTX 3090", {"bfloat16": 71.0, "float16": 71.0, "tf32": 35.6, "float32": 35.6}),
    ("V100", {"float16": 125.0, "float32": 15.7}),
    ("T4", {"float16": 65.0, "float32": 8.1}),
    ("P100", {"float16": 18.7, "float32": 9.3}),
)

# jax_default_matmul_precision values that keep float32 matmuls in full float32 (None, "default",
# "high", "tensorfloat32", "bfloat16", "fastest" let the GPU use TF32 or less).
_JAX_FULL_FLOAT32 = ("highest", "float32")


@dataclass
class FlopCount:
    """Forward FLOPs per example of a model, layer by layer.

    `count_flops(model, detail=True)` returns one; `print()` it for a table by layer.

    Args:
        total: forward FLOPs per example (2 FLOPs per multiply-add).
        per_layer: `{layer path: FLOPs}` for every counted call.
        uncounted: paths of layers with weights that have no formula here
            (e.g. recurrent layers); `total` leaves them out.

    Example:

    ```python
    >>> model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, name="hidden"),
    ...                           keras.layers.Dense(10, name="logits")], name="net")
    >>> counted = count_flops(model, detail=True)
    >>> print(counted)
    net/hidden: 200,704
    net/logits: 2,560
    total forward FLOPs per example: 203,264
    >>> counted.training_per_example  # TRAINING_FLOPS_FACTOR * total
    609792
    ```
    """

    total: int
    per_layer: dict = field(default_factory=dict)
    uncounted: list = field(default_factory=list)

    @property
    def training_per_example(self):
        return TRAINING_FLOPS_FACTOR * self.total

    def __str__(self):
        lines = [f"{name}: {flops:,}" for name, flops in self.per_layer.items()]
        lines.append(f"total forward FLOPs per example: {self.total:,}")
        if self.uncounted:
            lines.append(f"not counted (no formula): {', '.join(self.uncounted)}")
        return "\n".join(lines)


def _shape(x):
    shape = getattr(x, "shape", None)
    return tuple(int(d) for d in shape) if shape is not None else None


def _prod(values):
    return int(math.prod(int(v) for v in values))


def _einsum_flops(equation, input_shape, kernel_shape):
    """2 * product of the sizes of every index in `equation` (batch included)."""
    inputs, _ = equation.split("->")
    left, right = inputs.split(",")
    sizes = {}
    for letters, shape in ((left, input_shape), (right, kernel_shape)):
        letters = letters.replace("...", "")
        # Ellipsis dims come first in the input; align the named letters to the end.
        for letter, size in zip(letters, shape[len(shape) - len(letters):]):
            sizes[letter] = size
    extra = _prod(input_shape[: len(input_shape) - len(left.replace("...", ""))])
    return 2 * _prod(sizes.values()) * extra


def _layer_flops(layer, args, kwargs, output):
    """FLOPs of one call of `layer` with a batch of 1, or None if there is no formula."""
    layers = keras.layers
    x = args[0] if args else next(iter(kwargs.values()), None)
    in_shape = _shape(x)
    out_shape = _shape(output) if not isinstance(output, (tuple, list)) else _shape(output[0])

    if isinstance(layer, layers.MultiHeadAttention):
        # Only the attention products; the projections are EinsumDense sublayers.
        query = kwargs.get("query", args[0] if args else None)
        value = kwargs.get("value", args[1] if len(args) > 1 else query)
        q_len = _prod(_shape(query)[1:-1])
        v_len = _prod(_shape(value)[1:-1])
        heads = layer.num_heads
        scores = 2 * heads * q_len * v_len * layer.key_dim  # Q K^T
        mix = 2 * heads * q_len * v_len * (layer.value_dim or layer.key_dim)  # softmax(.) V
        return scores + mix
    if isinstance(layer, layers.EinsumDense):
        return _einsum_flops(layer.equation, in_shape, _shape(layer.kernel))
    if isinstance(layer, layers.Dense):
        return 2 * _prod(in_shape) * layer.units
    name = type(layer).__name__
    if isinstance(layer, layers.Embedding) or name.endswith("Embedding"):
        return 0  # lookups (token, position, segment): memory traffic, not arithmetic
    if "Normalization" in name or name.endswith("Norm"):
        return 0  # by the convention above: a few FLOPs per element, left out
    if isinstance(layer, (layers.DepthwiseConv1D, layers.DepthwiseConv2D)):
        kernel = _prod(layer.kernel_size)
        return 2 * kernel * _prod(out_shape[1:])
    if isinstance(layer, (layers.SeparableConv1D, layers.SeparableConv2D)):
        channels_last = layer.data_format == "channels_last"
        c_in = in_shape[-1] if channels_last else in_shape[1]
        spatial = out_shape[1:-1] if channels_last else out_shape[2:]
        depthwise = 2 * _prod(layer.kernel_size) * c_in * layer.depth_multiplier * _prod(spatial)
        pointwise = 2 * c_in * layer.depth_multiplier * layer.filters * _prod(spatial)
        return depthwise + pointwise
    if isinstance(layer, (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose)):
        channels_last = layer.data_format == "channels_last"
        c_in = in_shape[-1] if channels_last else in_shape[1]
        spatial = in_shape[1:-1] if channels_last else in_shape[2:]
        return 2 * _prod(layer.kernel_size) * c_in * layer.filters * _prod(spatial)
    if isinstance(layer, (layers.Conv1D, layers.Conv2D, layers.Conv3D)):
        channels_last = layer.data_format == "channels_last"
        c_in = in_shape[-1] if channels_last else in_shape[1]
        spatial = out_shape[1:-1] if channels_last else out_shape[2:]
        groups = getattr(layer, "groups", 1) or 1
        return 2 * _prod(layer.kernel_size) * (c_in // groups) * layer.filters * _prod(spatial)
    pooling = tuple(
        getattr(layers, name)
        for name in ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
                     "AveragePooling1D", "AveragePooling2D", "AveragePooling3D")
    )
    if isinstance(layer, pooling):
        return _prod(layer.pool_size) * _prod(out_shape[1:])
    global_pooling = tuple(
        getattr(layers, name)
        for name in ("GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
                     "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D")
    )
    if isinstance(layer, global_pooling):
        return _prod(in_shape[1:])
    return None


def _example_inputs(model, sequence_length):
    """A batch of one example matching the model's inputs (values do not matter)."""
    if not model.built or not getattr(model, "inputs", None):
        raise ValueError(
            f"count_flops(model): model {model.name!r} has no known input shape. "
            "Build it first, e.g. start a Sequential with keras.Input(shape) or call "
            "model.build((None, ...)), then call count_flops again."
        )

    def one(spec):
        shape = []
        for i, dim in enumerate(spec.shape):
            if i == 0:
                shape.append(1)
            elif dim is None:
                if sequence_length is None:
                    raise ValueError(
                        f"count_flops(model): input {spec.name!r} has shape {tuple(spec.shape)} "
                        "with an unknown length; pass sequence_length=<tokens per example>, "
                        "e.g. count_flops(model, sequence_length=128)."
                    )
                shape.append(int(sequence_length))
            else:
                shape.append(int(dim))
        dtype = str(spec.dtype)
        if "int" in dtype or "bool" in dtype:
            return np.ones(shape, dtype=dtype)
        return np.zeros(shape, dtype=dtype)

    inputs = model.inputs
    if isinstance(getattr(model, "_inputs_struct", None), dict):
        return {name: one(spec) for name, spec in model._inputs_struct.items()}
    if len(inputs) == 1:
        return one(inputs[0])
    return [one(spec) for spec in inputs]


def count_flops(model, sequence_length=None, detail=False):
    """Forward FLOPs per example of a Keras model (2 FLOPs per multiply-add).

    Runs the model once on a dummy batch of one example and counts every call
    of Dense, EinsumDense, Conv1D/2D/3D (and transposed, separable, depthwise),
    pooling, Embedding (0) and MultiHeadAttention (the QK^T and AV products,
    which grow with the square of the sequence length), inside nested models
    and keras-hub backbones too. A layer called twice is counted twice.

    Args:
        model: a built Keras model.
        sequence_length: tokens per example, for inputs whose length is None
            (text models).
        detail: return a `FlopCount` (per-layer numbers, uncounted layers)
            instead of an int.

    Returns:
        int FLOPs per example, or a `FlopCount` when `detail=True`.

    Example:

    ```python
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3)])
    count_flops(model)  # 2 * 3*3*1 * 8 * 26*26 = 97344
    ```
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"count_flops(model): expected a keras.Model, received {type(model).__name__}. "
            "Pass the model you give to fit()."
        )
    inputs = _example_inputs(model, sequence_length)
    layers = list(model._flatten_layers(include_self=False, recursive=True))
    per_layer, uncounted, total = {}, [], 0
    missing = object()
    originals = {}

    def wrap(layer):
        original = layer.call

        def recording_call(*args, **kwargs):
            nonlocal total
            output = original(*args, **kwargs)
            flops = _layer_flops(layer, args, kwargs, output)
            name = layer.path or layer.name
            if flops is None:
                if layer.weights and not layer._layers and name not in uncounted:
                    uncounted.append(name)
            else:
                per_layer[name] = per_layer.get(name, 0) + int(flops)
                total += int(flops)
            return output

        return recording_call

    try:
        for layer in layers:
            originals[id(layer)] = (layer, layer.__dict__.get("call", missing))
            object.__setattr__(layer, "call", wrap(layer))
        model(inputs, training=False)
    finally:
        for layer, original in originals.values():
            if original is missing:
                object.__delattr__(layer, "call")
            else:
                object.__setattr__(layer, "call", original)
    result = FlopCount(total=total, per_layer=per_layer, uncounted=uncounted)
    return result if detail else result.total


def _gpu_peaks(name):
    for key, peaks in GPU_PEAK_TFLOPS:
        if re.search(re.escape(key), name, flags=re.IGNORECASE):
            return peaks
    return None


def float32_matmul_arithmetic(backend=None):
    """How this process's float32 matmuls run on a GPU: ("tf32" or "float32", the setting read).

    TF32 keeps float32's range with a 10-bit mantissa and runs on tensor cores, several times
    faster than plain FP32. Each framework decides with its own setting:

    - JAX: `jax.config.jax_default_matmul_precision` (None, the default, allows TF32;
      "highest"/"float32" forbid it).
    - TensorFlow: `tf.config.experimental.tensor_float_32_execution_enabled()` (on by default).
    - torch: `torch.backends.cuda.matmul.allow_tf32` or `torch.get_float32_matmul_precision()`
      "high"/"medium" (off by default).

    `NVIDIA_TF32_OVERRIDE=0` turns TF32 off for every framework. Only GPUs of compute
    capability 8.0 and later have TF32; `peak_flops` applies this to those only.
    A framework that is not imported yet is not imported here: its default is reported.

    Args:
        backend: "tensorflow", "jax" or "torch"; default the backend Keras runs.

    Returns:
        `(arithmetic, setting)`: "tf32" or "float32", and the setting it was read from (text).

    Example:

    ```python
    >>> import os
    >>> from unittest import mock
    >>> float32_matmul_arithmetic("tensorflow")[0] in ("tf32", "float32")
    True
    >>> with mock.patch.dict(os.environ, {"NVIDIA_TF32_OVERRIDE": "0"}):
    ...     float32_matmul_arithmetic("jax")
    ('float32', 'NVIDIA_TF32_OVERRIDE=0')
    ```
    """
    import os
    import sys

    backend = backend or keras.backend.backend()
    if os.environ.get("NVIDIA_TF32_OVERRIDE") == "0":
        return "float32", "NVIDIA_TF32_OVERRIDE=0"
    if backend == "jax":
        if "jax" in sys.modules:
            value = sys.modules["jax"].config.jax_default_matmul_precision
        else:
            value = os.environ.get("JAX_DEFAULT_MATMUL_PRECISION")
        arithmetic = "float32" if str(value).lower() in _JAX_FULL_FLOAT32 else "tf32"
        return arithmetic, f"jax_default_matmul_precision={value!r}"
    if backend == "tensorflow":
        enabled = True
        if "tensorflow" in sys.modules:
            enabled = bool(sys.modules["tensorflow"].config.experimental.tensor_float_32_execution_enabled())
        return ("tf32" if enabled else "float32"), f"tensor_float_32_execution_enabled()={enabled}"
    if backend == "torch":
        allow, precision = False, "highest"
        if "torch" in sys.modules:
            torch = sys.modules["torch"]
            allow = bool(torch.backends.cuda.matmul.allow_tf32)
            precision = torch.get_float32_matmul_precision()
        enabled = allow or precision in ("high", "medium")
        return ("tf32" if enabled else "float32"), (
            f"torch.backends.cuda.matmul.allow_tf32={allow}, get_float32_matmul_precision()={precision!r}")
    return "float32", f"backend {backend}: no TF32 setting known"


_CPU_PEAK_CACHE = {}


def measure_cpu_peak(dtype="float32", size=1024, repeats=10, statistic="best", warmup=3):
    """Measured matmul FLOP/s of this CPU with the current Keras backend.

    Measure with the backend and dtype the model trains with: XLA (JAX), oneDNN (TensorFlow)
    and torch reach different speeds on the same CPU, and bfloat16 is fast only with AMX.

    Args:
        dtype: "float32", "bfloat16" or "float16".
        size: the matmul is `size x size` by `size x size` (2*size**3 FLOPs).
        repeats: timed repetitions after the warm-up.
        statistic: "best" (the peak the machine can reach, the default: on a shared machine
            the slower timings measure other tenants, and an under-measured peak makes MFU
            read above 100%), or "median" (the typical speed now).
        warmup: untimed calls first (compilation, thread pools, allocation).

    Example:

    ```python
    print(f"{measure_cpu_peak() / 1e9:.0f} GFLOP/s")
    ```
    """
    if dtype not in ("float32", "bfloat16", "float16"):
        raise ValueError(
            f"measure_cpu_peak(dtype={dtype!r}): use 'float32', 'bfloat16' or 'float16'."
        )
    if statistic not in ("median", "best"):
        raise ValueError(f"measure_cpu_peak(statistic={statistic!r}): use 'median' or 'best'.")
    if dtype == "bfloat16":
        hardware.refuse_tensorflow_bfloat16("measure_cpu_peak('bfloat16')")
    key = (dtype, size, repeats, statistic, keras.backend.backend())
    if key in _CPU_PEAK_CACHE:
        return _CPU_PEAK_CACHE[key]
    rng = np.random.default_rng(0)
    a = keras.ops.cast(rng.standard_normal((size, size), dtype="float32"), dtype)
    b = keras.ops.cast(rng.standard_normal((size, size), dtype="float32"), dtype)
    times = []
    for i in range(max(int(warmup), 1) + repeats):
        start = time.perf_counter()
        keras.ops.convert_to_numpy(keras.ops.cast(keras.ops.matmul(a, b)[0, 0], "float32"))
        if i >= max(int(warmup), 1):
            times.append(time.perf_counter() - start)
    peak = 2 * size**3 / float(np.median(times) if statistic == "median" else min(times))
    _CPU_PEAK_CACHE[key] = peak
    return peak


def peak_flops(dtype="float32", accelerator=None, measure_cpu=True, backend=None, float32_arithmetic=None):
    """Peak FLOP/s of the arithmetic a model of compute `dtype` uses, on a GPU or this CPU.

    On a GPU, float32 means the TF32 tensor-core peak when the backend runs float32 matmuls
    as TF32 (see `float32_matmul_arithmetic`; JAX and TensorFlow do by default) and the GPU
    has TF32; else the plain FP32 peak. bfloat16 on a GPU without bfloat16 units (V100, T4)
    gets the float32 peak. On a CPU the peak is measured (`measure_cpu_peak`) with the
    current backend and `dtype`.

    Args:
        dtype: the compute dtype of the model ("float32", "bfloat16", "float16").
        accelerator: a device-name string or a dict from `hardware.describe()`
            ["accelerators"]; None means this machine's CPU.
        measure_cpu: when False, return None instead of timing the CPU.
        backend: whose float32 matmul setting to read (default: the Keras backend).
        float32_arithmetic: "tf32" or "float32" to say how float32 matmuls run instead of
            reading the backend's setting (describing other hardware).

    Returns:
        (flops_per_second, source) where source says where the number comes
        from, or (None, reason) when it is unknown.

    Example:

    ```python
    peak_flops("bfloat16", "NVIDIA H100 80GB HBM3")  # (9.89e14, 'NVIDIA H100 ... bfloat16 peak')
    ```
    """
    if accelerator is not None:
        name = accelerator["name"] if isinstance(accelerator, dict) else str(accelerator)
        peaks = _gpu_peaks(name)
        if peaks is None:
            return None, f"{name} is not in the table of known GPUs"
        if dtype == "float32":
            if float32_arithmetic is None:
                arithmetic, setting = float32_matmul_arithmetic(backend)
            else:
                arithmetic, setting = float32_arithmetic, f"float32 matmuls as {float32_arithmetic}, as given"
            if arithmetic == "tf32" and "tf32" in peaks:
                return peaks["tf32"] * 1e12, (
                    f"{name} data-sheet TF32 tensor-core peak: float32 matmuls run as TF32 ({setting})")
            if "tf32" in peaks:
                return peaks["float32"] * 1e12, f"{name} data-sheet FP32 peak (TF32 off: {setting})"
            return peaks["float32"] * 1e12, f"{name} data-sheet float32 peak (no TF32 on this GPU)"
        if dtype in peaks:
            return peaks[dtype] * 1e12, f"{name} data-sheet {dtype} peak"
        return peaks["float32"] * 1e12, f"{name} data-sheet float32 peak (no {dtype} units)"
    if not measure_cpu:
        return None, "CPU peak not measured"
    backend = keras.backend.backend()
    return measure_cpu_peak(dtype), f"best {dtype} matmul measured on this CPU with {backend}"


def mfu_text(achieved, peak, source):
    """"X MFU of Y (source)", or why there is no MFU: never a number above 100%.

    An achieved rate above the peak means the peak is wrong (a CPU measured while other
    programs ran, float32 counted at the FP32 peak while the GPU ran TF32, a GPU not in
    the table under its name), not that the model beat the hardware.

    Args:
        achieved: the FLOP/s the model reached (e.g. training FLOPs per example x examples/s).
        peak: the hardware's peak FLOP/s for that arithmetic (`peak_flops()`), or None if unknown.
        source: where the peak comes from, shown in brackets.

    Returns:
        The text.

    Example:

    ```python
    >>> mfu_text(30e12, 67e12, "H100 data-sheet FP32 peak")
    '44.78% MFU of 67.0 TFLOP/s (H100 data-sheet FP32 peak)'
    >>> mfu_text(68.7e12, 67e12, "H200 data-sheet FP32 peak")
    'MFU n/a: achieved 68.7 TFLOP/s exceeds the assumed peak 67.0 TFLOP/s, so the peak is wrong (...)'
    >>> mfu_text(1e9, None, "no peak known for this GPU")
    'MFU n/a (no peak known for this GPU)'
    ```
    """
    if not peak:
        return f"MFU n/a ({source})" if source else "MFU n/a"
    if achieved > peak:
        return (f"MFU n/a: achieved {_human_flops(achieved)} exceeds the assumed peak "
                f"{_human_flops(peak)}, so the peak is wrong ({source})")
    return f"{achieved / peak:.2%} MFU of {_human_flops(peak)} ({source})"


def _human_flops(value):
    for scale, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.1f} {prefix}FLOP/s"
    return f"{value:.0f} FLOP/s"


def benchmark_precisions(model_kind="cnn", policies=("float32", "mixed_bfloat16"), steps=20, batch_size=64,
                         jit_compile="auto"):
    """Seconds per training step of a small model of `model_kind` under each dtype policy.

    The model is the kind's stand-in (`registry.ModelKind.stand_in`: two Dense layers for
    mlp, two convolutions for cnn, one attention block for bert), trained on random data
    after one warm-up fit (tracing, compilation). It lives here with the package's other
    measurements; `accelerate.setup(measure=True)` uses it to pick a precision on a CPU.
    The global dtype policy is restored afterwards. Takes a few seconds on a CPU.

    Args:
        model_kind: a registered model kind ("mlp", "cnn", "bert").
        policies: Keras dtype policies to time.
        steps: timed training steps per policy.
        batch_size: examples per step.
        jit_compile: `model.compile`'s `jit_compile` (True, False, "auto"), or a function
            policy -> bool (what `accelerate` passes: its XLA rule for each precision).

    Returns:
        A dict policy -> seconds per step.

    Example:

    ```python
    benchmark_precisions("cnn")  # {'float32': 0.031, 'mixed_bfloat16': 0.017}
    ```
    """
    from kerasmodels import registry

    if model_kind not in registry.MODEL_KINDS:
        raise ValueError(f"benchmark_precisions(model_kind={model_kind!r}): use one of "
                         f"{', '.join(registry.MODEL_KINDS)}.")
    for policy in policies:
        if policy not in ("float32", "mixed_float16", "mixed_bfloat16"):
            raise ValueError(f"benchmark_precisions(policies=...): {policy!r} is not one of float32, "
                             "mixed_float16, mixed_bfloat16.")
    if "mixed_bfloat16" in policies:
        hardware.refuse_tensorflow_bfloat16("benchmark_precisions('mixed_bfloat16')")
    kind = registry.model_kind(model_kind)
    previous = keras.mixed_precision.global_policy().name
    rng = np.random.default_rng(0)
    timings = {}
    try:
        for policy in policies:
            keras.mixed_precision.set_global_policy(policy)
            model, shape = kind.stand_in()
            model.compile(
                optimizer="adam",
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                jit_compile=jit_compile(policy) if callable(jit_compile) else jit_compile,
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
