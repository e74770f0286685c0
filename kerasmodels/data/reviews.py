"""`reviews`: 2,000 short English reviews written for kerasmodels, shipped inside the package.

Reviews of films, books, restaurants, gadgets, apps, services and more, one or two
sentences each, half positive; the set deliberately includes negation, contrast and mild
sarcasm (see `kerasmodels/data/reviews/README.md` for how it was written and measured).

- x: NumPy array of Python `str`, dtype `object`, shape (N,). Object dtype keeps each
  review a normal Python string (a fixed-width `str_` array would pad every row to the
  longest review); `tf.data` and `keras.layers.TextVectorization` accept it as is,
  and `x.tolist()` gives a plain list of str.
- y: int32, shape (N,), 1 = positive, 0 = negative.
- splits: `train.tsv` is divided once, stratified 85/15, into train / validation with a
  fixed hash-based shuffle (train 1,360, validation 240 with the shipped files);
  `test.tsv` (400) is the fixed held-out test split. Rows of every split come in a fixed
  shuffled order, so `limit=` gives both classes.
- files: `kerasmodels/data/reviews/train.tsv` and `test.tsv`, UTF-8, a header line
  `label<TAB>text`, then one review per line with label `positive` or `negative`.
  `data_dir=` may point at another folder holding the same two files.
- source and licence: written by hand for kerasmodels; Apache-2.0 like the package.

Example:

```python
import kerasmodels as km
texts, labels = km.data.load("reviews", split="train")
texts[0], labels[0]          # ('...', 1)
```
"""

from pathlib import Path

import numpy as np

from kerasmodels.data import _common
from kerasmodels.errors import KerasmodelsError, MissingDataError

NAME = "reviews"
PACKAGED_DIR = Path(__file__).resolve().parent / "reviews"
FILES = {"train": "train.tsv", "test": "test.tsv"}
LABELS = {"negative": 0, "positive": 1}
SPLIT_SEED = 0
FRACTIONS = {"validation": 0.15, "train": None}

INFO = {
    "summary": "2,000 short English reviews (films, books, gadgets, ...) shipped with the "
               "package, positive/negative",
    "x": "NumPy array of Python str (dtype object), shape (N,)",
    "y": "int32 (N,), 1 = positive, 0 = negative",
    "value_range": None,
    "num_classes": 2,
    "class_names": ["negative", "positive"],
    "split_rule": "train.tsv split stratified 85/15 into train/validation (fixed hash shuffle, "
                  "seed 0); test.tsv is the held-out test split",
    "source": "written by hand for kerasmodels; kerasmodels/data/reviews/{train,test}.tsv "
              "(README.md there)",
    "licence": "Apache-2.0 (as the package)",
    "url": None,
}


def location(data_dir=None):
    return Path(data_dir).expanduser() if data_dir is not None else PACKAGED_DIR


def available(data_dir=None):
    folder = location(data_dir)
    return all((folder / f).is_file() for f in FILES.values())


def read_tsv(path):
    """Read one reviews file into `(texts, labels)`.

    Args:
        path: a UTF-8 file with the header `label<TAB>text` and rows `positive<TAB>...` or
            `negative<TAB>...`. Blank lines are skipped.

    Returns:
        `(texts, labels)`: object array of str, int32 array.
    """
    path = Path(path)
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\r\n")
        if header.split("\t") != ["label", "text"]:
            raise KerasmodelsError(
                f"{path}: the first line must be the header 'label<TAB>text', got {header[:60]!r}. "
                "Fix: restore the file (it ships with kerasmodels) or add the header."
            )
        for number, line in enumerate(f, start=2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            label, tab, text = line.partition("\t")
            if not tab or label not in LABELS or not text.strip():
                raise KerasmodelsError(
                    f"{path}, line {number}: expected 'positive<TAB>text' or 'negative<TAB>text', "
                    f"got {line[:60]!r}. Fix: correct that line."
                )
            texts.append(text.strip())
            labels.append(LABELS[label])
    return np.array(texts, dtype=object), np.array(labels, dtype=np.int32)


def load(split, data_dir=None):
    """One split of `reviews` as `(x, y)`; see the module docstring for the format."""
    folder = location(data_dir)
    file = folder / FILES["test" if split == "test" else "train"]
    if not file.is_file():
        raise MissingDataError(
            f"data set 'reviews': {file} does not exist. The reviews files ship inside the "
            "kerasmodels package; with data_dir= the folder must hold train.tsv and test.tsv. "
            "Fix: reinstall kerasmodels (or restore kerasmodels/data/reviews/ from the repository), "
            "or correct data_dir."
        )
    texts, labels = read_tsv(file)
    if split == "test":
        index = _common.stable_permutation(len(labels), SPLIT_SEED + 99)
    else:
        index = _common.stratified_split(labels, FRACTIONS, SPLIT_SEED)[split]
    return texts[index], labels[index]


def split_sizes(data_dir=None):
    """Row count of each split, read from the files (None when they are missing)."""
    if not available(data_dir):
        return None
    return {split: len(load(split, data_dir)[1]) for split in _common.SPLITS}
