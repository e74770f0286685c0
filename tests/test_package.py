"""The package's top level: cheap to import, every submodule reachable as an attribute."""

import subprocess
import sys
from pathlib import Path

import pytest

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


# --- Packaging: the distribution name, its URLs, its dependencies, a wheel that works on its own ---

ROOT = PACKAGE.parent


def _pyproject():
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_distribution_name_and_urls_come_from_one_place():
    from kerasmodels import _project

    project = _pyproject()
    assert project["name"] == _project.DISTRIBUTION != "kerasmodels"  # that name on PyPI is another project
    assert project["urls"]["Repository"] == _project.REPOSITORY_URL
    assert _project.PIP_REQUIREMENT == f"{_project.DISTRIBUTION} @ git+{_project.REPOSITORY_URL}"
    assert "gpu" in project["optional-dependencies"] and "test" in project["optional-dependencies"]


# Declared dependencies the package runs but never imports, and why.
NOT_IMPORTED = {
    "jupyter": "the notebook interface learners open the lessons in",
    "ipykernel": "the kernel nbclient executes the lessons in",
    "tensorboard": "keras.callbacks.TensorBoard writes for it",
    "safetensors": "keras-hub's Hugging Face converter needs it without declaring it",
    "tf2onnx": "model.export(format='onnx') on TensorFlow imports it inside Keras",
}
IMPORT_NAMES = {"scikit-learn": "sklearn", "keras-hub": "keras_hub", "pillow": "PIL", "keras-tuner": "keras_tuner"}


def test_every_declared_dependency_is_used():
    import re

    sources = "\n".join(p.read_text(encoding="utf-8") for folder in ("kerasmodels", "lessons")
                        for p in (ROOT / folder).rglob("*.py"))
    for requirement in _pyproject()["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()
        if name in NOT_IMPORTED:
            continue
        module = IMPORT_NAMES.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {module}\b", sources, re.M), f"{requirement} is declared but never imported"


def _shadow_site_packages(target):
    """A folder of links to this environment's installed packages, except kerasmodels itself."""
    import sysconfig

    target.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        lowered = entry.name.lower()
        if "kerasmodels" in lowered or entry.suffix == ".pth":
            continue  # the checkout's editable install, and .pth hooks that would add it back
        (target / entry.name).symlink_to(entry)
    return target


@pytest.mark.slow
def test_a_built_wheel_lists_and_runs_lessons_outside_the_checkout(tmp_path):
    """Build the wheel, install it alone into a fresh environment, run `lessons` and lesson 00 from an empty folder."""
    import os
    import shutil

    source = tmp_path / "source"  # a clean copy: no build/ leftovers from the checkout
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints")
    for name in ("kerasmodels", "lessons", "notebooks"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    # No build isolation: the build uses this environment's setuptools, so it needs no network.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    str(source), "-w", str(wheels)], check=True, capture_output=True, text=True)
    (wheel,) = wheels.glob("kerasmodels_course-*.whl")

    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # The new environment reuses TensorFlow & co. from this one, without its editable kerasmodels.
    (Path(purelib) / "reuse_test_environment.pth").write_text(str(_shadow_site_packages(tmp_path / "deps")) + "\n")
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)],
                   check=True, capture_output=True, text=True)

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("KERASMODELS_LESSONS", "VIRTUAL_ENV")}
    env["KERASMODELS_RUNS"] = str(tmp_path / "runs")
    # Data files of the reused packages (nbconvert's templates) are in this environment's share/.
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")

    def kerasmodels(*args):
        return subprocess.run([env_dir / "bin" / "kerasmodels", *args], cwd=empty, env=env,
                              capture_output=True, text=True, timeout=600)

    where = subprocess.run([python, "-c", "import kerasmodels; print(kerasmodels.__file__)"], cwd=empty, env=env,
                           check=True, capture_output=True, text=True).stdout
    assert where.startswith(purelib), where  # the wheel's copy, not the checkout's

    listed = kerasmodels("lessons")
    assert listed.returncode == 0, listed.stderr
    assert "Check your setup" in listed.stdout and "Deployment and monitoring" in listed.stdout

    ran = kerasmodels("run", "0", "--quick", "--out", str(tmp_path / "run0"))
    assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-2000:]
    assert "00_check_your_setup  passed" in ran.stdout
    assert (tmp_path / "run0" / "00_check_your_setup.html").exists()
    assert list(empty.iterdir()) == []  # nothing written where the learner stood, but where asked
