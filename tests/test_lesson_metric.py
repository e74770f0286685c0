"""`Lesson.metric` records a number under a short stable key, prints its label once, and returns the number.

Tests look metrics up by key, never by prose label: the label can be reworded or translated without
touching a test. The last tests here prove it for every lesson test.
"""

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from kerasmodels.course import lesson as lesson_module


@pytest.mark.slow  # starts a Jupyter kernel
def test_metric_at_the_end_of_a_cell_is_shown_once_in_jupyter(tmp_path):
    """A cell's last value is displayed under it; the printed "name: value" line is all a reader sees."""
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from kerasmodels.course.lesson import Lesson\n"
                                  f"lesson = Lesson(number=99, mode='quick', seed=0, output_dir={str(tmp_path)!r})"),
        nbformat.v4.new_code_cell('lesson.metric("test_acc", 0.9731, "test accuracy", fmt=".1%")'),
        nbformat.v4.new_code_cell("float(0.9731)"),  # the control: a plain float is displayed
    ])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    metric_cell, control_cell = notebook.cells[1], notebook.cells[2]
    assert [o["output_type"] for o in metric_cell.outputs] == ["stream"]
    assert metric_cell.outputs[0]["text"].strip() == "test accuracy: 97.3%"
    assert control_cell.outputs[0]["output_type"] == "execute_result"
    assert control_cell.outputs[0]["data"]["text/plain"] == "0.9731"


def test_metric_returns_the_number_and_records_it(tmp_path):
    lesson = lesson_module.Lesson(number=99, mode="quick", seed=0, output_dir=tmp_path)
    value = lesson.metric("loss", 0.5, "training loss")
    assert value == 0.5 and value * 2 == 1.0 and type(value * 2) is float and f"{value:.1f}" == "0.5"
    recorded = json.loads((tmp_path / lesson_module.METRICS_FILE).read_text())
    assert recorded["metrics"]["loss"] == {"label": "training loss", "value": 0.5, "headline": False, "fmt": None}


ROOT = Path(__file__).resolve().parents[1]


def test_metric_prints_the_label_and_files_it_under_the_key(tmp_path, capsys):
    lesson = lesson_module.Lesson(number=99, mode="quick", seed=0, output_dir=tmp_path)
    lesson.metric("test_acc", 0.9731, "test accuracy", headline=True, fmt=".1%")
    lesson.metric("test_acc", 0.9735, "test accuracy", headline=True, fmt=".1%")  # again, same label: updated
    assert capsys.readouterr().out == "test accuracy: 97.3%\ntest accuracy: 97.4%\n"
    recorded = json.loads((tmp_path / lesson_module.METRICS_FILE).read_text())["metrics"]
    assert list(recorded) == ["test_acc"] and recorded["test_acc"]["label"] == "test accuracy"
    assert recorded["test_acc"]["value"] == 0.9735 and recorded["test_acc"]["headline"] is True


@pytest.mark.parametrize("key", ["test accuracy", "Test_acc", "1st_loss", "_loss", "loss-1", "", "a" * 41, 3])
def test_a_bad_key_is_refused_in_one_line_naming_it_and_the_fix(tmp_path, key):
    lesson = lesson_module.Lesson(number=99, mode="quick", seed=0, output_dir=tmp_path)
    with pytest.raises(ValueError) as caught:
        lesson.metric(key, 0.5, "a label")
    message = str(caught.value)
    assert "\n" not in message and repr(key) in message and "Fix: use lower_snake_case" in message
    assert not (tmp_path / lesson_module.METRICS_FILE).exists()


def test_a_key_of_the_longest_allowed_length_is_accepted(tmp_path):
    lesson = lesson_module.Lesson(number=99, mode="quick", seed=0, output_dir=tmp_path)
    assert lesson.metric("a" * 40, 1, "forty") == 1


def test_one_key_with_two_labels_is_refused(tmp_path):
    lesson = lesson_module.Lesson(number=99, mode="quick", seed=0, output_dir=tmp_path)
    lesson.metric("val_loss", 0.5, "validation loss")
    with pytest.raises(ValueError, match=r"metric key 'val_loss' was recorded as 'validation loss' and now as "
                                         r"'training loss'\. Fix: give each number its own key"):
        lesson.metric("val_loss", 0.4, "training loss")
    with pytest.raises(ValueError, match="metric 'x' has no label. Fix: pass the prose"):
        lesson.metric("x", 0.4, " ")


def test_key_part_turns_loop_values_into_key_pieces():
    key_part = lesson_module.key_part
    assert key_part("Adam + L2") == "adam_l2" and key_part(0.5) == "0_5" and key_part(16) == "16"
    assert key_part("4 × Glorot + sigmoid") == "4_glorot_sigmoid" and key_part("Fréchet") == "frechet"
    assert key_part("article 000's update") == "article_000s_update"
    with pytest.raises(ValueError, match="no letters or digits"):
        key_part("×")


def test_a_run_folder_from_before_keys_still_displays(tmp_path):
    """Old metrics.json entries are keyed by their prose label and have no "label": the key is shown."""
    from kerasmodels.course import contract, report
    from kerasmodels.course.discovery import LessonSpec
    from kerasmodels.course.execution import RunResult

    old = {"MNIST test accuracy": {"value": 0.9731, "headline": True, "fmt": ".1%"}, "loss": {"value": 0.1}}
    entries = contract.metric_entries(old)
    assert entries["MNIST test accuracy"]["label"] == "MNIST test accuracy" and entries["loss"]["label"] == "loss"
    assert old["loss"] == {"value": 0.1}  # the input is not changed
    spec = LessonSpec(98, "tiny", "Tiny", tmp_path / "98_tiny.py")
    for metrics in (old, entries):
        result = RunResult(spec, "quick", "passed", 1.0, tmp_path, metrics)
        assert result.headline == ("MNIST test accuracy", "97.3%")
        assert "MNIST test accuracy = 97.3%" in report.format_table([result])
        page = report.write_report([result], tmp_path / "report.html", info=_machine()).read_text()
        assert "MNIST test accuracy = 97.3%" in page
    new = {"mnist_test_acc": {"label": "MNIST test accuracy", "value": 0.9731, "headline": True, "fmt": ".1%"}}
    assert RunResult(spec, "quick", "passed", 1.0, tmp_path, new).headline == ("MNIST test accuracy", "97.3%")


def _machine():
    return {"versions": {"python": "3", "keras": "3", "tensorflow": None, "keras-hub": None, "backend": "tensorflow"},
            "accelerators": [], "cpu": {"model": "test CPU", "cores": 2}, "backend": "tensorflow"}


def test_lookups_by_key_survive_relabelling_every_metric(tmp_path):
    """The same lesson recorded with every label reworded (here: translated) gives the same look-ups."""
    def record(labels, folder):
        lesson = lesson_module.Lesson(number=99, mode="quick", seed=0, output_dir=folder)
        for (key, value), label in zip([("test_acc", 0.97), ("val_loss", 0.12), ("params", 320)], labels):
            lesson.metric(key, value, label)
        return json.loads((folder / lesson_module.METRICS_FILE).read_text())["metrics"]

    english = record(["test accuracy", "validation loss", "parameters"], tmp_path / "en")
    chinese = record(["测试准确率", "验证损失", "参数量"], tmp_path / "zh")
    lookup = lambda metrics: {k: v["value"] for k, v in metrics.items()}  # what every lesson test does
    assert lookup(english) == lookup(chinese) == {"test_acc": 0.97, "val_loss": 0.12, "params": 320.0}
    assert [v["label"] for v in english.values()] != [v["label"] for v in chinese.values()]


def _recorded_keys(lesson_path):
    """The keys a lesson's source records: literal keys, and f-string keys as patterns."""
    tree = ast.parse(lesson_path.read_text())
    literal, patterns = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "metric":
            key = node.args[0]
            if isinstance(key, ast.Constant):
                literal.add(key.value)
            else:
                assert isinstance(key, ast.JoinedStr), f"{lesson_path.name}:{node.lineno}: a key is a string or f-string"
                parts = [re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9_]+" for v in key.values]
                patterns.append(re.compile("".join(parts)))
    return literal, patterns


def _metric_lookups(test_path):
    """(line, key expression) of every place a test reads a recorded metric: m[...], metrics[...],
    result.metrics[...], value(result, ...), "..." in result.metrics."""
    tree = ast.parse(test_path.read_text())
    names = {"m", "metrics"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            base = node.value
            if (isinstance(base, ast.Name) and base.id in names) or (isinstance(base, ast.Attribute)
                                                                    and base.attr == "metrics"):
                found.append((node.lineno, node.slice))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "value" and len(node.args) == 2:
            found.append((node.lineno, node.args[1]))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith") and isinstance(node.func.value, ast.Name)
              and node.func.value.id in ("k", "key", "name") and node.args):  # a key matched by the start of a label
            found.append((node.lineno, node.args[0]))
        elif isinstance(node, ast.Compare) and isinstance(node.ops[0], (ast.In, ast.NotIn)):
            right = node.comparators[0]
            if isinstance(right, ast.Attribute) and right.attr == "metrics":
                found.append((node.lineno, node.left))
    return found


LESSON_TESTS = sorted((ROOT / "tests").glob("test_lesson_[0-9][0-9].py"))


def test_no_lesson_test_looks_a_metric_up_by_its_prose_label():
    """A key has no spaces; a prose label nearly always has one. Every literal piece of a look-up is checked."""
    assert len(LESSON_TESTS) == 21
    offenders = []
    for path in LESSON_TESTS:
        for line, key in _metric_lookups(path):
            pieces = [key.value] if isinstance(key, ast.Constant) else [
                v.value for v in getattr(key, "values", []) if isinstance(v, ast.Constant)]
            if any(isinstance(p, str) and " " in p for p in pieces):
                offenders.append(f"{path.name}:{line}")
    assert offenders == [], "look metrics up by key (lesson.metric's first argument), not by label: " + ", ".join(offenders)


@pytest.mark.parametrize("test_path", LESSON_TESTS, ids=lambda p: p.stem)
def test_every_key_a_lesson_test_reads_is_one_its_lesson_records(test_path):
    """The look-ups resolve from the keys alone, so any label (reworded, translated) leaves them working."""
    number = test_path.stem[-2:]
    literal, patterns = set(), []
    for lesson_path in (ROOT / "lessons").glob(f"{number}_*.py"):
        more_literal, more_patterns = _recorded_keys(lesson_path)
        literal |= more_literal
        patterns += more_patterns
    if number == "06":  # lesson 06's test compares with lesson 07's CNN
        more_literal, more_patterns = _recorded_keys(next((ROOT / "lessons").glob("07_*.py")))
        literal |= more_literal
        patterns += more_patterns
    unknown = [f"{line}: {key.value!r}" for line, key in _metric_lookups(test_path)
               if isinstance(key, ast.Constant) and isinstance(key.value, str)
               and key.value not in literal and not any(p.fullmatch(key.value) for p in patterns)]
    assert unknown == []
