"""Each output read back and compared with the manuscript -> [Finding].

E-codes: EPUB; P-codes: PDF; I-codes: pamphlets (imposition).
"""

import hashlib
import re
import zipfile

import pikepdf
from ebooklib import epub as ebooklib_epub
from lxml import etree
from weasyprint.formatting_structure.boxes import FootnoteAreaBox, MarginBox

from . import footnotes, impose
from .errors import Finding

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
# OPF element -> the manuscript metadata keys it carries, in order
OPF_FIELDS = {"title": ("title", "subtitle"), "creator": ("author",), "language": ("lang",),
              "date": ("date",), "rights": ("rights",), "identifier": ("identifier",),
              "source": ("source",), "publisher": ("publisher",),
              "description": ("description",), "subject": ("subject",)}


def squash(text):
    """Text with whitespace and hyphens removed, for comparisons that survive line
    breaking and hyphenation."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", text)


# --- EPUB ---------------------------------------------------------------------

def verify_epub(path, ms):
    """Metadata in the OPF, notes (once, same text, linked both ways), rights in the text."""
    name = str(path)
    with zipfile.ZipFile(path) as archive:
        pages = {n: etree.fromstring(archive.read(n)) for n in archive.namelist()
                 if n.endswith(".xhtml")}
    findings = _epub_metadata(name, path, ms)
    findings += _epub_notes(name, pages, ms)
    text = squash(" ".join("".join(p.itertext()) for p in pages.values()))
    if squash(ms.plain("rights")) not in text:
        findings.append(Finding("E004", name, None,
                                f"the rights notice '{ms.plain('rights')}' is not in the text"))
    return findings


def _epub_metadata(name, path, ms):
    """E001: the OPF, read back with EbookLib, says what the manuscript's YAML says."""
    book = ebooklib_epub.read_epub(str(path), options={"ignore_ncx": True})
    findings = []
    for element, keys in OPF_FIELDS.items():
        want = [v for v in (ms.plain(k) for k in keys) if v]
        got = [" ".join(str(value).split()) for value, _ in book.get_metadata("DC", element)]
        if element in ("subject", "creator"):
            want = ms.plain_list(keys[0])
        if got != want:
            findings.append(Finding("E001", name, None,
                                    f"OPF dc:{element} is {got or 'missing'}, "
                                    f"the manuscript says {want}"))
    return findings


def _epub_notes(name, pages, ms):
    """E002: each note once with the manuscript's text; E003: links both ways."""
    findings, found = [], []
    for page in pages.values():
        for aside in page.xpath("//x:aside[@epub:type='footnote' or @epub:type='endnote']",
                                namespaces=NS):
            found.append((page, aside))
    texts = [" ".join("".join(a.itertext()).replace("\u21a9\ufe0e", "").split())
             for _, a in found]
    if texts != ms.notes:
        findings.append(Finding("E002", name, None,
                                f"{len(texts)} notes in the EPUB, {len(ms.notes)} in the "
                                "manuscript, or their texts differ"))
    for number, (page, aside) in enumerate(found, 1):
        ident = aside.get("id")
        calls = page.xpath(f"//x:a[@href='#{ident}' and @epub:type='noteref']", namespaces=NS)
        backs = aside.xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)
        if len(calls) != 1 or backs != [f"#{calls[0].get('id')}"]:
            findings.append(Finding("E003", name, None,
                                    f"note {number} is not linked from its call and back"))
    return findings


# --- PDF ----------------------------------------------------------------------

def verify_pdf(path, document, ms):
    """Document info, notes on their call's page, no text lost, fonts embedded."""
    name = str(path)
    findings = []
    misplaced = footnotes.misplaced(document)
    for p in misplaced:
        findings.append(Finding("P001", name, None,
                                f"note {p.number} is on page {p.note_page}, "
                                f"its call on page {p.call_page}"))
    findings += _pdf_text(name, document, ms)
    with pikepdf.open(path) as pdf:
        findings += _pdf_info(name, pdf, ms)
        findings += _pdf_fonts(name, pdf)
    return findings


def layout_text(document):
    """(main text, note text) laid out in a WeasyPrint document, each in page order.

    Margin boxes (page numbers) and note calls are left out; notes come from the
    footnote areas, markers included.
    """
    main, notes = [], []
    for page in document.pages:
        for child in page._page_box.children:
            if isinstance(child, FootnoteAreaBox):
                notes.extend(_texts(child))
            elif not isinstance(child, MarginBox):
                main.extend(_texts(child))
    return "".join(main), "".join(notes)


def _texts(box):
    if (getattr(box, "element_tag", None) or "").endswith("::footnote-call"):
        return
    if hasattr(box, "text"):
        yield box.text
    for child in getattr(box, "children", ()):
        yield from _texts(child)


def _pdf_text(name, document, ms):
    main, notes = (squash(t) for t in layout_text(document))
    findings = []
    for text, flow in [(p, main) for p in ms.paragraphs] + [(n, notes) for n in ms.notes]:
        if squash(text) not in flow:
            findings.append(Finding("P002", name, None,
                                    f"text lost: '{text[:50]}…' is not in the PDF"))
    return findings


def _pdf_info(name, pdf, ms):
    """P003: title, author, subject, keywords and language are the manuscript's."""
    want = {"/Title": ms.plain("title"), "/Author": ms.plain("author"),
            "/Subject": ms.plain("description"), "/Keywords": ms.plain("subject")}
    findings = []
    for field, value in want.items():
        got = str(pdf.docinfo.get(field, ""))
        if value and got != value:
            findings.append(Finding("P003", name, None,
                                    f"document info {field[1:]} is '{got}', "
                                    f"the manuscript says '{value}'"))
    lang = str(pdf.Root.get("/Lang", ""))
    if lang != str(ms.meta.get("lang", "")):
        findings.append(Finding("P003", name, None,
                                f"document language is '{lang}', the manuscript says "
                                f"'{ms.meta.get('lang')}'"))
    return findings


def _pdf_fonts(name, pdf):
    findings = []
    for font in _fonts(pdf):
        descriptor = _descriptor(font)
        if descriptor is None or not any(k in descriptor for k in
                                         ("/FontFile", "/FontFile2", "/FontFile3")):
            findings.append(Finding("P004", name, None,
                                    f"font {font.get('/BaseFont')} is not embedded"))
    return findings


def _fonts(pdf):
    seen = set()
    for page in pdf.pages:
        for font in page.resources.get("/Font", {}).values():
            if font.objgen not in seen:
                seen.add(font.objgen)
                yield font


def _descriptor(font):
    if "/DescendantFonts" in font:
        font = font.DescendantFonts[0]
    return font.get("/FontDescriptor")


# --- pamphlets ----------------------------------------------------------------

def verify_pamphlet(path, pdf_path, *, sheet):
    """Every page of the PDF once, in saddle order, unscaled, on `sheet` landscape."""
    name = str(path)
    with pikepdf.open(pdf_path) as source, pikepdf.open(path) as pamphlet:
        digests = [_digest(_contents(page)) for page in source.pages]
        placed = [n for side in pamphlet.pages for n in _placed(side, digests)]
        findings = _sheet_sizes(name, pamphlet, sheet)
    order = impose.reading_order(len(digests))
    want = [n for pair in impose.saddle_sides(len(order)) for n in
            (order[pair[0] - 1], order[pair[1] - 1])]
    if placed != want:
        findings.append(Finding("I001", name, None,
                                f"pages are placed as {placed}, saddle order is {want}"))
    return findings


def _contents(page):
    """A page's content stream bytes, its parts joined if it has several."""
    contents = page.get("/Contents")
    if contents is None:
        return b""
    parts = contents if isinstance(contents, pikepdf.Array) else [contents]
    return b"".join(part.read_bytes() for part in parts)


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def _placed(side, digests):
    """Source page numbers (None for blank) on a sheet side, left then right."""
    content = _contents(side).decode("latin-1")
    slots = []
    placements = re.findall(
        r"q ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) [-\d.]+ cm (/\w+) Do Q", content)
    for scale_x, skew1, skew2, scale_y, x, name in placements:
        unscaled = (scale_x, skew1, skew2, scale_y) == ("1", "0", "0", "1")
        form = side.Resources.XObject[name]
        found = digests.index(_digest(form.read_bytes())) + 1 if form.read_bytes() and \
            _digest(form.read_bytes()) in digests else -1
        number = found if unscaled else -1
        slots.append((float(x), number))
    slots.sort()
    numbers = [n for _, n in slots]
    width = float(side.mediabox[2])
    if len(slots) == 1:
        numbers.insert(0 if slots[0][0] > width / 4 else 1, None)
    return numbers or [None, None]


def _sheet_sizes(name, pamphlet, sheet):
    want = tuple(round(v, 1) for v in sheet.landscape)
    for number, side in enumerate(pamphlet.pages, 1):
        got = (round(float(side.mediabox[2]), 1), round(float(side.mediabox[3]), 1))
        if got != want:
            return [Finding("I002", name, None,
                            f"sheet side {number} is {got} pt, {sheet.name} landscape is {want}")]
    return []
