"""`DeviceReport`: one short block at train start saying what the hardware is doing."""

import keras

from kerasmodels import hardware
from kerasmodels.callbacks._common import say


def distribution_info(model=None):
    """(name, replicas) of the data-parallel setup `fit()` will use on this backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        strategy = getattr(model, "distribute_strategy", None) or tf.distribute.get_strategy()
        name = type(strategy).__name__
        if name.startswith("_Default"):
            name = "default (one device)"
        return name, int(strategy.num_replicas_in_sync)
    if backend == "jax":
        distribution = keras.distribution.distribution()
        if distribution is None:
            return "default (one device)", 1
        mesh = distribution.device_mesh
        batch_axis = getattr(distribution, "batch_dim_name", None)
        if batch_axis in mesh.axis_names:
            replicas = mesh.shape[list(mesh.axis_names).index(batch_axis)]
        else:
            replicas = int(mesh.devices.size)
        return type(distribution).__name__, int(replicas)
    return "default (one device)", 1


class DeviceReport(keras.callbacks.Callback):
    """Prints backend, devices, precision, XLA, replicas and batch sizes when training starts.

    Args:
        batch_size: the global batch size given to `fit()` (the callback cannot
            see it otherwise); the per-replica size is derived from it.
        verbose: 0 to only fill `self.info`, 1 to print the block.

    Attributes:
        info: dict with the reported values (backend, devices, precision,
            jit_compile, steps_per_execution, strategy, replicas,
            global_batch_size, per_replica_batch_size).

    Example:

    ```python
    model.fit(x, y, batch_size=64, callbacks=[DeviceReport(batch_size=64)])
    ```
    """

    def __init__(self, batch_size=None, verbose=1):
        super().__init__()
        if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
            raise ValueError(
                f"DeviceReport(batch_size={batch_size!r}): pass the positive int batch size "
                "you give to fit(), or None."
            )
        self.batch_size = batch_size
        self.verbose = verbose
        self.info = {}

    def on_train_begin(self, logs=None):
        model = self.model
        backend = keras.backend.backend()
        accelerators = hardware.accelerators(backend)
        cpu = hardware.cpu()
        if accelerators:
            devices = []
            for acc in accelerators:
                memory = hardware.memory_text(acc, backend)
                extras = [memory] if memory else []
                if acc.compute_capability:
                    extras.append("cc " + ".".join(str(p) for p in acc.compute_capability))
                devices.append(f"{acc.kind} {acc.name}" + (f" ({', '.join(extras)})" if extras else ""))
        else:
            flags = sorted(f for f in cpu.flags if f in ("amx_bf16", "avx512_bf16"))
            devices = [f"CPU {cpu.model} ({cpu.cores} cores{', ' + ', '.join(flags) if flags else ''})"]
        strategy, replicas = distribution_info(model)
        policy = model.dtype_policy
        jit = getattr(model, "jit_compile", None)
        if backend == "jax":
            jit = True  # JAX always traces fit() with XLA
        self.info = {
            "backend": backend,
            "backend_version": hardware.version(backend),
            "devices": devices,
            "precision": policy.name,
            "compute_dtype": policy.compute_dtype,
            "variable_dtype": policy.variable_dtype,
            "jit_compile": bool(jit),
            "steps_per_execution": int(getattr(model, "steps_per_execution", 1) or 1),
            "strategy": strategy,
            "replicas": replicas,
            "global_batch_size": self.batch_size,
            "per_replica_batch_size": (self.batch_size // replicas) if self.batch_size else None,
        }
        if self.verbose:
            say(self.format())

    def format(self):
        i = self.info
        batch = (
            f"global {i['global_batch_size']}, per replica {i['per_replica_batch_size']}"
            if i["global_batch_size"]
            else "unknown (pass batch_size= to DeviceReport)"
        )
        lines = [
            f"[device] backend {i['backend']} {i['backend_version'] or ''} | Keras {keras.__version__}",
            *(f"[device] {d}" for d in i["devices"]),
            f"[device] precision {i['precision']} (compute {i['compute_dtype']}, variables {i['variable_dtype']})"
            f" | XLA jit {'on' if i['jit_compile'] else 'off'} | steps_per_execution {i['steps_per_execution']}",
            f"[device] strategy {i['strategy']}, {i['replicas']} replica(s) | batch {batch}",
        ]
        return "\n".join(lines)
