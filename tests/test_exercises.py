"""Every exercise has a solution that passes and a plausible wrong answer that fails with specific feedback."""

import importlib.util
from pathlib import Path

import pytest

from kerasmodels.course import exercises

SOLUTIONS_DIR = Path(__file__).resolve().parents[1] / "lessons" / "solutions"


def _solution_modules():
    modules = []
    for path in sorted(SOLUTIONS_DIR.glob("[0-9][0-9]_*.py")):
        spec = importlib.util.spec_from_file_location(f"solutions_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return modules


def _all_cases():
    cases = []
    for module in _solution_modules():
        for exercise_id in module.SOLUTIONS:
            cases.append((exercise_id, module))
    return cases


CASES = _all_cases()


@pytest.mark.parametrize("exercise_id,module", CASES, ids=[c[0] for c in CASES])
def test_solution_passes(exercise_id, module):
    result = exercises.check(exercise_id, module.SOLUTIONS[exercise_id], quiet=True)
    assert result.passed, result.message


@pytest.mark.parametrize("exercise_id,module", CASES, ids=[c[0] for c in CASES])
def test_wrong_answer_fails_with_specific_feedback(exercise_id, module):
    assert exercise_id in module.WRONG_ANSWERS, f"{exercise_id} has no plausible wrong answer to test"
    result = exercises.check(exercise_id, module.WRONG_ANSWERS[exercise_id], quiet=True)
    assert not result.passed
    # Specific feedback: names a case and says what was expected, or why it failed.
    assert "case" in result.message or "raised" in result.message, result.message
    assert len(result.message) > 20


def test_every_registered_exercise_has_a_solution():
    solved = {exercise_id for exercise_id, _ in CASES}
    registered = set(exercises.list_exercises())
    assert registered, "no exercises registered"
    assert registered <= solved, f"exercises without a solution: {sorted(registered - solved)}"


def test_feedback_names_case_expected_got_and_hint():
    result = exercises.check("00.batches_per_epoch", lambda n, b: n // b, quiet=True)
    assert not result
    assert "num_examples=60000, batch_size=128" in result.message
    assert "expected 469" in result.message and "got 468" in result.message
    assert "hint:" in result.message


def test_a_crashing_answer_is_reported_not_raised():
    def broken(n, b):
        return n / undefined_name  # noqa: F821

    result = exercises.check("00.batches_per_epoch", broken, quiet=True)
    assert not result
    assert "NameError" in result.message


def test_unknown_exercise_lists_known_ones():
    with pytest.raises(KeyError, match="00.batches_per_epoch"):
        exercises.check("99.nothing", lambda: None, quiet=True)


def test_expect_close_reports_shape_mismatch():
    import numpy as np

    with pytest.raises(exercises.CheckFailed, match="expected shape"):
        exercises.expect_close("x", np.zeros((2, 3)), np.zeros((3, 2)))


def test_every_exercise_id_names_the_lesson_that_registers_it():
    # "14.conv2d_flops" must live in exercises/lesson14.py: check() loads that module first, and
    # `kerasmodels assignment export 14` looks there.
    import kerasmodels.course.exercises._core as core

    core._load_all()
    wrong = {ex_id: ex.checker.__module__ for ex_id, ex in core._REGISTRY.items()
             if ex.checker.__module__.startswith("kerasmodels.course.exercises.lesson")
             and not ex.checker.__module__.endswith("lesson" + ex_id.split(".")[0])}
    assert wrong == {}
