"""Automatically graded exercises.

A learner writes a function or a value and calls `check`:

```python
import numpy as np
from kerasmodels import course

def sigmoid_derivative(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)

course.exercises.check("01.sigmoid_derivative", sigmoid_derivative).passed  # True
```

The answer is tried on named cases; a failure names the case, the expected and
the received value and gives a hint, never just "wrong". Each lesson's checks
live in `kerasmodels/course/exercises/lessonNN.py`; solutions live apart, in
`lessons/solutions/`.
"""

from kerasmodels.course.exercises._core import (
    CheckFailed,
    Result,
    check,
    exercise,
    expect_close,
    expect_equal,
    expect_true,
    list_exercises,
)

__all__ = [
    "CheckFailed",
    "Result",
    "check",
    "exercise",
    "expect_close",
    "expect_equal",
    "expect_true",
    "list_exercises",
]
