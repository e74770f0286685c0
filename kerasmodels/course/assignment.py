"""A lesson's exercises as an nbgrader assignment, for teachers who grade a class.

`kerasmodels assignment export LESSON COURSE_DIR` writes the nbgrader *source*
notebook `COURSE_DIR/source/NN_slug/NN_slug.ipynb`:

- a locked setup cell with the lesson's imports;
- per exercise, the lesson's text, an answer cell (the learner's function from the
  lesson, its body the reference solution from `lessons/solutions/` between
  `### BEGIN SOLUTION` / `### END SOLUTION`) and a locked autograder test cell
  worth `points` that asserts `course.exercises.check(...)`, so the grade and the
  feedback come from the same checks as in the lesson.

Everything is derived from the sources (the lesson, its solutions module and the
registered checks), so edits to them reach the next export. nbgrader does the
rest: `generate_assignment` strips the solutions, `autograde` runs the submissions
(with `configure_grading`: time limits, no network, crashed kernels graded) and
the gradebook holds the scores. See docs/teachers.md.

Example (in a course folder, after `pip install "kerasmodels-course[teacher]"`):

```
kerasmodels assignment export 3 .
nbgrader generate_assignment 03_backpropagation_by_hand
nbgrader autograde 03_backpropagation_by_hand
```
"""

import ast
import importlib.util
import re
import textwrap
from pathlib import Path

from kerasmodels.errors import KerasmodelsError

# `course.exercises.check("NN.name", answer` in a lesson's code cell marks an exercise.
CHECK_CALL = re.compile(r"""course\.exercises\.check\(\s*["'](\d\d\.\w+)["']\s*,\s*([A-Za-z_]\w*)""")
BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
NBGRADER_SCHEMA_VERSION = 3
CONFIG_FILE = "nbgrader_config.py"

NBGRADER_CONFIG = '''\
"""nbgrader's configuration for this course, written by `kerasmodels assignment export`."""

c = get_config()  # noqa: F821 (nbgrader defines it)
c.CourseDirectory.course_id = "kerasmodels"

# Grading with limits: {cell_timeout} s per cell and {notebook_timeout} s per notebook, no network in the
# kernel that runs a submission, and a submission that crashes its kernel is still graded.
from kerasmodels.course import assignment  # noqa: E402

assignment.configure_grading(c, cell_timeout={cell_timeout}, notebook_timeout={notebook_timeout})
'''


def configure_grading(c, cell_timeout=60, notebook_timeout=600, block_network=True):
    """Make `nbgrader autograde` safe for student code; call it in nbgrader_config.py.

    - `ExecutePreprocessor.timeout`: a cell running longer is interrupted and fails;
    - a notebook running longer than `notebook_timeout` s in all has its remaining
      cells marked as not run (they score zero), so one submission never holds up the batch;
    - a kernel that dies (a crash, memory exhausted) fails its cell and the rest,
      instead of nbgrader dropping the whole submission;
    - the kernel runs in a network namespace with loopback only where Linux allows
      one (`unshare`), and with Python's sockets refusing remote hosts everywhere;
    - nbgrader's own harmless SQLAlchemy warnings are silenced (see `silence_gradebook_warnings`).

    Args:
        c: the config object of nbgrader_config.py (`c = get_config()`).
        cell_timeout: seconds one cell may run.
        notebook_timeout: seconds one notebook may run in all (None: no limit).
        block_network: False lets submissions reach the network.
    """
    from nbgrader.converters import Autograde

    from kerasmodels.course import assignment_grading

    silence_gradebook_warnings()
    c.ExecutePreprocessor.timeout = cell_timeout
    c.GradingExecute.notebook_timeout = notebook_timeout
    c.GradingExecute.block_network = block_network
    default = Autograde.class_traits()["autograde_preprocessors"].default()
    c.Autograde.autograde_preprocessors = [
        assignment_grading.GradingExecute if getattr(p, "__name__", "") == "Execute" else p for p in default
    ]


# nbgrader 0.9's Gradebook.add_submission builds a SubmittedAssignment with its notebooks and grades
# before adding it to the session; reading `assignment.notebooks` autoflushes, and SQLAlchemy 2 warns,
# once per relationship, that the not-yet-added object is skipped. The add follows, nothing is lost.
GRADEBOOK_WARNING = r"Object of type <Submitted\w+> not in session, add operation along '\w+\.submissions' will not proceed"


def silence_gradebook_warnings():
    """Hide the three `SAWarning`s nbgrader's gradebook prints during `nbgrader autograde` (and only those)."""
    import warnings

    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", message=GRADEBOOK_WARNING, category=SAWarning)


def export(lesson, course_dir, name=None, points=1, solutions_dir=None, force=False,
           cell_timeout=60, notebook_timeout=600):
    """Write the nbgrader source notebook of `lesson`'s exercises into the course folder `course_dir`.

    Args:
        lesson: number (3, "03") or name of the lesson.
        course_dir: the nbgrader course folder (holding nbgrader_config.py; created if missing).
        name: the assignment's name (default: the lesson's, e.g. "03_backpropagation_by_hand").
        points: points per exercise.
        solutions_dir: folder of the solutions modules (default: lessons/solutions of the checkout).
        force: overwrite an existing source notebook.
        cell_timeout, notebook_timeout: written into a new nbgrader_config.py (see `configure_grading`).

    Returns:
        (path of the source notebook, path of nbgrader_config.py if this call wrote it, else None).
    """
    import nbformat

    from kerasmodels.course import runner

    if not (isinstance(points, int | float) and 0 < points < float("inf")):
        raise KerasmodelsError(f"points must be a positive finite number, got {points!r}")
    spec = runner.find(lesson)
    name = name or spec.name
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*", name):
        raise KerasmodelsError(f"assignment name {name!r}: use letters, digits, '_', '-' and '.' only")
    notebook = build_notebook(spec, points=points, solutions_dir=solutions_dir)

    course_dir = Path(course_dir)
    target = course_dir / "source" / name / f"{spec.name}.ipynb"
    if target.exists() and not force:
        raise KerasmodelsError(f"{target} exists; pass --force to overwrite it (nbgrader keeps grades by cell id)")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    config = course_dir / CONFIG_FILE
    if config.exists():
        return target, None
    config.write_text(NBGRADER_CONFIG.format(cell_timeout=cell_timeout, notebook_timeout=notebook_timeout))
    return target, config


def build_notebook(spec, points=1, solutions_dir=None):
    """The nbgrader source notebook (an `nbformat` notebook) for the lesson `spec`'s exercises."""
    import jupytext
    import nbformat

    from kerasmodels.course import exercises, runner

    lesson_nb = jupytext.read(spec.source, fmt="py:percent")
    solutions_path = Path(solutions_dir or runner.lessons_dir() / "solutions") / f"{spec.name}.py"
    if not solutions_path.is_file():
        raise KerasmodelsError(
            f"no solutions module {solutions_path}: export needs the reference solutions of a kerasmodels checkout "
            "(they are not shipped to learners); run it in the checkout or pass --solutions DIR"
        )
    solutions_source = solutions_path.read_text()
    solutions = _load_module(solutions_path).SOLUTIONS

    found = _exercise_cells(lesson_nb)
    registered = set(exercises.list_exercises(spec.number))
    missing = sorted(registered - {exercise_id for exercise_id, _, _, _ in found})
    if missing:
        raise KerasmodelsError(f"lesson {spec.name} has no exercise cell for the registered checks {missing}")
    if not found:
        raise KerasmodelsError(f"lesson {spec.name} has no exercises")

    cells = [
        _markdown(_header(spec, [exercise_id for exercise_id, _, _, _ in found], points)),
        _code(_setup_source(lesson_nb, solutions_source), "setup", locked=True),
    ]
    for exercise_id, answer_name, cell_source, prose in found:
        if exercise_id not in registered:
            raise KerasmodelsError(f"lesson {spec.name} checks {exercise_id!r}, which no checker registers")
        if exercise_id not in solutions:
            raise KerasmodelsError(f"{solutions_path} has no solution for {exercise_id!r} in SOLUTIONS")
        slug = exercise_id.replace(".", "_")
        cells.extend(_markdown(text) for text in prose)
        answer = _answer_source(exercise_id, answer_name, cell_source, solutions[exercise_id], solutions_source)
        cells.append(_code(answer, f"answer_{slug}", solution=True))
        cells.append(_code(_test_source(exercise_id, answer_name, points), f"check_{slug}",
                           grade=True, locked=True, points=points))

    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.metadata["kerasmodels"] = {"lesson": spec.name, "exercises": [f[0] for f in found], "points": points}
    nbformat.validate(notebook)
    return notebook


def _load_module(path):
    module_spec = importlib.util.spec_from_file_location(f"kerasmodels_solutions_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    if not isinstance(getattr(module, "SOLUTIONS", None), dict):
        raise KerasmodelsError(f"{path} defines no SOLUTIONS dict")
    return module


def _exercise_cells(lesson_nb):
    """(exercise id, answer name, code cell source, [markdown cells just before it]) in lesson order."""
    found, prose = [], []
    for cell in lesson_nb.cells:
        if cell.cell_type == "markdown":
            prose.append(cell.source)
            continue
        for match in CHECK_CALL.finditer(cell.source):
            found.append((match.group(1), match.group(2), cell.source, prose))
            prose = []  # a second exercise in the same cell has no text of its own
        prose = []
    return found


def _header(spec, exercise_ids, points):
    total = points * len(exercise_ids)
    return textwrap.dedent(f"""\
        # Lesson {spec.number:02d} · {spec.title}: graded exercises

        The exercises of lesson {spec.number:02d}, as an assignment: {len(exercise_ids)} exercises,
        {points:g} point{'s' if points != 1 else ''} each, {total:g} in all.

        - Write your answer in each answer cell, in place of the line nbgrader left there to fail until you do.
          Keep the function's name and arguments.
        - The locked cell after each answer runs the same checks as `course.exercises.check` in the
          lesson and prints its feedback: run it as often as you like. The grader runs exactly
          these checks.
        - In the lesson each answer starts from a first attempt with a typical mistake; here the
          answers start empty. Where the text mentions "the first attempt", that is the lesson's.
        - Before you submit: *Kernel → Restart & Run All*, and check that every cell runs. Your
          notebook is graded in a fresh kernel, without network, with a time limit per cell.
        """)


def _setup_source(lesson_nb, solutions_source):
    """The lesson's and the solutions' top-level imports, once each, in order."""
    lines = []
    for source in [cell.source for cell in lesson_nb.cells if cell.cell_type == "code"] + [solutions_source]:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # cells with IPython magics hold no imports the answers need
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                line = ast.unparse(node)
                if line not in lines:
                    lines.append(line)
    if "from kerasmodels import course" not in lines:
        lines.append("from kerasmodels import course")
    return "# The lesson's imports: your answers may use them.\n" + "\n".join(lines)


def _answer_source(exercise_id, answer_name, cell_source, solution, solutions_source):
    """The learner's function from the lesson with the reference solution as its body, between the markers."""
    stub = next((node for node in ast.parse(cell_source).body
                 if isinstance(node, ast.FunctionDef) and node.name == answer_name), None)
    if stub is None:
        raise KerasmodelsError(f"{exercise_id}: the lesson's exercise cell defines no function {answer_name!r}")
    cell_lines = cell_source.splitlines()
    first = stub.body[0]
    keep_until = first.end_lineno if _is_docstring(first) else first.lineno - 1
    header = cell_lines[stub.lineno - 1 - len(stub.decorator_list):keep_until]
    header = [line for line in header if line.strip()]

    solutions_tree = ast.parse(solutions_source)
    module_level = {}
    for node in solutions_tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            module_level[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    module_level[target.id] = node
    reference = module_level.get(getattr(solution, "__name__", None))
    if not isinstance(reference, ast.FunctionDef):
        raise KerasmodelsError(f"{exercise_id}: the solution must be a function defined by name in the solutions module")

    source_lines = solutions_source.splitlines()
    helpers = _helpers(reference, module_level)
    body = []
    for helper in helpers:  # nested, so that the learner's cell stays self-contained
        body += _segment(source_lines, helper) + [""]
    if ast.unparse(reference.args) == ast.unparse(stub.args):
        body += _body(source_lines, reference)
    else:  # other parameter names: keep the reference whole and call it with the learner's arguments
        if stub.args.vararg or stub.args.kwarg or stub.args.kwonlyargs:
            raise KerasmodelsError(f"{exercise_id}: the solution's parameters differ from the lesson's {answer_name}()")
        whole = _segment(source_lines, reference)
        body += [re.sub(rf"^def {reference.name}\(", "def reference(", line, count=1) for line in whole]
        arguments = ", ".join(a.arg for a in stub.args.posonlyargs + stub.args.args)
        body += [f"return reference({arguments})"]
    indent = " " * (stub.col_offset + 4)
    solution_lines = [indent + BEGIN_SOLUTION] + [indent + line if line else "" for line in body]
    return "\n".join(header + solution_lines + [indent + END_SOLUTION])


def _is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _helpers(function, module_level):
    """Module-level functions, classes and constants `function` uses, directly or through each other, in source order."""
    needed, queue = {}, [function]
    while queue:
        for node in ast.walk(queue.pop()):
            if isinstance(node, ast.Name) and node.id in module_level and node.id != function.name:
                definition = module_level[node.id]
                if definition.lineno not in needed:
                    needed[definition.lineno] = definition
                    queue.append(definition)
    return [needed[line] for line in sorted(needed)]


def _segment(source_lines, node):
    """A top-level definition's source, comments and decorators included, dedented."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return textwrap.dedent("\n".join(source_lines[start - 1:node.end_lineno])).splitlines()


def _body(source_lines, function):
    """A function's body (comments directly above the first statement included), dedented."""
    start = function.body[0].lineno - 1
    if _is_docstring(function.body[0]) and len(function.body) > 1:
        start = function.body[1].lineno - 1
    while start - 1 >= function.lineno and source_lines[start - 1].strip().startswith("#"):
        start -= 1
    return textwrap.dedent("\n".join(source_lines[start:function.end_lineno])).splitlines()


def _test_source(exercise_id, answer_name, points):
    return textwrap.dedent(f"""\
        # Autograder test ({points:g} point{'s' if points != 1 else ''}): the checks of course.exercises.check, whose
        # feedback is printed here.
        from kerasmodels import course

        assert course.exercises.check({exercise_id!r}, {answer_name}, quiet=False).passed""")


def _markdown(source):
    import nbformat

    return nbformat.v4.new_markdown_cell(source)


def _code(source, grade_id, solution=False, grade=False, locked=False, points=None):
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": NBGRADER_SCHEMA_VERSION,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def _cmd_export(args):
    target, config = export(args.lesson, args.dir, name=args.name, points=args.points,
                            solutions_dir=args.solutions, force=args.force)
    assignment = target.parent.name
    print(f"wrote the nbgrader source notebook {target}")
    if config:
        print(f"wrote {config} (time limits, no network; see configure_grading)")
    else:
        print(f"{Path(args.dir) / CONFIG_FILE} exists: make sure it calls "
              "kerasmodels.course.assignment.configure_grading(c) for safe grading")
    print(f"next, in {args.dir}: nbgrader generate_assignment {assignment}, release it, collect, "
          f"then nbgrader autograde {assignment}")
    return 0


def _points(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not 0 < value < float("inf"):  # also refuses nan and inf: nbgrader's JSON has no Infinity
        import argparse

        raise argparse.ArgumentTypeError(f"points must be a positive finite number, got {text!r}")
    return int(value) if value.is_integer() else value


def add(sub):
    """Add `kerasmodels assignment export LESSON DIR` to the `kerasmodels` parser's subparsers."""
    if "assignment" in sub.choices:
        return
    p = sub.add_parser("assignment", help="a lesson's exercises as an nbgrader assignment (teachers)")
    asub = p.add_subparsers(dest="assignment_command", required=True)
    q = asub.add_parser("export", help="write the nbgrader source notebook of a lesson's exercises")
    q.add_argument("lesson", help="number (3, 03) or name (03_backpropagation_by_hand)")
    q.add_argument("dir", help="the nbgrader course folder; the notebook goes to DIR/source/NAME/")
    q.add_argument("--name", help="assignment name (default: the lesson's name)")
    q.add_argument("--points", type=_points, default=1, help="points per exercise (default 1)")
    q.add_argument("--solutions", help="folder of the solutions modules (default: the checkout's lessons/solutions)")
    q.add_argument("--force", action="store_true", help="overwrite an existing source notebook")
    q.set_defaults(func=_cmd_export)
