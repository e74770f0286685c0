"""Lesson discovery, notebook sync and headless execution."""

import json
import textwrap

import pytest

from kerasmodels.course import runner
from kerasmodels.errors import KerasmodelsError

TINY_LESSON = textwrap.dedent(
    """\
    # ---
    # jupyter:
    #   kernelspec:
    #     display_name: Python 3
    #     language: python
    #     name: python3
    #   kerasmodels:
    #     title: Tiny
    #     seeds: ["001 §4.2"]
    #     quick_seconds: 1
    #     full_seconds: 2
    # ---

    # %% [markdown]
    # # 98 · Tiny

    # %%
    import os
    import matplotlib.pyplot as plt
    from kerasmodels.course.lesson import Lesson
    lesson = Lesson(98, os.environ["KERASMODELS_MODE"], 0)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    lesson.savefig(fig, "line")
    lesson.metric("answer", 42 if lesson.quick else 43, headline=True)
    """
)


@pytest.fixture
def lesson_dirs(tmp_path, monkeypatch):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (tmp_path / "notebooks").mkdir()
    (lessons / "98_tiny.py").write_text(TINY_LESSON)
    (lessons / "99_broken.py").write_text(TINY_LESSON.replace("Tiny", "Broken").replace(
        'lesson.metric("answer"', 'raise RuntimeError("boom")\nlesson.metric("answer"'))
    monkeypatch.setenv("KERASMODELS_LESSONS", str(lessons))
    return tmp_path


def test_discover_reads_header_metadata(lesson_dirs):
    specs = runner.discover()
    assert [s.name for s in specs] == ["98_tiny", "99_broken"]
    assert specs[0].title == "Tiny" and specs[0].seeds == ["001 §4.2"]
    assert specs[0].quick_seconds == 1


def test_find_by_number_name_or_slug(lesson_dirs):
    assert runner.find("98").name == "98_tiny"
    assert runner.find(98).name == "98_tiny"
    assert runner.find("tiny").name == "98_tiny"
    with pytest.raises(KerasmodelsError, match="known lessons: 98_tiny, 99_broken"):
        runner.find("7")


def test_sync_writes_then_check_reports_clean(lesson_dirs):
    stale = runner.sync(check=True)
    assert {s.name for s in stale} == {"98_tiny", "99_broken"}
    runner.sync()
    assert runner.sync(check=True) == []
    nb = json.loads((lesson_dirs / "notebooks" / "98_tiny.ipynb").read_text())
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    # Editing the source makes the notebook stale again.
    source = lesson_dirs / "lessons" / "98_tiny.py"
    source.write_text(source.read_text() + "\n# %%\nprint('new cell')\n")
    assert [s.name for s in runner.sync(check=True)] == ["98_tiny"]


def test_run_lesson_collects_metrics_figures_and_notebook(lesson_dirs, tmp_path):
    result = runner.run_lesson(runner.find("98"), mode="full", run_dir=tmp_path / "run")
    assert result.status == "passed", result.error
    assert result.metrics["answer"]["value"] == 43
    assert result.headline == ("answer", "43")
    assert [f.name for f in result.figures] == ["line.png"]
    assert result.notebook_path.exists()
    saved = json.loads((tmp_path / "run" / "result.json").read_text())
    assert saved["status"] == "passed" and saved["mode"] == "full"


def test_failing_lesson_reports_the_cell_error(lesson_dirs, tmp_path):
    result = runner.run_lesson(runner.find("99"), mode="quick", run_dir=tmp_path / "run")
    assert result.status == "failed"
    assert "RuntimeError: boom" in result.error
    assert result.notebook_path.exists()  # the partial notebook is kept for inspection


def test_tour_writes_table_and_self_contained_report(lesson_dirs, tmp_path):
    results, report = runner.tour(mode="quick", out_dir=tmp_path / "tour", progress=False)
    table = runner.format_table(results)
    assert "98_tiny" in table and "passed" in table and "answer = 42" in table
    assert "FAILED 99_broken: cell" in table
    page = report.read_text()
    assert "data:image/png;base64," in page and "98 · Tiny" in page
    assert "Tiny" in page and "failed" in page
