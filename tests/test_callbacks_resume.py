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


# Leftovers and damaged logs (issue 29, item 3) ---------------------------------------------------------

def test_keeping_the_previous_state_leaves_no_temporary_link_when_both_names_are_one_file(tmp_path):
    # A kill after the state was kept as previous and before the new state replaced it leaves the two
    # names as hard links of one file; os.replace between them does nothing, so the temporary link stayed.
    from kerasmodels.callbacks.resumable import PREVIOUS_STATE_FILE, STATE_FILE, ResumableTraining

    callback = ResumableTraining(tmp_path)
    (tmp_path / STATE_FILE).write_bytes(b"epoch 3")
    os.link(tmp_path / STATE_FILE, tmp_path / PREVIOUS_STATE_FILE)
    callback._keep_previous()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([STATE_FILE, PREVIOUS_STATE_FILE])
    # The usual case still keeps the current state as the previous one.
    (tmp_path / PREVIOUS_STATE_FILE).unlink()
    (tmp_path / PREVIOUS_STATE_FILE).write_bytes(b"epoch 2")
    callback._keep_previous()
    assert (tmp_path / PREVIOUS_STATE_FILE).read_bytes() == b"epoch 3"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([STATE_FILE, PREVIOUS_STATE_FILE])


def logged_run(directory, epochs=3):
    from kerasmodels.callbacks import MetricsLogger

    logger = MetricsLogger(directory)
    logger.on_train_begin()
    for epoch in range(epochs):
        logger.on_epoch_begin(epoch)
        logger.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1)})
    logger.on_train_end()
    return logger


def test_a_truncated_metrics_log_is_named_in_one_line_and_repaired_by_a_call_that_trains_nothing(tmp_path):
    from kerasmodels.callbacks import MetricsLogger, read_metrics
    from kerasmodels.errors import DamagedFileError

    logged_run(tmp_path)
    log = tmp_path / "metrics.json"
    log.write_text(log.read_text()[:40])
    with pytest.raises(DamagedFileError) as error:
        read_metrics(log)
    assert "\n" not in str(error.value) and str(log) in str(error.value) and "Fix:" in str(error.value)
    # The same command again: the run is finished, so fit() trains no epoch (on_epoch_begin never runs).
    logger = MetricsLogger(tmp_path)
    logger.on_train_begin()
    logger.on_train_end()
    assert [row["epoch"] for row in read_metrics(log)] == [1, 2, 3]
    kept = list(tmp_path.glob("metrics.json.damaged-*"))
    assert len(kept) == 1 and len(kept[0].read_text()) == 40  # the damaged file is kept, not deleted


def test_a_missing_or_mismatched_csv_is_rewritten_from_the_json_log(tmp_path):
    from kerasmodels.callbacks.metrics_logger import repair

    logged_run(tmp_path)
    csv_path = tmp_path / "metrics.csv"
    csv_path.write_text(csv_path.read_text().splitlines()[0] + "\n1,0.5\n")  # cut to epoch 1
    assert [row["epoch"] for row in repair(tmp_path)] == [1, 2, 3]
    assert csv_path.read_text().count("\n") == 4 and len(list(tmp_path.glob("metrics.csv.damaged-*"))) == 1
    assert [row["epoch"] for row in repair(tmp_path)] == [1, 2, 3]  # whole now: nothing more moved aside
    assert len(list(tmp_path.glob("*.damaged-*"))) == 1


@pytest.mark.slow  # trains a small model twice in this process (TensorFlow)
def test_train_again_after_the_log_was_truncated_repairs_it_and_leaves_no_temporary_files(tmp_path):
    from kerasmodels.callbacks import read_metrics
    from kerasmodels.train import train

    train("mlp", "digits", epochs=2, limit=200, out_dir=tmp_path, verbose=0)
    log = tmp_path / "training" / "metrics.json"
    log.write_text(log.read_text()[:40])
    summary = train("mlp", "digits", epochs=2, limit=200, out_dir=tmp_path, verbose=0)
    assert summary["epochs_this_call"] == 0
    assert [row["epoch"] for row in read_metrics(log)] == [1, 2]
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.startswith(".")]
    assert leftovers == [], leftovers  # no .tmp-*, no lock file
