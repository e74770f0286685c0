"""`hardware.accelerators` answers "none" without importing a backend on a machine that has no accelerator."""

import subprocess
import sys

import pytest

from kerasmodels import hardware


def test_no_device_files_means_no_accelerator_without_importing_tensorflow(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(hardware, "_ACCELERATOR_DEVICE_FILES", (str(tmp_path / "nvidia*"),))
    for name in hardware._TPU_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    assert hardware._surely_no_accelerator()
    (tmp_path / "nvidia0").touch()  # a GPU's device file: ask the backend
    assert not hardware._surely_no_accelerator()
    (tmp_path / "nvidia0").unlink()
    monkeypatch.setenv("TPU_NAME", "local")  # a TPU VM: ask the backend
    assert not hardware._surely_no_accelerator()


def test_info_on_this_cpu_machine_does_not_import_tensorflow():
    if not hardware._surely_no_accelerator():
        pytest.skip("this machine may have an accelerator: the backend is asked")
    code = "import sys; from kerasmodels import hardware; hardware.describe(); print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False"]
