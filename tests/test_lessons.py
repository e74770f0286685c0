"""Every lesson follows the standard, is in sync with its notebook, and runs in quick mode on TensorFlow and JAX."""

import importlib.util
import json

import pytest

from kerasmodels.course import runner

SPECS = runner.discover()
IDS = [s.name for s in SPECS]


def test_lessons_are_numbered_without_gaps_from_zero():
    numbers = [s.number for s in SPECS]
    assert numbers == list(range(len(numbers))), numbers


def test_notebooks_are_in_sync_with_lesson_sources():
    stale = runner.sync(check=True)
    assert not stale, "run `kerasmodels notebooks sync`: " + ", ".join(s.name for s in stale)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_lesson_follows_the_standard(spec):
    source = spec.source.read_text(encoding="utf-8")
    assert spec.title and spec.quick_seconds and spec.full_seconds, "header metadata incomplete"
    assert "**Mirrors** ([the five source articles](" in source, "the header names what it mirrors and links the sources page"
    assert "**Run time:**" in source
    assert f"course.setup_lesson({spec.number})" in source, "the setup cell must call course.setup_lesson(N)"
    assert "course.exercises.check(" in source, "a lesson has graded exercises"
    assert "## Summary" in source
    assert "pip install" not in source.replace("`pip install", ""), "no pip installs inside lessons"


@pytest.mark.slow
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_lesson_runs_in_quick_mode(spec, executed_lessons):
    result = executed_lessons(spec.number)
    assert result.status == "passed", f"{spec.name} failed: {result.error} (see {result.notebook_path})"
    assert result.headline is not None, "the lesson records a headline metric (lesson.metric(..., headline=True))"
    assert any(m.get("headline") for m in result.metrics.values())
    assert result.figures, "the lesson saves at least one figure (lesson.savefig)"


@pytest.mark.slow
def test_executed_lesson_setup_cell_shows_no_stderr(executed_lessons):
    """TensorFlow's C++ start-up lines go to the kernel's log, not into a pink box under the setup cell."""
    import nbformat

    result = executed_lessons(0)
    notebook = nbformat.read(result.notebook_path, as_version=4)
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert "course.setup_lesson(0)" in first_code.source
    stderr = [o.get("text", "") for o in first_code.outputs if o.get("name") == "stderr"]
    assert not stderr, stderr
    assert any(o.get("name") == "stdout" and "Lesson 00" in o.get("text", "") for o in first_code.outputs)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_lesson_runs_in_quick_mode_on_jax(spec, tmp_path):
    """Keras 3 code runs on every backend: a learner on a Colab TPU or a JAX-only server runs the same lessons."""
    result = runner.run_lesson(spec, mode="quick", run_dir=tmp_path / spec.name, backend="jax")
    assert result.status == "passed", f"{spec.name} failed on JAX: {result.error} (see {result.notebook_path})"
    assert any(m.get("headline") for m in result.metrics.values())
    assert result.figures
    assert runner.verification(spec)["jax"]["status"] == "passed"


PROBE_LESSON = """# %% [markdown]
# # 00 · Probe
# %%
import os
import keras
open(os.path.join(os.environ["KERASMODELS_RUN_DIR"], "backend.txt"), "w").write(keras.backend.backend())
"""


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_run_lesson_runs_the_kernel_on_the_backend_it_records(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASMODELS_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "lessons" / "00_probe.py"
    source.parent.mkdir()
    source.write_text(PROBE_LESSON)
    spec = runner.LessonSpec(number=0, slug="probe", title="Probe", source=source)
    for backend in ("jax", "tensorflow"):
        result = runner.run_lesson(spec, run_dir=tmp_path / backend, backend=backend)
        assert result.status == "passed", result.error
        assert (tmp_path / backend / "backend.txt").read_text() == backend
    records = runner.verification(spec)
    assert set(records) == {"jax", "tensorflow"}
    assert all(r["status"] == "passed" and r["mode"] == "quick" for r in records.values())

    source.write_text(PROBE_LESSON + "# edited\n")  # an edited lesson is no longer verified
    assert runner.verification(spec) == {}


def test_lessons_table_shows_the_backends_each_lesson_last_passed_on(tmp_path, monkeypatch, capsys):
    from kerasmodels.course import commands

    monkeypatch.setenv("KERASMODELS_CACHE", str(tmp_path))
    first, second = SPECS[0], SPECS[1]
    for spec, backend, status in ((first, "jax", "passed"), (first, "tensorflow", "passed"),
                                  (second, "jax", "failed")):
        runner.record_verification(runner.RunResult(spec, "quick", status, 1.0, tmp_path), backend)
    stale = json.loads(runner.verification_path().read_text())
    stale[second.name]["tensorflow"] = dict(stale[second.name]["jax"], status="passed", source_sha256="0" * 64)
    runner.verification_path().write_text(json.dumps(stale))

    commands._cmd_lessons(type("Args", (), {"json": False})())
    rows = {line[:2]: line for line in capsys.readouterr().out.splitlines()}
    assert "jax, tensorflow" in rows[f"{first.number:02d}"]
    assert "jax FAILED" in rows[f"{second.number:02d}"]
    assert "tensorflow" not in rows[f"{second.number:02d}"]  # verified an earlier version of the lesson

    commands._cmd_lessons(type("Args", (), {"json": True})())
    listed = {item["name"]: item["verified"] for item in json.loads(capsys.readouterr().out)}
    assert listed[first.name]["jax"]["status"] == "passed"
    assert set(listed[second.name]) == {"jax"}
