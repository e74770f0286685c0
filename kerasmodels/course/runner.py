"""Find, sync and execute the numbered lessons.

A lesson's source of truth is `lessons/NN_slug.py` in jupytext "percent" format.
Its YAML header carries a `kerasmodels:` block (title, seeds, run times) that
`kerasmodels lessons` lists. `notebooks/NN_slug.ipynb` is generated from it
without outputs (`kerasmodels notebooks sync`); a test fails when they differ.

`run_lesson` executes a notebook headlessly with nbclient in its own run
directory (figures, metrics.json, the executed notebook); `tour` runs them all
and writes an HTML report a teacher can open in a browser.

Example:

```python
from kerasmodels.course import runner
for spec in runner.discover():
    print(spec.number, spec.title)
```
"""

import base64
import contextlib
import html
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from kerasmodels.errors import KerasmodelsError
from kerasmodels.paths import atomic_write_text, runs_dir

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def project_root():
    """The checkout that holds lessons/ (the package is installed editable from it)."""
    env = os.environ.get("KERASMODELS_LESSONS")
    if env:
        return Path(env).expanduser().resolve().parent
    for candidate in (PACKAGE_DIR.parent, Path.cwd()):
        if (candidate / "lessons").is_dir():
            return candidate
    raise KerasmodelsError(
        "cannot find the lessons/ folder. Run kerasmodels from the project checkout, "
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
    seeds: list = field(default_factory=list)
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
                seeds=list(meta.get("seeds", [])),
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


def notebook_from_source(spec):
    """The generated notebook (an nbformat node, no outputs) for a lesson source."""

    notebook = _read_source(spec.source)
    notebook.metadata.pop("jupytext", None)  # no pairing: lessons/ stays the only source
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:03d}"  # stable ids keep regenerated notebooks byte-identical
    return notebook


def notebook_text(spec):
    import jupytext

    return jupytext.writes(notebook_from_source(spec), fmt="ipynb")


def sync(specs=None, check=False):
    """Regenerate notebooks/ from lessons/; with check=True only list those out of date."""
    specs = specs if specs is not None else discover()
    stale = []
    for spec in specs:
        text = notebook_text(spec)
        current = spec.notebook.read_text(encoding="utf-8") if spec.notebook.exists() else None
        if current != text:
            stale.append(spec)
            if not check:
                atomic_write_text(spec.notebook, text)
    return stale


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


def run_lesson(spec, mode="quick", run_dir=None, timeout=None):
    """Execute one lesson headlessly; never raises for a failing lesson, returns its RunResult.

    Args:
        spec: a `LessonSpec` from `discover()` or `find()`.
        mode: "quick" or "full".
        run_dir: where the executed notebook, figures and metrics go.
        timeout: seconds one cell may run; default 900 in quick mode and no limit in full
            mode (or KERASMODELS_CELL_TIMEOUT).
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
    notebook = notebook_from_source(spec)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(run_dir)}},
    )
    error = ""
    started = time.perf_counter()
    with _environment(
        KERASMODELS_MODE=mode,
        KERASMODELS_RUN_DIR=run_dir,
        MPLBACKEND="module://matplotlib_inline.backend_inline",
        # 3 hides TensorFlow's C++ start-up chatter (e.g. "failed call to cuInit" on a CPU laptop),
        # which would otherwise fill every executed notebook; the setup cell reports devices instead.
        TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    ):
        # The kernel's own stderr (TensorFlow's C++ start-up log) goes to a file in the run
        # directory instead of the terminal; cell errors still land in the notebook.
        with open(run_dir / "kernel-stderr.log", "wb") as kernel_stderr:
            try:
                client.execute(stderr=kernel_stderr)
            except CellExecutionError as exc:
                error = _cell_error(notebook, exc)
            except (CellTimeoutError, DeadKernelError, TimeoutError) as exc:
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                error = f"{type(exc).__name__}: {first_line} (kernel log: {run_dir / 'kernel-stderr.log'})"
    seconds = time.perf_counter() - started
    atomic_write_text(run_dir / f"{spec.name}.ipynb", nbformat.writes(notebook))
    metrics = {}
    metrics_file = run_dir / "metrics.json"
    if metrics_file.exists():
        metrics = json.loads(metrics_file.read_text()).get("metrics", {})
    figures = sorted(run_dir.glob("*.png"))
    result = RunResult(spec, mode, "failed" if error else "passed", seconds, run_dir, metrics, figures, error)
    atomic_write_text(
        run_dir / "result.json",
        json.dumps(
            {"lesson": spec.name, "mode": mode, "status": result.status, "seconds": round(seconds, 2),
             "metrics": metrics, "figures": [f.name for f in figures], "error": error},
            indent=2,
        ),
    )
    return result


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
        if bar:
            bar.set_postfix_str(spec.name)
        results.append(run_lesson(spec, mode=mode, run_dir=out_dir / spec.name))
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
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    failed = [r for r in results if r.status != "passed"]
    for r in failed:
        lines.append(f"FAILED {r.lesson.name}: {r.error}")
    return "\n".join(lines)


def write_report(results, path):
    """An HTML page with the results table and every lesson's figures (embedded, one file)."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>kerasmodels tour</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
        ".failed{color:#b00}.passed{color:#070}img{max-width:100%;margin:.5em 0;border:1px solid #eee}"
        "</style></head><body>",
        "<h1>kerasmodels tour</h1>",
        f"<p>Mode: {html.escape(results[0].mode if results else '-')}. "
        f"{sum(r.status == 'passed' for r in results)} of {len(results)} lessons passed in "
        f"{sum(r.seconds for r in results):.0f} s.</p>",
        "<table><tr><th>lesson</th><th>status</th><th>seconds</th><th>headline</th></tr>",
    ]
    for r in results:
        headline = r.headline
        parts.append(
            f"<tr><td><a href='#{r.lesson.name}'>{html.escape(r.lesson.name)}</a></td>"
            f"<td class='{r.status}'>{r.status}</td><td>{r.seconds:.1f}</td>"
            f"<td>{html.escape(f'{headline[0]} = {headline[1]}' if headline else '-')}</td></tr>"
        )
    parts.append("</table>")
    for r in results:
        notebook_link = os.path.relpath(r.notebook_path, Path(path).parent)
        parts.append(
            f"<h2 id='{r.lesson.name}'>{r.lesson.number:02d} · {html.escape(r.lesson.title)}</h2>"
            f"<p>Mirrors: {html.escape(', '.join(r.lesson.seeds) or '-')}. "
            f"<a href='{html.escape(notebook_link)}'>executed notebook</a></p>"
        )
        if r.error:
            parts.append(f"<p class='failed'>{html.escape(r.error)}</p>")
        for figure in r.figures:
            data = base64.b64encode(figure.read_bytes()).decode("ascii")
            parts.append(
                f"<figure><img alt='{html.escape(figure.stem)}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{html.escape(figure.stem)}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return atomic_write_text(path, "\n".join(parts))
