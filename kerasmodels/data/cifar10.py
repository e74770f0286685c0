"""`cifar10`: CIFAR-10 through `keras.datasets.cifar10` (needs a download once).

- x: float32, shape (N, 32, 32, 3), RGB levels / 255 in [0, 1].
- y: int32, shape (N,), class index into `CLASS_NAMES`.
- splits: train 45,000 / validation 5,000 (the last 5,000 official training images) /
  test 10,000 (the official test set).
- availability: Keras downloads about 170 MB to `~/.keras/datasets` (or `$KERAS_HOME`)
  the first time; after that it works offline. With neither that download nor a network,
  a `MissingDataError` suggests the offline `shapes` set, which has the same image size
  and number of classes.
- source: A. Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", 2009,
  https://www.cs.toronto.edu/~kriz/cifar.html
- licence: no explicit licence; free for research and teaching, cite the report above.

Example:

```python
import kerasmodels as km

try:
    x, y = km.data.load("cifar10", split="test", limit=500)
except km.errors.MissingDataError as error:  # offline and not downloaded before
    print(error)                               # says to use km.data.load("shapes") instead
```
"""

import os
from pathlib import Path

import numpy as np

from kerasmodels.data import _common
from kerasmodels.errors import MissingDataError

NAME = "cifar10"
CLASS_NAMES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
VALIDATION_SIZE = 5000

INFO = {
    "summary": "CIFAR-10 32x32 colour photos, 10 classes (keras.datasets download, online once)",
    "x": "float32 (N, 32, 32, 3), RGB / 255, in [0, 1]",
    "y": "int32 (N,), class index; names in class_names",
    "value_range": (0.0, 1.0),
    "num_classes": 10,
    "class_names": list(CLASS_NAMES),
    "splits": {"train": 45000, "validation": 5000, "test": 10000},
    "split_rule": "validation = last 5,000 of the 50,000 official training images",
    "source": "Krizhevsky 2009, via keras.datasets.cifar10",
    "licence": "no explicit licence; research and teaching use, cite Krizhevsky 2009",
    "url": "https://www.cs.toronto.edu/~kriz/cifar.html",
}


def location(data_dir=None):
    """Where Keras keeps its CIFAR-10 download (it may not exist yet)."""
    _common.reject_data_dir(NAME, data_dir)
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "datasets" / "cifar-10-batches-py"


def available(data_dir=None):
    return location(data_dir).is_dir()


def load(split, data_dir=None):
    """One split of `cifar10` as `(x, y)`; see the module docstring for the format."""
    _common.reject_data_dir(NAME, data_dir)
    if not available() and not _common.network_available():
        raise MissingDataError(
            "data set 'cifar10' is not on this machine and no network is reachable to download it "
            f"(keras.datasets.cifar10 keeps it in {location()}). Fix: use the offline set "
            "'shapes' (same 32x32x3 images, 10 classes): km.data.load('shapes'), or run once "
            "with a network connection."
        )
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.cifar10.load_data()
    if split == "test":
        x, y = x_test, y_test
    elif split == "train":
        x, y = x_train[:-VALIDATION_SIZE], y_train[:-VALIDATION_SIZE]
    else:
        x, y = x_train[-VALIDATION_SIZE:], y_train[-VALIDATION_SIZE:]
    return x.astype(np.float32) / np.float32(255.0), y.reshape(-1).astype(np.int32)
