"""Lesson 01: activations and their derivatives agree with finite differences and autodiff."""

import numpy as np
import pytest

from kerasmodels.course.scratch import numpy_nn


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_derivative_formulas_match_finite_differences(name):
    f, df = numpy_nn.ACTIVATIONS[name]
    z = np.linspace(-4, 4, 41) + 0.013  # avoid ReLU's kink at exactly 0
    finite = (f(z + 1e-6) - f(z - 1e-6)) / 2e-6
    np.testing.assert_allclose(df(z), finite, atol=1e-8)


def test_sigmoid_is_stable_for_large_inputs():
    with np.errstate(over="raise"):
        assert np.array_equal(numpy_nn.sigmoid(np.array([-1000.0, 1000.0])), [0.0, 1.0])


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="sigmoid"):
        numpy_nn.get_activation("softplus")


@pytest.mark.slow
def test_lesson_01_runs_and_derivatives_agree(executed_lessons):
    from conftest import notebook_text_outputs

    result = executed_lessons(1)
    assert result.status == "passed", result.error
    assert result.metrics["max |formula - autodiff|"]["value"] < 1e-12
    assert result.metrics["max |formula - finite difference|"]["value"] < 1e-8
    text = notebook_text_outputs(result)
    # The one-unit Dense layer reproduces the hand computation.
    line = next(line for line in text.splitlines() if line.startswith("Keras Dense:"))
    assert float(line.split("difference:")[1]) < 1e-6
    assert {"neuron_output", "activations"} <= {f.stem for f in result.figures}
