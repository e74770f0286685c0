"""Maths in the pages the course writes: every lesson formula becomes MathML, nothing else changes."""

import re

import nbformat
import pytest

from kerasmodels.course import mathml, runner, sources


def lesson_formulas():
    """(lesson number, kind, LaTeX) of every formula in every lesson's Markdown, as nbconvert's parser finds them."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    found = []

    class Collect(IPythonRenderer):
        def block_math(self, body):
            found.append((number, "display", body))
            return ""

        def inline_math(self, body):
            found.append((number, "inline", body))
            return ""

        def latex_environment(self, name, body):
            found.append((number, "display", f"\\begin{{{name}}}{body}\\end{{{name}}}"))
            return ""

    for spec in runner.discover():
        number = spec.number
        for cell in runner.notebook_from_source(spec, hosted=False).cells:
            if cell.cell_type == "markdown":
                MarkdownWithMath(renderer=Collect(escape=False)).render(cell.source)
    return found


def test_every_formula_of_every_lesson_converts_to_mathml():
    formulas = lesson_formulas()
    assert len({number for number, _, _ in formulas}) >= 15  # most lessons have maths
    assert sum(kind == "display" for _, kind, _ in formulas) >= 20 and len(formulas) >= 500
    failures = []
    for number, kind, latex in formulas:
        try:
            out = mathml.strict_mathml(latex, display=kind == "display")
        except mathml.UnconvertedMath as exc:
            failures.append(f"lesson {number:02d}: {exc}")
            continue
        assert out.startswith("<math") and out.endswith("</math>"), out
        assert ("display=\"block\"" in out) == (kind == "display")
    assert not failures, "\n".join(failures)


def test_the_formulas_look_right():
    # A few of lesson 03's, checked structurally: fractions, sums, sub/superscripts, operators, text.
    out = mathml.strict_mathml(r"J = \tfrac12\sum (y - t)^2", display=True)
    assert "<mfrac><mn>1</mn><mn>2</mn></mfrac>" in out and "&#x02211;" in out and "<msup>" in out
    out = mathml.strict_mathml(r"\delta_3 = (y - t)\odot \sigma'(z_3)")
    assert "<msub><mi>&#x003B4;</mi><mn>3</mn></msub>" in out and "&#x02299;" in out
    assert "<mtext>" in mathml.strict_mathml(r"-\log(\text{probability given to the true class})")
    # \arg is rewritten (latex2mathml does not know it) to an upright "arg".
    out = mathml.strict_mathml(r"\arg\max_a Q^*(s, a)")
    assert "\\arg" not in out and out.count('mathvariant="normal"') == 3


def test_a_formula_that_does_not_convert_stays_readable_source():
    with pytest.raises(mathml.UnconvertedMath, match=r"\\notacommand"):
        mathml.strict_mathml(r"x \notacommand y")
    assert mathml.latex_to_mathml(r"x < \notacommand y") == '<code class="tex">$x &lt; \\notacommand y$</code>'


def test_text_to_html_escapes_text_and_converts_inline_maths():
    out = mathml.text_to_html("derivative $\\sigma'(z)$ <b> & $5 only")
    assert out.startswith("derivative <math") and "&lt;b&gt; &amp; $5 only" in out
    assert mathml.text_to_html("no maths, 3 < 4") == "no maths, 3 &lt; 4"


def test_markdown_maths_becomes_mathml_but_code_spans_do_not():
    md = "Inline $a^2$, code `echo $HOME and $x$` and\n\n$$\\sum_i x_i$$\n"
    out = mathml.markdown_to_html(md)
    assert out.count("<math") == 2 and 'display="block"' in out
    assert "<code>echo $HOME and $x$</code>" in out



def test_rendered_page_has_mathml_the_code_untouched_and_a_local_sources_page(tmp_path):
    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print('$y$')")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="$y$ costs $$3\n")]
    notebook.cells = [
        nbformat.v4.new_markdown_cell(f"See [the articles]({sources.PAGE_URL}). Inline $a^2$ and\n\n$$b_1$$"),
        code,
    ]
    page = runner.render_html(notebook, tmp_path / "page.html")
    text = page.read_text()
    assert text.count("<math") == 2
    assert "$y$ costs $$3" in text  # the output, as printed
    assert sources.PAGE_URL not in text and 'href="sources.html"' in text
    assert "mathjax" not in text.lower().replace("mathjax_", "")  # no MathJax script or CDN
    local = (tmp_path / runner.SOURCES_PAGE).read_text()
    for article in sources.ARTICLES:
        assert article.chinese_title in local and article.english_title in local


def test_the_report_has_the_source_articles_and_captions_with_maths(tmp_path):
    from PIL import Image, PngImagePlugin

    run_dir = tmp_path / "01_x"
    run_dir.mkdir()
    info = PngImagePlugin.PngInfo()
    info.add_text("Title", "activation $\\sigma(z)$")
    Image.new("RGB", (60, 60), "white").save(run_dir / "fig.png", pnginfo=info)
    spec = runner.LessonSpec(1, "x", "X", tmp_path / "01_x.py", articles=["001 §4.2"])
    result = runner.RunResult(spec, "quick", "passed", 1.0, run_dir, figures=[run_dir / "fig.png"])
    fake_info = {"versions": {"python": "3", "keras": "3", "tensorflow": "2", "keras-hub": "0"},
                 "accelerators": [], "cpu": {"model": "cpu", "cores": 2}, "backend": "tensorflow"}
    text = runner.write_report([result], tmp_path / "report.html", info=fake_info).read_text()
    assert re.search(r"<figcaption>Figure 1\.1: activation <math[^>]*>.*</math></figcaption>", text)
    assert "<section id='sources'><h2>Source articles</h2>" in text
    assert "<a href='#sources'>Mirrors</a>: article 001 §4.2." in text
    assert text.count("<a ") == text.count("</a>") and not re.search(r"<a [^>]*/>", text)  # every link closed
    for article in sources.ARTICLES:
        assert article.english_title in text
    assert sources.PAGE_URL not in text
