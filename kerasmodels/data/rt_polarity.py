"""`rt_polarity`: Pang & Lee's sentence polarity data set v1.0 (Rotten Tomatoes snippets).

- x: NumPy array of Python `str`, dtype `object`, shape (N,): one lower-cased, tokenised
  review sentence each, surrounding whitespace stripped.
- y: int32, shape (N,), 1 = positive (`rt-polarity.pos`), 0 = negative (`rt-polarity.neg`).
- splits: 10,662 sentences (5,331 per class). A fixed hash-based shuffle (seed 0) of each
  class, then test = 10% (1,066), validation = 10% (1,066), train = the rest (8,530);
  every split is exactly half positive.
- files: read from `data_dir=`, else from the folder in the environment variable
  `KERASMODELS_RT_POLARITY` (developers and CI: `../shared/data/rt-polarity` from the
  repository root). The folder may hold the two files directly or the unpacked
  `rt-polaritydata/` folder of Cornell's archive. kerasmodels never copies them.
- encoding: the copy whose sha256 kerasmodels knows is UTF-8; Cornell's original archive
  has non-UTF-8 bytes (Windows-1252 / Latin-1, "é" as the single byte 0xE9). Each line is
  decoded as UTF-8, falling back to Windows-1252 and then Latin-1 for that line only, so a
  line never fails to decode and both encodings of the same text give the same strings.
- integrity: each file's sha256 must match the known UTF-8 copy, either as stored or after
  that per-line decoding is re-encoded as UTF-8 (so a Windows-1252 copy of the same text is
  accepted). Anything else raises `KerasmodelsError`.
- source: B. Pang and L. Lee, "Seeing stars: Exploiting class relationships for sentiment
  categorization with respect to rating scales", ACL 2005. "sentence polarity dataset
  v1.0", https://www.cs.cornell.edu/people/pabo/movie-review-data/
- licence: distributed by Cornell for research use without an explicit licence; cite the
  paper above. Published 10-fold cross-validation accuracies: NB-SVM 79.4%, Kim (2014)
  CNN-static 81.0%, CNN-non-static 81.5%.

Example:

```python
import kerasmodels as km

try:  # the folder comes from data_dir=... or KERASMODELS_RT_POLARITY
    x, y = km.data.load("rt_polarity", split="test")
    print(len(x), y.mean())  # 1066 0.5
except km.errors.MissingDataError as error:
    print(error)             # where to get the two files, and how to point at them
```
"""

import hashlib
import os
from pathlib import Path

import numpy as np

from kerasmodels.data import _common
from kerasmodels.errors import KerasmodelsError, MissingDataError

NAME = "rt_polarity"
ENV_VAR = "KERASMODELS_RT_POLARITY"
FILES = {1: "rt-polarity.pos", 0: "rt-polarity.neg"}
SHA256 = {
    "rt-polarity.pos": "4134882974a28d0c7b5151256f0e33a6169984ee7372c279e673f1114f475d58",
    "rt-polarity.neg": "2d11cfbc790f1cd96d78339f41ce53ced1efa83cd22d37d6788fa3fe3d17e2fd",
}
SPLIT_SEED = 0
FRACTIONS = {"test": 0.1, "validation": 0.1, "train": None}
DOWNLOAD_URL = "https://www.cs.cornell.edu/people/pabo/movie-review-data/"

INFO = {
    "summary": "real Rotten Tomatoes sentences, 10,662, positive/negative (folder from data_dir "
               f"or ${ENV_VAR})",
    "x": "NumPy array of Python str (dtype object), shape (N,), lower-cased tokenised sentences",
    "y": "int32 (N,), 1 = positive, 0 = negative",
    "value_range": None,
    "num_classes": 2,
    "class_names": ["negative", "positive"],
    "splits": {"train": 8530, "validation": 1066, "test": 1066},
    "split_rule": "per class a fixed hash-based shuffle (seed 0), then test 10%, validation 10%, "
                  "train the rest; balanced",
    "source": "Pang & Lee (ACL 2005), Cornell sentence polarity dataset v1.0 "
              "(rt-polarity.pos / rt-polarity.neg)",
    "licence": "research use, distributed by Cornell without an explicit licence; cite Pang & Lee 2005",
    "url": DOWNLOAD_URL,
    "encoding": "UTF-8 per line, falling back to Windows-1252 then Latin-1 (original release)",
}


def _missing_error(detail):
    return MissingDataError(
        f"data set 'rt_polarity': {detail}. It needs the files rt-polarity.pos and "
        "rt-polarity.neg of Cornell's \"sentence polarity dataset v1.0\" "
        f"(rt-polaritydata.tar.gz from {DOWNLOAD_URL}). Fix: download and unpack it, then pass "
        f"data_dir='/path/to/rt-polaritydata' or set {ENV_VAR}=/path/to/rt-polaritydata "
        "(in a kerasmodels checkout: ../shared/data/rt-polarity)."
    )


def _configured_dir(data_dir):
    if data_dir is not None:
        return Path(os.path.abspath(Path(data_dir).expanduser())), "data_dir"
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(os.path.abspath(Path(env).expanduser())), ENV_VAR
    return None, None


def location(data_dir=None):
    """The folder holding both files, or None when not configured or incomplete."""
    folder, _ = _configured_dir(data_dir)
    if folder is None:
        return None
    for candidate in (folder, folder / "rt-polaritydata"):
        if all((candidate / f).is_file() for f in FILES.values()):
            return candidate
    return None


def available(data_dir=None):
    return location(data_dir) is not None


def require_dir(data_dir=None):
    """`location()`, or a `MissingDataError` that says what to download and where to put it."""
    folder, origin = _configured_dir(data_dir)
    if folder is None:
        raise _missing_error(f"no folder given (neither data_dir= nor ${ENV_VAR} is set)")
    found = location(data_dir)
    if found is None:
        if not folder.is_dir():
            raise _missing_error(f"the folder {origin}={str(folder)!r} does not exist")
        raise _missing_error(f"the folder {origin}={str(folder)!r} does not hold both files")
    return found


def decode_lines(raw):
    """Decode a file's bytes line by line: UTF-8, else Windows-1252, else Latin-1.

    Args:
        raw: the file's bytes.

    Returns:
        list of str, one per line, without line endings (a final empty line is dropped).
    """
    lines = []
    for chunk in raw.split(b"\n"):
        chunk = chunk.rstrip(b"\r")
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                lines.append(chunk.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _read_verified(path):
    raw = path.read_bytes()
    expected = SHA256[path.name]
    lines = decode_lines(raw)
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        # A Windows-1252 release of the same text is accepted once normalised to UTF-8.
        normalised = hashlib.sha256(("\n".join(lines) + "\n").encode("utf-8")).hexdigest()
        if normalised != expected:
            raise KerasmodelsError(
                f"data set 'rt_polarity': {path} has sha256 {actual}, expected {expected} "
                "(sentence polarity dataset v1.0). The file is damaged, edited or another "
                f"version. Fix: download rt-polaritydata.tar.gz again from {DOWNLOAD_URL} and "
                "point data_dir (or $KERASMODELS_RT_POLARITY) at the unpacked folder."
            )
    return [line.strip() for line in lines if line.strip()]


def _read_all(data_dir):
    folder = require_dir(data_dir)
    texts, labels = [], []
    for label, filename in FILES.items():
        sentences = _read_verified(folder / filename)
        texts.extend(sentences)
        labels.extend([label] * len(sentences))
    return np.array(texts, dtype=object), np.array(labels, dtype=np.int32)


def load(split, data_dir=None):
    """One split of `rt_polarity` as `(x, y)`; see the module docstring for the format."""
    texts, labels = _read_all(data_dir)
    index = _common.stratified_split(labels, FRACTIONS, SPLIT_SEED)[split]
    return texts[index], labels[index]
