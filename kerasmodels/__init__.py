"""kerasmodels: a Keras 3 teaching package.

Model factories (`kerasmodels.models`), hardware-aware callbacks
(`kerasmodels.callbacks`), offline data sets (`kerasmodels.data`), graded
exercises (`kerasmodels.exercises`) and the numbered lessons that use them.

`import kerasmodels` is cheap: Keras and TensorFlow are imported only when a
submodule that needs them is first used.

Example:

```python
import kerasmodels as km
x_train, y_train = km.data.load("digits", split="train")
model = km.models.mlp(input_shape=(8, 8), num_classes=10)
```
"""

import importlib

__version__ = "0.1.0"

_SUBMODULES = (
    "accelerate",
    "attention",
    "callbacks",
    "compression",
    "data",
    "drift",
    "exercises",
    "explain",
    "fairness",
    "gan",
    "hardware",
    "lesson",
    "loadtest",
    "metrics_scratch",
    "models",
    "numpy_nn",
    "optimizers_scratch",
    "paths",
    "plots",
    "privacy",
    "runner",
    "serving",
    "text",
    "train",
)

__all__ = list(_SUBMODULES) + ["setup_lesson", "__version__"]


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"kerasmodels.{name}")
    if name == "setup_lesson":
        from kerasmodels.lesson import setup_lesson

        return setup_lesson
    raise AttributeError(f"module 'kerasmodels' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
