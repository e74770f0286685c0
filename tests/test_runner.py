"""Lesson discovery, notebook sync and headless execution."""

import json
import re
import textwrap
import time

import pytest

from kerasmodels.course import runner
from kerasmodels.errors import InvalidArgumentError, KerasmodelsError

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
    #     articles: ["001 §4.2"]
    #     quick_seconds: 1
    #     full_seconds: 2
    # ---

    # %% [markdown]
    # # 98 · Tiny
    #
    # Pixels scaled to $[0, 1]$.

    # %%
    import os
    import time
    os.write(2, b"native start-up noise\\n")
    import matplotlib.pyplot as plt
    from kerasmodels.course.lesson import Lesson
    lesson = Lesson(98, os.environ["KERASMODELS_MODE"], 0)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_title("A straight line")
    lesson.savefig(fig, "line")
    time.sleep(0.05)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    lesson.savefig(fig, "another")
    lesson.metric("answer", 42 if lesson.quick else 43, "the answer", headline=True)
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
    assert specs[0].title == "Tiny" and specs[0].articles == ["001 §4.2"]
    assert specs[0].quick_seconds == 1


def test_find_by_number_name_or_slug(lesson_dirs):
    assert runner.find("98").name == "98_tiny"
    assert runner.find(98).name == "98_tiny"
    assert runner.find("tiny").name == "98_tiny"
    with pytest.raises(KerasmodelsError, match="known lessons: 98_tiny, 99_broken"):
        runner.find("7")


def test_sync_writes_then_check_reports_clean(lesson_dirs):
    stale = runner.sync(check=True)
    assert {p.stem for p in stale} == {"98_tiny", "99_broken", "00_index"}
    runner.sync()
    assert runner.sync(check=True) == []
    nb = json.loads((lesson_dirs / "notebooks" / "98_tiny.ipynb").read_text())
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    # Editing the source makes the notebook stale again, and sync rewrites it (it was not edited by hand).
    source = lesson_dirs / "lessons" / "98_tiny.py"
    source.write_text(source.read_text() + "\n# %%\nprint('new cell')\n")
    assert [p.stem for p in runner.sync(check=True)] == ["98_tiny"]
    assert [p.stem for p in runner.sync()] == ["98_tiny"]
    assert "print('new cell')" in (lesson_dirs / "notebooks" / "98_tiny.ipynb").read_text()


def test_sync_refuses_to_overwrite_a_notebook_edited_by_hand(lesson_dirs):
    runner.sync()
    path = lesson_dirs / "notebooks" / "98_tiny.ipynb"
    nb = json.loads(path.read_text())
    nb["cells"][-1]["source"] = "my own experiment = 1\n"
    path.write_text(json.dumps(nb))
    source = lesson_dirs / "lessons" / "98_tiny.py"
    source.write_text(source.read_text() + "\n# %%\nprint('new cell')\n")
    with pytest.raises(KerasmodelsError, match="98_tiny.*edited by hand|edited by hand.*98_tiny"):
        runner.sync()
    assert "my own experiment" in path.read_text()  # nothing written
    assert [p.stem for p in runner.sync(force=True)] == ["98_tiny"]
    assert "my own experiment" not in path.read_text() and "new cell" in path.read_text()



@pytest.mark.parametrize("edited", [True, False], ids=["edited", "only the metadata stripped"])
def test_sync_decides_edited_from_the_cells_when_the_metadata_is_stripped(lesson_dirs, edited):
    # Some editors and tools drop metadata they do not know, and with it sync's fingerprint.
    runner.sync()
    path = lesson_dirs / "notebooks" / "98_tiny.ipynb"
    nb = json.loads(path.read_text())
    del nb["metadata"]["kerasmodels"]
    if edited:
        nb["cells"][-1]["source"] = "my own experiment = 1\n"
    path.write_text(json.dumps(nb))
    if edited:
        source = lesson_dirs / "lessons" / "98_tiny.py"
        source.write_text(source.read_text() + "\n# %%\nprint('new cell')\n")
        with pytest.raises(KerasmodelsError, match="edited by hand"):
            runner.sync()
        assert "my own experiment" in path.read_text()  # nothing written
    else:  # the cells are what the lesson generates: regenerating loses nothing
        assert [p.stem for p in runner.sync()] == ["98_tiny"]
        assert "cells_sha256" in path.read_text()

def test_generated_notebook_opens_on_colab_and_kaggle(lesson_dirs):
    from kerasmodels import _project

    nb = runner.notebook_from_source(runner.find("98"))
    kinds = [c.cell_type for c in nb.cells]
    assert kinds[:4] == ["markdown", "markdown", "code", "code"]  # title, links, hosted setup, the lesson
    assert nb.cells[0].source.startswith("# 98 · Tiny")
    assert _project.colab_url("98_tiny.ipynb") in nb.cells[1].source
    assert _project.kaggle_url("98_tiny.ipynb") in nb.cells[1].source
    assert nb.cells[2].source.startswith(runner.HOSTED_SETUP_MARK)
    assert nb.metadata["colab"]["name"] == "98_tiny.ipynb"
    assert nb.metadata["language_info"]["name"] == "python"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # What run_lesson executes has no hosted setup.
    plain = runner.notebook_from_source(runner.find("98"), hosted=False)
    assert not any(runner.HOSTED_SETUP_MARK in c.source for c in plain.cells)


def test_index_notebook_lists_every_lesson(lesson_dirs):
    runner.sync()
    nb = json.loads((lesson_dirs / "notebooks" / runner.INDEX_NOTEBOOK).read_text())
    text = "".join("".join(c["source"]) for c in nb["cells"])
    assert "[Tiny](98_tiny.ipynb)" in text and "[Broken](99_broken.ipynb)" in text
    assert "colab.research.google.com/github/" in text and nb["metadata"]["colab"]["name"] == runner.INDEX_NOTEBOOK


def _run_hosted_setup(monkeypatch, *, colab=False, kaggle=False, installed=False):
    """Execute the hosted setup cell as Colab/Kaggle would, recording the commands instead of running them."""
    import importlib.util
    import subprocess
    import sys
    import types

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kwargs: calls.append((list(cmd), kwargs)))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *a: (real_find_spec(name, *a) if installed else None) if name == "kerasmodels" else real_find_spec(name, *a),
    )
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    if kaggle:
        monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    exec(compile(runner.hosted_setup_code(), "<hosted setup cell>", "exec"), {})
    return calls


def test_hosted_setup_installs_the_package_and_packs_on_colab(monkeypatch, capsys):
    import sys

    from kerasmodels import _project

    calls = _run_hosted_setup(monkeypatch, colab=True)
    assert [cmd for cmd, _ in calls] == [
        [sys.executable, "-m", "pip", "install", "--quiet", f"{_project.DISTRIBUTION} @ git+{_project.REPOSITORY_URL}"],
        [sys.executable, "-m", "kerasmodels", "data", "install", "--quiet"],
    ]
    assert all(kwargs.get("check") for _, kwargs in calls)
    out = capsys.readouterr().out
    assert "Installing kerasmodels-course" in out and "data packs" in out


def test_hosted_setup_on_kaggle_with_the_package_present_only_installs_packs(monkeypatch):
    calls = _run_hosted_setup(monkeypatch, kaggle=True, installed=True)
    assert [cmd[-3:] for cmd, _ in calls] == [["data", "install", "--quiet"]]


def test_hosted_setup_does_nothing_on_a_laptop(monkeypatch, capsys):
    assert _run_hosted_setup(monkeypatch) == []
    assert capsys.readouterr().out == ""


def test_run_lesson_collects_metrics_figures_and_notebook(lesson_dirs, tmp_path):
    cells = []
    result = runner.run_lesson(runner.find("98"), mode="full", run_dir=tmp_path / "run",
                               progress=lambda n, total, source, seconds: cells.append((n, total, source[:9])))
    assert result.status == "passed", result.error
    assert result.metrics["answer"]["value"] == 43 and result.metrics["answer"]["label"] == "the answer"
    assert result.headline == ("the answer", "43")  # people see the label; tests look up the key
    assert [f.name for f in result.figures] == ["line.png", "another.png"]  # the order the lesson drew them
    assert result.notebook_path.exists() and result.html_path.exists()
    assert cells == [(1, 1, "import os")]
    saved = json.loads((tmp_path / "run" / "result.json").read_text())
    assert saved["status"] == "passed" and saved["mode"] == "full"
    # Output written straight to file descriptor 2 (TensorFlow's C++ log does this) stays out of the notebook.
    nb = json.loads(result.notebook_path.read_text())
    streams = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"] if o["output_type"] == "stream"]
    assert not [o for o in streams if o["name"] == "stderr"], streams
    assert "native start-up noise" in (tmp_path / "run" / "kernel-stderr.log").read_text()


def test_failing_lesson_reports_the_cell_error(lesson_dirs, tmp_path):
    result = runner.run_lesson(runner.find("99"), mode="quick", run_dir=tmp_path / "run")
    assert result.status == "failed"
    assert "RuntimeError: boom" in result.error
    assert result.notebook_path.exists()  # the partial notebook is kept for inspection


def test_tour_writes_table_and_self_contained_report(lesson_dirs, tmp_path, capsys):
    # Two lessons at once (`kerasmodels tour --jobs 2`); one at a time is the other tests' (one lesson each).
    results, report = runner.tour(mode="quick", out_dir=tmp_path / "tour", progress=True, jobs=2)
    assert [(r.lesson.name, r.status) for r in results] == [("98_tiny", "passed"), ("99_broken", "failed")]
    done = [line for line in capsys.readouterr().out.splitlines() if "lesson done" in line]
    assert sorted(line.split("  ")[-1].split()[0] for line in done) == ["98_tiny", "99_broken"]
    table = runner.format_table(results)
    assert "98_tiny" in table and "passed" in table and "the answer = 42" in table
    assert "FAILED 99_broken: cell" in table
    page = report.read_text()
    assert "data:image/png;base64," in page and "98 · Tiny" in page
    assert "Tiny" in page and "failed" in page
    # The header says when, on what and how.
    assert time.strftime("%Y-%m-%d") in page and "quick mode" in page
    assert "Keras backend: " in page and "TensorFlow " in page and ("CPU only: " in page or "GPU " in page)
    # Titles, not slugs, in the table; figures in drawing order with their captions.
    assert ">Tiny</a></td>" in page and ">98_tiny</a>" not in page
    assert page.index("Figure 98.1: ") < page.index("Figure 98.2: Another")
    # Links to the executed notebooks rendered as HTML.
    assert "href='98_tiny/98_tiny.html'" in page
    assert (tmp_path / "tour" / "98_tiny" / "98_tiny.html").exists()
    with pytest.raises(InvalidArgumentError, match=r"jobs must be a positive integer; received 0\. Pass e\.g\. jobs=2"):
        runner.tour(mode="quick", out_dir=tmp_path / "again", jobs=0)


def test_report_and_rendered_notebooks_reference_nothing_online(lesson_dirs, tmp_path):
    _, report = runner.tour(specs=[runner.find("98")], mode="quick", out_dir=tmp_path / "tour", progress=False)
    rendered = tmp_path / "tour" / "98_tiny" / "98_tiny.html"
    for page in (report, rendered):
        text = page.read_text()
        remote = re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//[^"' >]+|url\(\s*["']?(?:https?:)?//[^)]+|@import""", text)
        assert not remote, f"{page.name} loads {remote[:3]}"
        assert "mathjax" not in text.lower() or "cdnjs" not in text.lower()
    # The maths in markdown is MathML (course.mathml), which browsers render with no script.
    assert "$[0, 1]$" not in rendered.read_text() and "<math " in rendered.read_text()


# The runner in parts (issue 28) -----------------------------------------------------------------------

# Every name `kerasmodels.course.runner` held when it was one module (less stdlib helpers and modules).
RUNNER_NAMES_BEFORE_THE_SPLIT = [
    "HOSTED_SETUP_MARK", "INDEX_LINKS_MARK", "INDEX_NOTEBOOK", "KerasmodelsError", "LESSON_FILE", "LessonSpec",
    "PACKAGED_ROOT", "PACKAGE_DIR", "QUICK_CELL_TIMEOUT_S", "RunResult", "SOURCES_PAGE", "_OFFLINE_TEMPLATE",
    "_REPORT_CSS", "_cell_error", "_cells_sha256", "_edited_by_hand", "_environment", "_generated_notebooks",
    "_hosted_metadata", "_hosted_setup_markdown", "_interrupt_noted", "_local_sources_links", "_locked",
    "_machine_summary", "_minutes", "_read_source", "_read_verification", "_sources_html", "_stamp",
    "_stopped_by_signal", "atomic_write_text", "cache_dir", "discover", "figure_title", "figures_in_order", "find",
    "format_table", "hosted_setup_code", "index_links_code", "index_notebook", "lessons_dir",
    "native_stderr_silenced", "notebook_from_source", "notebook_text", "notebooks_dir", "project_root",
    "record_verification", "render_html", "run_lesson", "runs_dir", "source_sha256", "sync", "tour", "verification",
    "verification_path", "write_report", "write_sources_page",
]


def test_runner_still_offers_every_name_it_had_before_the_split():
    missing = [name for name in RUNNER_NAMES_BEFORE_THE_SPLIT if not hasattr(runner, name)]
    assert missing == []
    assert runner.PACKAGED_ROOT == runner.PACKAGE_DIR / "course" / "_lessons"  # the same folders as before
    defined_here = [name for name in runner.__all__
                    if getattr(getattr(runner, name), "__module__", None) == "kerasmodels.course.runner"]
    assert defined_here == []  # a thin re-export: the work is done in the modules named in its docstring


def test_the_lesson_runner_contract_is_written_once():
    """The environment variables and file name through which a lesson and `run_lesson` talk: only in contract.py."""
    import ast
    from pathlib import Path

    from kerasmodels.course import contract, execution, lesson

    values = {contract.MODE_ENV, contract.RUN_DIR_ENV, contract.METRICS_FILE}
    assert values == {"KERASMODELS_MODE", "KERASMODELS_RUN_DIR", "metrics.json"}
    assert lesson.MODES is contract.MODES and execution.contract is contract
    course = Path(contract.__file__).parent
    found = {}
    for path in course.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in values:
                found.setdefault(node.value, []).append(path.name)
    assert found == {value: ["contract.py"] for value in values}


def test_tour_shows_progress_in_the_lines_run_prints(lesson_dirs, tmp_path, capsys):
    runner.tour(specs=[runner.find("98")], mode="quick", out_dir=tmp_path / "tour", progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"  \[ +\d+ s\] lesson 1/1  98_tiny", lines[0]), lines
    assert any(re.fullmatch(r"    \[ +\d+ s\] cell 1/1  import os", line) for line in lines[1:]), lines
