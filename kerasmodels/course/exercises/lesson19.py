"""Exercises of lesson 19: validating a request, the population stability index, Little's law."""

import math

import numpy as np

from kerasmodels.course.exercises._core import CheckFailed, exercise, expect_close, expect_true


def _image(value=0.5):
    return np.full((28, 28), value).tolist()


@exercise("19.validate_image", "validate one 28x28 image for the service",
          hint="check type, shape, finiteness and range, refusing anything else",
          formula="check, in order: it converts to a numeric array (np.asarray(...).dtype.kind in 'iuf', not bool), "
               "shape (28, 28), np.isfinite everywhere, and 0 <= value <= 1")
def check_validate_image(fn):
    good = {"mid-grey image": _image(0.5), "black image": _image(0.0), "white image": _image(1.0),
            "integer zeros": np.zeros((28, 28), int).tolist()}
    for case, instance in good.items():
        try:
            answer = fn(instance)
        except Exception as error:  # a valid image must not raise
            raise CheckFailed(case, message=f"case {case}: a valid image raised {type(error).__name__}: {error}")
        expect_true(case, answer is None, f"a valid image must give None, got {answer!r}")
    nan_image, big_image = _image(), _image()
    nan_image[3][4] = float("nan")
    big_image[0][0] = 255.0
    inf_image = _image()
    inf_image[27][27] = float("inf")
    bad = {
        "28x28x1 (extra channel axis)": np.zeros((28, 28, 1)).tolist(),
        "32x32": np.zeros((32, 32)).tolist(),
        "flat 784 vector": [0.0] * 784,
        "a NaN pixel": nan_image,
        "an infinite pixel": inf_image,
        "a pixel of 255": big_image,
        "negative pixels": _image(-0.5),
        "strings": np.full((28, 28), "0.5").tolist(),
        "booleans": np.zeros((28, 28), bool).tolist(),
        "ragged rows": [[0.0] * 28] * 27 + [[0.0] * 27],
    }
    type_hint = ("np.asarray(instance, dtype=float) turns the strings \"0.5\" and the booleans True/False into "
                 "numbers without complaint, so a client's type mistake would be served as if it were an image; "
                 "convert without a dtype and look at what NumPy made of the input")
    for case, instance in bad.items():
        try:
            answer = fn(instance)
        except Exception as error:
            raise CheckFailed(case, message=f"case {case}: raised {type(error).__name__} instead of returning an "
                                            "error message; a service must answer, not crash")
        expect_true(case, isinstance(answer, str) and answer.strip() != "",
                    f"a bad image must give an error message (a non-empty str), got {answer!r}",
                    hint=type_hint if case in ("strings", "booleans") else None)


def _psi(reference_counts, current_counts, floor=1e-4):
    r = np.maximum(np.asarray(reference_counts, float) / np.sum(reference_counts), floor)
    c = np.maximum(np.asarray(current_counts, float) / np.sum(current_counts), floor)
    return float(np.sum((c - r) * np.log(c / r)))


@exercise("19.psi", "population stability index from bin counts",
          hint="compare shares, not counts, and keep empty bins from making a logarithm infinite",
          formula="PSI = sum((c - r) * ln(c / r)) over the bins, with r and c the shares (counts / total), each "
               "floored at 1e-4; it is symmetric in r and c")
def check_psi(fn):
    cases = {
        "identical distributions": ([10, 20, 30, 40], [1, 2, 3, 4]),
        "a shift": ([25, 25, 25, 25], [10, 20, 30, 40]),
        "reversed shift (PSI is symmetric)": ([10, 20, 30, 40], [25, 25, 25, 25]),
        "an empty current bin": ([50, 50, 0 + 100], [0, 100, 100]),
        "strong drift": ([90, 10], [10, 90]),
    }
    for case, (ref, cur) in cases.items():
        expect_close(case, fn(ref, cur), _psi(ref, cur), rtol=1e-6, atol=1e-9)


@exercise("19.max_throughput", "Little's law: the most requests per second",
          hint="Little's law: in-flight requests = throughput x time per request; watch the units",
          formula="throughput = requests in flight / time per request, and the time must be in seconds: "
               "workers / (latency_ms / 1000)")
def check_max_throughput(fn):
    for workers, latency_ms in [(1, 100.0), (4, 20.0), (8, 2.5), (1, 1000.0), (16, 50.0)]:
        expect_close(f"workers={workers}, latency_ms={latency_ms}", fn(workers, latency_ms),
                     workers / (latency_ms / 1000.0), rtol=1e-9)
    expect_true("result is finite", math.isfinite(float(fn(2, 10.0))), "the answer must be a finite number")
