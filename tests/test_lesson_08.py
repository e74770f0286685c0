"""Lesson 08: the remedies computed by hand equal Keras's; the controlled experiment shows over- and under-fitting."""


def test_lesson_08_facts(executed_lessons):
    from conftest import notebook_text_outputs

    result = executed_lessons(8)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["L2 penalty by hand vs keras: absolute difference"] < 1e-5
    assert m["batch norm by hand vs keras: max difference"] < 1e-4
    assert m["schedules by hand vs keras: max relative difference"] < 1e-5
    # Over-fitting: validation loss far above a training loss near zero.
    assert m["baseline over-fitting gap: validation loss minus training loss"] > 0.05
    # Under-fitting: three hidden units cannot learn ten digits as well as the baseline does.
    assert m["too small: final validation accuracy"] < m["baseline: final validation accuracy"] - 0.2
    assert m["early stopping: epochs trained"] < 40  # stopped before the quick-mode budget
    text = notebook_text_outputs(result)
    assert "inference: unchanged = True" in text
    for exercise in ("08.l2_penalty", "08.cosine_decay", "08.batch_norm"):
        assert f"[NOT YET] {exercise}" in text
    assert {"regularisation_experiment.png", "learning_rate_schedules.png"} <= {f.name for f in result.figures}
