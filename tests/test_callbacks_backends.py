"""The callbacks on the other installed backends (JAX here; torch when installed), in subprocesses."""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import importlib.abc, json, sys

    class NoTensorFlow(importlib.abc.MetaPathFinder):
        # Behave as if TensorFlow were not installed: nothing here may need it.
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] == "tensorflow":
                raise ModuleNotFoundError("No module named 'tensorflow' (hidden by the test)")
            return None

    sys.meta_path.insert(0, NoTensorFlow())
    import numpy as np
    import keras
    from kerasmodels import callbacks as kcb

    directory = sys.argv[1]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")

    def make(lr=1e-2):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(2)])
        model.compile(keras.optimizers.Adam(lr), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        return model

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    callbacks = kcb.default_callbacks(directory, batch_size=32, live_plot=True)
    try:
        make().fit(x, y, batch_size=32, epochs=4, validation_split=0.25, verbose=0,
                   callbacks=callbacks + [Interrupt()])
    except KeyboardInterrupt:
        pass
    resumed = make().fit(x, y, batch_size=32, epochs=4, validation_split=0.25, verbose=0,
                         callbacks=kcb.default_callbacks(directory, batch_size=32, live_plot=True, verbose=0))

    guard = kcb.NaNGuard(verbose=0)
    diverging = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="first"), keras.layers.Dense(1)])
    diverging.compile(keras.optimizers.SGD(1e6), "mse")
    diverging.fit(x * 100, (x * 100).sum(1, keepdims=True), batch_size=16, epochs=3, verbose=0, callbacks=[guard])

    finder = kcb.LRFinder(1e-5, 10.0, steps=30, verbose=0)
    model = make(1e-3)
    before = [w.copy() for w in model.get_weights()]
    finder.run(model, x, y, batch_size=8)
    restored = all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))

    report = [c for c in callbacks if isinstance(c, kcb.DeviceReport)][0]
    speed = [c for c in callbacks if isinstance(c, kcb.Throughput)][0]
    print("RESULT " + json.dumps({
        "backend": keras.backend.backend(),
        "device_backend": report.info["backend"],
        "samples_per_sec": speed.history[-1].get("samples_per_sec"),
        "mfu": speed.history[-1].get("mfu"),
        "resumed_epochs": len(resumed.history["loss"]),
        "nan_layer": guard.report and guard.report["layer"],
        "lr_points": len(finder.rates),
        "lr_suggestion": finder.suggestion,
        "lr_restored": restored,
        "tensorflow_imported": any(m.split(".")[0] == "tensorflow" for m in sys.modules),
    }))
    """
)


def run_backend(backend, tmp_path):
    script = tmp_path / "callbacks_on_backend.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="2", JAX_PLATFORMS="cpu")
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "run")], capture_output=True,
                          text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.split("RESULT ", 1)[1])
    return result, done.stdout


@pytest.mark.slow  # a second backend, in a process of its own
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_callbacks_on_backend(backend, tmp_path):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install 'kerasmodels-course[{backend}]'); "
                    f"the {backend} backend is not checked here")
    result, out = run_backend(backend, tmp_path)
    assert result["backend"] == result["device_backend"] == backend
    assert result["samples_per_sec"] > 0 and result["mfu"] > 0
    assert result["resumed_epochs"] == 2  # interrupted before epoch 3 of 4
    assert result["nan_layer"].endswith("first")
    assert result["lr_points"] >= 10 and result["lr_restored"]
    assert "[device] backend " + backend in out and "[speed] epoch 1" in out and "[memory] epoch 1" in out
    run = tmp_path / "run"
    rows = json.loads((run / "metrics.json").read_text())["epochs"]
    assert [row["epoch"] for row in rows] == [1, 2, 3, 4]
    assert (run / "curves.png").exists() and (run / "checkpoints" / "best.keras").exists()
    # MetricsLogger and the rest ran with TensorFlow hidden: they need none on a non-TF backend.
    assert result["tensorflow_imported"] is False
