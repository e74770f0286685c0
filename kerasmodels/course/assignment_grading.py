"""nbgrader's Execute step made safe for forty students' notebooks (used by `assignment.configure_grading`).

nbgrader runs each submission in a kernel with a per-cell timeout. What it does not do:
stop a notebook whose cells each stay under the limit but together run for hours, grade
a notebook whose kernel dies (it drops the whole submission), or keep student code off
the network. `GradingExecute` adds those three; `OfflineKernelManager` starts the kernel
in a network namespace with loopback only (up, so a student's local server works) where
Linux allows an unprivileged one (`unshare --net`), talking to nbgrader over Unix
sockets, which cross namespaces.
"""

import functools
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, default

from kerasmodels.course import assignment_offline

# Run in the kernel before the notebook: Python's sockets refuse every host but loopback.
PYTHON_BLOCK = "import kerasmodels.course.assignment_offline as _offline; _offline.block_network(); del _offline"


@functools.cache
def _namespace():
    """(prefix, loopback): the command prefix that runs a program without network ([] where this system
    cannot), and whether 127.0.0.1 works inside it.

    The prefix is `unshare --net ...` followed by `python -m kerasmodels.course.assignment_offline`, which
    brings the namespace's loopback up (it starts down) before it executes the kernel. An unprivileged
    user can do that only as root of its own user namespace (`--map-root-user`); where no flags allow it,
    a namespace without loopback is used (127.0.0.1 then fails with Errno 101, like every other address).
    """
    unshare = shutil.which("unshare")
    if not sys.platform.startswith("linux") or not unshare:
        return [], False
    python = [sys.executable, *(["-P"] if sys.version_info >= (3, 11) else []), "-m", assignment_offline.__name__]
    fallback = None
    for flags in (["--net", "--map-root-user"], ["--net", "--map-current-user"], ["--net"]):
        try:
            probe = subprocess.run([unshare, *flags, *python, "--probe"], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return [unshare, *flags, *python, "--"], True
        if probe.returncode == assignment_offline.LOOPBACK_DOWN and fallback is None:
            fallback = [unshare, *flags, *python, "--"]
    return (fallback, False) if fallback else ([], False)


def network_namespace_prefix():
    """The command prefix that runs a program without network, or [] where this system cannot."""
    return _namespace()[0]


def namespace_has_loopback():
    """Whether 127.0.0.1 is reachable in the grading kernel's network namespace (False without one)."""
    return _namespace()[1]


class OfflineKernelManager(AsyncKernelManager):
    """A kernel without network: its own network namespace where possible, Python's sockets blocked always."""

    @default("transport")
    def _default_transport(self):
        # A new network namespace has its own loopback: reach the kernel over Unix sockets instead.
        return "ipc" if network_namespace_prefix() else "tcp"

    @default("ip")
    def _default_ip(self):
        if self.transport != "ipc":
            return super()._ip_default()
        # An absolute path: the kernel starts in the notebook's folder, nbgrader elsewhere.
        return os.path.join(tempfile.gettempdir(), f"kerasmodels-kernel-{uuid.uuid4().hex[:12]}-ipc")

    def format_kernel_cmd(self, extra_arguments=None):
        command = super().format_kernel_cmd(extra_arguments)
        if self.kernel_spec is not None and self.kernel_spec.language.lower() == "python":
            command = command + [f"--IPKernelApp.exec_lines={PYTHON_BLOCK}"]
        if self.transport == "ipc":
            command = network_namespace_prefix() + command
        return command


class GradingExecute(Execute):
    """nbgrader's Execute with a time limit per notebook, crashed kernels graded, and no network."""

    notebook_timeout = Integer(
        600, allow_none=True,
        help="Seconds a whole notebook may run; cells not started by then are marked as not run (they score zero).",
    ).tag(config=True)

    block_network = Bool(True, help="Run student code without network.").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.block_network:
            self.kernel_manager_class = OfflineKernelManager

    def preprocess(self, nb, resources=None, km=None):
        self._deadline = None  # set when the first cell starts: the kernel's start has its own limit
        self._not_run = None  # why the remaining cells do not run, once one made them
        self.timeout_func = self._cell_timeout
        return super().preprocess(nb, resources, km)

    def _cell_timeout(self, cell):
        limit = self.timeout if self.timeout and self.timeout > 0 else math.inf
        if self._deadline is not None:
            limit = min(limit, max(1.0, self._deadline - time.monotonic()))
        return None if limit == math.inf else math.ceil(limit)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, self.resources
        if self._deadline is None and self.notebook_timeout:
            self._deadline = time.monotonic() + self.notebook_timeout
        if self._not_run is None and self._deadline is not None and time.monotonic() >= self._deadline:
            self._not_run = f"the notebook's time limit ({self.notebook_timeout} s) was reached before this cell"
            self.log.warning("Notebook time limit of %s s reached; remaining cells not run", self.notebook_timeout)
        if self._not_run:
            cell.outputs = [_error("NotRun", f"not run: {self._not_run}")]
            return cell, self.resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.log.warning("The kernel died in cell %d; remaining cells not run", index)
            self._not_run = f"the kernel died in an earlier cell (cell {index})"
            cell.outputs.append(_error(
                "DeadKernelError", "the kernel died while running this cell (a crash, or memory exhausted)"))
            return cell, self.resources


def _error(name, message):
    # An error output makes nbgrader score a grade cell zero; it is shown in the feedback.
    return NotebookNode(output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"])
