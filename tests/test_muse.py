"""The Anarchist Library's own sources: Muse files build and import (tests/muse: Text::Amuse's
test files, see SOURCE.txt)."""

import re
import shutil
import zipfile
from html import unescape

import pikepdf
import pypdfium2
import pytest
from lxml import etree

from conftest import ROOT
from samizdat import build
from samizdat.library import local
from samizdat.source import manuscript, muse, scaffold
from samizdat.errors import UserError
from test_epub import epubcheck

MUSE = ROOT / "tests" / "muse"
SHELF = sorted((MUSE / "shelf").glob("*.muse"))
NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf"}


@pytest.fixture(scope="module")
def shelf(tmp_path_factory):
    out = tmp_path_factory.mktemp("muse")
    given = (("outputs", "epub,pdf"),)
    books, failures = local.build_library(SHELF, out, jobs=2,
                                             printing=build.PrintOptions(given=given))
    return out, books, failures


@pytest.mark.parametrize("source", SHELF, ids=lambda p: p.stem)
def test_a_muse_text_builds_and_its_epub_passes_epubcheck(shelf, source):
    out, books, failures = shelf
    assert [str(f) for f in failures if source.name in f.path] == []
    assert books[source.stem].rights.startswith("Free software test files of Text::Amuse")
    report = epubcheck(out / f"{source.stem}.epub")
    assert "0 fatals / 0 errors" in report, report


def noterefs(epub):
    """Each note call's label in the EPUB, in reading order."""
    labels = []
    with zipfile.ZipFile(epub) as archive:
        for name in sorted(n for n in archive.namelist() if n.endswith(".xhtml")):
            root = etree.fromstring(archive.read(name))
            labels += ["".join(a.itertext()) for a in
                       root.xpath("//x:a[@epub:type='noteref']", namespaces=NS)]
    return labels


def test_secondary_notes_are_lettered_in_a_series_of_their_own(shelf):
    """fn-ordering.muse: "Author notes that [1]", note [1] calls {1}, then "{2}": in
    the EPUB and on the PDF's page, 1, a, b; each note on its call's page (P001 is
    checked by the build)."""
    out, _, _ = shelf
    assert noterefs(out / "fn-ordering.epub") == ["1", "a", "b"]
    page = pypdfium2.PdfDocument(out / "fn-ordering.pdf")[1].get_textpage().get_text_range()
    for line in ("1. Author note.", "a. Commentary about note.", "b. Commentary about text."):
        assert line in page


def test_a_right_to_left_muse_text_is_set_right_to_left(shelf):
    out, books, _ = shelf
    assert books["bidi-1"].lang == "fa"
    with zipfile.ZipFile(out / "bidi-1.epub") as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
    assert opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"
    # [1] calls {2} and [2] calls {1}: each called after its note's call, lettered in
    # the order they are called
    assert noterefs(out / "bidi-1.epub") == ["1", "a", "2", "b"]


def test_links_to_the_site_a_text_came_from_are_printed_as_their_words(shelf):
    """backlinks.muse, amusewiki's own test text (t/backlinks.t): links to the site's
    pages and texts (`[[/library/title-7][two]]`, `[[title-2]]`) go nowhere in a book:
    their words are printed, in the EPUB (no RSC-007, no HTM-025) and in the PDF."""
    out, _, _ = shelf
    with zipfile.ZipFile(out / "backlinks.epub") as archive:
        page = etree.fromstring(archive.read("EPUB/text/ch001.xhtml"))
    body = page.find("x:body", NS)
    assert body.xpath(".//x:a", namespaces=NS) == []
    words = " ".join("".join(body.itertext()).split())
    assert "references title-2 /library/title-3 /special/title-4 ./title-5" in words
    assert "references one two three" in words and "itself title-1 myself" in words
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in epubcheck(out / "backlinks.epub")
    text = "".join(page.get_textpage().get_text_range()
                   for page in pypdfium2.PdfDocument(out / "backlinks.pdf"))
    assert "references one two three" in " ".join(text.split())
    with pikepdf.open(out / "backlinks.pdf") as document:
        assert [annot for page in document.pages for annot in page.get("/Annots", [])
                if "/URI" in annot.get("/A", {})] == []


@pytest.mark.parametrize("source", SHELF, ids=lambda p: p.stem)
def test_import_round_trips(tmp_path, source):
    """`samizdat import` writes Markdown that builds the very bytes the Muse file does."""
    folder = tmp_path / "shelf"
    shutil.copytree(MUSE / "shelf", folder)
    written = scaffold.write_markdown(folder / source.name)
    assert written == folder / f"{source.stem}.md"
    given = build.PrintOptions(given=(("outputs", "epub,pdf"),))
    from_muse = build.build(folder / source.name, tmp_path / "a", printing=given,
                            parallel=False)
    from_markdown = build.build(written, tmp_path / "b", printing=given, parallel=False)
    for kind in ("epub", "pdf"):
        assert from_muse[kind].read_bytes() == from_markdown[kind].read_bytes(), kind


def test_import_never_overwrites(tmp_path):
    shutil.copytree(MUSE / "shelf", tmp_path / "shelf")
    scaffold.write_markdown(tmp_path / "shelf" / "verse.muse")
    with pytest.raises(UserError, match="X010"):
        scaffold.write_markdown(tmp_path / "shelf" / "verse.muse")


def test_a_missing_rights_statement_is_refused_with_the_file_named(tmp_path):
    shutil.copy(MUSE / "shelf" / "verse.muse", tmp_path)  # no samizdat.yaml beside it
    with pytest.raises(UserError) as refused:
        build.check(tmp_path / "verse.muse")
    assert [str(f) for f in refused.value.findings] == [
        f"M001 {tmp_path / 'verse.muse'}:1: the metadata has no 'rights': a Muse header does "
        "not say it; write 'rights:' in samizdat.yaml beside the text (one for the whole "
        "shelf) or give --rights"]
    ms, _ = build.check(tmp_path / "verse.muse", given={"rights": "Anti-Copyright"})
    assert ms.meta["rights"] == "Anti-Copyright"


AMUSE = MUSE / "amuse"  # Text::Amuse's expected outputs of its test files (SOURCE.txt)
HEAD = "#title T\n#author A\n#date 2020\n#lang en\n\n"


def converted(tmp_path, text):
    """The Markdown body of Muse `text` and its notes' plain text, in call order."""
    shutil.copy(MUSE / "shelf" / "samizdat.yaml", tmp_path)
    (tmp_path / "t.muse").write_text(text, encoding="utf-8")
    ms = manuscript.load(tmp_path / "t.muse")
    return ms.body.replace("\\[", "[").replace("\\]", "]"), ms.notes


def amuse_notes(expected):
    """The notes of one of Text::Amuse's expected HTML outputs: {label: plain text}."""
    html = (AMUSE / expected).read_text(encoding="utf-8")
    found = re.findall(r'<p class="(?:secondary-)?fnline"><a class="footnotebody"[^>]*>'
                       r"([^<]+)</a>(.*?)</p>", html, re.S)
    calls = re.compile(r'<a href="#fn[^"]*" class="footnote"[^>]*>[^<]*</a>')
    return {label: " ".join(unescape(re.sub(r"<[^>]+>", " ", calls.sub("", body))).split())
            for label, body in found}


def test_a_label_with_a_leading_zero_is_text_not_a_note(tmp_path):
    """footnotes.muse (Text::Amuse's t/testfiles): "[0] [01] [09]" and their lines are
    text, as in footnotes.exp.html; [01] was read as note 1, "defined twice" (N003)."""
    text = (MUSE / "shelf" / "footnotes.muse").read_text(encoding="utf-8")
    body, notes = converted(tmp_path, text)
    assert "three[^3] [0] [01] [09]" in body
    for line in ("[0] Not a footnote", "[01] Neither", "[09] Neither"):
        assert f"\n{line}\n" in body
    assert notes == list(amuse_notes("footnotes.exp.html").values()) == [
        "first", "second third", "third"]
    _, findings = build.check(tmp_path / "t.muse")  # no N003, and no warning either
    assert findings == []


@pytest.mark.parametrize("muse_text, text, notes", [
    # Text::Amuse's t/footnotes.t: a label alone on its line is no note ...
    ("First test\n\n[1968]\n", ["[1968]"], []),
    ("First test [1968]\n\n[1968]\n", ["First test [1968]", "[1968]"], []),
    ("First test [1968] [3]\n\n[1968]\n\n[3] fusnota\n", ["[1968]"], ["fusnota"]),
    ("Zero [0]\n\n[0] zero\n", ["Zero [0]", "[0] zero"], []),
    # ... but a call, where that note is defined
    ("A [1].\n\n[1]\n\n[1] The note.\n", ["A[^1].", "[^2]"], ["The note.", "The note."]),
    # a definition starts a line (a tab is four spaces), even within a paragraph
    ("A [1] and [2].\nText\n[1]\tOne.\n\n [2] Indented: text.\n",
     ["A[^1] and [2].", " [2] Indented: text."], ["One."]),
    # <verse> calls notes but defines none; <comment> and {{{ }}} call none
    ("<verse>\nA line [1]\n[2] in verse\n</verse>\n\n<comment>\n[2]\n</comment>\n\n"
     "{{{\nCode [2]\n[1] x\n}}}\n\n[1] One.\n", ["[2] in verse", "Code [2]"], ["One."]),
])
def test_notes_are_what_text_amuse_reads_as_notes(tmp_path, muse_text, text, notes):
    body, got = converted(tmp_path, HEAD + muse_text)
    for words in text:
        assert words in body.replace("\n", " ")
    assert got == notes


def test_a_note_goes_on_where_text_amuse_says(tmp_path):
    """secondary-fn.muse (Text::Amuse's t/testfiles): later paragraphs indented as the
    note's text (give or take a space) go on with it, a renamed secondary note's too;
    a page break, an example or a note nothing calls ({15}) do not: the notes are those
    of secondary-fn.exp.html, word for word."""
    text = (MUSE / "refused" / "secondary-fn.muse").read_text(encoding="utf-8")
    _, notes = converted(tmp_path, text.replace("#lang en\n", "#lang en\n#author A\n"
                                                "#date 2020\n"))
    assert sorted(notes) == sorted(amuse_notes("secondary-fn.exp.html").values())


def test_example_blocks_call_no_note(tmp_path):
    """example.muse (Text::Amuse's t/testfiles): "[2] Not a footnote" in <example>."""
    text = (AMUSE / "example.muse").read_text(encoding="utf-8")
    body, notes = converted(tmp_path, text.replace("#title Examples\n", HEAD))
    assert notes == [] and "    [2] Not a footnote" in body
    ms, findings = build.check(tmp_path / "t.muse")
    assert [f.code for f in findings] == []


@pytest.mark.parametrize("source, wanted", [
    ("manual", ["N001 manual.muse:496: [2] looks like a note's call but no note has that "
                "label: it is printed as text (<verbatim> says so)",
                "N002 manual.muse:498: note [3] is defined but never called: it is left out, "
                "as Muse leaves it out"]),
    ("secondary-fn", ["N002 secondary-fn.muse:92: note {15} is defined but never called: it "
                      "is left out, as Muse leaves it out",
                      "N001 secondary-fn.muse:96: {212} looks like a note's call but no note "
                      "has that label: it is printed as text (<verbatim> says so)"]),
])
def test_notes_are_checked_on_the_muse_text_with_its_lines(tmp_path, source, wanted):
    """As Text::Amuse: a note nothing calls is left out, a label alone on its line
    ("{212}") is text: warnings with the Muse line, no refusal."""
    shutil.copy(MUSE / "refused" / f"{source}.muse", tmp_path)
    shutil.copy(MUSE / "shelf" / "samizdat.yaml", tmp_path)
    try:  # secondary-fn builds (its header's gaps are warnings); manual's images refuse it
        _, findings = build.check(tmp_path / f"{source}.muse")
    except UserError as refused:
        findings = refused.findings
    assert not [f for f in findings if f.code.startswith("N") and f.is_error]
    said = [str(f).replace(f"{tmp_path}/", "") for f in findings]
    assert [line for line in said if line in wanted] == wanted


def test_a_note_defined_twice_is_refused(tmp_path):
    """Text::Amuse keeps the later one ("Overwriting footnote number"): a note lost."""
    shutil.copy(MUSE / "shelf" / "samizdat.yaml", tmp_path)
    (tmp_path / "t.muse").write_text(f"{HEAD}A [1].\n\n[1] One.\n\n[1] Two.\n")
    with pytest.raises(UserError) as refused:
        build.check(tmp_path / "t.muse")
    assert [(f.code, f.line) for f in refused.value.findings] == [("N003", 10)]


def test_a_link_whose_address_holds_a_tag_brings_no_markup_into_the_book(tmp_path):
    """Text::Amuse's verb.muse links to `<script>alert("!")</script>`, an address that is
    none (amusewiki writes it, escaped, into the href). pandoc's Markdown put the address
    between angle brackets and read a <script> back out of it: the text was refused (R004)
    for a script it never ran. The address is %-encoded, the link printed as its words
    (R010), its words as written; the book carries no script."""
    shutil.copy(MUSE / "refused" / "verb.muse", tmp_path)
    shutil.copy(MUSE / "shelf" / "samizdat.yaml", tmp_path)
    ms, findings = build.check(tmp_path / "verb.muse")
    assert not any(f.is_error for f in findings) and ms.raw_html == []
    assert [(f.code, f.line) for f in findings if f.code.startswith("R")] == [
        ("R010", 90), ("R010", 105), ("R010", 107), ("R010", 107)]
    assert '[\\<script\\>alert("in the body!")\\</script\\>](%3Cscript%3Ealert' in ms.text


def test_a_lang_text_amuse_does_not_read_is_english_as_amusewiki_builds_it(tmp_path):
    """Text::Amuse's complete.muse says `#lang en <script>"`: Text::Amuse reads a #lang it
    does not know as English, and so does the build, saying so (M015, a warning) where it
    refused the text (M002). Its hostile title is text, as before."""
    shutil.copy(MUSE / "refused" / "complete.muse", tmp_path)
    shutil.copy(MUSE / "shelf" / "samizdat.yaml", tmp_path)
    ms, findings = build.check(tmp_path / "complete.muse")
    assert ms.lang == "en" and not any(f.is_error for f in findings)
    assert [(f.code, f.line) for f in findings if f.code in ("M002", "M015")] == [("M015", 2)]
    assert "<script" not in " ".join(ms.raw_html)


@pytest.mark.parametrize("lang, tag, code", [
    ("russian", "ru", "M015"), ("Русский", "ru", "M015"), ("it", "it", None),
    ("xx-yy zz", "en", "M015"), ("en\u202e", None, "M002"), ("ru\u2066", None, "M002")])
def test_a_muse_lang_is_read_as_a_tag_unless_it_hides_something(tmp_path, lang, tag, code):
    """A language's name is read as its tag; what is neither is English (as Text::Amuse
    reads it); a #lang holding a bidi control is refused: it would turn the message or
    the catalog entry that quotes it around."""
    shutil.copy(MUSE / "shelf" / "samizdat.yaml", tmp_path)
    (tmp_path / "t.muse").write_text(HEAD.replace("#lang en", f"#lang {lang}") + "Text.\n",
                                     encoding="utf-8")
    if tag is None:
        with pytest.raises(UserError) as refused:
            build.check(tmp_path / "t.muse")
        assert [(f.code, f.line) for f in refused.value.findings] == [(code, 4)]
        return
    ms, findings = build.check(tmp_path / "t.muse")
    assert ms.lang == tag and ms.plain("lang") == tag
    assert [(f.code, f.line) for f in findings] == ([(code, 4)] if code else [])


def test_the_header_becomes_the_metadata():
    text = (MUSE / "refused" / "manual.muse").read_text(encoding="utf-8")
    header, body = muse.parse_header(text)
    meta = muse.metadata(header)
    assert meta["title"] == "The Text::Amuse markup manual"
    assert meta["author"] == ["Marco Pessotto", "Michael Olson", "John Wiegley"]  # #authors
    assert meta["subject"] == ["doc", "howto"] and meta["date"] == "2018"
    assert meta["pubdate"] == "2018-01-28" and meta["lang"] == "en"
    assert header["teaser"][0].endswith("(released on February 28, 2018).")  # continued
    assert text.split("\n")[body - 1] == ""


def test_a_header_with_blank_lines_and_markup_is_read_whole(tmp_path):
    """Perlman's Ten Theses as Text::Amuse's tests keep it: directives apart, emphasis
    and a Muse link in them."""
    text = (MUSE / "refused" / "10_theses.muse").read_text(encoding="utf-8")
    converted, origin = muse.convert(text, "10_theses.muse", folder=tmp_path,
                                     given={"rights": "Anti-Copyright"})
    head = converted.split("---\n")[1]
    assert "title: '*Ten Theses* on the Proliferation of Egocrats'" in head
    assert "author: Fredy *Perlman*" in head and "date: '1977'" in head
    assert "[Marxist.org](http://www.marxists.org/reference/archive/perlman-fredy/1977/" \
        "thesis-egocrats.htm)" in head
    assert origin.key_line("author") == 5


@pytest.mark.parametrize("yaml_text, code", [("rights: [unclosed", "F003"),
                                             ("- a list", "F003"),
                                             ("title: Not a shelf's to say", "M009")])
def test_a_bad_shelf_file_is_refused_naming_it(tmp_path, yaml_text, code):
    shutil.copy(MUSE / "shelf" / "verse.muse", tmp_path)
    (tmp_path / "samizdat.yaml").write_text(yaml_text, encoding="utf-8")
    with pytest.raises(UserError) as refused:
        build.check(tmp_path / "verse.muse")
    assert [(f.code, f.path) for f in refused.value.findings] == [
        (code, str(tmp_path / "samizdat.yaml"))]


def test_a_shelf_file_that_links_out_of_its_folder_is_refused(tmp_path):
    (tmp_path / "elsewhere.yaml").write_text("rights: Anti-Copyright\n", encoding="utf-8")
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    shutil.copy(MUSE / "shelf" / "verse.muse", shelf)
    (shelf / "samizdat.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    with pytest.raises(UserError, match="F000"):
        build.check(shelf / "verse.muse")


def test_the_cli_imports_and_checks_a_muse_text(tmp_path):
    from samizdat import cli

    shutil.copy(MUSE / "shelf" / "verse.muse", tmp_path)
    assert cli.main(["check", str(tmp_path / "verse.muse"), "--rights", "Anti-Copyright"]) == 0
    assert cli.main(["import", str(tmp_path / "verse.muse"), "--rights", "Anti-Copyright",
                     "-o", str(tmp_path / "poems.md")]) == 0
    assert cli.main(["check", str(tmp_path / "poems.md")]) == 0


def test_centred_and_right_aligned_blocks_keep_their_alignment(tmp_path):
    """pandoc's Muse reader reads <center> and <right> as plain paragraphs."""
    text = ("#title t\n#author a\n#date 2000\n#lang en\n\nBefore.\n\n<center>\nCentred\n\n"
            "Twice\n</center>\n\n<right>\nRight\n</right>\n")
    converted, _ = muse.convert(text, "t.muse", folder=tmp_path,
                                given={"rights": "Anti-Copyright"})
    body = converted.split("---\n", 2)[2]
    assert "::: center\nCentred\n\nTwice\n:::" in body and "::: right\nRight\n:::" in body


def test_a_note_number_thousands_of_digits_long_is_refused_with_its_line(tmp_path):
    """Python reads no number of over 4,300 digits: F006 on the call's line, not X009;
    a number in other digits than ASCII is no note, for pandoc as for the checks."""
    shutil.copy(MUSE / "shelf" / "samizdat.yaml", tmp_path)
    number = "1" * 5000
    head = "#title T\n#author A\n#date 2020\n#lang en\n\n"
    (tmp_path / "long.muse").write_text(f"{head}Text.[{number}]\n\n[{number}] The note.\n")
    with pytest.raises(UserError) as refused:
        build.check(tmp_path / "long.muse")
    assert [(f.code, f.line) for f in refused.value.findings] == [("F006", 6)]
    (tmp_path / "digits.muse").write_text(f"{head}Text.[\u0661] and [1].\n\n[1] The note.\n")
    ms, _ = build.check(tmp_path / "digits.muse")
    assert "[\u0661]" in ms.body.replace("\\[", "[").replace("\\]", "]")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "ftp://x.org/",
                                 "http:/no-host", "//x.org"])
def test_a_shelf_s_library_address_is_a_web_page_or_refused_there(tmp_path, url):
    """samizdat.yaml's `library: {url}` becomes a link in every book's colophon (EPUB
    and a PDF link annotation): M011 on the shelf file's line unless it is http(s) or
    mailto:; one that is builds as before."""
    shutil.copy(MUSE / "shelf" / "verse.muse", tmp_path)
    rights = (MUSE / "shelf" / "samizdat.yaml").read_text(encoding="utf-8")
    shelf = tmp_path / "samizdat.yaml"
    shelf.write_text(f"{rights}library:\n  name: L\n  url: '{url}'\n", encoding="utf-8")
    with pytest.raises(UserError) as refused:
        build.check(tmp_path / "verse.muse")
    line = len(rights.splitlines()) + 3
    assert [(f.code, f.path, f.line) for f in refused.value.findings] == [
        ("M011", str(shelf), line)]
    for good in ("https://library.example/", "mailto:books@library.example"):
        shelf.write_text(f"{rights}library: {{name: L, url: '{good}'}}\n", encoding="utf-8")
        build.check(tmp_path / "verse.muse")


def test_findings_on_links_and_images_give_the_muse_line(tmp_path):
    """R-findings are made on the Markdown, where a paragraph is one line and a link is
    written [text](target): their line is the Muse line holding the link (before, a
    link on a short line, or past a paragraph's first line, had none, or that line)."""
    shutil.copy(MUSE / "shelf" / "samizdat.yaml", tmp_path)
    (tmp_path / "t.muse").write_text(
        f"{HEAD}A paragraph [1] whose words\ngo on for a while and then\n"  # lines 6-7
        "[[javascript:alert(1)][a link]] here.\n\n"  # 8
        "[[file:///etc/passwd][pw]]\n\n"  # 10
        "Short [[file:///etc/x.png]].\n\n"  # 12
        "[1] A note with [[file:///etc/group][a link in a note]].\n", encoding="utf-8")
    with pytest.raises(UserError) as refused:
        build.check(tmp_path / "t.muse")
    lines = {re.search(r"(?:link|image) (\S+)", f.message)[1]: f.line
             for f in refused.value.findings if f.code in ("R002", "R004", "R010")}
    assert lines == {"javascript:alert(1)": 8, "file:///etc/passwd": 10,
                     "file:///etc/x.png": 12, "file:///etc/group": 14}


def test_a_muse_text_without_author_date_or_lang_is_built_as_amusewiki_builds_it(tmp_path):
    """Text::Amuse needs only #title: no author, no date, English. Samizdat builds such a
    text so, each left-out line said (M001, a warning), and writes no date it does not
    have (pandoc would write the build's own in dc:date)."""
    import zipfile

    shutil.copy(MUSE / "shelf" / "samizdat.yaml", tmp_path)
    (tmp_path / "t.muse").write_text("#title Only a Title\n\nA paragraph [1].\n\n[1] A note.\n",
                                     encoding="utf-8")
    ms, warnings = build.check(tmp_path / "t.muse")
    assert [(f.code, f.is_error) for f in warnings if f.code == "M001"] == [("M001", False)] * 3
    assert ms.lang == "en"
    out = build.build(ms, tmp_path / "out")
    opf = zipfile.ZipFile(out["epub"]).read("EPUB/content.opf").decode()
    assert "<dc:date" not in opf and "<dc:creator" not in opf and ">en</dc:language>" in opf


def test_a_link_to_an_anchor_in_the_header_is_printed_as_its_words(tmp_path, caplog):
    """Text::Amuse's hyper-2.muse (the corpus's muse-amuse-hyper-2): `#notes #invalid1`
    puts an anchor in the header, which no page prints; a link to it was kept and
    EPUBCheck found it going nowhere (RSC-012). It is printed as its words (R007, on
    the link's line), as Text::Amuse, which calls the anchor invalid, does."""
    import logging

    from samizdat.checks import lint
    from samizdat.outputs import epub

    source = tmp_path / "hyper.muse"
    source.write_text("#title Internal anchors\n#author A\n#lang en\n#notes #invalid1\n"
                      "This is the note.\n\n** Start\n#valid1\n\nText.\n\n"
                      "[[#invalid1][invalid1]] and [[#valid1][valid1]]\n", encoding="utf-8")
    ms = manuscript.load(source)
    assert [(f.code, f.line) for f in lint.check(ms) if f.code == "R007"] == [("R007", 12)]
    with caplog.at_level(logging.WARNING, logger="samizdat"):
        out = epub.epub(ms, tmp_path / "hyper.epub")
    report = epubcheck(out)
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report
    with zipfile.ZipFile(out) as archive:
        pages = [etree.fromstring(archive.read(n)) for n in archive.namelist()
                 if "/text/ch" in n]
    links = ["".join(a.itertext()) for page in pages
             for a in page.xpath("//x:p/x:a", namespaces=NS)]
    assert links == ["valid1"]


@pytest.mark.parametrize("name, head", [
    ("zh.muse", "#title Test\n#lang zh\n\n"),
    ("zh.md", "---\ntitle: Test\nauthor: A\ndate: 2024\nlang: zh-CN\nrights: CC0\n---\n\n"),
    ("ko.md", "---\ntitle: Test\nauthor: A\ndate: 2024\nlang: ko\nrights: CC0\n---\n\n")])
def test_a_line_break_in_a_chinese_paragraph_is_no_space(tmp_path, name, head):
    """amusewiki's Chinese text (font-preview/zh.muse) breaks its lines inside words:
    '墨西哥萨帕\\n塔人' was printed '萨帕 塔人', in the PDF and the EPUB. Chinese and
    Japanese put no space between words, and a line break there is none (CSS Text 3);
    Korean does, and keeps it."""
    from samizdat.outputs import epub, pdf

    source = tmp_path / name
    text = "而从墨西哥萨帕\n塔人的海螺社区，Acapatzingo\n位于墨西哥城边缘。\n"
    source.write_text(head + text.replace("而从", "사회 운동의 " if name == "ko.md" else "而从"),
                      encoding="utf-8")
    ms = manuscript.load(source)
    html = pdf.print_html(ms)
    out = epub.epub(ms, tmp_path / "zh.epub")
    with zipfile.ZipFile(out) as archive:
        page = archive.read("EPUB/text/ch001.xhtml").decode("utf-8")
    for written in (html, page):
        if name == "ko.md":
            assert "사회 운동의 墨西哥萨帕 塔人" in " ".join(written.split())
        else:
            assert "墨西哥萨帕塔人" in written
            # a break beside a Latin word is a space still
            assert "Acapatzingo 位于" in " ".join(written.split())


def test_a_language_switch_is_the_language_of_its_words_not_text(tmp_path):
    """Text::Amuse's `<[it]>…</[it]>` (amusewiki's languages.muse; its Persian, Chinese,
    Japanese and Indonesian test files): pandoc's Muse reader knows none, and the tags
    were printed as text. Around blocks or inline, in a note too, the words they hold
    carry that language (hyphenation and fonts follow it); the EPUB passes EPUBCheck."""
    from samizdat.outputs import epub, pdf

    source = tmp_path / "languages.muse"
    source.write_text("#title Languages\n#lang hr\n\n** Italiano\n\n<[it]>\n"
                      "La chiesa della Santissima Trinità.\n\nSorta sul luogo.[1]\n</[it]>\n\n"
                      "Pakao (lat. <[it]>infernus</[it]>) jest mjesto.\n\n"
                      "[1] Una nota <[en]>in English</[en]>.\n", encoding="utf-8")
    ms = manuscript.load(source)
    html = pdf.print_html(ms)
    assert '<div lang="it">\n<p data-p="1">La chiesa' in html
    assert '<span lang="it">infernus</span>' in html
    assert '<span lang="en">in English</span>' in html
    out = epub.epub(ms, tmp_path / "languages.epub")
    with zipfile.ZipFile(out) as archive:
        pages = "".join(archive.read(n).decode("utf-8") for n in archive.namelist()
                        if n.endswith(".xhtml"))
    for written in (html, pages):
        assert "[it]" not in written and "[en]" not in written
    assert '<span lang="it">infernus</span>' in pages
    report = epubcheck(out)
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report


def test_a_topic_with_markup_is_the_pdfs_keyword_as_text(tmp_path):
    """Text::Amuse's manual.muse (the corpus's muse-amuse-compile-manual) has `#topics My
    *category*`: the PDF's Keywords said 'My <em>category</em>' and P003 refused the
    text. They are the words, as the manuscript's metadata reads in plain text."""
    from samizdat.outputs import pdf

    source = tmp_path / "manual.muse"
    source.write_text("#title The =manual=\n#author A\n#lang en\n#topics My *category*\n\n"
                      "Text.\n", encoding="utf-8")
    ms = manuscript.load(source)
    assert '<meta name="keywords" content="My category">' in pdf.print_html(ms)
    out = tmp_path / "manual.pdf"
    pdf.pdf(ms, out)
    with pikepdf.open(out) as document:
        assert str(document.docinfo["/Keywords"]) == "My category"
