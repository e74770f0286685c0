"""`digits`: scikit-learn's bundled 8x8 handwritten digits (always available, offline).

- x: float32, shape (N, 8, 8), values in [0, 1] (the original 0..16 gray levels / 16).
- y: int32, shape (N,), the digit 0..9.
- splits: fixed and stratified 60/20/20 from the 1,797 images: train 1,079, validation
  359, test 359 (every class keeps its share in every split).
- source: the test set of the UCI "Optical Recognition of Handwritten Digits" data
  (E. Alpaydin, C. Kaynak, 1998), as shipped in `sklearn/datasets/data/digits.csv.gz`.
- licence: CC BY 4.0 (UCI Machine Learning Repository); scikit-learn itself is BSD-3.

Example:

```python
import kerasmodels as km
x, y = km.data.load("digits", split="train")   # (1079, 8, 8) float32, (1079,) int32
```
"""

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from kerasmodels.data import _common

NAME = "digits"
SPLIT_SEED = 0
FRACTIONS = {"test": 0.2, "validation": 0.2, "train": None}

INFO = {
    "summary": "8x8 handwritten digits from scikit-learn, 1,797 images, 10 classes (always available)",
    "x": "float32 (N, 8, 8), gray level / 16, in [0, 1]",
    "y": "int32 (N,), digit 0..9",
    "value_range": (0.0, 1.0),
    "num_classes": 10,
    "class_names": [str(i) for i in range(10)],
    "splits": {"train": 1079, "validation": 359, "test": 359},
    "split_rule": "stratified 60/20/20 with a fixed hash-based shuffle (seed 0)",
    "source": "UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak 1998), "
              "bundled with scikit-learn as sklearn/datasets/data/digits.csv.gz",
    "licence": "CC BY 4.0 (UCI); scikit-learn: BSD-3-Clause",
    "url": "https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits",
}


def location(data_dir=None):
    """The csv.gz file inside scikit-learn, found without importing scikit-learn."""
    _common.reject_data_dir(NAME, data_dir)
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    return path if path.is_file() else None


def available(data_dir=None):
    return location(data_dir) is not None


def _read_all():
    path = location()
    if path is not None:
        # Reading the csv directly avoids importing scikit-learn (and SciPy): ~1 s saved.
        with gzip.open(path, "rt") as f:
            table = np.loadtxt(f, delimiter=",", dtype=np.float32)
        images, labels = table[:, :-1], table[:, -1]
    else:
        from sklearn.datasets import load_digits

        bunch = load_digits()
        images, labels = bunch.data, bunch.target
    x = (np.asarray(images, np.float32) / np.float32(16.0)).reshape(-1, 8, 8)
    y = np.asarray(labels).astype(np.int32)
    return x, y


def load(split, data_dir=None):
    """One split of `digits` as `(x, y)`; see the module docstring for the format."""
    _common.reject_data_dir(NAME, data_dir)
    x, y = _read_all()
    index = _common.stratified_split(y, FRACTIONS, SPLIT_SEED)[split]
    return x[index], y[index]
