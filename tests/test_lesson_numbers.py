"""Every place that shows a lesson gives its file's number: the title heading, `kerasmodels lessons`
(text and --json), the index notebook and the tour report."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from kerasmodels import cli
from kerasmodels.course import runner

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))
FILE_NUMBER = {path.stem: int(path.stem[:2]) for path in FILES}


@pytest.fixture(scope="module")
def specs():
    found = runner.discover(ROOT / "lessons")
    assert [s.name for s in found] == [path.stem for path in FILES], "discover() missed or renamed a lesson file"
    return found


def _heading(path):
    """The lesson's title heading `NN · Title`, from its first Markdown cell (`# # NN · Title`)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"# # (.+)", line)
        if match:
            return match.group(1)
    raise AssertionError(f"{path.name} has no title heading '# # NN · Title'")


def test_there_are_lessons_00_to_20_in_order():
    assert list(FILE_NUMBER.values()) == list(range(len(FILES))) and len(FILES) >= 21


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_title_heading_carries_the_file_number(path, specs):
    spec = next(s for s in specs if s.name == path.stem)
    assert spec.number == FILE_NUMBER[path.stem]
    number, _, title = _heading(path).partition(" · ")
    assert number == path.stem[:2] and title, _heading(path)


def test_lesson_11_heading():
    path = ROOT / "lessons" / "11_the_transformer_block.py"
    assert _heading(path).startswith("11 · ")


def test_kerasmodels_lessons_text_and_json_give_the_file_numbers(capsys, specs):
    assert cli.main(["lessons"]) == 0
    text = capsys.readouterr().out
    for s in specs:
        assert re.search(rf"^{s.name[:2]}  {re.escape(s.title)}\s", text, re.MULTILINE), (s.name, text)
    assert cli.main(["lessons", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(row["name"], row["number"]) for row in rows] == list(FILE_NUMBER.items())


def _index_rows(notebook):
    text = "".join(cell.source for cell in notebook.cells)
    return re.findall(r"^\| (\d\d) \| \[(.+?)\]\((\d\d_\w+)\.ipynb\)", text, re.MULTILINE)


def test_index_notebook_gives_the_file_numbers(specs):
    expected = [(s.name[:2], s.title, s.name) for s in specs]
    assert _index_rows(runner.index_notebook(specs)) == expected
    committed = nbformat.read(ROOT / "notebooks" / runner.INDEX_NOTEBOOK, as_version=4)
    assert _index_rows(committed) == expected


def test_tour_report_gives_the_file_numbers(tmp_path, specs):
    results = [runner.RunResult(lesson=s, mode="quick", status="passed", seconds=1.0, run_dir=tmp_path / s.name)
               for s in specs]
    info = {"versions": {"python": "3", "keras": "3", "tensorflow": "2", "keras-hub": "0"}, "backend": "tensorflow",
            "accelerators": [], "cpu": {"model": "test CPU", "cores": 2}}
    page = Path(runner.write_report(results, tmp_path / "report.html", info=info) or tmp_path / "report.html")
    html = page.read_text(encoding="utf-8")
    for s in specs:
        # The results table's row and the lesson's section heading.
        assert f"<tr><td>{s.name[:2]}</td><td><a href='#{s.name}'>" in html, s.name
        assert re.search(rf"<h2 id='{s.name}'>{s.name[:2]} · ", html), s.name


def test_the_fast_header_reader_gives_what_jupytext_reads():
    """`discover()` reads each lesson's YAML header itself (importing jupytext costs the CLI a second)."""
    from kerasmodels.course import discovery

    for path in sorted(discovery.lessons_dir().glob("[0-9][0-9]_*.py")):
        expected = discovery._read_source(path).metadata.get("kerasmodels", {})
        assert expected and discovery._header_metadata(path) == expected, path.name
