"""Input drift: is what the model sees in production still like what it was trained on?

In production the true labels usually arrive late or never, so accuracy cannot be
watched directly. What can be watched is the *input*: summarise every request by a
few numbers (an image's mean brightness, a review's length, the model's confidence)
and compare their distribution with a reference window. Two standard measures:

- the population stability index, PSI = Σ_i (c_i − r_i) · ln(c_i / r_i), over bins
  cut at the reference's quantiles (r_i, c_i: the share of reference and current
  values in bin i). Rule of thumb: below 0.1 stable, 0.1–0.25 worth a look, above
  0.25 drifted.
- the two-sample Kolmogorov–Smirnov statistic, the largest vertical gap between
  the two empirical distribution functions (0: identical, 1: disjoint).

PSI is biased upwards on small samples: with B bins and no drift at all its expected
value is about (B − 1)(1/n_ref + 1/n_cur), e.g. 0.18 for 10 bins and 100 values on
each side. Compare windows of several hundred values, or use fewer bins.

`DriftMonitor` keeps a reference (given, or the first `warmup` values seen) and a
sliding window of recent values, and reports both measures per feature.

Example:

```python
import numpy as np
from kerasmodels.serving import drift
rng = np.random.default_rng(0)
monitor = drift.DriftMonitor(["brightness"], reference=rng.normal(0.3, 0.05, (500, 1)))
monitor.update(rng.normal(0.5, 0.05, (300, 1)))
print(monitor.report()["features"]["brightness"]["psi"])  # far above 0.25
```
"""

import collections
import threading

import numpy as np

PSI_WATCH = 0.1
PSI_DRIFT = 0.25


def _as_1d(values, name):
    array = np.asarray(values, dtype=np.float64).reshape(-1)
    if array.size == 0:
        raise ValueError(f"{name} is empty: pass at least one value")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values; drop them before measuring drift")
    return array


def psi_noise_floor(n_reference, n_current, bins=10):
    """Expected PSI between two samples of the *same* distribution: about (bins − 1)(1/n_ref + 1/n_cur)."""
    return (int(bins) - 1) * (1.0 / n_reference + 1.0 / n_current)


def population_stability_index(reference, current, bins=10, smoothing=0.5):
    """PSI between two samples of one scalar feature.

    Bins are cut at the reference's quantiles, so each holds about 1/bins of the
    reference; the outer bins extend to ±infinity so that new extremes are counted.

    Args:
        reference: 1-D values the model was built for (training or a calm period).
        current: 1-D values seen recently.
        bins: number of quantile bins.
        smoothing: pseudo-count added to every bin. The logarithm of an empty bin's share is
            undefined; a tiny floor such as 1e-4 instead turns every empty bin of a small window
            into a large false alarm, a pseudo-count of 0.5 does not.

    Returns:
        A float ≥ 0; 0 when the binned distributions are identical.
    """
    reference = _as_1d(reference, "reference")
    current = _as_1d(current, "current")
    if int(bins) < 2:
        raise ValueError(f"bins={bins!r}: need at least 2 bins")
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, int(bins) + 1)[1:-1]))
    ref_share = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    cur_share = np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1)
    ref_share = (ref_share + smoothing) / (reference.size + smoothing * len(ref_share))
    cur_share = (cur_share + smoothing) / (current.size + smoothing * len(cur_share))
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))


def ks_statistic(reference, current):
    """Two-sample Kolmogorov–Smirnov statistic: max |F_ref(t) − F_cur(t)| over all t."""
    reference = np.sort(_as_1d(reference, "reference"))
    current = np.sort(_as_1d(current, "current"))
    points = np.concatenate([reference, current])
    f_ref = np.searchsorted(reference, points, side="right") / reference.size
    f_cur = np.searchsorted(current, points, side="right") / current.size
    return float(np.max(np.abs(f_ref - f_cur)))


def image_features(images):
    """Per-image summaries for drift: mean brightness, contrast (std) and share of dark pixels.

    Args:
        images: array (N, ...) of pixel values in [0, 1].

    Returns:
        (N, 3) float64 array; names in `IMAGE_FEATURES`.
    """
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    return np.stack([flat.mean(axis=1), flat.std(axis=1), (flat < 0.1).mean(axis=1)], axis=1)


IMAGE_FEATURES = ("mean brightness", "contrast", "dark pixel share")


def text_features(texts):
    """Per-text summaries for drift: characters, words, and share of non-ASCII letters.

    Returns:
        (N, 3) float64 array; names in `TEXT_FEATURES`.
    """
    rows = []
    for text in texts:
        text = str(text)
        non_ascii = sum(1 for ch in text if ord(ch) > 127)
        rows.append((len(text), len(text.split()), non_ascii / max(len(text), 1)))
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


TEXT_FEATURES = ("characters", "words", "non-ASCII share")


class DriftMonitor:
    """Compare recent values of a few scalar features with a reference, thread-safely.

    Args:
        feature_names: names of the columns passed to `update`.
        reference: optional (N, k) reference values; without it the first `warmup`
            rows seen become the reference (the service's "calm period").
        warmup: rows collected as reference when none is given.
        window: how many recent rows are compared with the reference.
        bins: quantile bins of the PSI.
        min_current: rows needed in the window before drift is judged.

    Example:

    ```python
    monitor = DriftMonitor(["length"], warmup=100)
    monitor.update(np.ones((150, 1)))
    monitor.report()["status"]
    ```
    """

    def __init__(self, feature_names, reference=None, warmup=200, window=500, bins=10, min_current=200):
        self.feature_names = tuple(feature_names)
        if not self.feature_names:
            raise ValueError("feature_names is empty: name at least one feature")
        for name, value in (("warmup", warmup), ("window", window), ("bins", bins), ("min_current", min_current)):
            if int(value) < 1:
                raise ValueError(f"{name}={value!r}: must be a positive integer")
        self.warmup, self.window, self.bins = int(warmup), int(window), int(bins)
        self.min_current = min(int(min_current), self.window)  # a full window is always enough
        self._lock = threading.Lock()
        self._pending = []
        self._reference = None
        self._current = collections.deque(maxlen=self.window)
        self.seen = 0
        if reference is not None:
            self.set_reference(reference)

    @property
    def k(self):
        return len(self.feature_names)

    def _rows(self, values, name):
        rows = np.asarray(values, dtype=np.float64)
        if rows.ndim == 1 and self.k == 1:
            rows = rows[:, None]
        if rows.ndim != 2 or rows.shape[1] != self.k:
            raise ValueError(
                f"{name} has shape {rows.shape}; expected (N, {self.k}) for features {list(self.feature_names)}"
            )
        return rows

    def set_reference(self, reference):
        """Use `reference` (N, k) as the calm-period distribution."""
        rows = self._rows(reference, "reference")
        rows = rows[np.all(np.isfinite(rows), axis=1)]
        if len(rows) < 2:
            raise ValueError(f"reference has {len(rows)} finite rows; need at least 2")
        with self._lock:
            self._reference = rows.copy()

    def update(self, values):
        """Add rows (N, k) of feature values observed in production."""
        rows = self._rows(values, "values")
        rows = rows[np.all(np.isfinite(rows), axis=1)]
        with self._lock:
            self.seen += len(rows)
            if self._reference is None:
                self._pending.extend(rows)
                if len(self._pending) >= self.warmup:
                    self._reference = np.asarray(self._pending[: self.warmup])
                    self._current.extend(self._pending[self.warmup:])
                    self._pending = []
                return
            self._current.extend(rows)

    def reset_window(self):
        """Forget the recent values (keep the reference), e.g. after a redeployment or a synthetic load test."""
        with self._lock:
            self._current.clear()

    def report(self):
        """A JSON-ready dict: status ("warming up", "collecting", "stable", "watch", "drift") and per-feature PSI/KS."""
        with self._lock:
            reference = None if self._reference is None else self._reference.copy()
            current = np.asarray(self._current) if self._current else np.empty((0, self.k))
            pending = len(self._pending)
            seen = self.seen
        out = {"seen": seen, "reference_size": 0 if reference is None else len(reference),
               "window_size": len(current), "thresholds": {"watch": PSI_WATCH, "drift": PSI_DRIFT}, "features": {}}
        if reference is None:
            out["status"] = "warming up"
            out["detail"] = f"collecting the reference: {pending} of {self.warmup} rows"
            return out
        if len(current) < self.min_current:
            out["status"] = "collecting"
            out["detail"] = f"{len(current)} of {self.min_current} recent rows needed to judge drift"
            return out
        worst = 0.0
        for j, name in enumerate(self.feature_names):
            psi = population_stability_index(reference[:, j], current[:, j], bins=self.bins)
            worst = max(worst, psi)
            out["features"][name] = {
                "psi": round(psi, 4),
                "ks": round(ks_statistic(reference[:, j], current[:, j]), 4),
                "reference_mean": round(float(reference[:, j].mean()), 4),
                "current_mean": round(float(current[:, j].mean()), 4),
            }
        out["status"] = "drift" if worst > PSI_DRIFT else "watch" if worst > PSI_WATCH else "stable"
        out["max_psi"] = round(worst, 4)
        out["psi_noise_floor"] = round(psi_noise_floor(len(reference), len(current), self.bins), 4)
        return out
