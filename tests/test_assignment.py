"""`kerasmodels assignment export`: nbgrader source notebooks from the lessons' exercises, graded by nbgrader itself."""

import argparse
import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from kerasmodels.course import assignment, exercises, runner
from kerasmodels.errors import KerasmodelsError

ROOT = Path(__file__).resolve().parents[1]
SPECS = runner.discover()


def _nbgrader_cells(notebook):
    return [(cell, cell.metadata["nbgrader"]) for cell in notebook.cells if "nbgrader" in cell.metadata]


def _solutions(spec):
    path = ROOT / "lessons" / "solutions" / f"{spec.name}.py"
    module_spec = importlib.util.spec_from_file_location(f"test_assignment_{spec.name}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def _release_version(source):
    """What nbgrader's ClearSolutions makes of an answer cell: the region between the markers replaced."""
    from nbgrader.preprocessors import ClearSolutions

    cell = nbformat.v4.new_code_cell(source)
    ClearSolutions()._replace_solution_region(cell, "python")
    return cell.source


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_every_lesson_exports_and_its_reference_answers_pass_the_checks(spec):
    notebook = assignment.build_notebook(spec, points=2)
    nbformat.validate(notebook)
    cells = _nbgrader_cells(notebook)
    ids = [meta["grade_id"] for _, meta in cells]
    assert len(ids) == len(set(ids))
    registered = exercises.list_exercises(spec.number)
    answers = [(cell, meta) for cell, meta in cells if meta["solution"]]
    tests = [(cell, meta) for cell, meta in cells if meta["grade"]]
    assert len(answers) == len(tests) == len(registered)
    assert all(meta["points"] == 2 and meta["locked"] for _, meta in tests)
    assert notebook.metadata["kerasmodels"]["exercises"] == [
        line.split("'")[1] for cell, _ in tests for line in cell.source.splitlines() if "exercises.check(" in line
    ]

    # The setup cell and each answer cell, run as the graded notebook would, pass their check ...
    namespace = {}
    exec(compile(cells[0][0].source, f"{spec.name}-setup", "exec"), namespace)
    for (answer, _), (test, _), exercise_id in zip(answers, tests, notebook.metadata["kerasmodels"]["exercises"]):
        assert assignment.BEGIN_SOLUTION in answer.source and assignment.END_SOLUTION in answer.source
        exec(compile(answer.source, exercise_id, "exec"), namespace)
        exec(compile(test.source, f"test {exercise_id}", "exec"), namespace)  # raises AssertionError if not passed
        # ... and the student's version nbgrader makes from it still defines the function, which fails.
        student = _release_version(answer.source)
        assert "raise NotImplementedError()" in student and "BEGIN SOLUTION" not in student
        student_namespace = dict(namespace)
        exec(compile(student, f"student {exercise_id}", "exec"), student_namespace)
        name = next(node.name for node in ast.parse(student).body if isinstance(node, ast.FunctionDef))
        result = exercises.check(exercise_id, student_namespace[name], quiet=True)
        assert not result.passed and "NotImplementedError" in result.message


def test_export_writes_the_source_notebook_and_a_config_once(tmp_path):
    parser = argparse.ArgumentParser()
    assignment.add(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["assignment", "export", "3", str(tmp_path), "--points", "2.5"])
    assert args.func(args) == 0
    source = tmp_path / "source" / "03_backpropagation_by_hand" / "03_backpropagation_by_hand.ipynb"
    notebook = nbformat.read(source, as_version=4)
    assert {meta.get("points") for _, meta in _nbgrader_cells(notebook) if meta["grade"]} == {2.5}
    config = tmp_path / "nbgrader_config.py"
    assert "configure_grading(c" in config.read_text()

    config.write_text("c = get_config()\n")  # a teacher's own config is never overwritten
    with pytest.raises(KerasmodelsError, match="--force"):
        assignment.export(3, tmp_path)
    path, written = assignment.export(3, tmp_path, name="week-3", force=True)
    assert path == tmp_path / "source" / "week-3" / "03_backpropagation_by_hand.ipynb" and written is None
    assert config.read_text() == "c = get_config()\n"
    with pytest.raises(SystemExit):
        parser.parse_args(["assignment", "export", "3", str(tmp_path), "--points", "0"])
    with pytest.raises(KerasmodelsError, match="solutions"):
        assignment.export(3, tmp_path / "other", solutions_dir=tmp_path)


def test_an_exercise_whose_parameters_are_renamed_calls_the_reference():
    # Lesson 10's learner writes rnn_step(x, h, W, U, b); the reference names them w, u.
    notebook = assignment.build_notebook(runner.find(10))
    answer = next(cell.source for cell, meta in _nbgrader_cells(notebook) if meta["grade_id"] == "answer_10_rnn_step")
    assert answer.startswith("def rnn_step(x, h, W, U, b):") and "return reference(x, h, W, U, b)" in answer


# One submission per student; `answers` replace the `raise NotImplementedError()` of each answer cell.
WRONG = "return (delta_next @ W_next.T)"  # forgets sigma'(z): the check says which case fails
RIGHT = {
    "03.output_delta": "s = 1 / (1 + np.exp(-z))\nreturn (y - t) * s * (1 - s)",
    "03.hidden_delta": "s = 1 / (1 + np.exp(-z))\nreturn (delta_next @ W_next.T) * s * (1 - s)",
    "03.weight_gradient": "return a_prev.T @ delta",
}
SUBMISSIONS = {
    # Two right, one wrong.
    "alice": {**RIGHT, "03.hidden_delta": WRONG},
    # A download (refused: no network), an endless loop (interrupted by the cell time limit), one right answer.
    "bob": {"03.output_delta": "import urllib.request\nurllib.request.urlopen('http://1.1.1.1', timeout=10)\nreturn y - t",
            "03.hidden_delta": "while True:\n    pass",
            "03.weight_gradient": RIGHT["03.weight_gradient"]},
    # One right, then code that kills the kernel: what did not run scores zero.
    "carol": {"03.output_delta": RIGHT["03.output_delta"],
              "03.hidden_delta": "import os\nos._exit(1)",
              "03.weight_gradient": RIGHT["03.weight_gradient"]},
}


def _student_function(exercise_id, body):
    import numpy as np

    names = {"03.output_delta": "y, t, z", "03.hidden_delta": "delta_next, W_next, z", "03.weight_gradient": "a_prev, delta"}
    source = f"def answer({names[exercise_id]}):\n" + "\n".join("    " + line for line in body.splitlines())
    namespace = {"np": np}
    exec(source, namespace)
    return namespace["answer"]


@pytest.mark.slow
def test_nbgrader_grades_a_class_with_the_checks_scores(tmp_path):
    from nbgrader.api import Gradebook

    course_dir = tmp_path / "course"
    name = "03_backpropagation_by_hand"
    assignment.export(3, course_dir, cell_timeout=8, notebook_timeout=120)
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))

    def nbgrader(*args):
        done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course_dir, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        return done.stdout + done.stderr

    nbgrader("generate_assignment", name)
    release = nbformat.read(course_dir / "release" / name / f"{name}.ipynb", as_version=4)
    answer_ids = [meta["grade_id"] for _, meta in _nbgrader_cells(release) if meta["solution"]]
    assert all("BEGIN SOLUTION" not in cell.source for cell in release.cells)
    for student, answers in SUBMISSIONS.items():
        notebook = nbformat.read(course_dir / "release" / name / f"{name}.ipynb", as_version=4)
        for cell, meta in _nbgrader_cells(notebook):
            if meta["solution"]:
                exercise_id = meta["grade_id"].removeprefix("answer_").replace("_", ".", 1)
                body = "\n".join("    " + line for line in answers[exercise_id].splitlines())
                cell.source = cell.source.replace("    # YOUR CODE HERE\n    raise NotImplementedError()", body)
        target = course_dir / "submitted" / student / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(notebook, target)

    log = nbgrader("autograde", name)
    # nbgrader only logs a config file that fails: make sure ours was in force.
    assert "config file" not in log.lower() or "Exception" not in log, log
    assert "Timeout waiting for execute reply (8s)" in log  # ExecutePreprocessor.timeout cut bob's loop
    assert "Notebook time limit" not in log
    assert "The kernel died in cell" in log  # GradingExecute graded carol's notebook
    assert "SAWarning" not in log, log  # nbgrader's gradebook warnings are silenced by configure_grading

    # The gradebook's scores are what the checks say about the same answers.
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gradebook:
        for student, answers in SUBMISSIONS.items():
            submission = gradebook.find_submission_notebook(name, name, student)
            scores = {grade.name: grade.score for grade in submission.grades}
            for exercise_id, body in answers.items():
                slug = exercise_id.replace(".", "_")
                if student == "carol" and exercise_id != "03.output_delta":
                    expected = 0  # not run: the kernel died in hidden_delta
                elif student == "bob" and exercise_id != "03.weight_gradient":
                    expected = 0  # blocked download, endless loop
                else:
                    expected = int(exercises.check(exercise_id, _student_function(exercise_id, body), quiet=True).passed)
                assert scores[f"check_{slug}"] == expected, (student, exercise_id, scores)
            assert submission.max_score == 3
        assert [gradebook.find_submission(name, s).score for s in SUBMISSIONS] == [2, 1, 1]

    # The student sees the check's feedback in the graded notebook.
    def outputs(student, grade_id):
        graded = nbformat.read(course_dir / "autograded" / student / name / f"{name}.ipynb", as_version=4)
        cell = next(cell for cell, meta in _nbgrader_cells(graded) if meta["grade_id"] == grade_id)
        return "\n".join(o.get("text", "") + o.get("evalue", "") + "\n".join(o.get("traceback", []))
                         for o in cell.outputs)

    wrong = exercises.check("03.hidden_delta", _student_function("03.hidden_delta", WRONG), quiet=True)
    assert wrong.message.splitlines()[0] in outputs("alice", "check_03_hidden_delta")
    assert "[PASSED] 03.output_delta" in outputs("alice", "check_03_output_delta")
    assert "no network while grading" in outputs("bob", "answer_03_output_delta") + outputs("bob", "check_03_output_delta")
    assert "CellTimeoutError" in outputs("bob", "check_03_hidden_delta")
    assert "kernel died" in outputs("carol", "check_03_hidden_delta")
    assert "not run" in outputs("carol", "check_03_weight_gradient")
    assert answer_ids == ["answer_03_output_delta", "answer_03_hidden_delta", "answer_03_weight_gradient"]

    nbgrader("generate_feedback", name)
    feedback = (course_dir / "feedback" / "alice" / name / f"{name}.html").read_text()
    assert "03.hidden_delta" in feedback and "NOT YET" in feedback



def _run_graded(sources, **traits):
    from kerasmodels.course.assignment_grading import GradingExecute

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    GradingExecute(**traits).preprocess(notebook, {"metadata": {"path": "."}})
    return ["\n".join(o.get("text", "") + o.get("ename", "") + ": " + o.get("evalue", "") for o in cell.outputs)
            for cell in notebook.cells]


@pytest.mark.slow
def test_the_notebook_time_limit_cuts_cells_that_each_stay_under_the_cell_limit():
    outputs = _run_graded(["import time; time.sleep(2); print('first')", "time.sleep(2); print('second')",
                           "print('third')"], timeout=10, notebook_timeout=3)
    assert "first" in outputs[0]
    assert "CellTimeoutError" in outputs[1] or "KeyboardInterrupt" in outputs[1]  # cut at the notebook's 3 s
    assert "NotRun" in outputs[2] and "time limit (3 s)" in outputs[2]


# What a student's code sees in the grading kernel (docs/teachers.md, "No network"): a remote host through
# Python's socket module, then below it (`_socket`, and a subprocess, whose Python is not patched: -I also
# keeps the test suite's own sitecustomize block off it), then a server of its own on 127.0.0.1.
REMOTE_VIA_PYTHON = "import urllib.request\nurllib.request.urlopen('http://1.1.1.1', timeout=5)"
REMOTE_BELOW_PYTHON = ("import _socket\ns = _socket.socket()\ns.settimeout(5)\ntry:\n    s.connect(('1.1.1.1', 80))\n"
                       "except OSError as error:\n    print('below python:', error)")
REMOTE_FROM_SUBPROCESS = (
    "import subprocess, sys\n"
    "code = 'import socket; socket.create_connection((\"1.1.1.1\", 80), timeout=5)'\n"
    "print('subprocess:', subprocess.run([sys.executable, '-I', '-c', code], capture_output=True, text=True)"
    ".stderr.strip().splitlines()[-1])")
LOCAL_SERVER = (
    "import socket, threading\nserver = socket.socket(); server.bind(('127.0.0.1', 0)); server.listen(1)\n"
    "threading.Thread(target=lambda: server.accept()[0].sendall(b'hello'), daemon=True).start()\n"
    "with socket.create_connection(server.getsockname(), timeout=5) as client:\n"
    "    print('local server says', client.recv(5).decode())")


@pytest.mark.slow  # starts a grading kernel (about 10 s)
def test_the_grading_kernel_has_no_network_even_below_python_but_loopback_works():
    from kerasmodels.course.assignment_grading import namespace_has_loopback, network_namespace_prefix

    outputs = _run_graded(["import socket; socket.getaddrinfo('pypi.org', 443)", REMOTE_VIA_PYTHON,
                           REMOTE_BELOW_PYTHON, REMOTE_FROM_SUBPROCESS, LOCAL_SERVER], timeout=30)
    assert "NetworkBlocked: no network while grading: name lookup of 'pypi.org' refused" in outputs[0]
    assert "no network while grading: connection to '1.1.1.1' refused" in outputs[1]  # URLError wraps it
    if not network_namespace_prefix():
        pytest.skip("no network namespace on this system: only the Python-level block applies")
    # _socket and a subprocess bypass Python's block: the namespace has no route out.
    assert "below python: [Errno 101] Network is unreachable" in outputs[2], outputs[2]
    assert "subprocess: OSError: [Errno 101] Network is unreachable" in outputs[3], outputs[3]
    if not namespace_has_loopback():
        pytest.skip("this system's network namespace cannot bring its loopback up")
    assert "local server says hello" in outputs[4], outputs[4]


def test_the_sandbox_wrapper_brings_loopback_up_and_runs_the_command():
    """`python -m kerasmodels.course.assignment_offline CMD` execs CMD; in a fresh namespace lo starts down."""
    from kerasmodels.course import assignment_offline
    from kerasmodels.course.assignment_grading import namespace_has_loopback, network_namespace_prefix

    module = [sys.executable, "-m", "kerasmodels.course.assignment_offline"]
    done = subprocess.run([*module, "--", sys.executable, "-c", "print('ran')"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout == "ran\n", done.stderr
    assert subprocess.run(module, capture_output=True, timeout=60).returncode == 2  # no command: usage
    unshare = network_namespace_prefix()[:network_namespace_prefix().index(sys.executable)]
    if not unshare:
        pytest.skip("no network namespace on this system")
    # Without the wrapper, 127.0.0.1 is unreachable in the namespace; with it, it works.
    check = "import kerasmodels.course.assignment_offline as o; o._loopback_works()"
    bare = subprocess.run([*unshare, sys.executable, "-c", check], capture_output=True, text=True, timeout=60)
    assert bare.returncode != 0 and "Network is unreachable" in bare.stderr
    wrapped = subprocess.run(network_namespace_prefix() + [sys.executable, "-c", check], capture_output=True,
                             text=True, timeout=60)
    assert (wrapped.returncode == 0) == namespace_has_loopback(), wrapped.stderr
    assert assignment_offline.LOOPBACK_DOWN == 3


@pytest.mark.slow
def test_a_built_package_carries_the_solutions_so_export_needs_no_checkout(tmp_path):
    """Issue 29 item 12: `assignment export` needed a checkout or --solutions; the wheel now ships them."""

    root = Path(__file__).resolve().parents[1]
    build = tmp_path / "build"
    subprocess.run([sys.executable, "setup.py", "-q", "build_py", "--build-lib", str(build)], cwd=root, check=True,
                   capture_output=True, timeout=300)
    shipped = build / "kerasmodels" / "course" / "_lessons" / "lessons"
    assert sorted(p.name for p in (shipped / "solutions").glob("[0-9][0-9]_*.py")) == sorted(
        p.name for p in (root / "lessons" / "solutions").glob("[0-9][0-9]_*.py"))
    code = ("from kerasmodels.course import assignment; "
            f"print(assignment.export(3, {str(tmp_path / 'course')!r}))")
    env = {**os.environ, "KERASMODELS_LESSONS": str(shipped)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "course" / "source").glob("03_*/03_*.ipynb"))


def test_configure_grading_silences_exactly_nbgrader_gradebook_warnings():
    import warnings

    from sqlalchemy.exc import SAWarning
    from traitlets.config import Config

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assignment.configure_grading(Config())
        for owner in ("Student", "Assignment", "Notebook"):
            kind = "SubmittedNotebook" if owner == "Notebook" else "SubmittedAssignment"
            warnings.warn(f"Object of type <{kind}> not in session, add operation along '{owner}.submissions' "
                          "will not proceed (This warning originated from the Session 'autoflush' process)",
                          SAWarning, stacklevel=2)
        warnings.warn("Object of type <Grade> not in session, add operation along 'Notebook.grades' will not proceed",
                      SAWarning, stacklevel=2)  # any other SQLAlchemy warning still shows
        warnings.warn("Object of type <SubmittedNotebook> not in session, add operation along 'Notebook.submissions' "
                      "will not proceed", UserWarning, stacklevel=2)
    assert [str(w.message)[:30] for w in caught] == ["Object of type <Grade> not in ", "Object of type <SubmittedNoteb"]
