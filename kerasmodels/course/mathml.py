"""Maths in the HTML the course writes, rendered without a network: LaTeX becomes MathML.

The lessons write maths in their Markdown as `$...$` (inline) and `$$...$$` (display). In
Jupyter, MathJax typesets it; the pages the runner writes (an executed lesson's HTML, the tour
report) must load nothing from the network, so instead each formula is converted to MathML
when the page is written (with `latex2mathml`), which Chromium, Firefox and Safari render
natively (MathML Core). Only Markdown is converted, as nbconvert's Markdown parser finds the
maths: code cells, their outputs and `$` inside a code span stay as they are.

A formula the converter cannot handle stays as its LaTeX source in a `<code class="tex">`
element (readable, never a broken page); `tests/test_mathml.py` converts every formula of
every lesson and fails if one would.

Example:

```python
from kerasmodels.course import mathml

mathml.latex_to_mathml(r"\\sigma(z) = 1/(1+e^{-z})").startswith("<math")  # True
mathml.text_to_html(r"derivative $\\sigma'(z)$ & more")  # escaped text, the formula as <math>
```
"""

import html
import re

# LaTeX that latex2mathml does not know, rewritten to LaTeX it does (it would show the command as text).
_REWRITES = (
    (re.compile(r"\\arg(?![A-Za-z])"), r"\\mathrm{arg}\\,"),
)
# Left in the MathML when the converter passed a command through as text: that formula did not convert.
_UNCONVERTED = re.compile(r"\\[A-Za-z]+")
# `$...$` in a plain string (a figure's title), as nbconvert's parser finds inline maths.
_INLINE = re.compile(r"(?<![$\\])\$(?P<tex>.+?)(?<![$\\])\$", re.DOTALL)

# The look of the maths: a maths font where the machine has one, display formulas on their own line.
CSS = (
    "math{font-family:'STIX Two Math','Latin Modern Math','Cambria Math',math;font-size:1.05em}"
    "math[display=block]{display:block math;margin:.6em 0;overflow-x:auto;overflow-y:hidden}"
    "code.tex{color:#444}"
)


class UnconvertedMath(ValueError):
    """A formula latex2mathml could not turn into MathML."""


def strict_mathml(latex, display=False):
    """The MathML for `latex`; raises `UnconvertedMath` when the converter fails or leaves a command as text."""
    from latex2mathml.converter import convert

    source = latex.strip()
    for pattern, replacement in _REWRITES:
        source = pattern.sub(replacement, source)
    try:
        out = convert(source, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises its own errors, and IndexError/KeyError on odd input
        raise UnconvertedMath(f"cannot convert ${latex}$ to MathML: {type(exc).__name__}: {exc}") from exc
    left = _UNCONVERTED.findall(out)
    if left:
        raise UnconvertedMath(f"cannot convert ${latex}$ to MathML: {', '.join(sorted(set(left)))} unknown")
    return out


def latex_to_mathml(latex, display=False):
    """MathML for `latex`, or, when it does not convert, its source in `<code class="tex">` (never raises)."""
    try:
        return strict_mathml(latex, display)
    except UnconvertedMath:
        delimiter = "$$" if display else "$"
        return f'<code class="tex">{html.escape(delimiter + latex + delimiter, quote=False)}</code>'


def text_to_html(text):
    """A plain string (a figure title) as HTML: escaped, with its `$...$` formulas as MathML."""
    parts, at = [], 0
    for match in _INLINE.finditer(text):
        parts.append(html.escape(text[at:match.start()]))
        parts.append(latex_to_mathml(match.group("tex")))
        at = match.end()
    parts.append(html.escape(text[at:]))
    return "".join(parts)


def _renderer_class():
    from nbconvert.filters.markdown_mistune import IPythonRenderer

    class MathMLRenderer(IPythonRenderer):
        """nbconvert's Markdown renderer, with maths written as MathML instead of left for MathJax."""

        def block_math(self, body):
            return latex_to_mathml(body, display=True)

        def inline_math(self, body):
            return latex_to_mathml(body)

        def latex_environment(self, name, body):
            return latex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

    return MathMLRenderer


def markdown_to_html(source):
    """Markdown (a lesson's cell, a page) as HTML, its maths as MathML, parsed as nbconvert parses it."""
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    # No pilcrow links on headings: these pages have no lab CSS to hide them.
    return MarkdownWithMath(renderer=_renderer_class()(escape=False, exclude_anchor_links=True)).render(source)


def exporter_class():
    """An nbconvert `HTMLExporter` whose Markdown cells carry MathML (a class, built on first use)."""
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    try:
        from jinja2 import pass_context
    except ImportError:  # jinja2 < 3
        from jinja2 import contextfilter as pass_context

    renderer_class = _renderer_class()

    class MathMLHTMLExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            # As HTMLExporter.markdown2html (nbconvert 7), with the MathML renderer.
            cell = context.get("cell", {})
            renderer = renderer_class(
                escape=False,
                attachments=cell.get("attachments", {}),
                embed_images=self.embed_images,
                path=context.get("resources", {}).get("metadata", {}).get("path", ""),
                anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links,
                **self.lexer_options,
            )
            return MarkdownWithMath(renderer=renderer).render(source)

    return MathMLHTMLExporter
