"""Sphinx configuration of the course website.

Build it with `kerasmodels docs build --run DIR` (DIR: a folder `kerasmodels tour --out DIR` wrote),
which puts this folder's pages, one page per executed lesson and the command reference in a
staging folder and runs `python -m sphinx -W --keep-going -b html -c docs STAGING OUT` on it
(kerasmodels/course/site.py). Nothing here loads anything from the network: no MathJax (maths is
MathML, written at build time), no web fonts, no intersphinx.
"""

import kerasmodels

project = "kerasmodels"
author = "the kerasmodels authors"
copyright = "the kerasmodels authors, Apache-2.0"
release = version = kerasmodels.__version__
language = "en"

extensions = [
    "myst_nb",                    # Markdown pages and the executed notebooks (never executed again here)
    "sphinx.ext.autodoc",         # the API reference, from the docstrings
    "sphinx.ext.napoleon",        # their Google-style Args: / Returns: / Example: sections
    "kerasmodels.course.site",    # maths as MathML (html_math_renderer below), ```python examples in docstrings
]

# The notebooks come executed from a tour run: the same outputs the tests and the report check.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
html_math_renderer = "mathml"

# Docstrings write `name` for code, as Markdown does.
default_role = "literal"
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "description"
autoclass_content = "both"        # a class's Args are in its docstring or its __init__'s
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True         # a class's Attributes: as a field list (autodoc lists dataclass fields itself)

exclude_patterns = ["_build", "**.ipynb_checkpoints", "jupyter_execute"]
nitpicky = False

html_theme = "furo"
html_title = "kerasmodels course"
html_static_path = ["_static"]
html_css_files = ["kerasmodels.css"]
html_copy_source = False          # the executed notebooks are offered as downloads instead
html_show_sourcelink = False
html_last_updated_fmt = "%Y-%m-%d"
# The machine's fonts only (nothing fetched), with CJK fonts for the Chinese terms of the articles.
_FONTS = ('system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, '
          '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", '
          '"WenQuanYi Micro Hei", "Noto Sans SC", sans-serif')
_MONO = ('ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Noto Sans Mono CJK SC", '
         '"Sarasa Mono SC", monospace')
html_theme_options = {
    "light_css_variables": {"font-stack": _FONTS, "font-stack--monospace": _MONO},
    "dark_css_variables": {"font-stack": _FONTS, "font-stack--monospace": _MONO},
    "top_of_page_buttons": [],    # no "edit this page": the lesson pages are built, not written here
}
