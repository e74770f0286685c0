"""A training process killed with SIGKILL mid-epoch resumes on the identical call."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

EPOCHS = 6

SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    import keras
    from kerasmodels.callbacks import ResumableTraining, MetricsLogger

    directory, epochs = sys.argv[1], int(sys.argv[2])

    class Slow(keras.callbacks.Callback):
        # Makes each epoch last ~0.5 s so that the kill lands mid-epoch.
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.06)
        def on_epoch_end(self, epoch, logs=None):
            print(f"EPOCH_DONE {epoch + 1}", flush=True)

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(2)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=epochs, validation_split=0.25, verbose=0,
                        callbacks=[ResumableTraining(directory + "/ckpt"), MetricsLogger(directory), Slow()])
    print(f"TRAINED {len(history.history.get('loss', []))}", flush=True)
    """
)


@pytest.mark.slow  # a training process killed and started again
def test_sigkill_mid_epoch_then_resume(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    command = [sys.executable, str(script), str(tmp_path), str(EPOCHS)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.startswith("EPOCH_DONE 2"):
                break
        else:
            pytest.fail("the training subprocess ended before epoch 2")
        time.sleep(0.25)  # well inside epoch 3 (6 batches x 60 ms)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    from kerasmodels.callbacks import read_metrics, read_state

    killed_at = read_state(tmp_path / "ckpt")["epoch"]
    assert killed_at in (2, 3)  # at most the epoch in progress is lost

    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    trained = int(done.stdout.split("TRAINED ")[1].split()[0])
    assert trained == EPOCHS - killed_at  # ends at epoch EPOCHS in total, not killed_at + EPOCHS
    assert read_state(tmp_path / "ckpt")["epoch"] == EPOCHS
    assert [row["epoch"] for row in read_metrics(tmp_path / "metrics.json")] == list(range(1, EPOCHS + 1))

    import keras

    model = keras.models.load_model(tmp_path / "ckpt" / "best.keras")
    assert model.output_shape == (None, 2)
