"""kerasmodels: a Keras 3 teaching package.

The supported API, what you import in your own notebooks and scripts:

- `kerasmodels.models`: model factories (`mlp`, `cnn`, `bert_classifier`),
  `compile_model`, `load_model`, the learning-rate schedule they train with.
- `kerasmodels.callbacks`: hardware-aware callbacks for `fit()`.
- `kerasmodels.data`: offline data sets (`load`, `to_tf_dataset`, the packs).
- `kerasmodels.accelerate`: the precision / XLA / distribution choice for the
  machine at hand (`setup()`); `kerasmodels.hardware`: what that machine is;
  `kerasmodels.distributed`: training on several machines (multi-worker launches).
- `kerasmodels.flops`: FLOP counting and device peaks, the numbers behind MFU.
- `kerasmodels.train`: `train()`, the `kerasmodels train` command as a function;
  `kerasmodels.registry`: the model kinds (presets, recipes) and data sets it knows.
- `kerasmodels.serving`: the prediction service (`kerasmodels serve`).
- `kerasmodels.errors`, `kerasmodels.paths`: the package's errors and where it writes.
- the `kerasmodels` command line (`kerasmodels.cli`).

Everything else is course material: the `course` subpackage holds the lessons'
machinery (`setup_lesson`, the runner, plots, graded exercises) and the modules
that re-implement things from scratch to teach them (`course.scratch`) or
teach one topic (`course.topics`). It may change with the lessons; the API
above does not import it.

`import kerasmodels` is cheap: Keras and TensorFlow are imported only when a
submodule that needs them is first used.

Example:

```python
import kerasmodels as km

x_train, y_train = km.data.load("digits", split="train")
model = km.models.mlp(input_shape=(8, 8), num_classes=10)
model.output_shape  # (None, 10)
```
"""

import importlib

from kerasmodels import _native_log

__version__ = "0.1.0"

# Before anything imports TensorFlow: no C++ start-up chatter in a learner's first cell (see _native_log).
_native_log.install()

# The supported API, imported on first use (`km.models`, `km.data`, ...).
API = (
    "accelerate",
    "callbacks",
    "data",
    "distributed",
    "errors",
    "flops",
    "hardware",
    "models",
    "paths",
    "registry",
    "serving",
    "train",
)

__all__ = list(API) + ["__version__"]


def __getattr__(name):
    if name in API:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'kerasmodels' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
