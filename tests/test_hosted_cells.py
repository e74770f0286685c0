"""The generated cells learners meet first: the hosted setup cell and the index's links (issue 29: 11; issue 27: 4)."""

import subprocess
import sys
import types

import pytest

from kerasmodels import _project
from kerasmodels.course import runner


def _exec_hosted(monkeypatch, code, *, colab=False, kaggle=False, run=None):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("KAGGLE_KERNEL_RUN_TYPE", raising=False)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    if kaggle:
        monkeypatch.setenv("KAGGLE_KERNEL_RUN_TYPE", "Interactive")
    if run is not None:
        monkeypatch.setattr(subprocess, "run", run)
    namespace = {}
    exec(compile(code, "<generated cell>", "exec"), namespace)
    return namespace


def _failing(status, failing_word):
    def run(command, check=False, **kwargs):
        if failing_word in command:
            raise subprocess.CalledProcessError(status, command)
        return subprocess.CompletedProcess(command, 0)
    return run


@pytest.mark.parametrize("failing, says", [
    ("pip", "Installing kerasmodels-course with pip failed (exit status 1"),
    ("kerasmodels", "Installing the data packs (kerasmodels data install) failed (exit status 2"),
])
def test_a_failing_install_on_colab_says_what_failed_and_what_to_do(monkeypatch, failing, says):
    monkeypatch.setattr("importlib.util.find_spec", lambda name, *a: None)  # kerasmodels not installed yet
    with pytest.raises(RuntimeError) as info:
        _exec_hosted(monkeypatch, runner.hosted_setup_code(), colab=True,
                     run=_failing(1 if failing == "pip" else 2, failing))
    message = str(info.value)
    assert message.startswith(says) and "Fix: check that the session has internet" in message
    assert message.endswith("then run this cell again.")
    # One error, not pip's CalledProcessError with its traceback chained under it.
    assert info.value.__suppress_context__ and not isinstance(info.value, subprocess.CalledProcessError)


def test_the_hosted_cell_ends_by_importing_kerasmodels_and_says_why(monkeypatch):
    lines = runner.hosted_setup_code().splitlines()
    assert lines[-1].startswith("import kerasmodels")
    comment = " ".join(lines[-3:-1])
    assert "before any lesson cell imports keras" in comment and "start-up log" in comment
    namespace = _exec_hosted(monkeypatch, runner.hosted_setup_code())  # a laptop: nothing installed, just imported
    assert namespace["kerasmodels"].__name__ == "kerasmodels"


def test_every_generated_notebook_starts_its_code_with_the_hosted_cell():
    for spec in runner.discover():
        nb = runner.notebook_from_source(spec)
        first = next(c for c in nb.cells if c.cell_type == "code")
        assert first.source == runner.hosted_setup_code(), spec.name


@pytest.mark.parametrize("where, prefix", [
    ("colab", _project.colab_url("")),
    ("kaggle", _project.kaggle_url("")),
    ("laptop", ""),
])
def test_the_index_links_each_lesson_where_the_index_is_open(monkeypatch, where, prefix):
    specs = runner.discover()
    index = runner.index_notebook(specs)
    code = [c.source for c in index.cells if c.cell_type == "code"]
    assert len(code) == 1 and code[0].startswith(runner.INDEX_LINKS_MARK)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    namespace = _exec_hosted(monkeypatch, code[0], colab=where == "colab", kaggle=where == "kaggle")
    assert shown == [namespace["_index_html"]]
    for spec in specs:
        assert f"href='{prefix}{spec.name}.ipynb'" in shown[0].replace("&amp;", "&"), spec.name
    assert ("target=\"_blank\"" in shown[0]) == (where != "laptop")
    # The table keeps the local link and both online links on every row.
    table = index.cells[1].source
    for spec in specs:
        assert f"]({spec.name}.ipynb)" in table and _project.colab_url(f"{spec.name}.ipynb") in table
        assert _project.kaggle_url(f"{spec.name}.ipynb") in table


@pytest.mark.slow
def test_lesson_05s_first_cells_in_jupyter_show_no_tensorflow_start_up_log():
    """Lesson 05 imports keras before kerasmodels; the hosted cell's `import kerasmodels` runs first."""
    from test_native_log import NOISE_MARKERS, kernel_outputs

    nb = runner.notebook_from_source(runner.find(5))
    hosted, lesson_cell = [c.source for c in nb.cells if c.cell_type == "code"][:2]
    assert lesson_cell.index("import keras") < lesson_cell.index("import kerasmodels")
    shown = kernel_outputs([hosted, lesson_cell])
    assert [status for status, _ in shown] == ["ok", "ok"], shown
    text = "".join(out for _, out in shown)
    assert "Lesson 05" in text
    for marker in NOISE_MARKERS:
        assert marker not in text, (marker, text)
    # The control: the lesson's cell first, as before the hosted cell imported kerasmodels, shows the noise.
    control = kernel_outputs([lesson_cell])
    assert any(marker in control[0][1] for marker in NOISE_MARKERS), control
