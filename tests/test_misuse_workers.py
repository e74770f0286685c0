"""Multi-worker training used carelessly (issue 29, items 2 and 8): mistakes are refused at once with one
line naming them and the fix, a failing worker's own error reaches the launcher's message, a usage error is
not restarted, workers die with their launcher, and a folder in use by a run is refused to a second one."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from kerasmodels import _runlock as runlock
from kerasmodels import cli, distributed
from kerasmodels.errors import KerasmodelsError


def run_cli(argv, capsys):
    started = time.monotonic()
    code = cli.main(argv)
    seconds = time.monotonic() - started
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()], seconds


@pytest.mark.parametrize("extra, says", [
    (["--workers", "2", "--data", "nosuch"], "'nosuch' is not a known data set"),
    (["--workers", "2", "--data", "digits", "--batch-size", "33"], "--batch-size 33 does not split into 2"),
    (["--workers", "3", "--data", "digits"], "default global batch 128 does not split into 3"),
    (["--workers", "2", "--data", "digits", "--limit", "10"], "--limit 10 is smaller than the global batch"),
    (["--hosts", "nonsense", "--data", "digits"], "'nonsense' is not HOST:PORT"),
    (["--hosts", "a:1,b:99999", "--data", "digits"], "port 99999 of 'b:99999' is outside 1..65535"),
    (["--hosts", "a:0,b:1", "--data", "digits"], "port 0 of 'a:0' is outside"),
    (["--hosts", ":5,b:1", "--data", "digits"], "':5' is not HOST:PORT"),
    (["--hosts", "a:1,a:1", "--data", "digits"], "names a:1 twice"),
    (["--workers", "2", "--hosts", "a:1,b:2", "--data", "digits"], "not both"),
    (["--workers", "2", "--data", "digits", "--no-accelerate"], "--no-accelerate cannot be used"),
    (["--workers", "2", "--data", "digits", "--learning-rate", "-1"], "--learning-rate must be"),
])
def test_multi_worker_mistakes_are_refused_before_any_worker_starts(tmp_path, capsys, extra, says):
    out = tmp_path / "run"
    code, lines, seconds = run_cli(["train", "cnn", *extra, "--out", str(out)], capsys)
    assert code == 2 and len(lines) == 1, lines
    assert says in lines[0] and "Fix:" in lines[0], lines[0]
    assert seconds < 5 and not out.exists()  # nothing started, nothing written


def test_valid_hosts_still_print_one_command_per_machine(capsys):
    assert cli.main(["train", "cnn", "--data", "mnist", "--hosts", "h1:1,[::1]:65535", "--out", "/tmp/x"]) == 0
    assert sum("-m kerasmodels.train" in line for line in capsys.readouterr().out.splitlines()) == 2


def test_a_worker_usage_error_is_shown_and_not_restarted(tmp_path):
    # A worker that refuses its arguments exits 2 at once; the other one would wait for it forever.
    script = textwrap.dedent("""
        import json, os, sys, time
        if json.loads(os.environ['TF_CONFIG'])['task']['index'] == 0:
            print('2024 some TensorFlow warning', file=sys.stderr)
            print("kerasmodels worker: error: no data set 'nosuch'. Fix: kerasmodels data list", file=sys.stderr)
            sys.exit(2)
        time.sleep(60)
    """)
    starts = []
    with pytest.raises(KerasmodelsError) as error:
        distributed.launch_local([sys.executable, "-c", script], 2, backend="tensorflow", restarts=3,
                                 log_dir=tmp_path, on_start=lambda start, _: starts.append(start), timeout=60)
    message = str(error.value)
    assert starts == [0]  # not restarted
    assert "\n" not in message and "worker 0 exited with code 2" in message and "not restarted" in message
    assert "no data set 'nosuch'. Fix: kerasmodels data list" in message and "worker-0.log" in message


def test_a_crashing_worker_names_its_exception_after_the_restarts(tmp_path):
    script = "import os\nif os.environ['KERASMODELS_RESTART'] == '1':\n    raise ValueError('boom at restart')\n" \
             "raise RuntimeError('boom')\n"
    with pytest.raises(KerasmodelsError) as error:
        distributed.launch_local([sys.executable, "-c", script], 1, backend="tensorflow", restarts=1,
                                 log_dir=tmp_path, timeout=60)
    # The last start's own error, not the first start's.
    assert "(start 2)" in str(error.value) and "ValueError: boom at restart" in str(error.value)


# Workers die with their launcher ------------------------------------------------------------------------

WORKER = textwrap.dedent("""
    import os, pathlib, sys, time
    from kerasmodels import distributed
    if sys.argv[2] == "watch":
        distributed.watch_parent(interval=0.1)
    pathlib.Path(sys.argv[1], str(os.getpid())).write_text("")
    time.sleep(120)
""")

LAUNCHER = textwrap.dedent("""
    import sys
    from kerasmodels import distributed
    if sys.argv[3] == "watch":
        distributed._LIBC = None  # as on macOS or Windows: no PR_SET_PDEATHSIG, the workers watch instead
    distributed.launch_local([sys.executable, sys.argv[1], sys.argv[2], sys.argv[3]], 2, backend="tensorflow")
""")


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see which processes live")
@pytest.mark.parametrize("how", ["pdeathsig", "watch"])
def test_workers_die_when_their_launcher_is_killed(tmp_path, how):
    (tmp_path / "worker.py").write_text(WORKER)
    (tmp_path / "launcher.py").write_text(LAUNCHER)
    pids = tmp_path / "pids"
    pids.mkdir()
    launcher = subprocess.Popen([sys.executable, str(tmp_path / "launcher.py"), str(tmp_path / "worker.py"),
                                 str(pids), how])
    try:
        deadline = time.monotonic() + 60
        while len(list(pids.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = [int(p.name) for p in pids.iterdir()]
        assert len(workers) == 2 and all(alive(pid) for pid in workers)
        launcher.send_signal(signal.SIGKILL)  # kill -9: the launcher cannot stop them itself
        launcher.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(pid) for pid in workers), f"workers outlived their launcher ({how})"
    finally:
        launcher.kill()
        for pid in (int(p.name) for p in pids.iterdir()):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# One run per folder --------------------------------------------------------------------------------------

HOLDER = "import sys, time\nfrom kerasmodels import _runlock as runlock\nrunlock.RunLock(sys.argv[1], 'kerasmodels train " \
         "cnn --workers 2').acquire()\nprint('locked', flush=True)\ntime.sleep(120)\n"


@pytest.fixture
def held(tmp_path):
    """A folder whose lock another live process holds."""
    folder = tmp_path / "run"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folder)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    yield folder, holder
    holder.kill()
    holder.wait()


@pytest.mark.parametrize("argv", [["train", "mlp", "--data", "digits"],
                                  ["train", "cnn", "--data", "digits", "--workers", "2"]])
def test_a_second_run_into_a_folder_in_use_is_refused_naming_the_first(held, capsys, argv):
    folder, holder = held
    code, lines, seconds = run_cli([*argv, "--out", str(folder)], capsys)
    assert code == 2 and len(lines) == 1 and seconds < 5, lines
    assert f"{folder} is in use by another run (pid {holder.pid} on " in lines[0]
    assert "kerasmodels train cnn --workers 2" in lines[0] and f"kill {holder.pid}" in lines[0]
    assert "Fix:" in lines[0] and not (folder / "workers").exists()


def test_the_lock_of_a_killed_run_is_taken_over_and_removed_at_the_end(held):
    folder, holder = held
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert (folder / runlock.LOCK_FILE).exists()  # stale: nobody holds it
    with runlock.hold(folder, "second") as lock:
        assert '"command": "second"' in (folder / runlock.LOCK_FILE).read_text()
        with pytest.raises(KerasmodelsError, match="in use by another run"):
            runlock.RunLock(folder).acquire()  # even from the same process
        assert lock.fd is not None
    assert not (folder / runlock.LOCK_FILE).exists()
