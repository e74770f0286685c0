"""Issue 20: nothing a user has is lost, every mistake gets one clear line, nothing leaves the machine."""

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import kernel_network_block

from kerasmodels import cli, errors
from kerasmodels.data import _common, mnist, packs

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "kerasmodels", *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=timeout)


def strict_json(path):
    """Parse like a strict JSON parser: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(Path(path).read_text(), parse_constant=refuse)


def small_train(out, epochs=2, **kwargs):
    from kerasmodels.train import train

    return train("mlp", "digits", epochs=epochs, limit=200, out_dir=out, verbose=0, **kwargs)


# Training and resuming ----------------------------------------------------------------------------

@pytest.mark.slow
def test_no_resume_moves_the_old_training_folder_aside_and_keeps_the_users_files(tmp_path):
    small_train(tmp_path, epochs=1)
    notes = tmp_path / "training" / "my_notes.txt"
    notes.write_text("mine")
    summary = small_train(tmp_path, epochs=1, resume=False)
    kept = list(tmp_path.glob("training.old-*"))
    assert len(kept) == 1 and (kept[0] / "my_notes.txt").read_text() == "mine"
    assert summary["epochs_completed"] == 1 and summary["epochs_this_call"] == 1
    # The fresh run is resumable again.
    assert small_train(tmp_path, epochs=1)["epochs_this_call"] == 0


KILL_AFTER_COMMIT = textwrap.dedent(
    """
    import os, sys
    from kerasmodels.callbacks import resumable
    from kerasmodels.train import train

    out, kill_at = sys.argv[1], int(sys.argv[2])
    original = resumable.ResumableTraining._atomic_save

    def save_then_die(self, final_path, write):
        original(self, final_path, write)
        # Killed right after the checkpoint of epoch `kill_at` is committed.
        if final_path.name == resumable.STATE_FILE and resumable.read_state(self.directory)["epoch"] == kill_at:
            os._exit(9)

    resumable.ResumableTraining._atomic_save = save_then_die
    summary = train("mlp", "digits", epochs=3, limit=200, out_dir=out, verbose=0)
    print("SUMMARY", summary["epochs_completed"], summary["epochs_this_call"])
    """
)


@pytest.mark.slow
def test_a_kill_right_after_a_checkpoint_keeps_that_epochs_metrics_row(tmp_path):
    from kerasmodels.callbacks import read_metrics

    script = tmp_path / "train.py"
    script.write_text(KILL_AFTER_COMMIT)
    killed = subprocess.run([sys.executable, str(script), str(tmp_path / "run"), "2"], capture_output=True,
                            text=True, timeout=300)
    assert killed.returncode == 9, killed.stderr[-2000:]
    rows = read_metrics(tmp_path / "run" / "training" / "metrics.json")
    assert [row["epoch"] for row in rows] == [1, 2]  # the row is written before the checkpoint
    done = subprocess.run([sys.executable, str(script), str(tmp_path / "run"), "0"], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SUMMARY 3 1" in done.stdout  # the count comes from the checkpoint: 3 epochs, 1 in this call
    rows = read_metrics(tmp_path / "run" / "training" / "metrics.json")
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    assert strict_json(tmp_path / "run" / "metrics.json")["epochs_completed"] == 3


@pytest.mark.slow
def test_rerunning_a_finished_run_keeps_its_results(tmp_path):
    first = small_train(tmp_path)
    assert first["final"]["loss"] > 0
    again = small_train(tmp_path)
    assert again["epochs_this_call"] == 0 and again["epochs_completed"] == 2
    assert again["final"] == first["final"] and again["fit_seconds"] == first["fit_seconds"]
    assert strict_json(tmp_path / "metrics.json")["final"] == first["final"]
    # Killed after fit, before the summary was written: the per-epoch log gives the final numbers.
    (tmp_path / "metrics.json").unlink()
    recovered = small_train(tmp_path)
    assert recovered["final"]["loss"] == pytest.approx(first["final"]["loss"])
    assert recovered["final"]["val_accuracy"] == pytest.approx(first["final"]["val_accuracy"])


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_a_damaged_checkpoint_is_one_line_with_the_fix(tmp_path, damage):
    from kerasmodels.callbacks import resumable

    out = tmp_path / "run"
    small_train(out, epochs=2)
    state = out / "training" / "checkpoints" / resumable.STATE_FILE
    data = state.read_bytes()
    state.write_bytes(data[: len(data) // 3] if damage == "truncated" else b"")
    with pytest.raises(errors.DamagedFileError) as info:
        small_train(out, epochs=3)
    message = str(info.value)
    assert str(state) in message and "damaged" in message and "\n" not in message
    assert "previous checkpoint (epoch 1)" in message and "--no-resume" in message
    command = run_cli("train", "mlp", "--data", "digits", "--epochs", "3", "--limit", "200", "--out", str(out))
    assert command.returncode == 2 and "Traceback" not in command.stderr
    ours = [line for line in command.stderr.splitlines() if line.startswith("kerasmodels:")]
    assert len(ours) == 1 and ours[0].startswith("kerasmodels: error: training checkpoint")
    # The fix the message gives: put the previous checkpoint in the damaged one's place.
    previous = state.with_name(resumable.PREVIOUS_STATE_FILE)
    assert f"mv {previous} {state}" in message
    os.replace(previous, state)
    summary = small_train(out, epochs=3)
    assert summary["epochs_completed"] == 3 and summary["epochs_this_call"] == 2


@pytest.mark.slow
def test_a_damaged_metrics_log_is_recovered_from_the_csv_and_kept(tmp_path):
    from kerasmodels.callbacks import read_metrics

    small_train(tmp_path, epochs=2)
    log = tmp_path / "training" / "metrics.json"
    log.write_text(log.read_text()[:40])
    small_train(tmp_path, epochs=3)
    rows = read_metrics(log)
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    assert all(isinstance(row["loss"], float) for row in rows)
    assert len(list(log.parent.glob("metrics.json.damaged-*"))) == 1


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf"])
def test_a_learning_rate_that_cannot_train_is_refused(value):
    from kerasmodels.train import train

    with pytest.raises(errors.InvalidArgumentError, match="learning-rate"):
        train("mlp", "digits", learning_rate=float(value))


def test_cli_refuses_bad_numbers_in_one_line():
    out = run_cli("train", "mlp", "--data", "digits", "--learning-rate", "nan")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0 and "learning-rate" in out.stderr
    out = run_cli("train", "mlp", "--data", "digits", "--epochs", "0")
    assert out.returncode == 2 and "positive integer" in out.stderr and "Traceback" not in out.stderr


@pytest.mark.slow
def test_a_diverging_run_writes_strict_json(tmp_path):
    summary = small_train(tmp_path, epochs=1, learning_rate=1e30)
    on_disk = strict_json(tmp_path / "metrics.json")
    assert on_disk["final"] == summary["final"]
    assert summary["final"]["loss"] is None  # NaN is not JSON: written as null
    strict_json(tmp_path / "training" / "metrics.json")


# Data caches ----------------------------------------------------------------------------------------

@pytest.fixture()
def mnist_cache(tmp_path, monkeypatch):
    if packs.pack_path("mnist") is None:
        pytest.skip("the mnist pack is not installed (kerasmodels data install)")
    monkeypatch.setenv("KERASMODELS_CACHE", str(tmp_path / "cache"))
    mnist.load("test")  # decodes the pack and writes the cache
    assert mnist.cache_path().is_file()
    return mnist.cache_path()


def test_a_truncated_mnist_cache_is_rebuilt(mnist_cache):
    reference = mnist.load("test")
    mnist_cache.write_bytes(mnist_cache.read_bytes()[:5000])
    x, y = mnist.load("test")
    np.testing.assert_array_equal(x, reference[0])
    np.testing.assert_array_equal(y, reference[1])
    assert mnist.split_problem("test", *(_common.load_npz(mnist_cache, ("x_test", "y_test")).values())) is None


@pytest.mark.parametrize("tamper", ["zero_labels", "ten_images", "float_images", "one_pixel"])
def test_an_mnist_cache_with_wrong_contents_is_rebuilt(mnist_cache, tamper):
    arrays = dict(np.load(mnist_cache))
    if tamper == "zero_labels":
        arrays["y_test"] = np.zeros_like(arrays["y_test"])
    elif tamper == "ten_images":
        arrays["x_test"] = arrays["x_test"][:10]
    elif tamper == "float_images":
        arrays["x_test"] = arrays["x_test"].astype(np.float32)
    else:
        arrays["x_test"] = arrays["x_test"].copy()
        arrays["x_test"][0, 0, 0] ^= 1
    assert mnist.split_problem("test", arrays["x_test"], arrays["y_test"]) is not None
    _common.save_npz(mnist_cache, **arrays)
    x, y = mnist.load("test")
    assert x.shape == (10000, 28, 28) and len(np.unique(y)) == 10
    assert mnist.split_problem("test", *(_common.load_npz(mnist_cache, ("x_test", "y_test")).values())) is None


KILLED_CACHE_WRITE = textwrap.dedent(
    """
    import os
    from kerasmodels.data import mnist

    os.fsync = lambda fd: os._exit(9)  # killed while the cache file is being written
    mnist.load("test")
    """
)


def test_an_interrupted_cache_write_leaves_no_orphan_for_long(tmp_path, monkeypatch):
    if packs.pack_path("mnist") is None:
        pytest.skip("the mnist pack is not installed (kerasmodels data install)")
    cache = tmp_path / "cache"
    monkeypatch.setenv("KERASMODELS_CACHE", str(cache))
    killed = subprocess.run([sys.executable, "-c", KILLED_CACHE_WRITE], capture_output=True, timeout=120)
    assert killed.returncode == 9
    orphans = [p for p in cache.iterdir() if p.name.endswith(".tmp")]
    assert len(orphans) == 1 and orphans[0].stat().st_size > 1_000_000
    assert not mnist.cache_path().exists()
    other = cache / ".someone-elses.tmp"  # not our pattern: never touched
    other.write_text("x")
    os.utime(other, (0, 0))
    # A young temporary may be a write in progress: kept. An old one is a leftover: removed.
    assert _common.remove_stale_temporaries(mnist.cache_path()) == []
    old = time.time() - 2 * _common.STALE_TEMPORARY_SECONDS
    os.utime(orphans[0], (old, old))
    assert mnist.load("test")[0].shape == (10000, 28, 28)
    assert not orphans[0].exists() and other.exists() and mnist.cache_path().exists()
    assert [p for p in cache.iterdir() if p.name.endswith(".tmp")] == [other]


# The CLI and the API ----------------------------------------------------------------------------------

def test_kerasmodels_alone_prints_help_and_version_works():
    out = run_cli()
    assert out.returncode == 0 and out.stdout.startswith("usage: kerasmodels") and "train" in out.stdout
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("kerasmodels 0.")


def test_out_under_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = run_cli("train", "mlp", "--data", "digits", "--epochs", "1", "--out", str(blocker / "run"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith("kerasmodels: error: cannot create the output folder") and "Not a directory" in out.stderr


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_a_port_that_is_no_port(port):
    out = run_cli("serve", "model.keras", "--port", port)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "port number" in out.stderr


def test_our_own_bugs_are_reported_as_internal_errors(monkeypatch, capsys):
    def buggy(args):
        return {}["missing"]

    monkeypatch.setattr(cli, "_cmd_info", buggy)
    assert cli.main(["info"]) == cli.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.startswith("kerasmodels: internal error (KeyError: 'missing'), please report it")
    assert "--debug" in err and "Traceback" not in err
    with pytest.raises(KeyError):
        cli.main(["--debug", "info"])
    # A user's mistake stays a one-line usage error.
    assert cli.main(["data", "path", "imagenet"]) == cli.EXIT_USAGE


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    import keras

    folder = tmp_path_factory.mktemp("models")
    good = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    good.save(folder / "good.keras")
    inputs = keras.Input((3,))
    refused = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2)(inputs))
    refused.save(folder / "lambda.keras")
    data = (folder / "good.keras").read_bytes()
    (folder / "truncated.keras").write_bytes(data[: len(data) // 2])
    (folder / "empty.keras").write_bytes(b"")
    return folder


@pytest.mark.parametrize("name, fragment", [
    ("truncated.keras", "is damaged"), ("empty.keras", "is damaged"), ("lambda.keras", "Lambda"),
])
def test_load_model_says_in_one_line_what_is_wrong(saved_models, name, fragment):
    from kerasmodels.models import load_model

    with pytest.raises(errors.KerasmodelsError) as info:
        load_model(saved_models / name)
    message = str(info.value)
    assert fragment in message and "\n" not in message and "config=" not in message
    assert "File not found" not in message
    assert load_model(saved_models / "good.keras").output_shape == (None, 2)


@pytest.mark.parametrize("build", [
    lambda m: m.mlp((28, 28), 10, hidden_units=(10**9,)),
    lambda m: m.mlp((28, 28), 10**9),
    lambda m: m.cnn((100000, 100000), 10),
    lambda m: m.cnn((100000, 100000), 10, preset="lenet"),
    lambda m: m.bert_classifier(10**9, preset="tiny"),
])
def test_factories_refuse_sizes_that_cannot_fit_in_memory(build):
    from kerasmodels import models

    started = time.perf_counter()
    with pytest.raises(errors.ModelTooLargeError, match=r"GiB to train .* over the limit of 16\.0 GiB") as info:
        build(models)
    assert time.perf_counter() - started < 1.0  # refused before anything is allocated
    assert isinstance(info.value, ValueError) and "max_bytes" in str(info.value)


def test_the_memory_limit_can_be_raised_or_lowered(monkeypatch):
    from kerasmodels.models import _checks, cnn, mlp

    model = mlp((28, 28), 10)
    estimate = _checks.check_model_size("mlp", model.count_params(), 784 + 2 * 128 + 10)
    assert model.count_params() == 55050 and estimate < 2**20
    with pytest.raises(errors.ModelTooLargeError):
        mlp((28, 28), 10, max_bytes=100_000)
    monkeypatch.setenv(_checks.MAX_BYTES_ENV, "100000")
    with pytest.raises(errors.ModelTooLargeError):
        cnn((28, 28), 10)
    assert cnn((28, 28), 10, max_bytes=10**9).count_params() == 98442
    monkeypatch.setenv(_checks.MAX_BYTES_ENV, "lots")
    with pytest.raises(errors.InvalidArgumentError, match="KERASMODELS_MAX_MODEL_BYTES"):
        mlp((28, 28), 10)


# The offline guarantee ----------------------------------------------------------------------------------

PUBLIC_ADDRESS = ("1.1.1.1", 80)


def test_python_level_block_covers_names_udp_and_lookups():
    from sitecustomize import NetworkBlocked

    for lookup in (lambda: socket.getaddrinfo("127.example.com", 80), lambda: socket.gethostbyname("pypi.org"),
                   lambda: socket.gethostbyname_ex("pypi.org")):
        with pytest.raises(NetworkBlocked):
            lookup()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, pytest.raises(NetworkBlocked):
        udp.sendto(b"x", PUBLIC_ADDRESS)
    assert socket.getaddrinfo("127.0.0.1", 80) and socket.gethostbyname("localhost")


@pytest.mark.skipif(not kernel_network_block(), reason=(
    "only the Python-level network block is in force (this machine has interfaces other than lo); "
    "README's test command .ci/offline runs the suite in a loopback-only network namespace"))
def test_kernel_blocks_the_network_for_every_process():
    # A non-Python program, and a Python that skips sitecustomize (-I), both find no route.
    host, port = PUBLIC_ADDRESS
    bash = subprocess.run(["bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"], capture_output=True,
                          text=True, timeout=30)
    assert bash.returncode != 0 and "Network is unreachable" in bash.stderr
    raw = ("import _socket; s = _socket.socket(); s.settimeout(10)\n"
           f"try:\n    s.connect({PUBLIC_ADDRESS!r})\nexcept OSError as e:\n    print('blocked', e.errno)")
    isolated = subprocess.run([sys.executable, "-I", "-c", raw], capture_output=True, text=True, timeout=30)
    assert isolated.stdout.startswith("blocked"), isolated.stdout + isolated.stderr
    if shutil.which("curl"):
        curl = subprocess.run(["curl", "-sS", "--max-time", "10", "https://pypi.org/simple/"],
                              capture_output=True, text=True, timeout=30)
        assert curl.returncode != 0
    # Loopback still works (notebook kernels talk to their client over it).
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
