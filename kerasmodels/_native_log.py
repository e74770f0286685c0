"""TensorFlow's C++ start-up log, quieted before TensorFlow is imported, without hiding real errors.

Importing TensorFlow on a machine without a GPU writes lines like these to file descriptor 2:

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. ...
    I0000 ... cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
    I0000 ... cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU ...
    To enable the following instructions: AVX2 ..., rebuild TensorFlow with the appropriate compiler flags.

and its first operation adds `E0000 ... failed call to cuInit: ... UNKNOWN ERROR (303)`. Jupyter
copies everything written to fd 2 into the cell's output (a red box under a learner's first cell),
and `TF_CPP_MIN_LOG_LEVEL` does not stop the import-time lines: they are written before TensorFlow
reads it. So `install()`, run by `import kerasmodels`:

- leaves everything alone when the user set `TF_CPP_MIN_LOG_LEVEL` (their choice is respected);
- else sets it to 3 (errors hidden too) on a machine with no NVIDIA driver, where the cuInit
  failure is expected, and to 2 (errors shown) on one with a driver, where a failed cuInit or a
  cuDNN mismatch is exactly what a user with a broken set-up must see;
- and wraps the first `import tensorflow` that follows so that fd 2 passes through a filter that
  drops only the lines above (the cudart line only where no NVIDIA driver is installed) and
  forwards every other line at once, so a real import error or crash message still shows.

Errors while training are Python exceptions, printed whatever the log level. The level chosen
here is marked in `KERASMODELS_TF_LOG_LEVEL`, so processes this one starts (workers, the kernels
`kerasmodels run` starts) treat it as the package's default, not as the user's choice.
"""

import contextlib
import os
import re
import sys
import threading

MARK = "KERASMODELS_TF_LOG_LEVEL"

# Lines TensorFlow writes to fd 2 while it loads that say nothing a learner can act on.
ALWAYS_NOISE = (
    re.compile(r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$"),
    re.compile(r"port\.cc:\d+\] oneDNN custom operations are on\."),
    re.compile(r"cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized to use available CPU instructions"),
    re.compile(r"^To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags\.$"),
)
# Noise only where there is no NVIDIA driver; with one, it says TensorFlow cannot use the GPU.
NO_GPU_NOISE = (
    re.compile(r"cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine, GPU will not be used\."),
)


def nvidia_driver_present():
    """True when the machine has an NVIDIA driver loaded (Linux: /proc/driver/nvidia, /dev/nvidia0)."""
    return os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/nvidia0")


def is_noise(line, gpu_machine=None):
    """True for a line of TensorFlow's start-up log that `install()` drops."""
    gpu_machine = nvidia_driver_present() if gpu_machine is None else gpu_machine
    patterns = ALWAYS_NOISE if gpu_machine else ALWAYS_NOISE + NO_GPU_NOISE
    line = line.rstrip("\r\n")
    return any(p.search(line) for p in patterns)


@contextlib.contextmanager
def native_stderr_filtered(drop):
    """While inside, lines written to file descriptor 2 for which `drop(line)` is true are dropped.

    Every other line goes to the real fd 2 as soon as it is complete (and an unfinished last line
    at the end), so an error message survives even if the process dies inside the block.
    """
    try:
        sys.stderr.flush()
    except (AttributeError, ValueError, OSError):
        pass
    saved = os.dup(2)
    read_end, write_end = os.pipe()

    def forward():
        buffer = b""
        with os.fdopen(read_end, "rb", buffering=0) as pipe:
            while chunk := pipe.read(1 << 16):
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if not drop(line.decode("utf-8", "replace")):
                        os.write(saved, line + b"\n")
        if buffer and not drop(buffer.decode("utf-8", "replace")):
            os.write(saved, buffer)

    thread = threading.Thread(target=forward, name="kerasmodels-stderr-filter", daemon=True)
    thread.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        try:
            sys.stderr.flush()
        except (AttributeError, ValueError, OSError):
            pass
        os.dup2(saved, 2)  # closes the pipe's last write end we hold: the thread sees the end
        # A child started inside may hold the write end open; do not wait for it for ever (and then
        # keep `saved` open: the thread may still write to it).
        thread.join(timeout=10)
        if not thread.is_alive():
            os.close(saved)


class _QuietTensorFlowImport:
    """A `sys.meta_path` finder: the first `import tensorflow` runs inside the start-up log filter."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow":
            return None
        import importlib.util

        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # once: the real finders do the work
        spec = importlib.util.find_spec(fullname)
        loader = getattr(spec, "loader", None)
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        real_exec = loader.exec_module
        gpu_machine = nvidia_driver_present()

        def exec_module(module):
            with native_stderr_filtered(lambda line: is_noise(line, gpu_machine)):
                real_exec(module)

        loader.exec_module = exec_module  # on this loader instance only: it loads tensorflow and nothing else
        return spec


def install():
    """Choose TensorFlow's C++ log level and filter its import-time log, unless the user chose a level.

    Called by `import kerasmodels`; does nothing the second time, nor when TensorFlow is already imported
    (its start-up log is written by then).
    """
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL")
    if level is not None and level != os.environ.get(MARK):
        return False  # the user's own setting
    if level is None:
        level = "2" if nvidia_driver_present() else "3"
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = os.environ[MARK] = level
    if "tensorflow" in sys.modules or any(isinstance(f, _QuietTensorFlowImport) for f in sys.meta_path):
        return False
    sys.meta_path.insert(0, _QuietTensorFlowImport())
    return True
