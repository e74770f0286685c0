"""Shared fixtures: no network anywhere, a per-session cache of executed lessons."""

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OFFLINE_DIR = Path(__file__).resolve().parent / "offline"
SHARED_DATA = ROOT.parent / "shared" / "data"

# Every subprocess (CLI calls, notebook kernels) inherits the network block.
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(OFFLINE_DIR)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERASMODELS_MODE", "quick")
if (SHARED_DATA / "rt-polarity").is_dir():
    os.environ.setdefault("KERASMODELS_RT_POLARITY", str(SHARED_DATA / "rt-polarity"))

sys.path.insert(0, str(OFFLINE_DIR))
import sitecustomize as _offline  # noqa: E402,F401  (blocks the network in this process too)


def kernel_network_block():
    """True when the kernel itself allows loopback only (a network namespace with `lo` alone).

    `.ci/offline` (README's test command) runs the suite so; elsewhere only the Python-level
    block of tests/offline/sitecustomize.py is in force.
    """
    import socket

    try:
        return {name for _, name in socket.if_nameindex()} <= {"lo"}
    except OSError:
        return False


def pytest_report_header(config):
    if kernel_network_block():
        return "network block: kernel (network namespace, loopback only) + Python-level"
    return ("network block: Python-level only (tests/offline/sitecustomize.py); "
            "run the suite with .ci/offline for the kernel's")

sys.path.insert(0, str(ROOT / "lessons"))


@pytest.fixture(scope="session")
def rt_polarity_dir():
    path = SHARED_DATA / "rt-polarity"
    if not path.is_dir():
        pytest.skip("../shared/data/rt-polarity is not present")
    return path


_EXECUTED = {}


@pytest.fixture(scope="session")
def executed_lessons(tmp_path_factory):
    """`executed_lessons(number)` runs a lesson once per session in quick mode and returns its RunResult."""
    from kerasmodels.course import runner

    base = tmp_path_factory.mktemp("lesson-runs")

    def get(number):
        if number not in _EXECUTED:
            spec = runner.find(number)
            _EXECUTED[number] = runner.run_lesson(spec, mode="quick", run_dir=base / spec.name)
        return _EXECUTED[number]

    return get


def notebook_text_outputs(result):
    """All stream and text/plain outputs of an executed lesson, joined."""
    import nbformat

    nb = nbformat.read(result.notebook_path, as_version=4)
    chunks = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                chunks.append(out.get("text", ""))
            elif "data" in out and "text/plain" in out["data"]:
                chunks.append(out["data"]["text/plain"])
    return "\n".join(chunks)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the xdist_group marks added here
def pytest_collection_modifyitems(config, items):
    """A test that executes a lesson notebook (the `executed_lessons` fixture) is slow, marked or not.

    What "slow" means (pyproject.toml registers the marker): the test executes a lesson notebook,
    starts a Python process that imports TensorFlow, JAX or torch (a second backend, a kill and
    resume, a saved model loaded elsewhere, a server or bench script run end to end), or trains
    for more than a few seconds (a BERT fine-tuned, several trainings). Other tests mark
    themselves `@pytest.mark.slow` with the reason beside the mark. The fast lane
    (`pytest -m "not slow"`) leaves them out; the full suite, which CI runs, runs every test.
    """
    slow = pytest.mark.slow
    # With pytest-xdist (-n 2 --dist loadgroup) every test of executed lessons runs on one worker, so each lesson
    # is executed once per suite there, not once per worker.
    one_worker = pytest.mark.xdist_group("executed_lessons")
    for item in items:
        if "executed_lessons" in getattr(item, "fixturenames", ()):
            item.add_marker(slow)
            item.add_marker(one_worker)



def pytest_configure(config):
    """Refuse, in one line, a pytest on which xdist's --dist loadgroup does not group: each worker would run every lesson."""
    if config.getoption("dist", "no") != "loadgroup" or hasattr(config, "workerinput"):
        return
    from importlib.metadata import version

    def release(name):
        return tuple(int(part) for part in version(name).split(".")[:3] if part.isdigit())

    if release("pytest") >= (9, 2) and release("pytest-xdist") <= (3, 8, 0):
        raise pytest.UsageError(
            f"pytest {version('pytest')} with pytest-xdist {version('pytest-xdist')} ignores --dist loadgroup "
            "(pytest-xdist issue 1386), so each worker would execute every lesson. Fix: pip install 'pytest<9.2' "
            "(the test extra pins it)")


@pytest.fixture(autouse=True)
def _restore_keras_global_state():
    """A test that applies `accelerate.setup()` (mixed_bfloat16 on a bf16 CPU) must not change the next test's dtypes."""
    keras = sys.modules.get("keras")
    policy = keras.config.dtype_policy() if keras else None
    distribution = keras.distribution.distribution() if keras else None
    yield
    keras = sys.modules.get("keras")
    if keras is None:
        return
    if policy is None:
        policy = "float32"
    if keras.config.dtype_policy().name != getattr(policy, "name", policy):
        keras.config.set_dtype_policy(policy)
    if keras.distribution.distribution() is not distribution:
        keras.distribution.set_distribution(distribution)
