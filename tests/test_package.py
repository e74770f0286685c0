"""The package's top level: cheap to import, every submodule reachable as an attribute."""

import subprocess
import sys
from pathlib import Path

import kerasmodels

PACKAGE = Path(kerasmodels.__file__).parent


def test_import_kerasmodels_does_not_import_keras_or_tensorflow():
    code = "import sys, kerasmodels; print('keras' in sys.modules, 'tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_every_api_module_is_reachable_as_an_attribute():
    # Which modules are the API, and that the course stays out of it: tests/test_architecture.py.
    for name in kerasmodels.API:
        assert name in dir(kerasmodels)
        assert getattr(kerasmodels, name).__name__ == f"kerasmodels.{name}"
