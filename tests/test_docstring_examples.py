"""Every ```python example in the package's docstrings runs, so examples cannot rot.

Like doctest, each example runs with a copy of its module's globals (an
example in `cnn`'s docstring can call `cnn`), in a temporary working folder, with the
network blocked (conftest), and with the few names that fragments assume
already defined, as a reader would have them: `x`, `y` (a small image batch
and its labels, the scikit-learn digits) and `model` (a compiled MLP for them).

An example written as a doctest (`>>>` lines, inside a ```python fence or bare in the
docstring) is run by `doctest`, which also compares every printed output with the one
the docstring shows (ELLIPSIS and NORMALIZE_WHITESPACE on), so a wrong output fails too.
"""

import ast
import doctest
import importlib
import re
from pathlib import Path

import pytest

from kerasmodels import hardware as km_hardware

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kerasmodels"
FENCE = re.compile(r"```python\n(.*?)```", re.S)
DOCTEST = re.compile(r"^\s*>>> ", re.M)


def collect_examples():
    examples = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        nodes = [tree] + [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))]
        for node in nodes:
            doc = ast.get_docstring(node) or ""
            name = getattr(node, "name", "module")
            for i, match in enumerate(FENCE.finditer(doc)):
                examples.append(pytest.param(path, match.group(1), id=f"{path.relative_to(ROOT)}:{name}:{i}"))
            bare = FENCE.sub("", doc)  # a doctest outside the fences (reST doctest blocks)
            if DOCTEST.search(bare):
                examples.append(pytest.param(path, bare, id=f"{path.relative_to(ROOT)}:{name}:doctest"))
    return examples


EXAMPLES = collect_examples()


def reader_namespace():
    """The names a fragment may assume: data and a compiled model, as in the surrounding docs."""
    import keras
    import numpy as np

    import kerasmodels as km

    x, y = km.data.load("digits", split="train", limit=256)
    model = km.models.compile_model(km.models.mlp(input_shape=(8, 8), num_classes=10))
    return {"np": np, "keras": keras, "km": km, "x": x, "y": y, "x_train": x, "y_train": y, "model": model}


def test_the_package_has_examples():
    assert len(EXAMPLES) >= 50


@pytest.mark.parametrize("path,code", EXAMPLES)
def test_docstring_example_runs(path, code, tmp_path, monkeypatch):
    if re.search(r"bfloat16|benchmark_precisions\(", code) and km_hardware.backend_name() == "tensorflow":
        if km_hardware.tensorflow_bfloat16_blocked():  # bench/avx2_only.sh: TensorFlow's bfloat16 would crash
            pytest.skip(km_hardware.tensorflow_bfloat16_blocked())
    monkeypatch.chdir(tmp_path)
    module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"))
    namespace = {**vars(module), "__name__": "__example__"}
    if re.search(r"\b(x|y|model|x_train|y_train)\b", code):
        namespace.update(reader_namespace())
    if DOCTEST.search(code):
        run_doctest(code, namespace, f"{path}:example")
    else:
        exec(compile(code, f"{path}:example", "exec"), namespace)  # noqa: S102 - running our own docs is the point


def run_doctest(code, namespace, name):
    """Run the `>>>` lines of `code` in `namespace`; fail with doctest's report if an output differs."""
    import textwrap

    test = doctest.DocTestParser().get_doctest(textwrap.dedent(code), namespace, name, name, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    runner.run(test, out=report.append)
    assert test.examples and runner.failures == 0, "".join(report)


def test_doctest_examples_compare_their_output():
    namespace = {"__name__": "__example__"}
    run_doctest(">>> print(1 + 1)\n2\n", namespace, "right")
    with pytest.raises(AssertionError, match="Expected:"):
        run_doctest(">>> print(1 + 1)\n3\n", namespace, "wrong")
    assert any(">>>" in p.values[1] for p in EXAMPLES)
