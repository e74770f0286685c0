"""Executed notebooks as standalone, offline web pages, and the figures' captions.

nbconvert renders the notebook through a Jinja2 template that drops every script it would
load from a CDN; maths is written as MathML (course.mathml), which browsers render natively.
"""

import re
from pathlib import Path

from kerasmodels.paths import atomic_write_text

__all__ = ["SOURCES_PAGE", "figure_title", "render_html", "write_sources_page"]

_REPORT_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 10px;text-align:left}"
    ".failed{color:#b00}.passed{color:#070}.meta{color:#444}"
    "figure{margin:1em 0}img{max-width:100%;border:1px solid #eee}figcaption{font-style:italic;color:#333}"
)


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


# The pages kerasmodels writes itself are Jinja2 templates (autoescaped: every value is escaped
# unless it is HTML made here, marked `|safe`).
_SOURCES_PAGE_TEMPLATE = """<!doctype html><html lang='en'><head><meta charset='utf-8'><title>The five source articles</title>\
<style>{{ css|safe }}</style></head><body>
{{ body|safe }}
</body></html>"""


def html_template(source):
    """A Jinja2 template for an HTML page, autoescaping every value not marked `|safe`."""
    import jinja2

    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.from_string(source)


def write_sources_page(path):
    """A standalone page listing the five source articles (what lessons' headers link to), offline."""
    return atomic_write_text(path, html_template(_SOURCES_PAGE_TEMPLATE).render(css=_REPORT_CSS, body=_sources_html()))


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
