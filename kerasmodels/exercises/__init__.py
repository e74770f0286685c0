"""Automatically graded exercises.

A learner writes a function or a value and calls `check`:

```python
import kerasmodels as km
def sigmoid(z):
    return 1 / (1 + np.exp(-z))
km.exercises.check("01.sigmoid", sigmoid)
```

The answer is tried on named cases; a failure names the case, the expected and
the received value and gives a hint, never just "wrong". Each lesson's checks
live in `kerasmodels/exercises/lessonNN.py`; solutions live apart, in
`lessons/solutions/`.
"""

from kerasmodels.exercises._core import (
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
