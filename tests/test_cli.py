"""The command line: every command, one-line errors, exit codes."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, env=None, timeout=300):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "kerasmodels", *args],
        capture_output=True, text=True, cwd=ROOT, env=full_env, timeout=timeout,
    )


def test_info_reports_versions_backend_and_packs():
    out = cli("info")
    assert out.returncode == 0, out.stderr
    assert "Keras backend: tensorflow" in out.stdout
    assert "data pack mnist: 0.1.4" in out.stdout
    data = json.loads(cli("info", "--json").stdout)
    assert data["versions"]["keras"].startswith("3.")
    assert set(data["data_packs"]) == {"mnist", "minilm-l6"}


def test_data_list_and_path():
    out = cli("data", "list")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    # The one table style of every command (kerasmodels._console): a header, a dashed rule, a row per set.
    assert lines[0].split() == ["data", "set", "status", "what", "it", "is"] and set(lines[1]) <= {"-", " "}
    names = [line.split()[0] for line in lines[2:] if line and not line.startswith("data pack")]
    assert {"digits", "mnist", "reviews", "rt_polarity", "shapes"} <= set(names)
    status_column = lines[0].index("status")
    assert all(line[status_column:].split()[0] in ("ready", "missing") for line in lines[2:2 + len(names)])
    listed = json.loads(cli("data", "list", "--json").stdout)
    assert {row["name"] for row in listed} >= {"digits", "mnist", "reviews", "shapes"}
    path = cli("data", "path", "mnist")
    assert path.returncode == 0 and path.stdout.strip().endswith("mnist.pkl.gz")


def test_unknown_data_set_is_a_one_line_error():
    out = cli("data", "path", "imagenet")
    assert out.returncode == 2
    assert out.stderr.startswith("kerasmodels: error:") and "digits" in out.stderr
    assert "Traceback" not in out.stderr


def test_lessons_lists_every_lesson():
    out = cli("lessons")
    assert out.returncode == 0
    assert "\n00  Check your setup" in out.stdout
    # The mirrors column names sections as a reader can follow them, and says where the articles are listed.
    assert "article 001 §4.2, article 000 §4.1" in out.stdout and "docs/sources.md" in out.stdout
    assert "seed" not in out.stdout.lower() and "the document" not in out.stdout.lower()
    rows = json.loads(cli("lessons", "--json").stdout)
    assert rows[0]["name"] == "00_check_your_setup"
    assert rows[1]["articles"][0] == "001 §4.2"


def test_train_preset_seed_is_the_old_name_of_article002(monkeypatch, capsys):
    import importlib

    from kerasmodels import cli as cli_module

    train_module = importlib.import_module("kerasmodels.train")
    calls = []
    monkeypatch.setattr(train_module, "train", lambda *a, **kw: calls.append(kw["preset"]) or {})
    monkeypatch.setattr(cli_module, "_table", lambda summary: "")
    assert cli_module.main(["train", "cnn", "--data", "digits", "--preset", "seed"]) == 0
    assert calls == ["article002"]
    assert "--preset seed is deprecated; use --preset article002" in capsys.readouterr().err
    # The Python API warns too, and the new name is the one listed.
    with pytest.warns(DeprecationWarning, match="use --preset article002"):
        assert train_module._renamed("cnn", "seed") == "article002"
    assert train_module.PRESETS["cnn"] == ("article002", "lenet")
    out = cli("train", "cnn", "--data", "digits", "--preset", "vgg16")
    assert out.returncode == 2 and "presets: article002, lenet" in out.stderr and "Traceback" not in out.stderr


def test_run_unknown_lesson_is_a_one_line_error_and_debug_shows_traceback():
    out = cli("run", "77")
    assert out.returncode == 2
    assert "no lesson '77'" in out.stderr and "Traceback" not in out.stderr
    debug = cli("--debug", "run", "77")
    assert "Traceback" in debug.stderr


@pytest.mark.slow
def test_run_executes_a_lesson_into_its_run_dir(tmp_path):
    out = cli("run", "0", "--quick", "--out", str(tmp_path / "run"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "00_check_your_setup" in out.stdout and "passed" in out.stdout
    assert (tmp_path / "run" / "00_check_your_setup.ipynb").exists()
    assert (tmp_path / "run" / "digits_grid.png").exists()


def test_notebooks_check_passes_on_the_checkout():
    out = cli("notebooks", "check")
    assert out.returncode == 0, out.stderr


@pytest.mark.slow
def test_train_mlp_on_digits_saves_model_and_metrics(tmp_path):
    args = ("train", "mlp", "--data", "digits", "--epochs", "2", "--learning-rate", "0.01", "--out", str(tmp_path / "t"))
    out = cli(*args)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    # A short table for people; the JSON summary goes to its file, whose path is printed.
    assert "epochs" in out.stdout and "2 in total, 2 in this call" in out.stdout
    summary_path = tmp_path / "t" / "metrics.json"
    assert str(summary_path) in out.stdout and "{" not in out.stdout
    assert (tmp_path / "t" / "model.keras").exists()
    metrics = json.loads(summary_path.read_text())
    assert metrics["epochs_completed"] == 2
    assert 0.5 < metrics["test"]["accuracy"] <= 1.0
    assert f"{metrics['test']['accuracy']:.4f}" in out.stdout
    assert metrics["model_path"].endswith("model.keras")
    # The same command again resumes from the checkpoint: it ends at 2 epochs without training more.
    again = cli(*args)
    assert again.returncode == 0, again.stderr[-2000:]
    resumed = json.loads(summary_path.read_text())
    assert resumed["epochs_completed"] == 2 and resumed["epochs_this_call"] == 0
    assert resumed["final"] == metrics["final"] and "2 in total, 0 in this call" in again.stdout


def test_train_rejects_a_model_that_does_not_fit_the_data():
    out = cli("train", "bert", "--data", "digits", "--epochs", "1")
    assert out.returncode == 2
    assert "bert" in out.stderr and "text" in out.stderr and "Traceback" not in out.stderr


def test_one_table_style_and_one_progress_style_for_every_command():
    from kerasmodels._console import key_values, step_line, table

    assert table([("01", "a", "3 s"), ("10", "longer", "30 s")], header=("#", "name", "time"), right=(2,)).splitlines() == [
        "#   name    time", "--  ------  ----", "01  a        3 s", "10  longer  30 s"]
    assert key_values([("cache", "/c"), ("runs", "/r")]).splitlines() == ["cache:  /c", "runs:   /r"]
    assert step_line(3.2, 2, 20, "import keras") == "  [     3 s] cell  2/20  import keras"
    assert step_line(0, 1, 3, "x" * 70, what="lesson").endswith("x" * 57 + "...")
