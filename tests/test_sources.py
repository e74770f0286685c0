"""The five source articles: docs/sources.md is generated from course.sources, every lesson links it,
and every lesson's `articles:` entry names one of them."""

import re
from pathlib import Path

import pytest

from kerasmodels.course import runner, sources

ROOT = Path(__file__).resolve().parent.parent
SHARED_SOURCES = ROOT.parent / "shared" / "sources"
LESSONS = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))


def test_docs_sources_md_is_generated_from_the_module():
    page = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    assert page == sources.markdown(), (
        "docs/sources.md differs from kerasmodels/course/sources.py; regenerate it with "
        "`python -m kerasmodels.course.sources > docs/sources.md`")


def test_articles_are_000_to_004_with_titles_and_contributions():
    assert [a.number for a in sources.ARTICLES] == ["000", "001", "002", "003", "004"]
    for a in sources.ARTICLES:
        assert re.search(r"[\u4e00-\u9fff]", a.chinese_title) and a.english_title.isascii()
        assert a.file.startswith(a.number + "_") and len(a.contributes) > 40
        assert a.label == f"article {a.number}"
    page = sources.markdown()
    for a in sources.ARTICLES:
        assert a.chinese_title in page and a.english_title in page and a.contributes in page
    assert "seed" not in page.lower() and "the document" not in page.lower()


@pytest.mark.skipif(not SHARED_SOURCES.is_dir(), reason="the articles are not beside this checkout (../shared)")
def test_chinese_titles_are_the_articles_own():
    for a in sources.ARTICLES:
        assert a.chinese_title in (SHARED_SOURCES / a.file).read_text(encoding="utf-8")


def test_every_lesson_header_links_the_sources_page():
    for path in LESSONS:
        header = path.read_text(encoding="utf-8").split("# %%", 2)[1]  # the first (Markdown) cell
        assert f"([the five source articles]({sources.PAGE_URL}))" in header, path.name


def test_every_articles_entry_names_an_article_and_lessons_lists_match():
    cited = {a.number: set() for a in sources.ARTICLES}
    for spec in runner.discover(ROOT / "lessons"):
        for entry in spec.articles:
            assert re.fullmatch(r"\d{3} (§\d+(\.\d+)*|Q\d+|term \d+)", entry), (spec.name, entry)
            cited[sources.article_of(entry).number].add(f"{spec.number:02d}")
    for a in sources.ARTICLES:
        assert a.lessons == tuple(sorted(cited[a.number])), (
            f"article {a.number}: ARTICLES lists lessons {a.lessons}, the lessons' metadata cite it in "
            f"{sorted(cited[a.number])}")


def test_an_unknown_article_is_a_one_line_error():
    with pytest.raises(ValueError, match=r"'007 §1'.*000, 001, 002, 003, 004"):
        sources.article_of("007 §1")
