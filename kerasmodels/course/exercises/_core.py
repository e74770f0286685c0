"""The grading machinery shared by every lesson's exercises."""

import importlib
import pkgutil
import traceback
from dataclasses import dataclass

import numpy as np

_REGISTRY = {}


class CheckFailed(Exception):
    """Raised by a checker: which case failed, what was expected, what came back, a hint."""

    def __init__(self, case, expected=None, got=None, hint=None, message=None):
        self.case, self.expected, self.got, self.hint = case, expected, got, hint
        text = message or f"case {case}: expected {_short(expected)}, got {_short(got)}"
        super().__init__(text)


@dataclass
class Exercise:
    id: str
    title: str
    checker: object
    hint: str
    formula: str = ""


@dataclass
class Result:
    exercise: str
    passed: bool
    message: str

    def __bool__(self):
        return self.passed

    def __str__(self):
        mark = "PASSED" if self.passed else "NOT YET"
        return f"[{mark}] {self.exercise}: {self.message}"


def exercise(exercise_id, title, hint="", formula=""):
    """Register a checker: a function that takes the learner's answer and raises CheckFailed.

    Hints escalate: a first failed attempt shows the case's own hint, or `hint`,
    which points at the idea; from the second failed attempt on (or with
    `check(..., hint=2)`) `formula` is shown too.

    Args:
        exercise_id: "NN.name", e.g. "03.backward_layer2".
        title: one line shown with the result.
        hint: the idea, shown when a case fails without its own hint.
        formula: the second hint: the formula or the code's shape.
    """

    def register(checker):
        _REGISTRY[exercise_id] = Exercise(exercise_id, title, checker, hint, formula)
        return checker

    return register


def _load_all():
    import kerasmodels.course.exercises as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("lesson"):
            importlib.import_module(f"kerasmodels.course.exercises.{info.name}")


def _load_for(exercise_id):
    lesson = exercise_id.split(".", 1)[0]
    try:
        importlib.import_module(f"kerasmodels.course.exercises.lesson{lesson}")
    except ModuleNotFoundError:
        pass


def list_exercises(lesson=None):
    """Ids and titles of the registered exercises, optionally of one lesson ("03" or 3)."""
    _load_all()
    prefix = f"{int(lesson):02d}." if lesson is not None else ""
    return {k: v.title for k, v in sorted(_REGISTRY.items()) if k.startswith(prefix)}


_FAILED_ATTEMPTS = {}


def check(exercise_id, answer, quiet=False, hint=None):
    """Grade `answer` for `exercise_id`, print specific feedback and return a `Result`.

    Args:
        exercise_id: "NN.name", as in the lesson.
        answer: the learner's function or value.
        quiet: return the result without printing it.
        hint: 1 shows only the idea, 2 the formula as well; by default the
            first failed attempt gets level 1 and later ones level 2.

    Returns:
        A `Result` (true when every case passes).
    """
    _load_for(exercise_id)
    if exercise_id not in _REGISTRY:
        _load_all()
    if exercise_id not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"no exercise {exercise_id!r}; known exercises: {known}")
    ex = _REGISTRY[exercise_id]
    try:
        ex.checker(answer)
    except Exception as error:
        attempts = _FAILED_ATTEMPTS[exercise_id] = _FAILED_ATTEMPTS.get(exercise_id, 0) + 1
        level = int(hint) if hint is not None else min(attempts, 2)
        if isinstance(error, CheckFailed):
            message, idea = str(error), error.hint or ex.hint
        else:  # the learner's code raised: show where, briefly
            frames = traceback.extract_tb(error.__traceback__)
            where = f" (line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
            message, idea = f"your answer raised {type(error).__name__}: {error}{where}", ex.hint
        if idea and level >= 1:
            message += f"\n  hint: {idea}"
        if ex.formula and level >= 2:
            message += f"\n  hint 2: {ex.formula}"
        elif ex.formula:
            message += "\n  (check again for a second hint, or pass hint=2)"
        result = Result(exercise_id, False, message)
    else:
        result = Result(exercise_id, True, f"{ex.title}: all cases pass.")
    if not quiet:
        print(result)
    return result


def _short(value, limit=160):
    if isinstance(value, np.ndarray) and value.ndim == 0:
        # One number: enough digits that a value rejected as not close never reads the same as the expected one.
        text = f"{value.item():.10g}" if np.issubdtype(value.dtype, np.number) else repr(value.item())
    elif isinstance(value, np.ndarray):
        text = np.array2string(value, precision=5, threshold=12, edgeitems=3)
        text = f"array{value.shape} {text}"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect_close(case, got, expected, rtol=1e-5, atol=1e-8, hint=None):
    """Fail unless `got` has `expected`'s shape and is element-wise close to it."""
    try:
        got_arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(case, expected, got, hint, f"case {case}: expected numbers, got {_short(got)}")
    expected_arr = np.asarray(expected, dtype=np.float64)
    if got_arr.shape != expected_arr.shape:
        raise CheckFailed(
            case, expected, got, hint,
            f"case {case}: expected shape {expected_arr.shape}, got shape {got_arr.shape}",
        )
    if not np.allclose(got_arr, expected_arr, rtol=rtol, atol=atol, equal_nan=False):
        worst = np.unravel_index(np.argmax(np.abs(got_arr - expected_arr)), got_arr.shape) if got_arr.ndim else ()
        raise CheckFailed(
            case, expected, got, hint,
            f"case {case}: expected {_short(expected_arr)}, got {_short(got_arr)}"
            + (f" (largest difference at index {tuple(int(i) for i in worst)})" if got_arr.ndim else ""),
        )


def expect_equal(case, got, expected, hint=None):
    if got != expected:
        raise CheckFailed(case, expected, got, hint)


def expect_true(case, condition, message, hint=None):
    if not condition:
        raise CheckFailed(case, hint=hint, message=f"case {case}: {message}")
