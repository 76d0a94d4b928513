"""Real texts Samizdat did not write (tests/corpus, with their sources and licences) build
and verify, and their EPUBs pass EPUBCheck. The long ones run with SAMIZDAT_CORPUS=all
(`make corpus`), not in every test run."""

import os

import pytest

from conftest import ROOT
from pdfread import folded
from samizdat import impose, shelving
from test_editions import texts as page_texts
from test_epub import epubcheck

CORPUS = ROOT / "tests" / "corpus"
LONG = {"kropotkin-mutual-aid", "morris-news-from-nowhere"}
# Texts refused today, and the one reason each may be refused for: a gap to close.
# (SBLGNT Galatians was, for U+2E00, until Gentium Book Plus came in.)
REFUSED: dict[str, list[str]] = {}
ALL = os.environ.get("SAMIZDAT_CORPUS") == "all"


def texts():
    return sorted(p.name for p in CORPUS.iterdir() if (p / f"{p.name}.md").is_file())


def chosen():
    return [t for t in texts() if ALL or t not in LONG]


@pytest.fixture(scope="module")
def shelf(tmp_path_factory):
    """The chosen texts built together, as a library would build them."""
    out = tmp_path_factory.mktemp("corpus")
    books, failures = shelving.build_library([CORPUS / t / f"{t}.md" for t in chosen()], out,
                                          jobs=2)
    return out, books, failures


@pytest.mark.parametrize("text", texts())
def test_a_real_text_builds_and_its_epub_passes_epubcheck(shelf, text):
    if text not in chosen():
        pytest.skip("a long text: SAMIZDAT_CORPUS=all (make corpus)")
    out, books, failures = shelf
    if text in REFUSED:
        codes = sorted({f.code for f in failures if text in f.path})
        assert codes == REFUSED[text] and text not in books
        return
    assert [str(f) for f in failures if text in f.path] == []
    assert text in books
    report = epubcheck(out / f"{text}.epub")
    assert "0 fatals / 0 errors" in report, report


def test_every_text_says_where_it_comes_from():
    for text in texts():
        source = (CORPUS / text / "SOURCE.txt").read_text(encoding="utf-8")
        assert "commit:" in source and "licence:" in source and "repository:" in source


@pytest.mark.parametrize("text", texts())
def test_a_real_texts_pamphlet_folds_into_its_pages_in_order(shelf, text):
    """Printed, folded signature by signature and gathered, the A4 pamphlet gives the A5
    PDF's pages in order (read from the sheets' text); no signature has more than 16
    sheets. Kropotkin's 244 pages come as four signatures of 15 and 16 sheets."""
    if text not in chosen():
        pytest.skip("a long text: SAMIZDAT_CORPUS=all (make corpus)")
    out, books, _ = shelf
    pages = page_texts(out / f"{text}.pdf")
    sizes = impose.signatures(len(pages))
    assert max(sizes) <= 64
    sheets = [size // 4 for size in sizes]
    want = pages[:-1] + [""] * (sum(sizes) - len(pages)) + pages[-1:]
    rtl = books[text].lang.startswith(("fa", "ar", "he"))
    got = folded(out / f"{text}-pamphlet-a4.pdf", sheets, rtl=rtl)
    # Each page by its letters: pdfium orders a right-to-left line's runs (numbers in
    # Persian text) differently on a sheet than on the page, letters the same.
    assert [sorted(page) for page in got] == [sorted(page) for page in want]


# Poems of the corpus, whose lines must print as verse, in the text's own font: a
# plain-text poem once came through its conversion as a code block, set in monospace.
VERSE = ("whitman-song-of-myself", "pushkin-mednyj-vsadnik", "hafez-divan")


@pytest.mark.parametrize("text", VERSE)
def test_a_poem_prints_as_verse_not_as_code(text):
    from samizdat import manuscript, printhtml

    html = printhtml.print_html(manuscript.load(CORPUS / text / f"{text}.md"))
    assert html.count('<div class="verse">') >= 5 and "<pre" not in html
