"""Careless use of the command line, round two (issue 29): one line that names the mistake, never "internal error".

Each case answered "internal error ... please report" (or wrote invalid JSON) before its fix.
"""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from kerasmodels import cli


def _run(argv, capsys):
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.err.strip()


def _one_clear_line(code, err):
    assert code == 2, err
    assert err.startswith("kerasmodels: error:") and err.count("\n") == 0, err
    assert "internal error" not in err, err


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("a learner's notes\n")
    return path


def test_serve_with_a_body_limit_nothing_fits_in(capsys, tmp_path):
    code, err = _run(["serve", str(tmp_path / "missing.keras"), "--max-body-bytes", "10"], capsys)
    _one_clear_line(code, err)
    assert "--max-body-bytes 64" in err


def test_run_into_a_folder_below_a_file(capsys, a_file):
    code, err = _run(["run", "0", "--out", str(a_file / "sub")], capsys)
    _one_clear_line(code, err)
    assert str(a_file) in err
    assert a_file.read_text() == "a learner's notes\n"


def test_assignment_export_into_a_folder_below_a_file(capsys, a_file):
    code, err = _run(["assignment", "export", "3", str(a_file / "c")], capsys)
    _one_clear_line(code, err)
    assert a_file.read_text() == "a learner's notes\n"


@pytest.mark.parametrize("points", ["inf", "nan", "-1", "0"])
def test_assignment_points_must_be_finite_and_positive(capsys, tmp_path, points):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["assignment", "export", "3", str(tmp_path / "course"), "--points", points])
    assert exit_info.value.code == 2
    assert "positive finite number" in capsys.readouterr().err
    assert not (tmp_path / "course").exists()


@pytest.mark.parametrize("flag, value", [("--epochs", "100000000000000000000"), ("--batch-size", "9" * 30),
                                         ("--restarts", "-1")])
def test_train_counts_out_of_range_are_refused_by_the_parser(capsys, flag, value):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "mlp", "--data", "digits", flag, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert flag in err and ("too large" in err or "positive integer" in err), err


SLEEPY_LESSON = textwrap.dedent(
    """\
    # ---
    # jupyter:
    #   kernelspec:
    #     display_name: Python 3
    #     language: python
    #     name: python3
    #   kerasmodels:
    #     title: Sleepy
    #     articles: []
    # ---

    # %% [markdown]
    # # 97 · Sleepy

    # %%
    import time
    time.sleep(120)
    """
)


@pytest.mark.slow  # starts `kerasmodels run` (and a Jupyter kernel) in a new process
@pytest.mark.parametrize("whole_group", [False, True], ids=["to the process", "Ctrl-C in a terminal"])
def test_ctrl_c_during_run_says_interrupted_and_exits_130(tmp_path, whole_group):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "97_sleepy.py").write_text(SLEEPY_LESSON)
    env = dict(os.environ, KERASMODELS_LESSONS=str(lessons), KERASMODELS_CACHE=str(tmp_path / "cache"))
    process = subprocess.Popen([sys.executable, "-m", "kerasmodels", "run", "97", "--out", str(tmp_path / "run")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        line = ""
        while "cell 1/1" not in line and time.monotonic() < deadline:  # the kernel is up, the cell runs
            line = process.stdout.readline()
        time.sleep(1)
        if whole_group:  # a terminal's Ctrl-C reaches the kernel too
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    assert err.strip() == "kerasmodels: interrupted", err
    assert (tmp_path / "run" / "kernel-stderr.log").exists()



@pytest.mark.parametrize("jobs", ["0", "two"])
def test_tour_jobs_must_be_a_positive_integer(capsys, jobs):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tour", "--jobs", jobs])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "argument --jobs:" in err and ("must be a positive integer" in err or "is not an integer" in err), err
