"""The tour report and a rendered notebook in a real headless browser: no network request, every figure shown.

Chromium is driven over the DevTools protocol (`--remote-debugging-pipe`, standard library only;
tests/_browser.py, shared with the course website's test): every request the page itself makes
is reported by `Network.requestWillBeSent` for the page's session, apart from the browser's own
background traffic, and after the load event the page says whether each image decoded and takes
up space, and whether each formula (MathML) was laid out with a size and no LaTeX source shows as
text. Skips where no Chromium is installed (Debian: apt-get install -y chromium). With
KERASMODELS_SCREENSHOTS=folder the pages' screenshots are saved there, to look at.
"""

import os
from pathlib import Path

import pytest
from _browser import BROWSER, Chromium, assert_maths_rendered

from kerasmodels.course import runner

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BROWSER is None, reason="no Chromium installed (Debian: apt-get install -y chromium)"),
]


@pytest.fixture
def browser(tmp_path):
    chromium = Chromium(tmp_path / "chromium-profile")
    yield chromium
    chromium.close()


def test_the_check_itself_sees_a_remote_image(browser, tmp_path):
    page = tmp_path / "remote.html"
    dot = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"  # 1x1 GIF
    page.write_text("<html><body><img alt='badge' src='https://example.com/badge.svg'>"
                    f"<img alt='dot' src='{dot}' width=5 height=5></body></html>")
    requested, images = browser.visit(page)
    assert requested == ["https://example.com/badge.svg"]
    assert [(i["alt"], i["loaded"]) for i in images] == [("badge", False), ("dot", True)]


def test_report_and_rendered_notebooks_load_offline_with_every_figure_shown(browser, tmp_path, executed_lessons):
    result = executed_lessons(0)
    report = runner.write_report([result], tmp_path / "report.html")
    requested, figures = browser.visit(report)
    assert requested == []
    assert len(figures) == len(result.figures) >= 1
    assert all(f["loaded"] and f["width"] > 50 and f["height"] > 50 for f in figures), figures

    requested, images = browser.visit(result.html_path)
    assert requested == []
    assert images and all(i["loaded"] and i["width"] > 50 for i in images), images

    # A lesson full of maths, rendered without executing it: no MathJax fetched, every formula laid out.
    maths = runner.render_html(runner.notebook_from_source(runner.find(4), hosted=False), tmp_path / "04.html")
    requested, _ = browser.visit(maths)
    assert requested == []
    assert_maths_rendered(browser.maths, at_least=50)


def test_lesson_03_and_the_report_show_their_maths_offline(browser, tmp_path, executed_lessons):
    result = executed_lessons(3)
    shots = os.environ.get("KERASMODELS_SCREENSHOTS")
    requested, _ = browser.visit(result.html_path, screenshot=Path(shots) / "03.png" if shots else None)
    assert requested == []
    assert_maths_rendered(browser.maths, at_least=40)
    assert any(m["display"] == "block" for m in browser.maths["maths"])  # its display formula too
    # The header's link to the source articles leads to a page beside it, which loads offline too.
    assert (result.html_path.parent / runner.SOURCES_PAGE).exists()
    requested, _ = browser.visit(result.html_path.parent / runner.SOURCES_PAGE)
    assert requested == [] and "Article 004" in browser.maths["text"]

    report = runner.write_report([executed_lessons(1), result], tmp_path / "report.html")
    requested, figures = browser.visit(report, screenshot=Path(shots) / "report.png" if shots else None)
    assert requested == []
    assert all(f["loaded"] for f in figures)
    assert_maths_rendered(browser.maths, at_least=2)  # lesson 01's figure captions carry maths
    assert "Source articles" in browser.maths["text"]
