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


def test_every_public_submodule_is_listed_for_lazy_access():
    modules = {p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")}
    packages = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    public = (modules | packages) - {"cli", "errors"}
    assert public <= set(kerasmodels._SUBMODULES), sorted(public - set(kerasmodels._SUBMODULES))
    for name in kerasmodels._SUBMODULES:
        if (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists():
            assert name in dir(kerasmodels)
