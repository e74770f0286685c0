"""The one call a lesson's setup cell makes, and where its figures and metrics go.

A lesson starts with

```python
import kerasmodels as km
from kerasmodels import course

lesson = course.setup_lesson(7)
```

which sets every seed, prints versions, backend, device and mode, and warns in
plain words when something is off (wrong Keras, no pack). The returned `Lesson`
knows the mode (quick or full) and saves figures and headline metrics where
`kerasmodels run` and `kerasmodels tour` collect them. Each number is recorded
under a short stable key with its prose label apart,
`lesson.metric("test_acc", acc, "test accuracy")`, so tests look it up by key.

Mode: KERASMODELS_MODE=quick|full; by default quick on a machine without a GPU
and full with one.
"""

import json
import os
import re
import time
import unicodedata
from pathlib import Path

from kerasmodels import hardware
from kerasmodels.course.contract import MAX_METRIC_KEY, METRIC_KEY, METRICS_FILE, MODE_ENV, MODES, RUN_DIR_ENV
from kerasmodels.paths import atomic_write_text

MIN_KERAS = (3, 0)


def default_mode(info=None):
    env = os.environ.get(MODE_ENV, "").strip().lower()
    if env:
        if env not in MODES:
            raise ValueError(f"{MODE_ENV}={env!r} is not a mode; use 'quick' or 'full'")
        return env
    info = info or hardware.describe()
    return "full" if info["accelerators"] else "quick"


def key_part(value):
    """`value` (a name, a number) as a piece of a metric key: ASCII lower_snake_case.

    For keys built in a loop: `lesson.metric(f"{key_part(name)}_test_acc", acc, f"{name}: test accuracy")`.

    Args:
        value: a string or number, e.g. "LoRA, rank 4" or 0.5.

    Returns:
        The lower_snake_case text, e.g. "lora_rank_4" or "0_5".

    Example:

    ```python
    key_part("Adam + L2")  # 'adam_l2'
    ```
    """
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().lower().replace("'", "")
    part = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if not part:
        raise ValueError(f"{value!r} has no letters or digits to put in a metric key. Fix: spell that part of the key out")
    return part


class Lesson:
    """State of one running lesson.

    Args:
        number: the lesson's number (0-20).
        mode: "quick" or "full".
        seed: the seed set for Python, NumPy and the Keras backend.
        output_dir: where figures and metrics.json are written; by default
            KERASMODELS_RUN_DIR when the lesson runs under `kerasmodels run`,
            else `./figures`.
    """

    def __init__(self, number, mode, seed, output_dir=None):
        self.number = number
        self.mode = mode
        self.seed = seed
        self.output_dir = Path(output_dir or os.environ.get(RUN_DIR_ENV) or "figures")
        self.metrics = {}
        self.started = time.time()

    key_part = staticmethod(key_part)

    @property
    def quick(self):
        return self.mode == "quick"

    @property
    def full(self):
        return self.mode == "full"

    def pick(self, quick, full):
        """`quick` in quick mode, `full` in full mode: `epochs = lesson.pick(2, 15)`."""
        return quick if self.quick else full

    def savefig(self, fig, name):
        """Save a matplotlib figure as `<output_dir>/<name>.png` and return the path."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ValueError(f"figure name {name!r}: use letters, digits, '_', '-' and '.' only")
        self.output_dir.mkdir(parents=True, exist_ok=True)
        path = self.output_dir / f"{name}.png"
        tmp = path.with_suffix(".png.tmp")
        # The report captions each figure with the title stored in the PNG.
        title = fig._suptitle.get_text() if fig._suptitle else next((a.get_title() for a in fig.axes if a.get_title()), "")
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png", metadata={"Title": title} if title else None)
        os.replace(tmp, path)
        return path

    def metric(self, key, value, label, *, headline=False, fmt=None):
        """Record a number the lesson produced under a short stable key, and print it with its label.

        Tests and tools look a metric up by its `key`; readers see its `label`. So the prose of a
        label can be reworded (or translated) without touching a test.

        Args:
            key: a short stable identifier in lower_snake_case (`[a-z][a-z0-9_]*`, at most 40
                characters), unique within the lesson, e.g. "test_acc" or, in a loop,
                f"grad_norm_{size}".
            value: a float or int.
            label: the English prose shown to the reader, e.g. "test accuracy".
            headline: show it in the `kerasmodels tour` table.
            fmt: a format spec such as ".1%" used when displaying.

        Returns:
            The value as a float (a `RecordedValue`), after printing "label: value".

        Example:

        ```python
        lesson = Lesson(number=99, mode="quick", seed=0, output_dir="figures")
        acc = lesson.metric("test_acc", 0.9731, "test accuracy", headline=True, fmt=".1%")
        # prints "test accuracy: 97.3%"; figures/metrics.json holds it under "test_acc"
        for size in ("small", "large"):  # a key per loop value
            lesson.metric(f"grad_norm_{size}", 0.1, f"gradient norm, {size} weights")
        ```
        """
        if not isinstance(key, str) or not METRIC_KEY.fullmatch(key) or len(key) > MAX_METRIC_KEY:
            raise ValueError(f"metric key {key!r} is not a short stable key. Fix: use lower_snake_case, a letter first, "
                             f"at most {MAX_METRIC_KEY} characters (e.g. 'test_acc'), and put the prose in label")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"metric {key!r} has no label. Fix: pass the prose shown to readers, "
                             f"e.g. lesson.metric({key!r}, value, 'test accuracy')")
        known = self.metrics.get(key)
        if known is not None and known["label"] != label:
            raise ValueError(f"metric key {key!r} was recorded as {known['label']!r} and now as {label!r}. "
                             "Fix: give each number its own key, or record it again with the same label")
        value = float(value)
        self.metrics[key] = {"label": label, "value": value, "headline": bool(headline), "fmt": fmt}
        self.output_dir.mkdir(parents=True, exist_ok=True)
        payload = {"lesson": self.number, "mode": self.mode, "seed": self.seed, "metrics": self.metrics}
        atomic_write_text(self.output_dir / METRICS_FILE, json.dumps(payload, indent=2))
        shown = format(value, fmt) if fmt else f"{value:.4g}"
        print(f"{label}: {shown}")
        return RecordedValue(value)


class RecordedValue(float):
    """The float `Lesson.metric` returns: usable as a number, shown once (by the printed line).

    A notebook displays the value of a cell's last expression; `metric` has printed "name: value"
    already, so a bare repeat of the number under it would only puzzle a reader.
    """

    def _ipython_display_(self):
        pass


def setup_lesson(number, seed=0, mode=None, quiet=False):
    """Prepare a lesson: seeds, versions, backend, device and mode, with advice when off.

    Args:
        number: the lesson's number.
        seed: the random seed (same seed, same numbers on the same machine).
        mode: "quick" or "full"; default from KERASMODELS_MODE, else quick without a GPU.
        quiet: print nothing.

    Returns:
        A `Lesson`.

    Example:

    ```python
    lesson = setup_lesson(1)
    epochs = lesson.pick(quick=2, full=20)
    ```
    """
    import warnings

    warnings.filterwarnings("ignore", message=".*np.find_common_type.*")
    info = hardware.describe(with_devices=False)
    problems = check_versions(info["versions"])
    import keras

    keras.utils.set_random_seed(seed)  # Python's, NumPy's and the backend's generators
    info = hardware.describe(with_devices=True)
    mode = mode or default_mode(info)
    if mode not in MODES:
        raise ValueError(f"mode={mode!r} is not a mode; use 'quick' or 'full'")
    lesson = Lesson(number, mode, seed)
    if not quiet:
        print(hardware.format_report(info))
        print(f"Lesson {number:02d} | mode: {mode} | seed: {seed}")
        if mode == "quick":
            print(f"Quick mode: small data and few epochs. For the full run: {MODE_ENV}=full")
        for problem in problems:
            print("WARNING:", problem)
    return lesson


def check_versions(versions):
    """Plain-words problems with the installed versions (empty when all is well)."""
    problems = []
    keras_version = versions.get("keras")
    if keras_version is None:
        problems.append("Keras is not installed. Fix: pip install -e . from the kerasmodels checkout.")
    else:
        major = int(keras_version.split(".")[0])
        if major < MIN_KERAS[0]:
            problems.append(
                f"Keras {keras_version} is Keras 2; these lessons need Keras 3. "
                "Fix: pip install --upgrade 'keras>=3' (and remove tf-keras from KERAS settings)."
            )
    if os.environ.get("TF_USE_LEGACY_KERAS") == "1":
        problems.append("TF_USE_LEGACY_KERAS=1 selects Keras 2; unset it for these lessons.")
    return problems
