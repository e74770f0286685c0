"""The course: what the numbered lessons run on, and the modules that teach.

Not part of the supported API (that is `kerasmodels.models`, `callbacks`,
`data`, ...): these modules follow the lessons and change with them.

- `setup_lesson(N)` (`course.lesson`): seeds, versions, device, quick or full mode.
- `course.runner`: executes lessons headlessly, the tour and its report.
- `course.plots`: the lessons' figures. `course.exercises`: graded exercises.
- `course.scratch`: things re-implemented to be understood (a NumPy network,
  optimizers, metrics, attention, WordPiece), each checked against the library.
- `course.topics`: one module per topic lesson (GANs, compression, privacy,
  fairness, explanation, load testing).

Example:

```python
import kerasmodels as km
from kerasmodels import course

course.exercises.check("01.sigmoid_derivative", lambda z: 0.25 + 0 * z)  # prints why it is wrong
```
"""

import importlib

_SUBMODULES = ("exercises", "lesson", "plots", "runner", "scratch", "topics")

__all__ = list(_SUBMODULES) + ["setup_lesson"]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name == "setup_lesson":
        from kerasmodels.course.lesson import setup_lesson

        return setup_lesson
    raise AttributeError(f"module 'kerasmodels.course' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)


def register_saveable_classes():
    """Import the course modules whose classes a saved `.keras` file may name.

    `kerasmodels.models.load_model` calls this hook through the
    `kerasmodels.saveables` entry point, so a `Distiller` or a `GAN` saved in a
    lesson loads in a fresh process without the API importing lesson code.
    """
    importlib.import_module("kerasmodels.course.topics.compression")  # Distiller
    importlib.import_module("kerasmodels.course.topics.gan")  # GAN
