"""Collections (scripts/samizdat/collection.py): tests/collection/reader.md lists three
texts (English Markdown, Persian right to left, Muse) and is built as one book, every
output verified by the build itself (E002/E003 notes in the EPUB, P001 notes on their
call's page). Here: each part's notes numbered from 1 in the EPUB and in the PDF, the
contents and the OPF naming every text and author, a part's defect said at the part's
own file and line, and a changed part changing the input key. The hostile `contents:`
are golden cases (tests/check/c00*)."""

import re
import shutil
import zipfile

import pikepdf
import pytest
from lxml import etree

from conftest import ROOT
from samizdat import build
from samizdat.checks import lint
from samizdat.outputs import shelf
from samizdat.source import manuscript
from samizdat.errors import UserError

COLLECTION = ROOT / "tests" / "collection"
XHTML = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
         "dc": "http://purl.org/dc/elements/1.1/", "opf": "http://www.idpf.org/2007/opf"}
AUTHORS = ["The Samizdat Test Collective", "Fredy Perlman", "Wikipedia contributors (فارسی)",
           "Text::Amuse test suite"]


@pytest.fixture(scope="module")
def book():
    """The collection, loaded."""
    return manuscript.load(COLLECTION / "reader.md")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, book):
    """{file name: path} of the collection's build (which verifies every output)."""
    out = tmp_path_factory.mktemp("collection")
    every = build.PrintOptions(given=(("outputs", "epub,pdf,pamphlet,book"),))
    build.build(COLLECTION / "reader.md", out, printing=every, parallel=False)
    return {p.name: p for p in out.iterdir()}


def test_the_parts_are_read_in_order(book):
    assert [p.path.name for p in book.parts] == ["perlman-ten-theses.md", "amuse-bidi-fa.md",
                                                  "verse.muse"]
    assert [p.direction for p in book.parts] == ["ltr", "rtl", "ltr"]
    # the book's notes: the introduction's, then each part's, in order
    assert len(book.index.notes) == 1 + sum(len(p.index.notes) for p in book.parts)


def test_every_output_of_a_single_text_is_built(outputs):
    """The bound book included: its interior and cover wrap pass their checks (boxes,
    PDF/X, spine against the interior's pages, the interior's text: B001-B005) in the
    build, and the interior holds every page of the reading PDF."""
    for name in ("reader.epub", "reader.kepub.epub", "reader.pdf", "reader-pamphlet-a4.pdf",
                 "reader-pamphlet-letter.pdf", "reader-cover.png", "reader-book-interior.pdf",
                 "reader-book-cover.pdf"):
        assert name in outputs
    with pikepdf.open(outputs["reader.pdf"]) as reading, \
            pikepdf.open(outputs["reader-book-interior.pdf"]) as interior:
        assert len(interior.pages) == len(reading.pages) + len(reading.pages) % 2


def _pages(epub):
    with zipfile.ZipFile(epub) as archive:
        return {n: etree.fromstring(archive.read(n)) for n in sorted(archive.namelist())
                if n.endswith(".xhtml")}


def test_epub_numbers_each_parts_notes_from_one_with_the_parts_own_notes(outputs, book):
    """In each part's section, the calls read 1, 2, 3 ... and the notes they pop up
    hold that part's own notes, in order."""
    seen = []
    for root in _pages(outputs["reader.epub"]).values():
        for part in root.xpath("//*[contains(concat(' ', @class, ' '), ' samizdat-part ')]",
                               namespaces=XHTML):
            calls = part.xpath(".//x:a[@epub:type='noteref']", namespaces=XHTML)
            asides = {a.get("id"): a for a in root.xpath("//x:aside[@epub:type='footnote']",
                                                          namespaces=XHTML)}
            words = [" ".join("".join(asides[c.get("href")[1:]].itertext()).split())
                     for c in calls]
            seen.append(([" ".join("".join(c.itertext()).split()) for c in calls], words))
    assert len(seen) == len(book.parts)
    for (numbers, words), part in zip(seen, book.parts):
        assert numbers == [str(n) for n in range(1, len(part.notes) + 1)]
        # each note begins with its number, linking back, then the part's own words
        assert [w.split(". ", 1)[0] for w in words] == numbers
        assert [" ".join(w.split(". ", 1)[1].split()) for w in words] == part.notes


def _note_numbers(page_text):
    """The numbers of the notes at a page's foot, as pdfium reads them ("3. " in a left
    to right note, ".3 " in a right-to-left one; a part's "1977. Anti-Copyright" line
    is a year, not a note)."""
    return [int(m[1] or m[2]) for m in re.finditer(r"(?m)^(?:(\d{1,3})\. |\.(\d{1,3}) )", page_text)]


def test_pdf_numbers_each_parts_notes_from_one(outputs, book):
    import pypdfium2

    pdf = pypdfium2.PdfDocument(outputs["reader.pdf"])
    texts = [page.get_textpage().get_text_range().replace("\r\n", "\n") for page in pdf]
    titles = [p.plain("title") for p in book.parts]
    # the page each part opens on (after the contents, which names them all)
    starts = [next(i for i, t in enumerate(texts) if i > 1 and t.startswith(title))
              for title in titles]
    bounds = [2, *starts, len(texts)]
    found = [[n for t in texts[a:b] for n in _note_numbers(t)] for a, b in zip(bounds, bounds[1:])]
    assert found[0] == [1]  # the introduction's
    for numbers, part in zip(found[1:], book.parts):
        assert numbers == list(range(1, len(part.notes) + 1))


def test_contents_name_every_text_and_author(outputs, book):
    import pypdfium2

    with zipfile.ZipFile(outputs["reader.epub"]) as archive:
        nav = " ".join("".join(etree.fromstring(archive.read("EPUB/nav.xhtml")).itertext()).split())
    pdf = pypdfium2.PdfDocument(outputs["reader.pdf"])
    contents = " ".join(pdf[1].get_textpage().get_text_range().split())
    assert contents.startswith("Contents")
    for part in book.parts:
        entry = f"{part.plain('title')} — {part.plain('author')}"
        assert entry in nav
        if part.direction == "ltr":  # pdfium reads a right-to-left run in its own order
            assert entry in contents
        else:
            assert all(word in contents for word in entry.replace("(", " ").replace(
                ")", " ").split())


def test_opf_names_every_author_as_a_creator(outputs):
    with zipfile.ZipFile(outputs["reader.epub"]) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
    assert [c.text for c in opf.iterfind(".//dc:creator", XHTML)] == AUTHORS


def test_pdf_info_names_every_author(outputs):
    import pikepdf

    with pikepdf.open(outputs["reader.pdf"]) as pdf:
        assert str(pdf.docinfo["/Author"]) == ", ".join(AUTHORS)


@pytest.fixture
def copy(tmp_path):
    """A copy of the collection's folder to spoil."""
    folder = tmp_path / "collection"
    shutil.copytree(COLLECTION, folder)
    return folder


def test_a_refused_part_refuses_the_collection_at_its_own_file_and_line(copy):
    part = copy / "parts" / "perlman-ten-theses.md"
    lines = part.read_text(encoding="utf-8").split("\n")
    at = next(n for n, line in enumerate(lines, 1) if line.startswith("The Egocrat is"))
    lines[at - 1] += " An undefined note.[^99]"
    part.write_text("\n".join(lines), encoding="utf-8")
    muse = copy / "parts" / "verse.muse"
    muse.write_text(muse.read_text(encoding="utf-8").replace("Regular.", "Regular.\n\n[[gone.png]]"),
                    encoding="utf-8")
    image = muse.read_text(encoding="utf-8").split("\n").index("[[gone.png]]") + 1
    findings = lint.check(manuscript.load(copy / "reader.md"))
    said = [(f.code, f.path, f.line) for f in findings if f.severity == "error"]
    assert ("N001", str(part), at) in said
    # a Muse part's finding names the Muse file and its line
    assert ("R001", str(muse), image) in said
    with pytest.raises(UserError) as refused:
        build.check(copy / "reader.md")
    assert {f.path for f in refused.value.findings} == {str(part), str(muse)}


def test_a_part_that_cannot_be_read_is_said_with_its_own_name(copy):
    part = copy / "parts" / "amuse-bidi-fa.md"
    part.write_bytes(b"---\ntitle: x\n\xff\n")
    with pytest.raises(UserError) as refused:
        manuscript.load(copy / "reader.md")
    assert [(f.code, f.path, f.line) for f in refused.value.findings] == [("F001", str(part), 3)]


def test_every_part_is_an_input_and_a_changed_part_changes_the_key(copy):
    ms = manuscript.load(copy / "reader.md")
    assert set(ms.inputs) == {"reader.md", "parts/perlman-ten-theses.md",
                              "parts/amuse-bidi-fa.md", "parts/verse.muse",
                              "parts/samizdat.yaml"}
    key = shelf.input_key(ms, build.PrintOptions())
    part = copy / "parts" / "verse.muse"
    part.write_text(part.read_text(encoding="utf-8").replace("Regular.", "Regular, changed."),
                    encoding="utf-8")
    assert shelf.input_key(manuscript.load(copy / "reader.md"), build.PrintOptions()) != key
    (copy / "parts" / "samizdat.yaml").write_text("publisher: Someone else\n" + (
        COLLECTION / "parts" / "samizdat.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    changed = shelf.input_key(manuscript.load(copy / "reader.md"), build.PrintOptions())
    assert changed != key


def test_a_parts_ids_and_links_stay_its_own(book):
    """Two parts may use the same heading; each part's ids are prefixed, links with them."""
    ids = [b["c"][0][0] for b in book.composed["blocks"] if b["t"] == "Div"]
    assert ids == ["", "", ""]  # the part's section takes its heading's id
    headers = [b["c"][1][0] for d in book.composed["blocks"] if d["t"] == "Div"
               for b in d["c"][1] if b["t"] == "Header"]
    assert headers[0] == "samizdat-part-1" and "p1-i-1" in headers
    assert all(h.startswith(("samizdat-part-", "p1-", "p2-", "p3-")) for h in headers)


def _chapter(part, notes):
    """An EPUB chapter file as pandoc writes it: a part's section with `notes` calls, each
    (id, secondary?) popping up an aside."""
    calls = "".join(f'<a href="#{i}" epub:type="noteref"><sup>{i}</sup></a>' for i, _ in notes)
    asides = "".join(f'<aside id="{i}" epub:type="footnote"><p>'
                     + ('<span class="secondary"></span>' if s else "") + "x</p></aside>"
                     for i, s in notes)
    section = f'<section class="level1 samizdat-part"><p>{calls}</p></section>' if part \
        else f"<section><p>{calls}</p></section>"
    return (f'<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops">'
            f"<body>{section}{asides}</body></html>").encode()


def test_epub_notes_count_again_from_each_part_in_both_series():
    """pandoc numbers a chapter file's notes from 1, but the lettering of secondary notes
    (Muse's {1}) counts through the book: each part starts both series again, as
    print.css does; outside a collection the count runs on."""
    from samizdat.outputs import epub

    def labels(entries):
        return ["".join(etree.fromstring(data).xpath("//x:sup/text()", namespaces=XHTML))
                for name, data in sorted(entries.items())]

    notes = [("fn1", False), ("fn2", True), ("fn3", False)]
    parts = epub.letter_secondary_notes({"EPUB/text/ch001.xhtml": _chapter(True, notes),
                                         "EPUB/text/ch002.xhtml": _chapter(True, notes)})
    assert labels(parts) == ["1a2", "1a2"]
    single = epub.letter_secondary_notes({"EPUB/text/ch001.xhtml": _chapter(False, notes),
                                          "EPUB/text/ch002.xhtml": _chapter(False, notes)})
    assert labels(single) == ["1a2", "3b4"]


def test_epubcheck_reports_nothing(outputs):
    from test_epub import epubcheck

    report = epubcheck(outputs["reader.epub"])
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report
