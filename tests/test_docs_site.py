"""The course website (kerasmodels docs build, course/site.py): built from the suite's executed lessons, offline.

The build reuses the notebooks the `executed_lessons` fixture ran (the same run the lesson tests
assert on), so in the full suite it costs only Sphinx's time. A headless Chromium with the network
blocked (tests/_browser.py) then opens the home page, a lesson page and the API page, and searches.
"""

import html
import inspect
import re
from pathlib import Path

import pytest
from _browser import BROWSER, Chromium, assert_maths_rendered

from kerasmodels.course import runner, site
from kerasmodels.errors import KerasmodelsError

ROOT = Path(__file__).resolve().parents[1]
API_PAGE = ROOT / "docs" / "api.md"


def _parameters(obj):
    """The parameters a caller names: a function's, a class's constructor's (not self, *args, **kwargs)."""
    signature = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    return [name for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _doc_comment(module, name):
    """The `#:` doc comment of module-level value `name`, found as autodoc finds it (sphinx.pycode)."""
    from sphinx.pycode import ModuleAnalyzer

    analyzer = ModuleAnalyzer.for_module(module)
    analyzer.analyze()
    return "\n".join(analyzer.attr_docs.get(("", name), [])).strip()


def _api_objects():
    """[(module, name, object)] of every name in README's API table, from the first of its row's modules that has it."""
    import importlib

    found = []
    for modules, names, _ in site.api_table():
        for name in names if modules else []:  # the command's row: its subcommands are on the command page
            module = next((m for m in modules if hasattr(importlib.import_module(m), name)), None)
            assert module, (modules, name)
            found.append((module, name, getattr(importlib.import_module(module), name)))
    return found


def _api_gaps(objects):
    """What issue 30 asks of the API reference that `objects` [(module, name, object)] lack, one line each."""
    gaps = []
    for module, name, obj in objects:
        if callable(obj):
            doc = inspect.getdoc(obj) or ""
            if _parameters(obj) and not re.search(r"^Args:$", doc, re.MULTILINE):
                gaps.append(f"{module}.{name}: no Args: section")
            if not re.search(r"^Example:$", doc, re.MULTILINE) or ("```python" not in doc and ">>>" not in doc):
                gaps.append(f"{module}.{name}: no Example: with code")
        elif not _doc_comment(module, name):
            gaps.append(f"{module}.{name}: no #: doc comment")
        elif ":" in _doc_comment(module, name).splitlines()[0]:  # napoleon reads "type: text" there
            gaps.append(f"{module}.{name}: a colon in the doc comment's first line (napoleon takes it for a type)")
    return gaps


def test_every_name_of_readme_api_table_has_args_and_an_example():
    """Issue 30: README's API table is the list. Each callable (function or class, exceptions included) has
    `Args:` when it takes parameters (a class: its constructor's) and an `Example:` with code, which
    tests/test_docstring_examples.py runs. Each value (SPLITS, registry.DATASETS, ...) is documented by a `#:`
    doc comment, which autodoc shows; values take no arguments, so Args are out of scope for them, and
    their Example is optional (the comment says how to use them)."""
    objects = _api_objects()
    assert len(objects) >= 90, len(objects)
    gaps = _api_gaps(objects)
    assert gaps == [], "\n".join(gaps)


def test_the_api_check_finds_a_missing_args_example_or_doc_comment():
    def documented(a, *args, b=1, **kwargs):
        """Adds.

        Args:
            a: a number.
            b: another.

        Example:

        ```python
        >>> documented(1)
        ```
        """

    def undocumented(a):
        """Adds."""

    def no_parameters(*args, **kwargs):
        """Nothing to name.

        Example:

        >>> no_parameters()
        """

    from kerasmodels import data

    assert _parameters(documented) == ["a", "b"] and _parameters(KerasmodelsError) == []
    gaps = _api_gaps([("m", "documented", documented), ("m", "undocumented", undocumented),
                      ("m", "no_parameters", no_parameters), ("kerasmodels.errors", "KerasmodelsError", KerasmodelsError),
                      ("kerasmodels.data", "SPLITS", data.SPLITS), ("kerasmodels.data", "_REGISTRY", data._REGISTRY)])
    assert gaps == ["m.undocumented: no Args: section", "m.undocumented: no Example: with code",
                    "kerasmodels.data._REGISTRY: no #: doc comment"], gaps


def test_the_api_reference_documents_every_name_in_readme_api_table():
    """Each README module gets an automodule section; each name listed is one autodoc will document there."""
    import ast

    page = site.api_page()
    rows = site.api_table()
    assert len(rows) >= 9, rows
    for modules, names, _ in rows:
        if not modules:  # the command: every subcommand is on the command page
            command_page = site._command_page()
            assert names and all(f"## `kerasmodels {n}`" in command_page for n in names), names
            continue
        offered = set()
        for module in modules:
            assert f"## `{module}`\n" in page and f".. automodule:: {module}\n   :members:" in page, module
            exported = site.module_all(module)
            if exported is None:  # autodoc's :members: are then the module's own top-level definitions
                path = ROOT / Path(*module.split("."))
                tree = ast.parse((path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text())
                exported = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
            offered |= set(exported)
        assert set(names) <= offered, (modules, sorted(set(names) - offered))


def test_project_docstrings_become_restructuredtext_that_parses_cleanly():
    import docutils.core
    import docutils.utils

    docstring = [
        "Weights of |z| features; arrays (N, *image_shape), dtype str_.",
        "Still **bold** and *emphasis*.",
        "The optimizers of keras/*.py.",
        "The `Accelerator`s it sees; [the paper](https://arxiv.org/abs/1706.03762).",
        "",
        "Files in `directory`:",
        "    best.keras: the full model",
        "        (`keras.models.load_model` reads it).",
        "",
        "```python",
        "for x in [1, 2]:",
        "    print(x * 2)  # |x|",
        "```",
    ]
    rst = "\n".join(site.markdown_fences_to_rst(docstring))
    assert ".. code-block:: python" in rst and "    for x in [1, 2]:\n        print(x * 2)  # |x|" in rst
    doctree = docutils.core.publish_doctree(
        rst, settings_overrides={"report_level": docutils.utils.Reporter.INFO_LEVEL + 1, "halt_level": 5,
                                 "warning_stream": False})
    messages = [m.astext() for m in doctree.findall(docutils.nodes.system_message)]
    assert messages == [], messages
    text = doctree.astext()
    assert "|z|" in text and "*image_shape" in text and "keras/*.py" in text and "str_" in text and "Accelerators" in text


def test_the_home_page_installs_as_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    student = re.search(r"### Just the course.*?```bash\n(.+?)\n```", readme, re.DOTALL).group(1)
    assert student in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")


def test_bad_input_gets_one_line_errors_naming_the_fix(tmp_path, monkeypatch):
    with pytest.raises(KerasmodelsError, match=r"no executed lesson notebooks in .*Fix: kerasmodels tour --out DIR"):
        site.build([tmp_path], tmp_path / "site")
    with pytest.raises(KerasmodelsError, match=r"no run folder .*Fix:"):
        site.build([tmp_path / "absent"], tmp_path / "site")
    (tmp_path / "00_check_your_setup").mkdir()
    (tmp_path / "00_check_your_setup" / "00_check_your_setup.ipynb").write_text("{}")
    with pytest.raises(KerasmodelsError, match=r"no executed notebook for 01_.*Fix: kerasmodels tour --only 01,"):
        site.build([tmp_path], tmp_path / "site")
    (tmp_path / "00_check_your_setup" / "result.json").write_text('{"status": "failed", "error": "cell 3: boom"}')
    with pytest.raises(KerasmodelsError, match=r"failed in their run: 00_check_your_setup \(cell 3: boom\)"):
        site.build([tmp_path], tmp_path / "site", lessons=[0])
    assert not (tmp_path / "site").exists()

    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "myst_nb" else real(name, *a))
    with pytest.raises(KerasmodelsError, match=r"needs myst_nb, not installed here\. Fix: install the docs extra"):
        site.build([tmp_path], tmp_path / "site")


def test_the_command_is_plugged_in():
    from kerasmodels import cli

    args = cli.build_parser().parse_args(["docs", "build", "--run", "a", "--run", "b", "--out", "x"])
    assert args.run == ["a", "b"] and args.out == "x" and args.func is site._cmd_docs_build


@pytest.fixture(scope="module")
def built_site(executed_lessons, tmp_path_factory):
    """The whole site, from every lesson as the suite executed it (the fixture runs each once per session)."""
    results = [executed_lessons(spec.number) for spec in runner.discover()]
    runs = sorted({r.run_dir.parent for r in results})
    out, pages, cpu = site.build(runs, tmp_path_factory.mktemp("site") / "site")
    return out, pages, results


def _api_entries(page):
    """{documented name: the HTML of its entry} on the built API page."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'<dt class="sig sig-object py" id="([\w.]+)"', page)]
    entries = {}
    for i, (at, name) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(page)
        section = page.find("<section", at)
        entries[name] = page[at:section if 0 < section < end else end]
    return entries


def test_the_site_builds_with_every_lesson_guide_and_api_entry(built_site):
    out, pages, results = built_site
    assert (out / "index.html").exists() and (out / ".nojekyll").exists()
    for r in results:
        lesson = (out / "lessons" / f"{r.lesson.name}.html").read_text(encoding="utf-8")
        assert "$$" not in lesson, r.lesson.name
        assert f"colab.research.google.com/github/kerasmodels/kerasmodels/blob/main/notebooks/{r.lesson.name}.ipynb" in lesson
        assert "kaggle.com/kernels/welcome?src=" in lesson
        assert 'href="../sources.html"' in lesson  # the header's link to the articles stays on the site
        assert lesson.count("<img") >= len(r.figures), r.lesson.name
    for page in ("teachers", "hardware", "benchmarks", "sources", "api", "course", "command", "lessons/index", "search"):
        assert (out / f"{page}.html").exists(), page
    assert pages >= len(results) + 10

    api = (out / "api.html").read_text(encoding="utf-8")
    entries = _api_entries(api)
    import importlib

    for modules, names, _ in site.api_table():
        for name in names if modules else []:
            full = next((f"{m}.{name}" for m in modules if f"{m}.{name}" in entries), None)
            assert full, (modules, name)  # every name of README's table has its entry
            module = full.rsplit(".", 1)[0]
            entry, obj = entries[full], getattr(importlib.import_module(module), name)
            doc, text = inspect.getdoc(obj) or "", html.unescape(re.sub("<[^>]+>", "", entry))
            if re.search(r"^Args:$", doc, re.MULTILINE):  # napoleon read the section: a Parameters list
                assert ">Parameters<" in entry, full
            if re.search(r"^Example:$", doc, re.MULTILINE):  # its code shown as code
                assert "Example" in text and 'class="highlight' in entry, full
            if callable(obj):  # issue 30: every entry shows its Args and an Example
                assert ">Parameters<" in entry or not _parameters(obj), full
                assert "Example" in text, full
            else:  # a value: its doc comment is shown
                words = re.sub(r"[`*\\]", "", _doc_comment(module, name)).split()[:3]
                assert words and " ".join(words) in " ".join(text.split()), (full, words)
    # Nothing on any page comes from elsewhere: scripts, styles and images are the site's own files.
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|img|link)[^>]+(?:src|href)="(https?:[^"]+)"', text)
        assert remote == [], (page.name, remote)


@pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (Debian: apt-get install -y chromium)")
def test_the_site_in_a_browser_with_no_network(built_site, tmp_path):
    out, _, results = built_site
    lesson = next(r for r in results if r.lesson.number == 3)
    browser = Chromium(tmp_path / "chromium-profile")
    try:
        requested, images = browser.visit(out / "index.html")
        assert requested == [] and "大模型" in browser.maths["text"]

        page = out / "lessons" / f"{lesson.lesson.name}.html"
        requested, figures = browser.visit(page, wait_for="getComputedStyle(document.body).fontFamily")
        assert requested == []
        # A CJK font stack is declared for the Chinese terms (the glyphs come from the reader's own fonts).
        assert "Noto Sans CJK SC" in browser.waited and "Microsoft YaHei" in browser.waited, browser.waited
        assert len(figures) >= len(lesson.figures) >= 1
        assert all(f["loaded"] and f["width"] > 50 and f["height"] > 50 for f in figures), figures
        assert_maths_rendered(browser.maths, at_least=40)
        assert any(m["display"] == "block" for m in browser.maths["maths"])

        requested, _ = browser.visit(out / "api.html")
        assert requested == [] and "ResumableTraining" in browser.maths["text"]

        results_list = """(() => { const links = document.querySelectorAll('#search-results ul.search li a');
          return links.length ? [...links].map((a) => a.getAttribute('href')) : null })()"""
        requested, _ = browser.visit(out / "search.html", query="?q=backpropagation", wait_for=results_list)
        assert requested == []
        assert browser.waited and browser.waited[0].startswith("lessons/03_backpropagation_by_hand.html"), browser.waited
    finally:
        browser.close()
