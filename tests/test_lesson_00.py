"""Lesson 00: the setup checks run, and the run times the prose quotes match the lessons' headers."""

import pytest


@pytest.mark.slow
def test_lesson_00_facts(executed_lessons):
    result = executed_lessons(0)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    # "from a quarter of a minute to under two minutes on a 2-core CPU, most of them a minute or less;
    # in full mode up to half an hour"
    assert 10 <= m["shortest_lesson_quick_mode_header_s"] <= 20
    assert 60 < m["longest_lesson_quick_mode_header_s"] < 120
    assert m["share_lessons_over_minute_quick_mode"] < 0.5
    assert 20 < m["longest_lesson_full_mode_header_min"] <= 30
    assert m["digits_test_acc"] > 0.5  # "far above chance (10 %)"
