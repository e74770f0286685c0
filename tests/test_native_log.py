"""No TensorFlow start-up chatter where learners look (Jupyter cells, `kerasmodels train`/`serve`), real errors kept.

The kernel tests run cells in a real IPython kernel that copies everything written to file
descriptors 1 and 2 into the cell's output, as Jupyter does (`capture_fd_output`, the default).
"""

import os
import subprocess
import sys
import textwrap

import pytest

from kerasmodels import _native_log

NOISE_MARKERS = ("cudart_stub", "Could not find cuda drivers", "cpu_feature_guard", "rebuild TensorFlow",
                 "failed call to cuInit", "absl::InitializeLog", "oneDNN custom operations")
START_UP = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796610168.648433    6411 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders. "
    "To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
    "I0000 00:00:1796610168.648825    6411 cudart_stub.cc:31] Could not find cuda drivers on your machine, "
    "GPU will not be used.",
    "I0000 00:00:1796610168.732050    6411 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow with the "
    "appropriate compiler flags.",
]
REAL = [
    "E0000 00:00:1796610179.426034    6411 cuda_dnn.cc:522] Loaded runtime CuDNN library: 8.6.0 but source was "
    "compiled with: 9.3.0.",
    "Traceback (most recent call last):",
    "ImportError: libcudnn.so.9: cannot open shared object file: No such file or directory",
    "Fatal Python error: Segmentation fault",
]


def test_start_up_lines_are_noise_and_real_errors_are_not():
    assert all(_native_log.is_noise(line, gpu_machine=False) for line in START_UP)
    assert not any(_native_log.is_noise(line, gpu_machine=False) for line in REAL)
    # With an NVIDIA driver, "could not find cuda drivers" means TensorFlow cannot use the GPU: kept.
    kept = [line for line in START_UP if not _native_log.is_noise(line, gpu_machine=True)]
    assert kept == [START_UP[2]]


def run_python(code, **env):
    environ = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", _native_log.MARK)}
    environ.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=environ, capture_output=True,
                          text=True, timeout=120)


def test_the_filter_drops_only_the_noise_and_forwards_everything_else_from_fd_2():
    done = run_python(f"""
        import os
        from kerasmodels import _native_log
        lines = {START_UP + REAL!r}
        with _native_log.native_stderr_filtered(lambda line: _native_log.is_noise(line, gpu_machine=False)):
            for line in lines:
                os.write(2, (line + "\\n").encode())
            os.write(2, b"an unfinished last line")
        os.write(2, b"\\nafter")
    """)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == REAL + ["an unfinished last line", "after"]


def test_import_kerasmodels_chooses_a_level_only_when_the_user_did_not():
    show = "import os, sys, kerasmodels; print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'), " \
           "any(type(f).__name__ == '_QuietTensorFlowImport' for f in sys.meta_path))"
    level = "2" if _native_log.nvidia_driver_present() else "3"
    assert run_python(show).stdout.split() == [level, "True"]
    assert run_python(show, TF_CPP_MIN_LOG_LEVEL="0").stdout.split() == ["0", "False"]
    # A child of a kerasmodels process inherits the package's default, not a user's choice: still filtered.
    assert run_python(show, TF_CPP_MIN_LOG_LEVEL=level, **{_native_log.MARK: level}).stdout.split() == [level, "True"]


def kernel_outputs(cells, **env):
    """What a Jupyter kernel (capturing fd output, as Jupyter does) shows for each cell: stream text and errors."""
    from jupyter_client.manager import start_new_kernel

    # ipykernel does not capture fd output when it sees PYTEST_CURRENT_TEST: the kernel must not inherit it.
    drop = ("TF_CPP_MIN_LOG_LEVEL", _native_log.MARK, "PYTEST_CURRENT_TEST")
    environ = {k: v for k, v in os.environ.items() if k not in drop}
    environ.update(env, KERAS_BACKEND="tensorflow")
    manager, client = start_new_kernel(kernel_name="python3", env=environ)
    shown = []
    try:
        for code in cells:
            chunks = []

            def keep(message, chunks=chunks):
                content = message["content"]
                if message["msg_type"] == "stream":
                    chunks.append(content["text"])
                elif message["msg_type"] == "error":
                    chunks.append(f"{content['ename']}: {content['evalue']}")

            reply = client.execute_interactive(code, timeout=300, output_hook=keep)
            # fd output reaches the kernel's streams through a thread: give it a moment before the next cell.
            client.execute_interactive("import time; time.sleep(1)", timeout=60, output_hook=keep)
            shown.append((reply["content"]["status"], "".join(chunks)))
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    return shown


FIRST_CELLS = [
    "from kerasmodels import course\nlesson = course.setup_lesson(0)",
    "import keras\nprint(keras.ops.convert_to_numpy(keras.ops.matmul(keras.ops.ones((2, 2)), keras.ops.ones((2, 2)))))",
]


@pytest.mark.slow
def test_a_learners_first_cells_in_jupyter_show_no_tensorflow_start_up_log():
    shown = kernel_outputs(FIRST_CELLS)
    assert [status for status, _ in shown] == ["ok", "ok"], shown
    setup, product = (text for _, text in shown)
    assert "Lesson 00" in setup and "[[2. 2.]" in product  # the cells ran and their own output is there
    for marker in NOISE_MARKERS:
        assert marker not in setup + product, (marker, setup + product)


@pytest.mark.slow
def test_a_user_who_sets_the_log_level_sees_what_tensorflow_writes():
    # The control: the same cells with TF_CPP_MIN_LOG_LEVEL=0 set by the user. The start-up log reaches
    # the cells (so the test above would see it), and the package does not filter it.
    shown = kernel_outputs(FIRST_CELLS[:1], TF_CPP_MIN_LOG_LEVEL="0")
    assert shown[0][0] == "ok"
    assert "absl::InitializeLog" in shown[0][1] or "oneDNN custom operations" in shown[0][1], shown


@pytest.mark.slow
def test_kerasmodels_train_writes_no_start_up_log(tmp_path):
    environ = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", _native_log.MARK)}
    done = subprocess.run(
        [sys.executable, "-m", "kerasmodels", "train", "mlp", "--data", "digits", "--epochs", "1", "--limit", "200",
         "--out", str(tmp_path / "train")],
        env=dict(environ, KERAS_BACKEND="tensorflow"), capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for marker in NOISE_MARKERS:
        assert marker not in done.stderr, done.stderr
