"""Multi-worker training on one machine: launches are recognised, two workers compute what one process
computes on the same global batch (TensorFlow MultiWorkerMirroredStrategy and JAX multi-process), and a
worker killed mid-training is restarted with the cluster, which resumes from the chief's last backup."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from kerasmodels import distributed
from kerasmodels.callbacks import read_state
from kerasmodels.errors import InvalidArgumentError, KerasmodelsError

LIMIT, BATCH = 1024, 128  # 8 global steps per epoch


def tf_config(index, workers=("127.0.0.1:1", "127.0.0.1:2")):
    return json.dumps({"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": index}})


def test_detect_reads_tf_config_and_the_keras_variables():
    launch = distributed.detect("tensorflow", {"TF_CONFIG": tf_config(1)})
    assert (launch.backend, launch.num_workers, launch.worker_index, launch.is_chief) == ("tensorflow", 2, 1, False)
    chief = distributed.detect("tensorflow", {"TF_CONFIG": json.dumps(
        {"cluster": {"chief": ["a:1"], "worker": ["b:1"]}, "task": {"type": "chief", "index": 0}})})
    assert chief.is_chief and chief.addresses == ["a:1", "b:1"]
    env = distributed.worker_environment(["h0:9", "h1:9", "h2:9"], 2, "jax")
    launch = distributed.detect("jax", env)
    assert (launch.num_workers, launch.worker_index, launch.addresses[0]) == (3, 2, "h0:9")
    assert distributed.detect("tensorflow", {}) is None
    # One worker is no cluster: a single process, accelerate.setup's job.
    assert distributed.detect("tensorflow", {"TF_CONFIG": tf_config(0, ["a:1"])}) is None


@pytest.mark.parametrize("environ, message", [
    ({"TF_CONFIG": "{not json"}, "not a valid cluster"),
    ({"TF_CONFIG": tf_config(5)}, "outside the cluster"),
    ({"KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": "x"}, "integers"),
])
def test_detect_explains_a_broken_launch(environ, message):
    backend = "jax" if "KERAS_DISTRIBUTION_NUM_PROCESSES" in environ else "tensorflow"
    with pytest.raises(InvalidArgumentError, match=message):
        distributed.detect(backend, environ)
    with pytest.raises(InvalidArgumentError, match="does not read it"):
        distributed.detect("torch", {"TF_CONFIG": tf_config(0)})


def test_machine_commands_make_each_host_its_worker():
    hosts = ["10.0.0.1:12345", "10.0.0.2:12345"]
    lines = distributed.machine_commands(hosts, ["kerasmodels", "train", "cnn"], backend="tensorflow")
    for index, line in enumerate(lines):
        config = json.loads(line.split("TF_CONFIG=")[1].split("' ")[0].strip("'"))
        assert config == {"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}}
        assert line.startswith("KERAS_BACKEND=tensorflow ") and line.endswith(" kerasmodels train cnn")
    jax_line = distributed.machine_commands(hosts, "kerasmodels train cnn", backend="jax")[1]
    assert "KERAS_DISTRIBUTION_PROCESS_ID=1" in jax_line and "NUM_PROCESSES=2" in jax_line


def test_the_cli_prints_the_command_for_each_machine(capsys):
    from kerasmodels import cli

    assert cli.main(["train", "cnn", "--data", "mnist", "--hosts", "h1:2222,h2:2222", "--out", "/tmp/x"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "-m kerasmodels.train" in line]
    assert len(lines) == 2 and all("--out /tmp/x" in line for line in lines)


def test_launch_local_restarts_the_whole_cluster_when_a_worker_fails(tmp_path):
    # Worker 1 fails on the first start; both are restarted, each sees its place in the cluster.
    script = ("import json, os, sys, pathlib\n"
              "config = json.loads(os.environ['TF_CONFIG'])\n"
              "index, start = config['task']['index'], os.environ['KERASMODELS_RESTART']\n"
              f"pathlib.Path(r'{tmp_path}', f'{{index}}-{{start}}').write_text(json.dumps(config))\n"
              "sys.exit(1 if (index, start) == (1, '0') else 0)\n")
    result = distributed.launch_local([sys.executable, "-c", script], workers=2, backend="tensorflow",
                                      restarts=1, log_dir=tmp_path / "logs", timeout=60)
    assert result.starts == 2 and result.returncodes == [0, 0]
    assert {p.name for p in tmp_path.glob("?-?")} == {"0-0", "1-0", "0-1", "1-1"}
    addresses = json.loads((tmp_path / "0-1").read_text())["cluster"]["worker"]
    assert len(set(addresses)) == 2 and all(a.startswith("127.0.0.1:") for a in addresses)
    with pytest.raises(KerasmodelsError, match="exit codes"):
        distributed.launch_local([sys.executable, "-c", "import sys; sys.exit(3)"], workers=2,
                                 backend="tensorflow", restarts=0, timeout=60)


def worker_args(out, epochs):
    return ["cnn", "--data", "mnist", "--preset", "article002", "--limit", str(LIMIT), "--batch-size", str(BATCH),
            "--epochs", str(epochs), "--out", str(out), "--quiet"]


def one_process(out, backend, epochs):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG" and not k.startswith("KERAS_DISTRIBUTION")}
    subprocess.run(distributed.worker_command(worker_args(out, epochs)), env={**env, "KERAS_BACKEND": backend},
                   check=True, timeout=600)
    return json.loads((out / "metrics.json").read_text())


def check_saved_model_loads(summary):
    code = (f"import keras, numpy as np; m = keras.saving.load_model(r'{summary['model_path']}'); "
            "print(m.predict(np.zeros((2, 28, 28), 'float32'), verbose=0).shape)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    assert "(2, 10)" in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_two_workers_follow_the_loss_curve_of_one_process(tmp_path, backend):
    epochs = 2
    result = distributed.launch_local(distributed.worker_command(worker_args(tmp_path / "two", epochs)), 2,
                                      backend=backend, log_dir=tmp_path / "logs", timeout=600)
    assert result.starts == 1
    two = json.loads((tmp_path / "two" / "metrics.json").read_text())
    one = one_process(tmp_path / "one", backend, epochs)
    assert two["workers"] == 2 and two["replicas"] == 2 and two["per_replica_batch_size"] == BATCH // 2
    assert two["strategy"] == ("MultiWorkerMirroredStrategy" if backend == "tensorflow" else "DataParallel")
    assert one["workers"] == 1 and one["global_batch_size"] == two["global_batch_size"] == BATCH
    assert len(two["loss"]) == len(one["loss"]) == epochs
    # Same data, same global batches, same initial weights: the same updates up to float rounding.
    assert two["loss"] == pytest.approx(one["loss"], rel=0.02)
    assert two["loss"][-1] < two["loss"][0]
    assert not (tmp_path / "two" / ".workers").exists()  # the non-chief's scratch folder is gone
    check_saved_model_loads(two)


@pytest.mark.slow
def test_a_killed_worker_resumes_from_the_last_backup(tmp_path):
    epochs, out = 3, tmp_path / "run"
    killed = {}

    def kill_worker_1_after_the_first_backup(start, processes):
        if start != 0:
            return

        def watch():
            deadline = time.monotonic() + 500
            while time.monotonic() < deadline and processes[1].poll() is None:
                state = read_state(out / "training" / "checkpoints")
                if state is not None and state["epoch"] >= 1:
                    killed["epoch"] = state["epoch"]
                    processes[1].send_signal(signal.SIGKILL)
                    return
                time.sleep(0.1)

        threading.Thread(target=watch, daemon=True).start()

    result = distributed.launch_local(distributed.worker_command(worker_args(out, epochs)), 2,
                                      backend="tensorflow", restarts=1, log_dir=tmp_path / "logs",
                                      on_start=kill_worker_1_after_the_first_backup, timeout=600)
    summary = json.loads((out / "metrics.json").read_text())
    assert killed and killed["epoch"] < epochs, "worker 1 was not killed mid-training"
    assert result.starts == 2 and summary["restarts"] == 1
    # The second start trained only the epochs after the backup, and the run has all of them.
    assert summary["epochs_this_start"] == epochs - killed["epoch"]
    assert summary["epochs_completed"] == epochs and len(summary["loss"]) == epochs
    check_saved_model_loads(summary)


def process_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow  # two TensorFlow workers trained, their launcher killed with -9, then the run again
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see which processes live")
def test_kill_9_of_the_launcher_takes_the_workers_with_it_and_the_rerun_finishes_clean(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "kerasmodels", "train", "cnn", "--workers", "2", "--data", "digits",
               "--batch-size", "32", "--epochs", "3", "--out", str(out)]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    launcher = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline and launcher.poll() is None:
            state = read_state(out / "training" / "checkpoints")
            if state is not None and state["epoch"] >= 1:
                break
            time.sleep(0.1)
        assert launcher.poll() is None, "the run ended before its first backup"
        with open(f"/proc/{launcher.pid}/task/{launcher.pid}/children") as f:
            workers = [int(pid) for pid in f.read().split()]
        assert len(workers) == 2
        launcher.send_signal(signal.SIGKILL)
        launcher.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(process_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(process_alive(pid) for pid in workers), "the workers outlived their launcher"
    finally:
        launcher.kill()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((out / "metrics.json").read_text())
    assert summary["epochs_completed"] == 3 and summary["epochs_this_start"] < 3
    hidden = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.name.startswith("."))
    assert hidden == [], hidden  # no .tmp-* checkpoints, no lock file, no .workers scratch folder
