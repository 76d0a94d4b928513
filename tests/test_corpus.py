"""Real texts Samizdat did not write (tests/corpus, with their sources and licences) build
and verify, and their EPUBs pass EPUBCheck. The long ones run with SAMIZDAT_CORPUS=all
(`make corpus`), not in every test run."""

import os

import pytest

from conftest import ROOT
from samizdat import shelving
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
