"""Training on several machines: recognise a multi-worker launch, set it up, and launch one locally.

Every worker (process) runs the same script; the launch tells each one the
cluster and its own place in it, the way the backends' runtimes read it:

- TensorFlow: the `TF_CONFIG` environment variable (the cluster's worker
  addresses and this task's index), read by
  `tf.distribute.MultiWorkerMirroredStrategy`.
- JAX: `KERAS_DISTRIBUTION_JOB_ADDRESSES` (the coordinator first),
  `KERAS_DISTRIBUTION_NUM_PROCESSES` and `KERAS_DISTRIBUTION_PROCESS_ID`,
  read by `keras.distribution.initialize`, which calls
  `jax.distributed.initialize`; then `keras.distribution.DataParallel` over
  the devices of every process.

`setup()` is `kerasmodels.accelerate.setup()` for such a launch (and exactly
that on one process): it creates the strategy or distribution and states the
global batch size and the learning-rate rule. On a laptop, `launch_local()`
(`kerasmodels train ... --workers N`) starts N workers on 127.0.0.1 and
restarts all of them from the last backup if one dies; `machine_commands()`
(`--hosts`) prints the command to type on each of N machines.

```python
import kerasmodels as km

acc = km.distributed.setup(model_kind="cnn")   # first, before anything runs on the backend
x, y = km.data.load("digits", split="train")
with acc.scope():
    model = km.models.compile_model(km.models.cnn((8, 8), 10), **acc.compile_kwargs())
dataset = km.distributed.dataset(x, y, batch_size=128)   # the GLOBAL batch; the runtime splits it
with km.distributed.training(model, acc):                 # acc.scope(), plus a fix for Keras 3 on TF
    model.fit(dataset, epochs=3,
              callbacks=km.callbacks.default_callbacks(acc.write_dir("runs/mw") / "training"))
```

The contract, as in the TensorFlow and Keras guides:

- Batch: `fit()` gets the global batch; each of the R replicas computes
  `global / R` examples and the gradients are all-reduced, so R workers on
  a global batch B make the same updates as one process on batch B (same
  learning rate). Growing the global batch with the workers (a fixed batch
  per replica) instead calls for the linear scaling rule,
  `acc.scaled_learning_rate(lr, base_batch_size, global_batch_size)`.
- Files: only the chief (worker 0) writes the run's files. Every worker
  still takes part in saving (reading distributed variables may need all of
  them), the others into a scratch folder, `acc.write_dir(folder)`, deleted
  at the end.
- Restarts: a worker that dies stops the step for everyone; the whole
  cluster is restarted and every worker restores the chief's last backup
  (`ResumableTraining`, the package's atomic `BackupAndRestore`), so the run
  ends after the requested number of epochs. A worker's usage error (exit
  status 2: a bad argument, a missing data set) is not restarted, and the
  launcher's error quotes the failing worker's last error line from its log.
- Lifetime: workers die with their launcher, however it ends (`kill -9`
  included): `prctl(PR_SET_PDEATHSIG)` on Linux, a parent watch elsewhere.
  `kerasmodels train` holds the output folder's lock (`kerasmodels._runlock`)
  for the whole run, the workers included, so a second run into the same
  folder is refused with a line naming the first.
"""

import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from kerasmodels import accelerate as _accelerate
from kerasmodels import hardware as _hardware
from kerasmodels.errors import InvalidArgumentError, KerasmodelsError

__all__ = ["Launch", "LaunchResult", "MultiWorkerSetup", "dataset", "detect", "launch_local", "machine_commands",
           "setup", "training", "worker_command"]

TF_CONFIG = "TF_CONFIG"
# The module a worker process runs (`python -m kerasmodels.train ...`): the training pipeline, which
# imports this module; this one only names it.
WORKER_MODULE = "kerasmodels.train"
JOB_ADDRESSES = "KERAS_DISTRIBUTION_JOB_ADDRESSES"
NUM_PROCESSES = "KERAS_DISTRIBUTION_NUM_PROCESSES"
PROCESS_ID = "KERAS_DISTRIBUTION_PROCESS_ID"
# Set by launch_local: 0 for the first start of the cluster, 1 after the first restart, ...
RESTART = "KERASMODELS_RESTART"
# Set by launch_local: the launcher's pid; a worker whose launcher is gone exits (watch_parent).
PARENT_PID = "KERASMODELS_PARENT_PID"
EXIT_USAGE = 2  # a worker's usage error (bad data set, batch size...): a restart cannot fix it
EXIT_ORPHAN = 143  # a worker that exits because its launcher is gone


@dataclass
class Launch:
    """This process's place in a multi-worker launch.

    `detect()` reads it from the environment; pass one to `setup(launch=...)`.

    Args:
        backend: "tensorflow" (from TF_CONFIG) or "jax" (from the KERAS_DISTRIBUTION_* variables).
        num_workers: processes in the cluster.
        worker_index: this process's index, 0..num_workers-1.
        addresses: "host:port" of every worker (JAX: the coordinator's is the first).

    Example:

    ```python
    >>> launch = detect("jax", {"KERAS_DISTRIBUTION_JOB_ADDRESSES": "10.0.0.1:1234,10.0.0.2:1234",
    ...                         "KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": "1"})
    >>> launch
    Launch(backend='jax', num_workers=2, worker_index=1, addresses=['10.0.0.1:1234', '10.0.0.2:1234'])
    >>> launch.is_chief
    False
    ```
    """

    backend: str
    num_workers: int
    worker_index: int
    addresses: list

    @property
    def is_chief(self):
        """Worker 0 writes the run's files (TensorFlow's convention, and JAX's process 0)."""
        return self.worker_index == 0


def _tf_launch(text):
    try:
        config = json.loads(text)
        cluster, task = config["cluster"], config["task"]
        workers = list(cluster.get("chief", [])) + list(cluster["worker"])
        kind, index = task["type"], int(task["index"])
    except (ValueError, KeyError, TypeError) as error:
        raise InvalidArgumentError(
            f"TF_CONFIG is not a valid cluster description ({type(error).__name__}: {error}). Fix: "
            'TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
            '"task": {"type": "worker", "index": 0}}\' on host1 (index 1 on host2).') from error
    if kind not in ("worker", "chief"):
        raise InvalidArgumentError(
            f"TF_CONFIG task type {kind!r}: only 'worker' (and 'chief') tasks train with "
            "MultiWorkerMirroredStrategy.")
    if kind == "worker":
        index += len(cluster.get("chief", []))
    if not 0 <= index < len(workers):
        raise InvalidArgumentError(f"TF_CONFIG task index {task['index']} is outside the cluster of "
                                   f"{len(workers)} worker(s).")
    return Launch("tensorflow", len(workers), index, workers)


def _jax_launch(environ):
    try:
        count = int(environ[NUM_PROCESSES])
        index = int(environ[PROCESS_ID])
    except (KeyError, ValueError) as error:
        raise InvalidArgumentError(
            f"a JAX multi-process launch needs {JOB_ADDRESSES}, {NUM_PROCESSES} and {PROCESS_ID} "
            f"(integers), got {NUM_PROCESSES}={environ.get(NUM_PROCESSES)!r}, "
            f"{PROCESS_ID}={environ.get(PROCESS_ID)!r}.") from error
    addresses = [a for a in environ.get(JOB_ADDRESSES, "").split(",") if a]
    if not addresses:
        raise InvalidArgumentError(f"{JOB_ADDRESSES} is empty: give the coordinator's host:port (process 0's).")
    if count < 1 or not 0 <= index < count:
        raise InvalidArgumentError(f"{PROCESS_ID}={index} is outside 0..{count - 1} ({NUM_PROCESSES}={count}).")
    return Launch("jax", count, index, addresses)


def detect(backend=None, environ=None):
    """The multi-worker launch this process is part of, or None for a single process.

    Args:
        backend: the Keras backend ("tensorflow", "jax"); default the one Keras runs.
        environ: the environment to read (default `os.environ`).

    Example:

    ```python
    detect("tensorflow", {"TF_CONFIG": '{"cluster": {"worker": ["a:1", "b:2"]}, '
                                       '"task": {"type": "worker", "index": 1}}'}).worker_index  # 1
    ```
    """
    environ = os.environ if environ is None else environ
    backend = backend or _backend()
    tf_launch = environ.get(TF_CONFIG)
    jax_launch = environ.get(NUM_PROCESSES) or environ.get(PROCESS_ID)
    if backend == "tensorflow" and tf_launch:
        launch = _tf_launch(tf_launch)
    elif backend == "jax" and jax_launch:
        launch = _jax_launch(environ)
    elif tf_launch or jax_launch:
        wanted = "TF_CONFIG" if tf_launch else "KERAS_DISTRIBUTION_*"
        expected = "jax" if jax_launch else "tensorflow"
        raise InvalidArgumentError(
            f"{wanted} describes a multi-worker launch, but Keras runs the {backend} backend, which "
            f"does not read it. Fix: KERAS_BACKEND={expected}, or unset {wanted}.")
    else:
        return None
    return launch if launch.num_workers > 1 else None


def _backend():
    return _hardware.backend_name()


@dataclass
class MultiWorkerSetup(_accelerate.AcceleratorSetup):
    """`AcceleratorSetup` for a multi-worker launch: the replicas span every worker.

    `setup()` makes it; its methods say where this worker writes and how to scale the
    learning rate with the global batch.

    Args:
        backend, precision, jit_compile, steps_per_execution, strategy_name, replicas: as for
            `kerasmodels.accelerate.AcceleratorSetup` (`replicas` counts every worker's devices).
        devices, reasons, strategy, applied, float32_matmul, device_kind, device_name: as for
            `kerasmodels.accelerate.AcceleratorSetup`.
        num_workers: processes in the cluster.
        worker_index: this process's index.
        is_chief: whether this process writes the run's files.
        addresses: "host:port" of every worker.

    Example:

    ```python
    >>> acc = MultiWorkerSetup("tensorflow", "float32", False, 1, "MultiWorkerMirroredStrategy", 2, ["CPU:0"],
    ...                        num_workers=2, worker_index=1, is_chief=False)
    >>> acc.write_dir("runs/mw").as_posix()  # the chief writes runs/mw itself
    'runs/mw/.workers/worker-1'
    >>> acc.scaled_learning_rate(1e-3, base_batch_size=128, global_batch_size=256)
    0.002
    ```
    """

    num_workers: int = 1
    worker_index: int = 0
    is_chief: bool = True
    addresses: list = field(default_factory=list)

    def write_dir(self, directory):
        """Where this worker writes: `directory` on the chief, a scratch folder inside it on the others."""
        directory = Path(directory)
        return directory if self.is_chief else directory / ".workers" / f"worker-{self.worker_index}"

    def restore_from_chief(self, directory):
        """On a non-chief worker: copy the chief's last backup into this worker's scratch folder, to resume from.

        Every worker must restore the same state; the chief's `training/checkpoints` is the one kept.
        """
        if self.is_chief:
            return
        source = Path(directory) / "training" / "checkpoints"
        target = self.write_dir(directory) / "training" / "checkpoints"
        if target.exists():
            shutil.rmtree(target)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(".tmp-*"))

    def scaled_learning_rate(self, learning_rate, base_batch_size, global_batch_size):
        """The linear scaling rule: a global batch k times larger takes a k times larger learning rate."""
        return float(learning_rate) * global_batch_size / base_batch_size

    def __str__(self):
        return super().__str__().replace(
            "[accelerate]", f"[worker {self.worker_index}/{self.num_workers}]", 1)


def setup(precision="auto", jit="auto", model_kind=None, launch="auto"):
    """`accelerate.setup()` that also recognises a multi-worker launch; call it before anything else runs.

    On a multi-worker launch it creates `tf.distribute.MultiWorkerMirroredStrategy`
    (TensorFlow; it reads `TF_CONFIG`) or calls `keras.distribution.initialize`
    and sets `keras.distribution.DataParallel` over the devices of every process
    (JAX). Both must happen before the backend runs anything, hence "first".
    Without a launch it returns `accelerate.setup(...)` unchanged.

    Args:
        precision, jit, model_kind: as for `kerasmodels.accelerate.setup`.
        launch: "auto" (`detect()`), None (a single process) or a `Launch`.

    Returns:
        A `MultiWorkerSetup` (an `AcceleratorSetup` with `replicas` counting every
        worker's devices); for a single process, one worker that is the chief.

    Example:

    ```python
    >>> acc = setup(precision="float32", jit=False, launch=None)  # one process: applied here
    >>> type(acc).__name__, acc.num_workers, acc.is_chief, acc.precision
    ('MultiWorkerSetup', 1, True, 'float32')
    >>> acc.compile_kwargs()
    {'jit_compile': False, 'steps_per_execution': 1}
    ```
    """
    if launch == "auto":
        launch = detect()
    if launch is None:
        # One process: accelerate's choice, as a one-worker setup (the chief), so code written for
        # several workers (`acc.write_dir(...)`, `acc.scaled_learning_rate(...)`) runs unchanged.
        with warnings.catch_warnings():  # a one-worker TF_CONFIG is one process: no launch warning
            warnings.simplefilter("ignore", RuntimeWarning)
            single = _accelerate.setup(precision=precision, jit=jit, model_kind=model_kind)
        return MultiWorkerSetup(**{f.name: getattr(single, f.name) for f in dataclasses.fields(single) if f.init})
    if not isinstance(launch, Launch):
        raise InvalidArgumentError(f"setup(launch={launch!r}): use 'auto', None or a distributed.Launch.")
    import keras

    if launch.backend != keras.backend.backend():
        raise InvalidArgumentError(f"the launch is for {launch.backend}, but Keras runs {keras.backend.backend()}.")
    if launch.backend == "tensorflow":
        import tensorflow as tf

        # Collective ops are configured when the strategy is created: before TensorFlow runs anything.
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        _fix_keras_multi_worker_reduce()
        replicas = int(strategy.num_replicas_in_sync)
        name = "MultiWorkerMirroredStrategy"
        how = ("tf.distribute.MultiWorkerMirroredStrategy (from TF_CONFIG): a replica on every device of "
               "every worker; gradients all-reduced over the network each step")
    else:
        keras.distribution.initialize(",".join(launch.addresses), launch.num_workers, launch.worker_index)
        import jax

        strategy = keras.distribution.DataParallel(devices=jax.devices())
        keras.distribution.set_distribution(strategy)
        replicas = len(jax.devices())
        name = "DataParallel"
        how = ("keras.distribution.initialize -> jax.distributed.initialize, then keras.distribution."
               "DataParallel over the devices of every process; gradients all-reduced each step")
    # This process's own choice (precision, XLA), for this machine described as typed objects;
    # the strategy above spans the devices, so one device here.
    local = _accelerate.setup(precision=precision, jit=jit, devices=1, model_kind=model_kind,
                              hardware=_hardware.machine(), apply=True)
    reasons = local.reasons[:-1] + [
        f"{launch.num_workers} workers, this is worker {launch.worker_index}"
        + (" (the chief: it writes the run's files)" if launch.is_chief else " (writes into a scratch folder)")
        + f": {how}; {replicas} replicas in all",
        f"global batch = the batch given to fit(), split into {replicas} equal parts; the same learning rate "
        "as one process on that batch. A global batch grown with the workers takes the learning rate "
        "scaled in proportion (linear scaling rule: scaled_learning_rate())",
    ]
    return MultiWorkerSetup(
        backend=launch.backend, precision=local.precision, jit_compile=local.jit_compile,
        steps_per_execution=local.steps_per_execution, strategy_name=name, replicas=replicas,
        devices=local.devices, reasons=reasons, strategy=strategy, applied=True,
        float32_matmul=local.float32_matmul, device_kind=local.device_kind, device_name=local.device_name,
        num_workers=launch.num_workers, worker_index=launch.worker_index, is_chief=launch.is_chief,
        addresses=list(launch.addresses),
    )


def _fix_keras_multi_worker_reduce():
    """Keras 3's TensorFlow trainer averages each worker's logs with `reduce("MEAN", v, axis=0)`.

    The logs (loss, metrics) are scalars, which have no axis 0, so every multi-worker
    `fit()` fails (keras-team/keras#20585). Scalars are averaged over the workers
    with `axis=None` instead; everything else goes to Keras's own function.
    """
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer

    original = trainer.reduce_per_replica
    if getattr(original, "_kerasmodels_fix", False):
        return

    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not trainer._collective_all_reduce_multi_worker(strategy):
            return original(values, strategy, reduction)

        def reduce(value):
            parts = value.values if trainer._is_per_replica_instance(value) else [value]
            if all(getattr(part, "shape", None) is not None and part.shape.rank == 0 for part in parts):
                return strategy.reduce("MEAN", value, axis=None)
            return original(value, strategy, reduction)

        return tf.nest.map_structure(reduce, values)

    reduce_per_replica._kerasmodels_fix = True
    trainer.reduce_per_replica = reduce_per_replica


@contextlib.contextmanager
def training(model, acc):
    """The context for `fit()`/`evaluate()` of a `model` built in `acc.scope()`.

    On TensorFlow with several workers, Keras 3 builds the model's metrics by
    averaging a distributed first batch eagerly, which fails under
    MultiWorkerMirroredStrategy (keras-team/keras#20585). The model then
    forgets its strategy and runs in the strategy's scope, where Keras finds
    it again, and builds its metrics when the training step is traced, as it
    does without a strategy. Elsewhere this is just `acc.scope()`.

    Args:
        model: the compiled model, built in `acc.scope()`.
        acc: the `MultiWorkerSetup` (or `AcceleratorSetup`) it was built under.

    Yields:
        `model`.

    Example:

    ```python
    >>> import kerasmodels as km
    >>> acc = setup(precision="float32", jit=False, launch=None)
    >>> x, y = km.data.load("digits", split="train", limit=64)
    >>> with acc.scope():
    ...     model = km.models.compile_model(km.models.mlp((8, 8), 10), **acc.compile_kwargs())
    >>> with training(model, acc):
    ...     history = model.fit(dataset(x, y, batch_size=32), epochs=1, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']
    ```
    """
    if getattr(acc, "strategy_name", None) == "MultiWorkerMirroredStrategy":
        model._distribute_strategy = None
    with acc.scope():
        yield model


def dataset(x, y, batch_size, shuffle=True, seed=0):
    """A `tf.data.Dataset` of global batches that both runtimes split between the workers.

    Every worker builds the same dataset (same seed, same order); TensorFlow's
    auto-sharding (policy DATA) and Keras's `DataParallel` on JAX give each
    replica its part of every global batch. The last incomplete batch is
    dropped, so that every step splits evenly. Imports TensorFlow (also on JAX).

    Args:
        x: the examples, a NumPy array.
        y: their labels.
        batch_size: the global batch (all workers together); split between the replicas.
        shuffle: reshuffle every epoch (the same order on every worker).
        seed: the shuffle's seed (must be the same on every worker).

    Returns:
        A batched, prefetched `tf.data.Dataset` of `(x, y)` batches, auto-sharded by data.

    Example:

    ```python
    >>> import numpy as np
    >>> x, y = np.zeros((70, 8, 8), "float32"), np.zeros(70, "int32")
    >>> batches = dataset(x, y, batch_size=32)  # 70 examples: 2 full batches, 6 dropped
    >>> [tuple(spec.shape) for spec in batches.element_spec], len(list(batches))
    ([(32, 8, 8), (32,)], 2)
    ```
    """
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size, drop_remainder=True)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return data.with_options(options).prefetch(tf.data.AUTOTUNE)


def free_ports(count, host="127.0.0.1"):
    """`count` TCP ports that are free on `host` right now."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def worker_environment(addresses, index, backend):
    """The environment variables that make a process worker `index` of the cluster `addresses`."""
    if backend == "tensorflow":
        config = {"cluster": {"worker": list(addresses)}, "task": {"type": "worker", "index": index}}
        return {TF_CONFIG: json.dumps(config)}
    if backend == "jax":
        return {JOB_ADDRESSES: ",".join(addresses), NUM_PROCESSES: str(len(addresses)), PROCESS_ID: str(index)}
    raise InvalidArgumentError(f"multi-worker training needs the tensorflow or jax backend, not {backend!r}.")


def machine_commands(hosts, command, backend=None):
    """One shell line per machine: the environment that makes it worker i, then `command`.

    Args:
        hosts: "host:port" of every machine, the chief (coordinator) first.
        command: the command every worker runs (a list or a string).
        backend: "tensorflow" or "jax" (default: the one Keras runs).

    Example:

    ```python
    machine_commands(["10.0.0.1:12345", "10.0.0.2:12345"], "kerasmodels train cnn --data mnist",
                     backend="jax")[1]
    # "KERAS_BACKEND=jax KERAS_DISTRIBUTION_JOB_ADDRESSES=10.0.0.1:12345,10.0.0.2:12345 ..."
    ```
    """
    import shlex

    backend = backend or _backend()
    text = command if isinstance(command, str) else shlex.join(command)
    lines = []
    for index in range(len(hosts)):
        env = {"KERAS_BACKEND": backend, **worker_environment(hosts, index, backend)}
        lines.append(" ".join(f"{k}={shlex.quote(v)}" for k, v in env.items()) + " " + text)
    return lines


@dataclass
class LaunchResult:
    """What `launch_local` did: `starts` of the cluster (1 + restarts) and the last return codes.

    Args:
        starts: how many times the cluster was started (1 + restarts used).
        returncodes: the exit status of each worker at the last start.
        logs: worker i's log file, as a `str` (empty when the workers wrote to the terminal).

    Example:

    ```python
    >>> import pathlib, sys, tempfile
    >>> result = launch_local([sys.executable, "-c", "print('hello')"], workers=2, backend="tensorflow",
    ...                       log_dir=tempfile.mkdtemp())
    >>> result.starts, result.returncodes, [pathlib.Path(log).name for log in result.logs]
    (1, [0, 0], ['worker-0.log', 'worker-1.log'])
    ```
    """

    starts: int
    returncodes: list
    logs: list


def _stop(processes, grace=10.0):
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        if p.poll() is None:
            p.kill()
            p.wait()


def _wait_all(processes, timeout):
    """Wait until every worker succeeded, or one failed (then stop the others: they would wait for it).

    Returns the exit codes and the index of the worker that failed first (None if none did).
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        codes = [p.poll() for p in processes]
        failed = [i for i, code in enumerate(codes) if code not in (None, 0)]
        if failed or all(code == 0 for code in codes):
            _stop(processes)
            return [p.returncode for p in processes], (failed[0] if failed else None)
        if deadline is not None and time.monotonic() > deadline:
            _stop(processes)
            raise KerasmodelsError(f"the {len(processes)} workers did not finish within {timeout:.0f} s; "
                                   "they were stopped.")
        time.sleep(0.2)


_ERROR_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b|kerasmodels worker: error:)")


def last_error_line(log_path, start_marker=None):
    """The line of a worker's log that says why it failed (the last error line after `start_marker`)."""
    try:
        text = Path(log_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if start_marker and start_marker in text:
        text = text[text.rindex(start_marker) + len(start_marker):]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if _ERROR_LINE.match(line)]
    line = (errors or lines or [None])[-1]
    if line is None:
        return None
    line = line.removeprefix("kerasmodels worker: error: ")
    return line if len(line) <= 400 else line[:397] + "..."


def _die_with_parent_preexec():
    """In the child, before exec: ask Linux to SIGKILL it when the launcher dies (prctl PR_SET_PDEATHSIG)."""
    try:
        _LIBC.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except Exception:  # noqa: BLE001, S110 (the worker's own parent watch is the fallback)
        pass


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _libc()


def watch_parent(parent_pid=None, interval=0.5):
    """Exit this worker at once when its launcher is gone (the portable fallback for PR_SET_PDEATHSIG).

    A daemon thread compares the parent's pid with the launcher's (`KERASMODELS_PARENT_PID`);
    a killed launcher leaves orphans whose parent becomes another process.
    """
    parent = parent_pid or os.environ.get(PARENT_PID)
    if not parent:
        return None
    parent = int(parent)

    def gone():
        if os.name == "nt":
            import psutil

            return not psutil.pid_exists(parent)
        return os.getppid() != parent

    if gone():
        os._exit(EXIT_ORPHAN)

    def watch():
        while not gone():
            time.sleep(interval)
        os._exit(EXIT_ORPHAN)

    import threading

    thread = threading.Thread(target=watch, name="kerasmodels-parent-watch", daemon=True)
    thread.start()
    return thread


def launch_local(command, workers, backend=None, restarts=0, log_dir=None, env=None, on_start=None,
                 timeout=None, pass_fds=()):
    """Run `command` as `workers` worker processes on 127.0.0.1; restart them all if one fails.

    Each process gets the environment of its place in the cluster (fresh free
    ports at every start) and `KERASMODELS_RESTART` = how many times the
    cluster was restarted. When a worker exits with an error or is killed, the
    others are stopped (they would wait for it forever) and, while `restarts`
    remain, all are started again: the job resumes from its last backup. A
    worker that exits with a usage error (exit status 2: a bad argument, a
    missing data set) is not restarted: the same start would fail the same way.

    The workers die with the launcher: on Linux the kernel kills them when it
    exits, however it exits (`prctl(PR_SET_PDEATHSIG)`); elsewhere each worker
    watches its parent (`KERASMODELS_PARENT_PID`, see `watch_parent`).

    Args:
        command: the argument list every worker runs.
        workers: number of processes (>= 1).
        backend: "tensorflow" or "jax" (default: the one Keras runs).
        restarts: how many times a failed cluster is started again.
        log_dir: write worker i's output to `log_dir/worker-i.log` (default: this terminal).
        env: extra environment variables for every worker.
        on_start: called as `on_start(start_number, processes)` after each start.
        timeout: seconds for each start before the workers are stopped.
        pass_fds: descriptors the workers inherit (POSIX), e.g. the run folder's lock.

    Returns:
        A `LaunchResult`; raises `KerasmodelsError` when the last start failed, with the
        failing worker's last error line from its log.

    Raises:
        KerasmodelsError: the last start failed (the message quotes the worker's last error line).

    Example:

    ```python
    >>> import pathlib, sys, tempfile
    >>> logs = pathlib.Path(tempfile.mkdtemp())
    >>> report = "import os; print('start', os.environ['KERASMODELS_RESTART'], 'of', os.environ['TF_CONFIG'][:12])"
    >>> launch_local([sys.executable, "-c", report], workers=2, backend="tensorflow", log_dir=logs).returncodes
    [0, 0]
    >>> print((logs / "worker-1.log").read_text().strip())
    --- start 1, worker 1 of 2 ---
    start 0 of {"cluster":
    >>> try:  # a failing worker: the cluster is started again, then the error is raised
    ...     launch_local([sys.executable, "-c", "import sys; sys.exit('boom')"], workers=2,
    ...                  backend="tensorflow", log_dir=logs, restarts=1)
    ... except KerasmodelsError as error:
    ...     print(str(error).split(" (log:")[0])
    worker 0 exited with code 1 (start 2): boom
    ```
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidArgumentError(f"launch_local(workers={workers!r}): use a positive integer.")
    if isinstance(restarts, bool) or not isinstance(restarts, int) or restarts < 0:
        raise InvalidArgumentError(f"launch_local(restarts={restarts!r}): use an integer >= 0.")
    backend = backend or _backend()
    log_dir = Path(log_dir) if log_dir is not None else None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
    popen_extra = {"preexec_fn": _die_with_parent_preexec} if _LIBC is not None else {}
    if pass_fds and os.name != "nt":
        popen_extra["pass_fds"] = tuple(pass_fds)
    codes, failed, start = [], None, 0
    for start in range(restarts + 1):
        addresses = [f"127.0.0.1:{port}" for port in free_ports(workers)]
        processes, logs = [], []
        try:
            for index in range(workers):
                worker_env = {**os.environ, **(env or {}), "KERAS_BACKEND": backend, RESTART: str(start),
                              PARENT_PID: str(os.getpid()), **worker_environment(addresses, index, backend)}
                log = None
                if log_dir is not None:
                    log = open(log_dir / f"worker-{index}.log", "a")  # noqa: SIM115 (closed below)
                    log.write(_start_marker(start, index, workers))
                    log.flush()
                    logs.append(log)
                processes.append(subprocess.Popen(command, env=worker_env, stdout=log,
                                                  stderr=subprocess.STDOUT if log else None, **popen_extra))
            if on_start is not None:
                on_start(start, processes)
            codes, failed = _wait_all(processes, timeout)
        except BaseException:
            _stop(processes, grace=2.0)
            raise
        finally:
            for log in logs:
                log.close()
        if failed is None:
            return LaunchResult(start + 1, codes, [str(log_dir / f"worker-{i}.log") for i in range(workers)]
                                if log_dir else [])
        if codes[failed] == EXIT_USAGE:
            break
    raise KerasmodelsError(_failure_message(codes, failed, start, log_dir, workers))


def _start_marker(start, index, workers):
    return f"--- start {start + 1}, worker {index} of {workers} ---\n"


def _failure_message(codes, failed, start, log_dir, workers):
    code = codes[failed]
    how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
    message = f"worker {failed} {how} (start {start + 1}"
    message += "; not restarted: a usage error fails the same way again)" if code == EXIT_USAGE else ")"
    if log_dir is not None:
        log = log_dir / f"worker-{failed}.log"
        line = last_error_line(log, _start_marker(start, failed, workers).strip())
        message += f": {line}" if line else ""
        message += f" (log: {log})"
    return message + f"; exit codes {codes}."


def worker_command(args):
    """The argument list that runs one worker of `kerasmodels train` in a new Python process (the same interpreter).

    Args:
        args: `kerasmodels train`'s arguments for the worker (a list of strings).

    Returns:
        `[sys.executable, "-m", "kerasmodels.train", *args]`, e.g. for `launch_local`: the worker runs
        `train.train(..., multi_worker=True)`. (This module names the pipeline, never imports it.)

    Example:

    ```python
    >>> worker_command(["mlp", "--data", "digits", "--epochs", "1"])[1:]
    ['-m', 'kerasmodels.train', 'mlp', '--data', 'digits', '--epochs', '1']
    ```
    """
    return [sys.executable, "-m", WORKER_MODULE, *args]


if __name__ == "__main__":
    # Launch scripts written for earlier versions start workers with `python -m kerasmodels.distributed`;
    # the worker's entry point is now the pipeline's own module.
    import runpy

    runpy.run_module(WORKER_MODULE, run_name="__main__", alter_sys=True)
