"""Real texts Samizdat did not write (tests/corpus, with their sources and licences) build
and verify, and their EPUBs pass EPUBCheck. The long ones run with SAMIZDAT_CORPUS=all
(`make corpus`), not in every test run."""

import csv
import os
import re
import tarfile

import pytest

from conftest import ROOT
from pdfread import folded
from samizdat.library import local
from samizdat.outputs import impose
from samizdat.writing import fontstack
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
    books, failures = local.build_library([CORPUS / t / f"{t}.md" for t in chosen()], out,
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


# The bench (tests/corpus/bench, gathered by gather.py; `make corpus` builds all of it):
# texts stored compressed, one archive each, listed in MANIFEST.tsv.
BENCH = CORPUS / "bench"


def bench_manifest():
    with (BENCH / "MANIFEST.tsv").open(encoding="utf-8") as f:
        return {row["slug"]: row for row in csv.DictReader(f, delimiter="\t")}


def test_every_bench_text_is_stored_and_says_where_it_comes_from():
    rows = bench_manifest()
    assert {p.name.removesuffix(".tar.xz") for p in BENCH.glob("*.tar.xz")} == set(rows)
    for row in rows.values():
        assert re.fullmatch(r"[0-9a-f]{40}", row["commit"]) and row["licence"]
        assert row["repository"].count("/") == 1 and row["paths"]


def test_the_bench_is_as_wide_as_issue_25_asks():
    rows = bench_manifest()
    langs = {r["lang"].split("-")[0] for r in rows.values()}
    assert len(rows) + len(texts()) >= 200 and len(langs) >= 15
    assert len({r["script"] for r in rows.values()}) >= 5
    assert sum(r["format"] == "muse" for r in rows.values()) >= 40


def _script(name):
    return next(s for s in fontstack.SCRIPTS if s.name == name)


# A sample of the bench that `make test` builds: short texts of each source, language
# group and script. Each builds (""), or is refused today for the class recorded (the
# refusing code `make corpus` reports: a gap issue 25 is to close; when it closes, the
# text's entry becomes ""), never with an internal error (X009).
SAMPLE: dict[str, str] = {
    "eltec-gre-gre0002_lachana_selides": "",
    "eltec-gre-gre0007_dafni_aklaftos_nekros": "",
    "ruslit-lermontov-смерть-поэта": "",
    "ruslit-tolstoy-ответ-польской-женщине": "",
    "ruslit-pushkin-кирджали": "",
    "ruslit-gorky-человек": "",
    "muse-amusewiki-slides": "",
    "muse-amuse-table": "",  # no #author, #date, #lang: built as amusewiki builds it (M001 warns)
    "muse-amusewiki-ar": "",
    "muse-amuse-compile-zh": "",
    "muse-amuse-compile-farsi": "",
    "muse-amuse-bidi-1": "",
    "muse-amuse-compile-ja": "",
    "muse-amuse-10_theses": "",
    "ws-te-krishna_satakam-satakam": "F008",  # an unassigned code point, U+0C29
    # (their fonts are in fonts-noto-core, which `make` installs: without it, F008)
    "ws-mr-gurucharitra-adhyay6": "" if fontstack.installed(_script("Devanagari")) else "F008",
    "ws-bn-গীতাঞ্জলি": "" if fontstack.installed(_script("Bengali")) else "F008",
    "ruslit-lermontov-валерик": "",  # `<ВАЛЕРИК>`{=html}: printed as text (R011 warns)
    "eltec-gre-gre0003_kambouroglou_trisevgeni": "",  # date 'n.d.': no date (M005 warns)
    "ruslit-dostoevsky-роман-в-девяти-письмах": "",  # letters
}


def unpack(slug, into):
    with tarfile.open(BENCH / f"{slug}.tar.xz") as tar:
        tar.extractall(into, filter="data")
    return next(p for p in (into / slug).iterdir() if p.suffix in (".md", ".muse"))


@pytest.fixture(scope="module")
def bench_shelf(tmp_path_factory):
    """The sample built together, as a library would build it."""
    src, out = tmp_path_factory.mktemp("bench-src"), tmp_path_factory.mktemp("bench")
    paths = {slug: unpack(slug, src) for slug in SAMPLE}
    books, failures = local.build_library(list(paths.values()), out, jobs=2)
    return paths, books, failures


@pytest.mark.parametrize("text", sorted(SAMPLE))
def test_a_bench_text_builds_or_is_refused_for_its_known_class(bench_shelf, text):
    paths, books, failures = bench_shelf
    mine = [f for f in failures if f"/{text}/" in str(f.path)]
    assert "X009" not in {f.code for f in mine}, [str(f) for f in mine]
    if SAMPLE[text]:
        assert SAMPLE[text] in {f.code for f in mine} and paths[text].stem not in books
    else:
        assert [str(f) for f in mine] == [] and paths[text].stem in books


# (hafez-divan's pamphlet once read a 'ل' of page 14 in the cell of page 19: PDFium reads
# an ActualText span in the space of the form XObject drawing its page; impose.ACTUAL_TEXT)
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
    from samizdat.outputs import printhtml
    from samizdat.source import manuscript

    html = printhtml.print_html(manuscript.load(CORPUS / text / f"{text}.md"))
    assert html.count('<div class="verse">') >= 5 and "<pre" not in html
