"""Every lesson follows the standard, is in sync with its notebook, and runs in quick mode."""

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
    assert "**Mirrors:**" in source
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
