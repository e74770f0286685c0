"""MemoryMonitor on a system without the POSIX `resource` module (Windows)."""

import importlib.util
import subprocess
import sys

import pytest

WITHOUT_RESOURCE = """
import sys
# psutil and keras load what they need first (on Linux psutil itself uses `resource`; on Windows it
# does not); from then on `import resource` raises ImportError, as it does on Windows.
import keras, psutil
sys.modules["resource"] = None
import kerasmodels.callbacks
from kerasmodels.callbacks import memory_monitor
assert memory_monitor.resource is None
peak, now = memory_monitor.peak_rss_bytes(), memory_monitor.current_rss_bytes()
assert peak > 10 * 2**20 and now > 10 * 2**20, (peak, now)
print("ok", peak, now)
"""


@pytest.mark.slow  # a fresh process imports keras (TensorFlow)
def test_callbacks_import_and_measure_without_resource():
    out = subprocess.run([sys.executable, "-c", WITHOUT_RESOURCE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.startswith("ok ")


def test_memory_monitor_code_measures_without_resource_in_this_process(monkeypatch):
    """The check above for the fast lane: memory_monitor.py loaded afresh while `import resource` fails."""
    from kerasmodels.callbacks import memory_monitor

    spec = importlib.util.spec_from_file_location("memory_monitor_without_resource", memory_monitor.__file__)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "resource", None)
    spec.loader.exec_module(module)
    assert module.resource is None and memory_monitor.resource is not None
    peak, now = module.peak_rss_bytes(), module.current_rss_bytes()
    assert peak > 10 * 2**20 and now > 10 * 2**20, (peak, now)


def test_peak_rss_with_resource_is_at_least_the_current_rss():
    from kerasmodels.callbacks import memory_monitor

    assert memory_monitor.peak_rss_bytes() >= memory_monitor.current_rss_bytes() * 0.9
