"""The course website: every lesson with its executed outputs, the guides and the API reference, offline.

`build(runs, out)` (the `kerasmodels docs build` command) turns the executed notebooks of a tour run
(`kerasmodels tour --out DIR`: one folder per lesson holding `NN_slug.ipynb` and its figures, the
same files the tests and the report use) and the pages under `docs/` into a static HTML site made
by Sphinx with myst-nb (notebooks, never executed again: `nb_execution_mode = "off"`) and autodoc
with napoleon (the API reference from the docstrings). Warnings are errors: a broken
cross-reference, a docstring that does not parse or a formula that does not convert fails the build.

The site loads nothing from the network, so a teacher can copy the folder onto a school intranet
or open it from a USB stick (`file://`): maths is written as MathML when the page is built (this
module is also the Sphinx extension that does it, with `course.mathml`), Sphinx's own search runs
in the browser, and the fonts are the machine's (a stack that includes CJK fonts for the Chinese terms).

Example:

```python
from kerasmodels.course import site

site.find_notebooks([])  # {} : no run folders given, no executed notebooks
```
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kerasmodels import _project
from kerasmodels.errors import KerasmodelsError

DOCS_EXTRA_FIX = 'install the docs extra: pip install -e ".[docs]" from the checkout'
LESSONS_FOLDER = "lessons"  # where the lesson pages live in the site
MATHML_CSS_FILE = "kerasmodels-mathml.css"


def docs_dir():
    """The checkout's docs/ folder: the site's pages and its Sphinx configuration (docs/conf.py)."""
    from kerasmodels.course import runner

    try:
        folder = runner.project_root() / "docs"
    except KerasmodelsError:
        folder = None
    if folder is None or not (folder / "conf.py").is_file():
        raise KerasmodelsError(
            "cannot find docs/conf.py: the site is built from a checkout of "
            f"{_project.REPOSITORY_URL}. Fix: run kerasmodels docs build from the checkout's folder"
        )
    return folder


def find_notebooks(runs, specs=None):
    """{lesson name: executed notebook} in the run folders `runs`; a later folder wins for a lesson in two.

    A run folder is what `kerasmodels tour --out DIR` writes (DIR/NN_slug/NN_slug.ipynb) or one
    lesson's `kerasmodels run N --out DIR` (DIR/NN_slug.ipynb).
    """
    from kerasmodels.course import runner

    runs = [Path(r) for r in runs]
    if not runs:
        return {}
    known = {s.name for s in (specs if specs is not None else runner.discover())}
    found = {}
    for run in runs:
        if not run.is_dir():
            raise KerasmodelsError(f"no run folder {run}. Fix: pass a folder that kerasmodels tour --out wrote")
        for path in sorted([*run.glob("[0-9][0-9]_*.ipynb"), *run.glob("[0-9][0-9]_*/[0-9][0-9]_*.ipynb")]):
            if path.stem in known:
                found[path.stem] = path
    return found


def _run_record(notebook):
    """What the run beside an executed notebook recorded (result.json): status, mode, seconds, error."""
    try:
        return json.loads((notebook.parent / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _lesson_header(spec, record):
    """The line under a lesson's title: where to open it, and which run the outputs below come from."""
    name = f"{spec.name}.ipynb"
    run = "Outputs below: an executed run"
    if record.get("mode"):
        run += f" in {record['mode']} mode"
    if record.get("seconds"):
        run += f" ({record['seconds']:.0f} s)"
    return (
        f"**Open this lesson:** [in Colab]({_project.colab_url(name)}) · [in Kaggle]({_project.kaggle_url(name)}) · "
        f"{{download}}`the executed notebook <{name}>` · [its source]({_project.REPOSITORY_URL}/blob/"
        f"{_project.BRANCH}/lessons/{spec.name}.py). {run}; on your machine run it with `kerasmodels run {spec.number}`."
    )


def _stage_lesson(spec, notebook_path, folder):
    """The executed notebook as the site shows it: the header line added, its links made local."""
    import nbformat

    from kerasmodels.course import sources

    notebook = nbformat.read(notebook_path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and sources.PAGE_URL in cell.source:
            cell.source = re.sub(re.escape(sources.PAGE_URL) + r"(#[^\s)]*)?", lambda m: "../sources.md" + (m.group(1) or ""),
                                 cell.source)
    at = 1 if notebook.cells and notebook.cells[0].cell_type == "markdown" else 0
    header = nbformat.v4.new_markdown_cell(_lesson_header(spec, _run_record(notebook_path)))
    header["id"] = "kerasmodels-site-header"
    notebook.cells.insert(at, header)
    nbformat.write(notebook, folder / f"{spec.name}.ipynb")


def _lessons_index(specs):
    """lessons/index.md: the table of lessons and the toctree of their pages."""
    from kerasmodels.course import runner

    rows = ["| # | Lesson | Mirrors | Quick / full run (2-core CPU) | Open online |", "|---|---|---|---|---|"]
    for s in specs:
        name = f"{s.name}.ipynb"
        times = " / ".join(runner._minutes(t) if t else "-" for t in (s.quick_seconds, s.full_seconds))
        mirrors = ", ".join(f"article {a}" for a in s.articles) or "-"
        title = s.title.replace("|", "\\|")
        rows.append(f"| {s.number:02d} | [{title}]({s.name}.ipynb) | {mirrors} | {times} | "
                    f"[Colab]({_project.colab_url(name)}) · [Kaggle]({_project.kaggle_url(name)}) |")
    toctree = "\n".join(f"{s.name}" for s in specs)
    return (
        "# The lessons\n\n"
        "Each page is a lesson's notebook as it ran, in quick mode unless it says otherwise (small data, a few "
        "epochs, up to two minutes on a 2-core laptop CPU), with every output and figure. *Mirrors* names the sections of "
        "the [five source articles](../sources.md) a lesson follows and checks.\n\n"
        + "\n".join(rows)
        + f"\n\n```{{toctree}}\n:hidden:\n:maxdepth: 1\n\n{toctree}\n```\n"
    )


def _command_page():
    """command.md: every `kerasmodels` subcommand's --help (the supported API's command line and the course's)."""
    from kerasmodels import cli

    parser = cli.build_parser()
    parser.prog = "kerasmodels"
    parts = ["# The `kerasmodels` command\n",
             "Every subcommand's `--help`, as this version prints it. `info`, `data`, `train` and `serve` belong "
             "to the supported API; `lessons`, `run`, `tour`, `notebooks`, `assignment` and `docs` are added by "
             "the course.\n"]

    def walk(p, name, depth):
        parts.append(f"{'#' * depth} `{name}`\n\n```text\n{p.format_help().rstrip()}\n```\n")
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    sub.prog = f"{name} {sub_name}"
                    walk(sub, f"{name} {sub_name}", min(depth + 1, 3))

    from kerasmodels.course import runner

    with runner._environment(COLUMNS="100"):  # argparse wraps to the terminal: the same page from any terminal
        walk(parser, "kerasmodels", 2)
    return "\n".join(parts)


def _table_cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def api_table(readme=None):
    """[(modules, names, what it is)] of README's "The supported API" table; the command's row has no modules.

    Names are the backticked identifiers of the names column (or, in a row whose names cell is empty,
    of its last cell: the command's subcommands).
    """
    from kerasmodels.course import runner

    readme = Path(readme) if readme else runner.project_root() / "README.md"
    text = readme.read_text(encoding="utf-8")
    if "### The supported API" not in text:
        raise KerasmodelsError(f"{readme} has no section 'The supported API'. Fix: restore it; the API reference lists its table")
    rows = []
    for line in text[text.index("### The supported API"):].splitlines()[1:]:
        if rows and not line.startswith("|"):
            break
        if not line.startswith("|") or line.startswith(("| module", "|---")):
            continue
        cells = _table_cells(line)
        modules = re.findall(r"`(kerasmodels(?:\.\w+)+)`", cells[0])
        names_cell = cells[1] if re.search(r"`[A-Za-z_]", cells[1]) else cells[-1]
        names = [n.removesuffix("()") for n in re.findall(r"`([^`]+)`", names_cell)]
        rows.append((modules, [n for n in names if re.fullmatch(r"[A-Za-z_]\w*", n)], cells[-1]))
    return rows


def module_all(module):
    """The names in a package module's `__all__`, read from its source (nothing imported), or None without one."""
    import ast

    base = Path(__file__).resolve().parents[2] / Path(*module.split("."))
    source = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return None


def api_page():
    """api.md as the site shows it: docs/api.md, then a section per module of README's API table (autodoc)."""
    parts = [(docs_dir() / "api.md").read_text(encoding="utf-8").rstrip() + "\n"]
    for modules, names, what in api_table():
        if not modules:
            parts.append(f"## The `kerasmodels` command\n\n{what}: [every subcommand's options](command.md).\n")
            continue
        # Constants (`SPLITS`, `DATASETS`): autodoc leaves out data it finds no docstring for, so each
        # gets its own entry, without its value (a registry's repr is pages long).
        constants = [n for n in names if n.isupper()]
        for module in modules:
            options = [":members:", ":undoc-members:", ":show-inheritance:"]
            exported = module_all(module)
            if exported is not None:  # its __all__ names what it offers, imported or not
                options.append(":imported-members:")
            own = [n for n in constants if exported is None or n in exported]
            if own:
                options.append(":exclude-members: " + ", ".join(own))
            directive = "\n".join([f".. automodule:: {module}", *(f"   {o}" for o in options),
                                   *(f"\n.. autodata:: {module}.{n}\n   :no-value:" for n in own)])
            parts.append(f"## `{module}`\n\n{what[:1].upper() + what[1:]}.\n\n```{{eval-rst}}\n{directive}\n```\n")
    return "\n".join(parts)


def stage(notebooks, specs, folder):
    """Write the site's sources into `folder`: docs/'s pages, one page per executed lesson, the command page."""
    source = docs_dir()
    shutil.copytree(source, folder, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("_build", "conf.py", "__pycache__", ".ipynb_checkpoints"))
    lessons = folder / LESSONS_FOLDER
    lessons.mkdir(exist_ok=True)
    for spec in specs:
        _stage_lesson(spec, notebooks[spec.name], lessons)
    (lessons / "index.md").write_text(_lessons_index(specs), encoding="utf-8")
    (folder / "command.md").write_text(_command_page(), encoding="utf-8")
    (folder / "api.md").write_text(api_page(), encoding="utf-8")
    return folder


def _require_sphinx():
    import importlib.util

    missing = [m for m in ("sphinx", "myst_nb", "furo") if importlib.util.find_spec(m) is None]
    if missing:
        raise KerasmodelsError(f"the documentation site needs {', '.join(missing)}, not installed here. Fix: {DOCS_EXTRA_FIX}")


def sphinx_command(source, out, doctrees, quiet=True):
    """The sphinx-build line the site is built with: warnings are errors, all of them reported."""
    return [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-c", str(docs_dir()),
            "-d", str(doctrees), *(["-q"] if quiet else []), str(source), str(out)]


def build(runs, out, lessons=None, quiet=True):
    """Build the site from the executed notebooks in `runs` into `out` (replaced as a whole when it succeeds).

    Args:
        runs: run folders (`kerasmodels tour --out DIR`); a lesson in two comes from the later one.
        out: the folder to write; open `out/index.html`, or publish the folder as it is.
        lessons: lesson numbers or names to put on the site (default: every lesson, each of which
            must have an executed notebook in `runs`).
        quiet: only Sphinx's warnings and errors are printed.

    Returns:
        (the output folder, the number of HTML pages, the CPU seconds the build took).

    Example:

    ```python
    from kerasmodels.course import site

    # site.build(["runs/tour-20261207-101500"], "site")  # then open site/index.html
    ```
    """
    import resource

    from kerasmodels.course import runner

    _require_sphinx()
    specs = runner.discover()
    if lessons is not None:
        specs = [runner.find(key, specs) for key in lessons]
    notebooks = find_notebooks(runs, specs)
    if not notebooks:
        where = ", ".join(str(r) for r in runs) or "no run folder given"
        raise KerasmodelsError(f"no executed lesson notebooks in {where}. Fix: kerasmodels tour --out DIR, "
                               "then kerasmodels docs build --run DIR")
    missing = [s.name for s in specs if s.name not in notebooks]
    if missing:
        raise KerasmodelsError(
            f"no executed notebook for {', '.join(missing)} in {', '.join(str(r) for r in runs)}. Fix: kerasmodels tour "
            f"--only {','.join(n[:2] for n in missing)} --out DIR and add --run DIR (or build fewer lessons with --lessons)")
    failed = [f"{s.name} ({_run_record(notebooks[s.name]).get('error') or 'failed'})" for s in specs
              if _run_record(notebooks[s.name]).get("status") == "failed"]
    if failed:
        raise KerasmodelsError(f"these lessons failed in their run: {'; '.join(failed)}. Fix: kerasmodels tour --only "
                               "the lessons named --out DIR, and add --run DIR")
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(prefix="kerasmodels-site-") as work:
        work = Path(work)
        source = stage(notebooks, specs, work / "src")
        html_dir = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
        try:
            env = dict(os.environ, PYTHONHASHSEED="0")  # the same search index from the same pages
            completed = subprocess.run(sphinx_command(source, html_dir, work / "doctrees", quiet), env=env)
            if completed.returncode != 0:
                raise KerasmodelsError(
                    f"the site did not build (sphinx-build exit status {completed.returncode}; its warnings, which "
                    "count as errors, are above). Fix: correct the pages, docstrings or formulas they name")
            (html_dir / ".nojekyll").write_text("")  # GitHub Pages: serve _static/ and _images/ as they are
            if out.exists():
                shutil.rmtree(out)
            html_dir.rename(out)
        finally:
            if html_dir.exists():
                shutil.rmtree(html_dir)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    pages = sum(1 for _ in out.rglob("*.html"))
    return out, pages, cpu


# ----------------------------------------------------------------------------------------------
# The Sphinx extension (docs/conf.py lists "kerasmodels.course.site"): maths as MathML, and the
# supported API's Markdown-flavoured docstrings made reStructuredText before napoleon reads them.

_FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w+-]*)\s*$")
_CODE_SPAN = re.compile(r"(`+)(?!`)(?P<code>.+?)(?<!`)\1(?!`)")
_LINK = re.compile(r"\[(?P<text>[^\]\n]+)\]\((?P<url>https?://[^)\s]+)\)")
_STARS = re.compile(r"\*+")
_START_BEFORE = " \t'\"([{<-/:"  # what may precede an inline-markup start-string in reST


def _escape_prose(text):
    """Text outside code spans, as this project's docstrings mean it (plain text, Markdown links) in reST.

    `|z|` is an absolute value, not a substitution; a lone `*` (`*shape`, `keras/*.py`) is not emphasis;
    `str_` is not a link target; `[text](url)` is a link.
    """
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    text = re.sub(r"(?<=\w)_(?=[\s.,;:)]|$)", r"\\_", text)
    out, at = [], 0
    for match in _STARS.finditer(text):
        start, run = match.start(), match.group()
        before = text[start - 1] if start else " "
        after = text[match.end()] if match.end() < len(text) else " "
        opening = before in _START_BEFORE and not after.isspace()
        closed = opening and re.search(r"(?<=[^\s*])" + re.escape(run) + r"(?!\*)(?=[\s.,;:!?)'\"]|$)", text[match.end():])
        out.append(text[at:start] + ("\\" + "\\".join(run) if opening and not closed else run))
        at = match.end()
    out.append(text[at:])
    text = "".join(out)
    return _LINK.sub(lambda m: f"`{m.group('text')} <{m.group('url')}>`__", text)


def _prose_line_to_rst(line):
    if line.lstrip().startswith((">>>", "...")):
        return line
    parts, at = [], 0
    for match in _CODE_SPAN.finditer(line):
        parts.append(_escape_prose(line[at:match.start()]))
        code = match.group()
        follows = line[match.end():match.end() + 1]
        parts.append(code + ("\\ " if follows and (follows.isalnum() or follows == "_") else ""))
        at = match.end()
    parts.append(_escape_prose(line[at:]))
    return "".join(parts)


def markdown_fences_to_rst(lines):
    """Docstring lines as this project writes them (Markdown-flavoured) as reStructuredText for autodoc.

    ```python fences become code blocks; a deeper-indented line under a sentence continues it; in the
    prose, what reST would read as markup but the docstrings mean as plain text (`|z|`, a lone `*`,
    `name_`) is escaped, and `` `name`s `` keeps its s.
    """
    out, inside, indent = [], False, ""
    for line in lines:
        match = _FENCE.match(line)
        if match and not inside:
            inside, indent = True, match.group("indent")
            out += [f"{indent}.. code-block:: {match.group('lang') or 'text'}", ""]
        elif match and inside and match.group("indent") == indent:
            inside = False
            out.append("")
        elif inside:
            out.append(f"{indent}    {line[len(indent):]}" if line.strip() else "")
        elif _lazy_continuation(out, line):
            # Markdown reads a deeper-indented line right under a sentence as its continuation; reST
            # would call it an unexpected indentation.
            out[-1] += " " + _prose_line_to_rst(line.strip())
        else:
            out.append(_prose_line_to_rst(line))
    return out


def _indent(line):
    return len(line) - len(line.lstrip())


def _lazy_continuation(out, line):
    previous = out[-1] if out else ""
    return (bool(line.strip()) and bool(previous.strip()) and _indent(line) > _indent(previous)
            and not previous.rstrip().endswith(":") and not previous.lstrip().startswith(("..", ">>>", "...")))


def _process_docstring(app, what, name, obj, options, lines):
    import inspect

    if what in ("data", "attribute") and type(obj).__doc__ and "\n".join(lines).strip() == inspect.cleandoc(type(obj).__doc__):
        lines[:] = []  # a constant with no doc comment: not its type's docstring (dict's, list's) instead
        return
    lines[:] = markdown_fences_to_rst(lines)


def _mathml(self, node, display):
    from sphinx.util import logging

    from kerasmodels.course import mathml

    latex = node.astext()
    try:
        markup = mathml.strict_mathml(latex, display=display)
    except mathml.UnconvertedMath as exc:
        logging.getLogger(__name__).warning(str(exc), location=node)
        markup = mathml.latex_to_mathml(latex, display=display)
    if display:
        ids = node.get("ids") or []
        anchor = f' id="{ids[0]}"' if ids else ""
        self.body.append(f'<div class="math-wrapper"{anchor}>{markup}</div>\n')
    else:
        self.body.append(markup)
    from docutils import nodes

    raise nodes.SkipNode


def _visit_math(self, node):
    _mathml(self, node, display=False)


def _visit_displaymath(self, node):
    _mathml(self, node, display=True)


def _write_mathml_css(app, exception):
    from kerasmodels.course import mathml

    if exception is None and app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        static.mkdir(parents=True, exist_ok=True)
        (static / MATHML_CSS_FILE).write_text(mathml.CSS, encoding="utf-8")


def setup(app):
    """The Sphinx extension: html_math_renderer "mathml" (no MathJax, no network) and docstring fences."""
    app.add_html_math_renderer("mathml", (_visit_math, None), (_visit_displaymath, None))
    app.add_css_file(MATHML_CSS_FILE)
    app.connect("build-finished", _write_mathml_css)
    app.connect("autodoc-process-docstring", _process_docstring, priority=400)  # before napoleon (500)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


# ----------------------------------------------------------------------------------------------
# kerasmodels docs build

def _cmd_docs_build(args):
    from kerasmodels.course import runner

    runs = args.run or []
    if not runs:
        tours = sorted(runner.runs_dir().glob("tour-*"), key=lambda p: p.stat().st_mtime) if runner.runs_dir().is_dir() else []
        if not tours:
            raise KerasmodelsError("no executed notebooks found: no --run given and no runs/tour-* folder. "
                                   "Fix: kerasmodels tour --out DIR, then kerasmodels docs build --run DIR")
        runs = [tours[-1]]
        print(f"using the latest tour: {runs[0]}")
    lessons = args.lessons.split(",") if args.lessons else None
    started = time.perf_counter()
    out, pages, cpu = build(runs, args.out, lessons=lessons, quiet=not args.verbose)
    print(f"built {pages} pages in {time.perf_counter() - started:.0f} s ({cpu:.0f} CPU s): {out / 'index.html'}")
    print("publish it by copying the folder as it is (a web server, GitHub Pages, a USB stick); it loads nothing "
          "from the network")
    return 0


def add(sub):
    """Add `kerasmodels docs build` to the command line's subparsers."""
    p = sub.add_parser("docs", help="build the course website (lessons with their outputs, guides, API reference)")
    dsub = p.add_subparsers(dest="docs_command", required=True)
    q = dsub.add_parser("build", help="build the site from a tour's executed notebooks (needs the docs extra)")
    q.add_argument("--run", action="append", metavar="DIR",
                   help="a tour's run folder (kerasmodels tour --out DIR); repeat for several; default: the latest runs/tour-*")
    q.add_argument("--out", default="site", help="the folder to write (default: ./site); replaced when the build succeeds")
    q.add_argument("--lessons", help="comma-separated lessons to include (default: all)")
    q.add_argument("--verbose", action="store_true", help="print Sphinx's progress too")
    q.set_defaults(func=_cmd_docs_build)
