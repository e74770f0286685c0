"""What this machine is: library versions, the Keras backend, CPU and accelerators.

Used by `kerasmodels info`, the lesson setup cell, `callbacks.DeviceReport` and
`accelerate.setup`. Everything here is read-only and cheap to call twice.

Example:

```python
from kerasmodels import hardware
print(hardware.format_report(hardware.describe()))
```
"""

import importlib.metadata
import os
import platform
import sys
from dataclasses import asdict, dataclass, field

from kerasmodels.errors import KerasmodelsError

__all__ = ["CPU", "Accelerator", "Machine", "accelerators", "backend_name", "cpu", "describe", "format_report",
           "machine", "memory_text", "tensorflow_bfloat16_blocked", "version", "versions"]

DISTRIBUTIONS = ("keras", "tensorflow", "keras-hub", "jax", "torch", "numpy")


@dataclass
class Accelerator:
    """One GPU or TPU.

    `memory_bytes` is the device's own memory (nvidia-smi, CUDA); `framework_memory_bytes`
    what the framework may use of it (JAX's allocator limit, 75% of the device by default),
    when the framework says. They differ: an H200 has 141 GB (~131 GiB), JAX may use ~105 GiB.
    `accelerators()` lists this machine's; write one by hand to ask `accelerate.setup()` about
    other hardware.

    Args:
        name: the device's name, e.g. "NVIDIA H100 80GB HBM3".
        kind: "GPU" or "TPU".
        memory_bytes: the device's own memory, or None when unknown.
        compute_capability: a CUDA GPU's `(major, minor)`, e.g. `(9, 0)`; None elsewhere.
        framework_memory_bytes: what the framework may allocate of it, or None when it does not say.

    Example:

    ```python
    >>> h200 = Accelerator("NVIDIA H200", "GPU", memory_bytes=150_121_463_808, compute_capability=(9, 0),
    ...                   framework_memory_bytes=112_591_097_856)
    >>> memory_text(h200, "jax")
    '139.8 GiB (JAX may use 104.9 GiB)'
    ```
    """

    name: str
    kind: str  # "GPU" or "TPU"
    memory_bytes: int | None = None
    compute_capability: tuple | None = None
    framework_memory_bytes: int | None = None


@dataclass
class CPU:
    """This machine's processor: its name, the cores this process may use, its instruction-set flags.

    `cpu()` reads this machine's; `accelerate.setup()` looks at the bfloat16 flags to choose a
    precision.

    Args:
        model: the processor's model name (Linux: /proc/cpuinfo's "model name").
        cores: the cores this process may use (its affinity, not the machine's total).
        flags: the instruction-set flags, e.g. `{"avx512_bf16", "amx_bf16"}`.

    Example:

    ```python
    >>> sapphire = CPU("Intel Xeon Platinum 8480+", cores=8, flags=frozenset({"amx_bf16", "avx512_bf16"}))
    >>> sapphire.has_amx_bf16, CPU("Apple M2", cores=8).has_avx512_bf16
    (True, False)
    ```
    """

    model: str
    cores: int
    flags: frozenset = field(default_factory=frozenset)

    @property
    def has_amx_bf16(self):
        return "amx_bf16" in self.flags

    @property
    def has_avx512_bf16(self):
        return "avx512_bf16" in self.flags


def _capability(value):
    """A compute capability as a tuple of ints ("8.0", [8, 0] and (8, 0) alike), or None."""
    if not value:
        return None
    if isinstance(value, str):
        value = value.split(".")
    return tuple(int(part) for part in value)


@dataclass
class Machine:
    """A machine as typed objects: what `accelerate.setup()` decides from.

    `machine()` gives this one; `Machine.from_dict` builds one from a `describe()`-like dict.

    Args:
        backend: the Keras backend ("tensorflow", "jax", "torch").
        cpu: the `CPU`.
        accelerators: the `Accelerator`s (GPUs, TPUs) the backend sees.
        cpu_devices: logical CPU devices a described machine offers (None: one, or this process's).
        float32_matmul: how float32 matmuls run on its GPUs, "tf32" or "float32" (None: the
            framework's setting in this process).

    Example:

    ```python
    >>> gpu = Accelerator("NVIDIA A100", "GPU", compute_capability=(8, 0))
    >>> a100_box = Machine("jax", CPU("AMD EPYC 7763", cores=32), accelerators=[gpu])
    >>> a100_box.device_kind, [g.name for g in a100_box.gpus]
    ('GPU', ['NVIDIA A100'])
    ```
    """

    backend: str
    cpu: CPU
    accelerators: list = field(default_factory=list)
    cpu_devices: int | None = None
    float32_matmul: str | None = None

    @property
    def gpus(self):
        """The accelerators of kind "GPU"."""
        return [a for a in self.accelerators if a.kind == "GPU"]

    @property
    def has_tpu(self):
        return any(a.kind == "TPU" for a in self.accelerators)

    @property
    def device_kind(self):
        """"TPU", "GPU" or "CPU": what a model trains on here."""
        return "TPU" if self.has_tpu else "GPU" if self.gpus else "CPU"

    @classmethod
    def from_dict(cls, info):
        """The `Machine` of a `describe()` dict (or one written by hand: missing entries get defaults).

        Example:

        ```python
        Machine.from_dict({"backend": "jax", "accelerators": [
            {"name": "NVIDIA A100", "kind": "GPU", "compute_capability": "8.0"}]}).gpus[0].compute_capability  # (8, 0)
        ```
        """
        cpu_info = dict(info.get("cpu") or {})
        found = []
        for entry in info.get("accelerators") or []:
            if isinstance(entry, Accelerator):
                entry = asdict(entry)
            found.append(Accelerator(
                name=entry.get("name") or entry.get("kind") or "GPU", kind=entry.get("kind") or "GPU",
                memory_bytes=entry.get("memory_bytes"),
                compute_capability=_capability(entry.get("compute_capability")),
                framework_memory_bytes=entry.get("framework_memory_bytes")))
        return cls(
            backend=info.get("backend") or backend_name(),
            cpu=CPU(model=cpu_info.get("model") or "", cores=int(cpu_info.get("cores") or 1),
                    flags=frozenset(cpu_info.get("flags") or ())),
            accelerators=found,
            cpu_devices=info.get("cpu_devices"),
            float32_matmul=info.get("float32_matmul"),
        )


def machine(info=None):
    """This machine as a `Machine` (from `describe()`), or the machine a `describe()`-like dict describes.

    Args:
        info: a dict like `describe()`'s (missing entries get defaults), or None for this machine
            (which may import the Keras backend to list its devices).

    Returns:
        A `Machine`.

    Example:

    ```python
    >>> tpu = machine({"backend": "jax", "accelerators": [{"name": "TPU v5 lite", "kind": "TPU"}]})
    >>> tpu.device_kind, tpu.has_tpu
    ('TPU', True)
    >>> machine().device_kind in ("CPU", "GPU", "TPU")  # this machine
    True
    ```
    """
    return Machine.from_dict(describe() if info is None else info)


def version(distribution):
    """Installed version of a distribution, or None; never imports it.

    Args:
        distribution: a distribution's name as pip knows it, e.g. "keras-hub".

    Returns:
        The version string, or None when it is not installed.

    Example:

    ```python
    >>> version("keras") is not None
    True
    >>> version("no-such-distribution") is None
    True
    ```
    """
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def versions():
    """Python's version and the installed versions of the libraries kerasmodels uses (None: not installed).

    Returns:
        A dict: "python", then "keras", "tensorflow", "keras-hub", "jax", "torch", "numpy"
        -> a version string or None. Nothing is imported.

    Example:

    ```python
    >>> list(versions())
    ['python', 'keras', 'tensorflow', 'keras-hub', 'jax', 'torch', 'numpy']
    ```
    """
    out = {"python": platform.python_version()}
    for name in DISTRIBUTIONS:
        out[name] = version(name)
    return out


def backend_name():
    """The Keras backend that `import keras` will use, without importing keras.

    Once Keras is imported, its backend; else `$KERAS_BACKEND`, else the one in
    `~/.keras/keras.json` (or `$KERAS_HOME/keras.json`), else "tensorflow".

    Returns:
        "tensorflow", "jax" or "torch" (any name the setting holds).

    Example:

    ```python
    >>> backend_name() in ("tensorflow", "jax", "torch")
    True
    ```
    """
    if "keras" in sys.modules:
        return sys.modules["keras"].backend.backend()
    env = os.environ.get("KERAS_BACKEND")
    if env:
        return env
    config = os.path.join(os.environ.get("KERAS_HOME", os.path.expanduser("~/.keras")), "keras.json")
    try:
        import json

        with open(config) as f:
            return json.load(f).get("backend", "tensorflow")
    except (OSError, ValueError):
        return "tensorflow"


# Set to "avx2" to make `cpu()` report no AVX-512 or AMX flags, as on most students' laptops; used by
# `bench/avx2_only.sh`, which also caps oneDNN (TensorFlow) and XLA (JAX) at AVX2.
_CPU_MAX_ISA_ENV = "KERASMODELS_CPU_MAX_ISA"


def _cpuinfo():
    """(model name, instruction-set flags) of this CPU as /proc/cpuinfo gives them, with nothing hidden."""
    model, flags = platform.processor() or platform.machine(), frozenset()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name":
                    model = value.strip()
                elif key == "flags":
                    flags = frozenset(value.split())
                if model and flags:
                    break
    except OSError:
        pass
    return model, flags


def tensorflow_bfloat16_blocked():
    """Why TensorFlow cannot run bfloat16 on this CPU in this process, or None when it can.

    TensorFlow calls oneDNN's bfloat16 kernels on any chip with AVX-512 (it reads the chip, not
    oneDNN's settings). oneDNN's `ONEDNN_MAX_CPU_ISA` (older name `DNNL_MAX_CPU_ISA`) set to AVX2 or
    lower removes those kernels, and then a bfloat16 matmul crashes the process (a segmentation
    fault, not an exception), so callers check first. `bench/avx2_only.sh` sets that cap. With
    `TF_ENABLE_ONEDNN_OPTS=0` TensorFlow uses its own kernels instead, and bfloat16 runs.

    Returns:
        A one-line reason, or None.

    Example:

    ```python
    >>> tensorflow_bfloat16_blocked() is None or "ONEDNN_MAX_CPU_ISA" in tensorflow_bfloat16_blocked()
    True
    ```
    """
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or ""
    if cap.upper() not in ("SSE41", "AVX", "AVX2", "AVX2_VNNI"):
        return None
    if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower() in ("0", "false"):
        return None  # TensorFlow's own (Eigen) kernels, not oneDNN's: bfloat16 runs, converted
    if "avx512f" not in _cpuinfo()[1]:
        return None  # without AVX-512 TensorFlow does not call oneDNN for bfloat16 (it converts instead)
    return (f"ONEDNN_MAX_CPU_ISA={cap} removes oneDNN's bfloat16 kernels, which TensorFlow still calls "
            "on this AVX-512 CPU (the process would crash): unset it, or use float32 or the JAX backend")


def refuse_tensorflow_bfloat16(what):
    """Raise a one-line error where TensorFlow's bfloat16 would crash this process; else nothing.

    For code about to run bfloat16 (a `mixed_bfloat16` policy, a bfloat16 matmul): the crash kills the
    process and cannot be caught, so the check comes first (`tensorflow_bfloat16_blocked`). Other
    backends are never refused.

    Args:
        what: what was asked for, for the message (e.g. "--precision mixed_bfloat16").

    Returns:
        None.

    Raises:
        KerasmodelsError: on TensorFlow where bfloat16 is blocked, naming `what`, why and the fix.

    Example:

    ```python
    >>> refuse_tensorflow_bfloat16("mixed_bfloat16") if tensorflow_bfloat16_blocked() is None else None
    ```
    """
    if backend_name() != "tensorflow":
        return
    blocked = tensorflow_bfloat16_blocked()
    if blocked:
        raise KerasmodelsError(f"{what}: {blocked}")


def cpu():
    """This machine's `CPU` (model name, usable cores, the bfloat16/AMX flags among its instruction sets).

    Returns:
        A `CPU`; `cores` counts the cores this process may use (its CPU affinity). With
        `KERASMODELS_CPU_MAX_ISA=avx2` its flags have no AVX-512 or AMX ones and its model name says
        "(emulating AVX2 only)".

    Example:

    ```python
    >>> here = cpu()
    >>> here.cores >= 1, isinstance(here.flags, frozenset)
    (True, True)
    ```
    """
    model, flags = _cpuinfo()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if os.environ.get(_CPU_MAX_ISA_ENV, "").lower() == "avx2":
        # Emulating a laptop-class CPU (bench/avx2_only.sh also caps oneDNN and XLA at AVX2): hide the
        # newer instruction sets from every decision, and say so wherever the model name is shown.
        flags = frozenset(flag for flag in flags if not flag.startswith(("avx512", "amx")))
        model = f"{model} (emulating AVX2 only)"
    return CPU(model=model, cores=cores or 1, flags=flags)


# Device files a GPU or TPU needs on Linux: NVIDIA (also in containers), AMD ROCm, WSL2's GPU
# bridge, TPU VMs. A machine with none of them has no accelerator any backend could see.
_ACCELERATOR_DEVICE_FILES = ("/dev/nvidia*", "/dev/kfd", "/dev/dxg", "/dev/accel*", "/dev/vfio/[0-9]*")
_TPU_ENVIRONMENT = ("TPU_NAME", "COLAB_TPU_ADDR", "TPU_ACCELERATOR_TYPE")


def _surely_no_accelerator():
    """True on a Linux machine without accelerator device files: no need to import a backend to know."""
    import glob

    if not sys.platform.startswith("linux") or any(os.environ.get(name) for name in _TPU_ENVIRONMENT):
        return False
    return not any(glob.glob(pattern) for pattern in _ACCELERATOR_DEVICE_FILES)


def accelerators(backend=None):
    """GPUs/TPUs visible to the given (default: current) Keras backend.

    Imports that backend to ask it, unless a Linux machine has no accelerator device files
    at all (then the answer is known without the seconds an import costs).

    Args:
        backend: "tensorflow", "jax" or "torch"; default `backend_name()`.

    Returns:
        A list of `Accelerator` (empty on a machine with only a CPU).

    Example:

    ```python
    >>> found = accelerators()
    >>> all(a.kind in ("GPU", "TPU") for a in found)  # [] on a laptop, one entry per GPU elsewhere
    True
    ```
    """
    backend = backend or backend_name()
    found = []
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module not in sys.modules and _surely_no_accelerator():
        # Importing TensorFlow only to hear "no GPU" costs seconds (`kerasmodels info`, `run`'s mode).
        return found
    if backend == "tensorflow":
        import tensorflow as tf

        for dev in tf.config.list_physical_devices():
            if dev.device_type not in ("GPU", "TPU"):
                continue
            details = {}
            try:
                details = tf.config.experimental.get_device_details(dev)
            except Exception:
                pass
            memory = None
            try:
                index = int(dev.name.rsplit(":", 1)[-1])
                memory = _nvidia_memory(index)
            except ValueError:
                pass
            found.append(
                Accelerator(
                    name=details.get("device_name", dev.name),
                    kind=dev.device_type,
                    memory_bytes=memory,
                    compute_capability=details.get("compute_capability"),
                )
            )
    elif backend == "jax":
        import jax

        for dev in jax.devices():
            if dev.platform == "cpu":
                continue
            limit = None
            try:
                limit = (dev.memory_stats() or {}).get("bytes_limit")
            except Exception:
                pass
            kind = dev.platform.upper().replace("CUDA", "GPU").replace("ROCM", "GPU")
            total = None
            if kind == "GPU":
                total = _nvidia_memory(getattr(dev, "local_hardware_id", None) or dev.id)
            cc = getattr(dev, "compute_capability", None)
            if isinstance(cc, str):
                cc = tuple(int(p) for p in cc.split("."))
            found.append(Accelerator(dev.device_kind, kind, total, cc, framework_memory_bytes=limit))
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            for i in range(torch.cuda.device_count()):
                props = torch.cuda.get_device_properties(i)
                found.append(
                    Accelerator(props.name, "GPU", props.total_memory, (props.major, props.minor))
                )
    return found


def _nvidia_smi_id(index):
    """nvidia-smi's name for the framework's GPU `index`: CUDA_VISIBLE_DEVICES renumbers GPUs."""
    visible = [part.strip() for part in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if part.strip()]
    if visible and 0 <= index < len(visible):
        return visible[index]  # an index or a UUID; nvidia-smi --id takes both
    return str(index)


def _nvidia_memory(index):
    """Total memory of the framework's GPU `index` from nvidia-smi (MiB -> bytes), or None."""
    import shutil
    import subprocess

    if index is None or not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.total", "--format=csv,noheader,nounits",
             f"--id={_nvidia_smi_id(int(index))}"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout
        return int(out.strip().splitlines()[0]) * 2**20
    except Exception:
        return None


def describe(with_devices=True):
    """A dict describing the machine; `with_devices=False` avoids importing a backend.

    Args:
        with_devices: list the accelerators too (may import the Keras backend).

    Returns:
        A dict with "versions" (`versions()`), "backend", "cpu" (model, cores and its bfloat16/AMX
        flags) and "accelerators" (a list of `Accelerator` dicts). It is plain data: JSON-ready,
        and what `machine()` and `format_report()` read.

    Example:

    ```python
    >>> info = describe(with_devices=False)
    >>> sorted(info), sorted(info["cpu"])
    (['accelerators', 'backend', 'cpu', 'versions'], ['cores', 'flags', 'model'])
    ```
    """
    info = {
        "versions": versions(),
        "backend": backend_name(),
        "cpu": asdict(cpu()),
        "accelerators": [],
    }
    info["cpu"]["flags"] = sorted(f for f in info["cpu"]["flags"] if "bf16" in f or "amx" in f)
    if with_devices:
        info["accelerators"] = [asdict(a) for a in accelerators(info["backend"])]
    return info


def memory_text(accelerator, backend=None):
    """"139.8 GiB (JAX may use 104.9 GiB)": the device's memory, then the framework's share.

    `accelerator` is an `Accelerator` or its dict; "" when neither number is known.

    Args:
        accelerator: an `Accelerator`, or its dict (as in `describe()["accelerators"]`).
        backend: names the framework in the text ("jax" -> "JAX"); default "the framework".

    Returns:
        The text (GiB = 2**30 bytes).

    Example:

    ```python
    >>> h200 = Accelerator("NVIDIA H200", "GPU", memory_bytes=150_121_463_808, compute_capability=(9, 0),
    ...                   framework_memory_bytes=112_591_097_856)
    >>> memory_text(h200, backend="jax")
    '139.8 GiB (JAX may use 104.9 GiB)'
    >>> memory_text({"memory_bytes": 85_899_345_920})
    '80.0 GiB'
    ```
    """
    if not isinstance(accelerator, dict):
        accelerator = asdict(accelerator)
    total, usable = accelerator.get("memory_bytes"), accelerator.get("framework_memory_bytes")
    framework = {"jax": "JAX", "tensorflow": "TensorFlow", "torch": "torch"}.get(backend, "the framework")
    if total and usable:
        return f"{total / 2**30:.1f} GiB ({framework} may use {usable / 2**30:.1f} GiB)"
    if total:
        return f"{total / 2**30:.1f} GiB"
    if usable:
        return f"device total unknown, {framework} may use {usable / 2**30:.1f} GiB"
    return ""


def format_report(info):
    """The `describe()` dict as the lines `kerasmodels info` prints.

    Args:
        info: a dict as `describe()` returns it.

    Returns:
        The report, lines joined by newlines: versions, backend, CPU, then one line per
        accelerator (or a line saying there is none).

    Example:

    ```python
    >>> info = {"versions": {"python": "3.11.7", "keras": "3.8.0", "tensorflow": "2.18.0",
    ...                      "keras-hub": None, "jax": None, "torch": None},
    ...         "backend": "tensorflow", "cpu": {"model": "Xeon", "cores": 8, "flags": []},
    ...         "accelerators": [{"name": "NVIDIA A100", "kind": "GPU", "memory_bytes": 85_899_345_920,
    ...                           "compute_capability": (8, 0)}]}
    >>> print(format_report(info))
    Python 3.11.7 | Keras 3.8.0 | TensorFlow 2.18.0 | keras-hub - | JAX - | torch -
    Keras backend: tensorflow
    CPU: Xeon (8 cores)
    GPU: NVIDIA A100, 80.0 GiB, compute capability 8.0
    ```
    """
    v = info["versions"]
    lines = [
        f"Python {v['python']} | Keras {v['keras'] or 'not installed'} | "
        f"TensorFlow {v['tensorflow'] or '-'} | keras-hub {v['keras-hub'] or '-'} | "
        f"JAX {v['jax'] or '-'} | torch {v['torch'] or '-'}",
        f"Keras backend: {info['backend']}",
        f"CPU: {info['cpu']['model']} ({info['cpu']['cores']} cores"
        + (f", {', '.join(info['cpu']['flags'])}" if info["cpu"]["flags"] else "")
        + ")",
    ]
    if info["accelerators"]:
        for acc in info["accelerators"]:
            mem = memory_text(acc, info["backend"])
            mem = f", {mem}" if mem else ""
            cc = acc.get("compute_capability")
            cc = f", compute capability {'.'.join(map(str, cc))}" if cc else ""
            lines.append(f"{acc['kind']}: {acc['name']}{mem}{cc}")
    else:
        lines.append("Accelerators: none (training runs on the CPU; lessons default to quick mode)")
    return "\n".join(lines)
