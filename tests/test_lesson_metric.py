"""`Lesson.metric` records a number, prints it once, and returns it usable as a number."""

import json

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
        nbformat.v4.new_code_cell('lesson.metric("test accuracy", 0.9731, fmt=".1%")'),
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
    value = lesson.metric("loss", 0.5)
    assert value == 0.5 and value * 2 == 1.0 and type(value * 2) is float and f"{value:.1f}" == "0.5"
    recorded = json.loads((tmp_path / lesson_module.METRICS_FILE).read_text())
    assert recorded["metrics"]["loss"]["value"] == 0.5
