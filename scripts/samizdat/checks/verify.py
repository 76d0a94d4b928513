"""Each output read back and compared with the manuscript -> [Finding].

E-codes: EPUB; P-codes: PDF; I-codes: pamphlets (imposition).
"""

import hashlib
import re
import zipfile
from dataclasses import dataclass

import pikepdf
from ebooklib import epub as ebooklib_epub
from lxml import etree

from ..errors import Finding
from ..outputs import impose
from ..outputs.epub import NS
from ..source import policy
from ..weasy import (
    FootnoteAreaBox,
    LineBox,
    MarginBox,
    ReplacedBox,
    TextBox,
    descendants,
    footnotes,
    linebreak,
)
from ..writing.glyphs import SET_AS

# OPF element -> the manuscript metadata keys it carries, in order
OPF_FIELDS = {"title": ("title", "subtitle"), "creator": ("author",), "language": ("lang",),
              "date": ("date",), "rights": ("rights",), "identifier": ("identifier",),
              "source": ("source",), "publisher": ("publisher",),
              "description": ("description",), "subject": ("subject",)}


def squash(text):
    """Text with whitespace (and zero width spaces) and hyphens removed, for comparisons that survive line
    breaking and hyphenation (and the dashes print sets as others, glyphs.SET_AS)."""
    for char, printed in SET_AS.items():
        text = text.replace(char, printed)
    # U+200B, a break opportunity that draws nothing (wordbreak.mark_words), as a space
    return re.sub(r"[\s\-\u00ad\u2010\u2011\u200b]+", "", text)


def as_written(text):
    """A metadata value as the outputs carry it: every run of white space (line and
    paragraph separators too: U+2028 is a line end to pandoc) one space."""
    return " ".join(str(text).split())


# --- EPUB ---------------------------------------------------------------------

def verify_epub(path, ms, *, html=None, shown=None):
    """Metadata in the OPF, notes (once, same text as pandoc prints them, linked both
    ways), rights in the text. `html`: the print HTML, if made already; `shown`: the
    name findings give the file (the one the user will see), if not `path`."""
    name = shown or str(path)
    with zipfile.ZipFile(path) as archive:
        pages = {n: etree.fromstring(archive.read(n)) for n in archive.namelist()
                 if n.endswith(".xhtml")}
    findings = _epub_metadata(name, path, ms)
    findings += _epub_notes(name, pages, _printed(ms, html).note_words)
    findings += _epub_content(name, pages)
    text = squash(" ".join("".join(p.itertext()) for p in pages.values()))
    if squash(ms.plain("rights")) not in text:
        findings.append(Finding("E004", name, None,
                                f"the rights notice '{ms.plain('rights')}' is not in the text"))
    return findings


def verify_kepub(path, ms, *, html=None, shown=None):
    """verify_epub, and E008: each note in its call's file after the call, where
    Kobo's engine pops it up."""
    name = shown or str(path)
    findings = verify_epub(path, ms, html=html, shown=shown)
    with zipfile.ZipFile(path) as archive:
        for entry in sorted(n for n in archive.namelist() if n.endswith(".xhtml")):
            root = etree.fromstring(archive.read(entry))
            # lxml gives a node the same proxy while one is alive: `elements` keeps them.
            elements = list(root.iter())
            order = {id(e): i for i, e in enumerate(elements)}
            # ids looked up in one table: an XPath search per call was quadratic (25 s
            # for a text with 2,000 notes)
            ids = {}
            for element in elements:
                ids.setdefault(element.get("id"), element)
            for call in root.xpath("//x:a[@epub:type='noteref']", namespaces=NS):
                target = call.get("href", "").partition("#")
                found = ids.get(target[2]) if not target[0] else None
                if found is None or order[id(found)] < order[id(call)]:
                    findings.append(Finding("E008", name, None,
                                            f"note {''.join(call.itertext()).strip()} in "
                                            f"{entry} is not after its call in the same "
                                            "file: Kobo would not pop it up"))
    return findings


def _epub_metadata(name, path, ms):
    """E001: the OPF, read back with EbookLib, says what the manuscript's YAML says."""
    book = ebooklib_epub.read_epub(str(path), options={"ignore_ncx": True})
    findings = []
    for element, keys in OPF_FIELDS.items():
        want = [v for v in (ms.plain(k) for k in keys) if v]
        got = [as_written(value) for value, _ in book.get_metadata("DC", element)]
        if element in ("subject", "creator"):
            want = ms.plain_list(keys[0])
        want = [as_written(v) for v in want]
        if element == "identifier":
            want = [ms.identifier]
        if element == "date":  # written in full for Calibre (see epub.full_date)
            from ..outputs.epub import full_date

            want = [full_date(v) for v in want]
        if got != want:
            findings.append(Finding("E001", name, None,
                                    f"OPF dc:{element} is {got or 'missing'}, "
                                    f"the manuscript says {want}"))
    return findings


def _printed(ms, html):
    from ..outputs import printhtml

    return printhtml.printed(html or printhtml.print_html(ms))


def _epub_notes(name, pages, want):
    """E002: each note once with the text pandoc prints for it; E003: links both ways."""
    findings, found, calls = [], [], {}
    for page in pages.values():
        for aside in page.xpath("//x:aside[@epub:type='footnote' or @epub:type='endnote']",
                                namespaces=NS):
            found.append((page, aside))
        # Each page's calls once, by target (a search per note is quadratic in the notes).
        for call in page.xpath("//x:a[@epub:type='noteref']", namespaces=NS):
            calls.setdefault((id(page), call.get("href")), []).append(call)
    texts = [squash(_note_words(a)) for _, a in found]
    if texts != [squash(n) for n in want]:
        findings.append(Finding("E002", name, None,
                                f"{len(texts)} notes in the EPUB, {len(want)} in the "
                                "manuscript, or their texts differ"))
    for number, (page, aside) in enumerate(found, 1):
        its_calls = calls.get((id(page), f"#{aside.get('id')}"), [])
        backs = aside.xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)
        if len(its_calls) != 1 or backs != [f"#{its_calls[0].get('id')}"]:
            findings.append(Finding("E003", name, None,
                                    f"note {number} is not linked from its call and back"))
    return findings


def _note_words(aside):
    """The words of a note, without the number and link back the build puts first."""
    import copy

    aside = copy.deepcopy(aside)
    links = aside.xpath(".//x:a[@role='doc-backlink']", namespaces=NS)
    for link in links:
        _unwrap(link)
    text = "".join(aside.itertext()).lstrip()
    return text[2:] if links and text.startswith(". ") else text


def _unwrap(element):
    """Remove `element` and what it holds from the tree, keeping its tail."""
    parent, previous = element.getparent(), element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + (element.tail or "")
    else:
        parent.text = (parent.text or "") + (element.tail or "")
    parent.remove(element)


def _epub_content(name, pages):
    """E006: nothing in the text of the book that runs or loads (the source checks
    refuse it first; this reads what was made, whatever made it)."""
    findings = []
    for entry, root in sorted(pages.items()):
        for body in root.iterfind("x:body", NS):
            for _, why in dict.fromkeys(policy.element_problems(body)):
                findings.append(Finding("E006", name, None, f"{entry} carries {why}"))
    return findings


# --- PDF ----------------------------------------------------------------------

def verify_pdf(path, document, ms, *, html=None, shown=None):
    """Document info, notes on their call's page, no runt lines, no text lost, fonts
    embedded. `html`, `shown`: as for verify_epub."""
    name = shown or str(path)
    findings = []
    misplaced = footnotes.misplaced(document)
    for p in misplaced:
        findings.append(Finding("P001", name, None,
                                f"note {p.number} is on page {p.note_page}, "
                                f"its call on page {p.call_page}"))
    for page, text in linebreak.runts(document):
        findings.append(Finding("P006", name, None,
                                f"page {page}: a line of a justified paragraph holds only "
                                f"'{text}' (a line-breaking fault)"))
    findings += _pdf_text(name, document, _printed(ms, html))
    findings += _off_the_page(name, document)
    with pikepdf.open(path) as pdf:
        findings += _pdf_info(name, pdf, ms)
        findings += _pdf_fonts(name, pdf)
    return findings


def layout_text(document):
    """(main text, note text) laid out in a WeasyPrint document, each in page order.

    Margin boxes (page numbers) and note calls are left out; notes come from the
    footnote areas, markers included, then from the ends of chapters (a note too tall
    for a page is set there: footnotes.as_endnotes).
    """
    main, notes, endnotes = [], [], []
    for page in document.pages:
        for child in page._page_box.children:
            if isinstance(child, FootnoteAreaBox):
                notes.extend(_texts(child))
            elif not isinstance(child, MarginBox):
                main.extend(_texts(child, endnotes))
    # after the footnotes: an endnote that runs on to the next page stays in one piece
    return "".join(main), "".join(notes + endnotes)


def _texts(box, endnotes=None):
    """The texts of `box`, notes' calls left out; a note set at the end of its chapter
    (footnotes.as_endnotes) goes to `endnotes`, its number left out."""
    tag = getattr(box, "element_tag", None) or ""
    if tag.endswith("::footnote-call") or _is(box, "samizdat-back") or \
            _is(box, "samizdat-endcall"):
        return
    if endnotes is not None and _is(box, "samizdat-endnote"):
        endnotes.extend(_texts(box))
        return
    if hasattr(box, "text"):
        yield box.text
    for child in getattr(box, "children", ()):
        yield from _texts(child, endnotes)


def _is(box, kind):
    """Whether `box` is the box of an element of class `kind` (not a pseudo-element's)."""
    element = getattr(box, "element", None)
    return (element is not None and getattr(box, "element_tag", None) == element.tag
            and kind in (element.get("class") or "").split())


def _pdf_text(name, document, printed):
    """P002: every paragraph and note pandoc printed is in the layout, in order."""
    main, notes = (squash(t) for t in layout_text(document))
    findings = []
    for texts, flow in ((printed.paragraphs, main), (printed.notes, notes)):
        at = 0
        for text in texts:
            found = _find_from(flow, squash(text), at)
            if found < 0:
                findings.append(Finding("P002", name, None,
                                        f"text lost: '{text[:50]}…' is not in the PDF"))
            else:
                at = found
    return findings


def _find_from(flow, text, at):
    """Index of `text` in `flow` from `at` (texts come in order: a search from the last
    one found keeps a long book linear), or anywhere; -1 if nowhere."""
    found = flow.find(text, at)
    return found if found >= 0 else flow.find(text)


def _off_the_page(name, document):
    """P007: text or an image that reaches past an edge of the measure (a long code
    line, a wide table, a large image): past the right edge, or the left one (where a
    right-to-left line runs over); an image below the page's text area (one in a note);
    a line above the top of the text area, or the notes drawn over the text (a footnote
    area taller than the room left for it starts above the page's text, the symptom
    issue 25 reported on an Arabic book). Page by page; the first of each page."""
    findings = []
    for number, page in enumerate(document.pages, 1):
        box = page._page_box
        left = box.content_box_x() - linebreak.OVERHANG
        right = box.content_box_x() + box.width + linebreak.OVERHANG
        top = box.content_box_y() - linebreak.OVERHANG
        bottom = box.content_box_y() + box.height + linebreak.OVERHANG
        flows = [c for c in box.children if not isinstance(c, MarginBox)]
        for child in (d for flow in flows for d in descendants(flow)):
            if not isinstance(child, (TextBox, ReplacedBox, LineBox)):
                continue
            if isinstance(child, LineBox):
                # a line's own box: the glyphs' heights vary by font (Amiri reaches
                # above its line), the line's top is where the layout put the line
                above = top - child.position_y
                if above > 0:
                    what = " ".join("".join(_texts(child)).split())[:40]
                    findings.append(Finding("P007", name, None,
                                            f"page {number}: '{what}' is set {above:.0f} pt "
                                            "above the top of the text"))
                    break
                continue
            what = f"'{child.text[:40]}'" if isinstance(child, TextBox) else "an image"
            past_right, past_left = linebreak.past_edges(child, left, right)
            # images only: a text box's height is its font's, whose descent may reach
            # past the line's (Amiri's does), and ink that low is still on the page
            below = (child.position_y + child.margin_height() - child.margin_bottom - bottom
                     if isinstance(child, ReplacedBox) else 0)
            if past_right > 0 or past_left > 0 or below > 0:
                where = (f"{past_right + linebreak.hanging(child):.0f} pt past the right edge"
                         if past_right > 0 else
                         f"{past_left + linebreak.hanging(child):.0f} pt past the left edge"
                         if past_left > 0 else f"{below:.0f} pt below the foot")
                findings.append(Finding("P007", name, None,
                                        f"page {number}: {what} runs {where} of the text"))
                break
        else:
            findings += _notes_over_text(name, number, flows)
    return findings


def _notes_over_text(name, number, flows):
    """P007 when the page's footnote area starts above the foot of its last line of
    text: notes and text printed over each other."""
    areas = [f for f in flows if isinstance(f, FootnoteAreaBox)]
    lines = [d for f in flows if not isinstance(f, FootnoteAreaBox)
             for d in descendants(f) if isinstance(d, LineBox)]
    if not areas or not lines:
        return []
    foot = max(line.position_y + line.height for line in lines)
    over = foot - areas[0].border_box_y() - linebreak.OVERHANG
    if over <= 0:
        return []
    return [Finding("P007", name, None, f"page {number}: the notes are printed over the "
                    f"text ({over + linebreak.OVERHANG:.0f} pt of it)")]


PT_PER_PX = 0.75  # WeasyPrint lays out in CSS px


def crowded_pages(document, page, margin_pt):
    """Pages (1-based) of the layout `document` with ink (text, an image, a border) that
    a page of size `page` ((width, height) in pt) centred on them would cut, or leave
    nearer than `margin_pt` to an edge it brings nearer: those impose.frame must not
    make. An edge the new page moves out is not looked at (a running head 6 mm below
    A5's top is 9 mm below half-letter's, and nearer to no edge than it was)."""
    crowded = []
    for number, laid in enumerate(document.pages, 1):
        box = laid._page_box
        width, height = box.margin_width() * PT_PER_PX, box.margin_height() * PT_PER_PX
        left = (width - page[0]) / 2 + margin_pt if page[0] < width else float("-inf")
        top = (height - page[1]) / 2 + margin_pt if page[1] < height else float("-inf")
        if any(_ink_beyond(child, left, top, width - left, height - top)
               for child in descendants(box)):
            crowded.append(number)
    return crowded


def _ink_beyond(box, left, top, right, bottom):
    """Whether `box` draws ink outside the rectangle (pt) given."""
    bordered = any(box.style[f"border_{side}_width"] for side in ("top", "right", "bottom",
                                                                   "left"))
    if not (isinstance(box, ReplacedBox) or bordered or
            (isinstance(box, TextBox) and box.text.strip())):
        return False
    x0, y0 = box.border_box_x() * PT_PER_PX, box.border_box_y() * PT_PER_PX
    x1 = x0 + (box.border_width() - linebreak.hanging(box)) * PT_PER_PX
    y1 = y0 + box.border_height() * PT_PER_PX
    return x0 < left or y0 < top or x1 > right or y1 > bottom


def _pdf_info(name, pdf, ms):
    """P003: title, author, subject, keywords and language are the manuscript's."""
    want = {"/Title": ms.plain("title"), "/Author": ms.plain("author"),
            "/Subject": ms.plain("description"), "/Keywords": ms.plain("subject")}
    findings = []
    for field, value in want.items():
        got, value = as_written(pdf.docinfo.get(field, "")), as_written(value)
        if value and got != value:
            findings.append(Finding("P003", name, None,
                                    f"document info {field[1:]} is '{got}', "
                                    f"the manuscript says '{value}'"))
    lang = str(pdf.Root.get("/Lang", ""))
    if lang != ms.lang:
        findings.append(Finding("P003", name, None,
                                f"document language is '{lang}', the manuscript says "
                                f"'{ms.lang}'"))
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

UPRIGHT, TURNED = ("1", "0", "0", "1"), ("-1", "0", "0", "-1")
# q [x y w h re W n] [a b c d e f cm] /Name Do Q: one page placed by impose.saddle (without
# the `cm`, by the form's /Matrix: impose.ACTUAL_TEXT)
PLACEMENT = re.compile(r"q (?:([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re W n )?"
                       r"(?:([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) cm )?"
                       r"(/\w+) Do Q")
SEGMENT = re.compile(r"([-\d.]+) ([-\d.]+) m ([-\d.]+) ([-\d.]+) l")
SLACK = 0.01  # points: the pamphlet's matrices carry 4 decimals


@dataclass(frozen=True)
class Placed:
    """A page drawn on a sheet side, read back from the pamphlet."""

    number: int  # source page, 1-based; -1 if unknown, scaled or skewed
    slot: int  # 0 left, 1 right, as the folded booklet reads (a turned side turned back)
    turned: bool | None  # drawn turned 180°; None if neither that nor upright
    at: tuple  # (e, f) of its matrix as if the side were upright
    clip: tuple | None  # (x, y, w, h) clip rectangle, if any
    row: int = 0  # 0 top, 1 bottom (4-up), the side read upright


@dataclass(frozen=True)
class _Read:
    """A pamphlet read back: its sides' placed pages and collation marks, the source
    pages' boxes, the sides' sizes."""

    sides: list
    marks: list
    boxes: list
    sizes: list


def verify_pamphlet(path, pdf_path, *, sheet, scheme=impose.SADDLE, signature=None,
                    duplex=None, creep_mm=0.0, shown=None, rtl=False):
    """Every page of the PDF once, in the order of `scheme`'s signatures (`signature`:
    see impose.signatures; mirrored for `rtl`, bound on the right), unscaled, on
    `sheet`; backs turned 180° for a `duplex` flip other than the scheme's; pages moved
    toward the spine by `creep_mm` per sheet of their signature; printer's marks
    outside the pages; a collation mark on the outside of every signature, stepped.
    `shown`: as for verify_epub."""
    impose.check_options(duplex, creep_mm)
    name = shown or str(path)
    with pikepdf.open(pdf_path) as source, pikepdf.open(path) as pamphlet:
        digests = [_digest(impose.page_content(page)) for page in source.pages]
        read = _Read([_placed(side, digests, scheme.rows) for side in pamphlet.pages],
                     [impose.COLLATION.findall(impose.page_content(side).decode("latin-1"))
                      for side in pamphlet.pages],
                     [[float(v) for v in page.mediabox] for page in source.pages],
                     [(float(side.mediabox[2]), float(side.mediabox[3]))
                      for side in pamphlet.pages])
        findings = _sheet_sizes(name, pamphlet, sheet, scheme)
        findings += _marks_outside(name, pamphlet, read.boxes[0] if read.boxes else None,
                                   scheme.rows)
    sizes = impose.signatures(len(digests), scheme=scheme, signature=signature)
    want = impose.sides(len(digests), scheme=scheme, sizes=sizes, rtl=rtl)
    wrong = _misplaced(read.sides, want, scheme.rows)
    if wrong:
        findings.append(Finding("I001", name, None, f"{wrong}; the {scheme.name} order of "
                                f"signatures of {sizes} pages wants that"))
        return findings + _rotations(name, read.sides, duplex, scheme)
    findings += _rotations(name, read.sides, duplex, scheme)
    findings += _shifts(name, read, want, creep_mm, scheme.rows)
    return findings + _collations(name, read, want, scheme.rows)


def _digest(data):
    return hashlib.sha256(data).hexdigest()


def _placed(side, digests, rows=1):
    """The pages drawn on a sheet side, as Placed, in drawing order."""
    content = impose.page_content(side).decode("latin-1")
    sheet_w, sheet_h = float(side.mediabox[2]), float(side.mediabox[3])
    placed = []
    for *clip, a, b, c, d, e, f, name in PLACEMENT.findall(content):
        form = side.Resources.XObject[name]
        if not a:  # placed by the form's own matrix (impose.ACTUAL_TEXT)
            matrix = [float(v) for v in form.get("/Matrix", [1, 0, 0, 1, 0, 0])]
            a, b, c, d = (f"{v:g}" for v in matrix[:4])
            e, f = matrix[4:]
        turned = {UPRIGHT: False, TURNED: True}.get((a, b, c, d))
        data = form.read_bytes()
        known = turned is not None and data and _digest(data) in digests
        number = digests.index(_digest(data)) + 1 if known else -1
        # turning the side back, (u, v) -> (W - u, H - v), makes the matrix 1 0 0 1 W-e H-f
        at = (sheet_w - float(e), sheet_h - float(f)) if turned else (float(e), float(f))
        x0, y0, x1, y1 = (float(v) for v in form.BBox)
        slot = 0 if at[0] + (x0 + x1) / 2 < sheet_w / 2 else 1
        row = 0 if rows == 1 or at[1] + (y0 + y1) / 2 > sheet_h / 2 else 1
        placed.append(Placed(number, slot, turned, at,
                             tuple(map(float, clip)) if clip[0] else None, row))
    return placed


def _misplaced(sides, want, rows):
    """What the first side whose pages are not the scheme's holds (or lacks), or ""."""
    if len(sides) != len(want):
        return f"{len(sides)} sheet sides, not {len(want)}"
    for index, (placed, side) in enumerate(zip(sides, want), 1):
        got, wanted = _slots(placed, rows), [cell.page for cell in side.cells]
        if got != wanted:
            return f"sheet side {index} holds pages {got}, not {wanted}"
    return ""


def _slots(placed, rows=1):
    """Source page numbers on a side as the booklet reads it, by rows, each left then
    right (None: blank)."""
    return [n for row in range(rows) for slot in (0, 1)
            for n in [p.number for p in placed if (p.row, p.slot) == (row, slot)] or [None]]


def _rotations(name, sides, duplex, scheme):
    """I003: backs turned 180° for a flip on the other edge than the scheme's, every
    other side upright."""
    findings = []
    for index, placed in enumerate(sides):
        want = impose.turned(index, duplex, scheme)
        wrong = [p.number for p in placed if p.turned is not None and p.turned != want]
        if wrong:
            how = "turned 180°" if want else "upright"
            findings.append(Finding("I003", name, None,
                                    f"sheet side {index + 1}: pages {wrong} are not {how}, "
                                    f"as flipping on the {duplex or scheme.flip} edge wants"))
    return findings


def _shifts(name, read, want, creep_mm, rows):
    """I004: each page where its cell wants it: moved toward the spine by its folded
    sheet's creep, centred vertically in its row; a moved page clipped to its cell."""
    findings = []
    for index, (placed, face, side) in enumerate(zip(read.sides, read.sizes, want)):
        cells = {(c.row, c.col): c for c in side.cells}
        for p in (p for p in placed if p.number > 0):
            cell, (x0, y0, x1, y1) = cells[p.row, p.slot], read.boxes[p.number - 1]
            shift = impose.creep_shift(cell.fold, creep_mm)
            left, low = impose.cell_origin(cell, face, (x1 - x0, y1 - y0), rows)
            got = (p.at[0] + x0 - left) * (1 if p.slot == 0 else -1)
            up = p.at[1] + y0 - low
            where = f"sheet side {index + 1}: page {p.number}"
            if abs(got - shift) > SLACK or abs(up) > SLACK:
                findings.append(Finding("I004", name, None,
                                        f"{where} is moved {got:.2f} pt toward the spine and "
                                        f"{up:.2f} pt up; a creep of {creep_mm} mm per sheet "
                                        f"wants {shift:.2f} pt and 0"))
            elif shift and not _clipped(p, impose.cell_clip(cell, face, rows, p.turned)):
                findings.append(Finding("I004", name, None, f"{where} is moved by creep "
                                        "but not clipped to its cell: it may cross the spine"))
    return findings


def _clipped(p, want):
    return p.clip is not None and all(abs(g - w) <= SLACK for g, w in zip(p.clip, want))


def _collations(name, read, want, rows):
    """I006: on the outside of each signature (when there are several) its collation
    mark, one step lower than the one before; no other."""
    count = len({side.signature for side in want})
    size = read.boxes[0][2] - read.boxes[0][0], read.boxes[0][3] - read.boxes[0][1]
    findings = []
    for index, (got, face, side) in enumerate(zip(read.marks, read.sizes, want)):
        wanted = [impose.collation_mark(side.signature, count, face, size, rows)] \
            if side.outside and count > 1 else []
        boxes = [tuple(map(float, box)) for box in got]
        if len(boxes) != len(wanted) or any(abs(g - w) > SLACK for box, mark in
                                            zip(boxes, wanted) for g, w in zip(box, mark)):
            what = f"signature {side.signature + 1} of {count}'s mark at " \
                f"{[round(v, 2) for v in wanted[0]]}" if wanted else "no mark"
            findings.append(Finding("I006", name, None, f"sheet side {index + 1}: collation "
                                    f"marks {[[round(v, 2) for v in b] for b in boxes]}, "
                                    f"wants {what}"))
    return findings


def _marks_outside(name, pamphlet, box, rows=1):
    """I005: printer's marks (line segments) off the pages' area and on the sheet,
    stroke included; a trim box, if any, is that area."""
    findings = []
    size = (box[2] - box[0], box[3] - box[1]) if box else (0, 0)
    for number, side in enumerate(pamphlet.pages, 1):
        sheet = (0, 0, float(side.mediabox[2]), float(side.mediabox[3]))
        area = impose.trim_box(sheet[2:], size, rows)
        trim = side.obj.get("/TrimBox")
        if trim is not None and any(abs(float(t) - a) > SLACK for t, a in zip(trim, area)):
            findings.append(Finding("I005", name, None, f"sheet side {number}: trim box "
                                    f"{[round(float(t), 2) for t in trim]} is not the pages' "
                                    f"area {[round(a, 2) for a in area]}"))
        content = impose.page_content(side).decode("latin-1")
        width = re.search(r"([\d.]+) w\b", content)
        half = float(width.group(1)) / 2 if width else 0.5  # PDF's default width is 1
        for segment in SEGMENT.findall(content):
            x1, y1, x2, y2 = map(float, segment)
            stroke = (min(x1, x2) - half, min(y1, y2) - half,
                      max(x1, x2) + half, max(y1, y2) + half)
            if _overlaps(stroke, area) or not _within(stroke, sheet):
                findings.append(Finding("I005", name, None,
                                        f"sheet side {number}: the mark from ({x1:g}, {y1:g}) "
                                        f"to ({x2:g}, {y2:g}) is on a page or off the sheet"))
    return findings


def _overlaps(a, b):
    """Whether rectangles (x0, y0, x1, y1) share more than an edge (beyond SLACK)."""
    return (a[0] < b[2] - SLACK and b[0] < a[2] - SLACK
            and a[1] < b[3] - SLACK and b[1] < a[3] - SLACK)


def _within(a, b):
    return all(a[i] >= b[i] - SLACK for i in (0, 1)) and all(a[i] <= b[i] + SLACK for i in (2, 3))


def _sheet_sizes(name, pamphlet, sheet, scheme):
    want = tuple(round(v, 1) for v in scheme.face(sheet))
    for number, side in enumerate(pamphlet.pages, 1):
        got = (round(float(side.mediabox[2]), 1), round(float(side.mediabox[3]), 1))
        if got != want:
            how = "landscape" if scheme.rows == 1 else "portrait"
            return [Finding("I002", name, None,
                            f"sheet side {number} is {got} pt, {sheet.name} {how} is {want}")]
    return []


# --- the bound book -------------------------------------------------------------

BOX_SLACK = 0.05  # points: boxes are written to 4 decimals
RGB_OPERATOR = re.compile(rb"(?<![\w/#])(?:rg|RG)(?![\w])")


def verify_book_interior(path, reading, *, page, shown=None):
    """The bound book's interior read back: every page's boxes (B001), PDF/X-1a
    (B002), an even page count (B003), the same text as the reading PDF at `reading`
    page by page (B005; None: not compared), fonts embedded (P004)."""
    name = shown or str(path)
    with pikepdf.open(path) as pdf:
        findings = _book_boxes(name, pdf, (page.width, page.height), page.bleed)
        findings += _pdfx(name, pdf)
        findings += _pdf_fonts(name, pdf)
        if len(pdf.pages) % 2:
            findings.append(Finding("B003", name, None, f"{len(pdf.pages)} pages: a bound "
                                    "book has an even number"))
    return findings + (_same_text(name, path, reading) if reading else [])


def verify_book_cover(path, interior, *, page, paper_mm, shown=None):
    """The cover wrap read back: one page (B003), its boxes, its TrimBox as wide as
    back + spine + front (B001), the spine as wide as the `interior`'s leaves of paper
    `paper_mm` thick (B004), PDF/X-1a (B002)."""
    from ..outputs.book import spine_mm

    name = shown or str(path)
    with pikepdf.open(interior) as book:
        pages = len(book.pages)
    with pikepdf.open(path) as pdf:
        if len(pdf.pages) != 1:
            return [Finding("B003", name, None, f"{len(pdf.pages)} pages: a cover wrap is "
                            "one")]
        trim = [float(v) for v in pdf.pages[0].obj.get("/TrimBox", pdf.pages[0].mediabox)]
        spine = (trim[2] - trim[0] - 2 * page.width) / impose.MM
        findings = _book_boxes(name, pdf, (trim[2] - trim[0], page.height), page.bleed)
        want = spine_mm(pages, paper_mm)
        if abs(spine - want) * impose.MM > BOX_SLACK:
            findings.append(Finding("B004", name, None,
                                    f"the spine is {spine:.2f} mm wide; the interior's "
                                    f"{pages} pages on paper {paper_mm:g} mm thick want "
                                    f"{want:.2f} mm"))
        findings += _pdfx(name, pdf)
    return findings


def _book_boxes(name, pdf, size, bleed):
    """B001: each page's TrimBox `size` (width, height pt), its BleedBox `bleed` beyond
    it on every side, both inside the MediaBox."""
    findings = []
    for number, page in enumerate(pdf.pages, 1):
        media = [float(v) for v in page.mediabox]
        trim = page.obj.get("/TrimBox")
        bleed_box = page.obj.get("/BleedBox")
        if trim is None or bleed_box is None:
            problem = "has no TrimBox and BleedBox"
        else:
            trim, bleed_box = [float(v) for v in trim], [float(v) for v in bleed_box]
            want = [trim[0] - bleed, trim[1] - bleed, trim[2] + bleed, trim[3] + bleed]
            got_size = (trim[2] - trim[0], trim[3] - trim[1])
            problem = ""
            if any(abs(g - w) > BOX_SLACK for g, w in zip(got_size, size)):
                problem = (f"TrimBox is {got_size[0] / impose.MM:.1f} × "
                           f"{got_size[1] / impose.MM:.1f} mm, not "
                           f"{size[0] / impose.MM:.1f} × {size[1] / impose.MM:.1f}")
            elif any(abs(g - w) > BOX_SLACK for g, w in zip(bleed_box, want)):
                problem = f"BleedBox is not {bleed / impose.MM:.2f} mm beyond the TrimBox"
            elif not _within(bleed_box, media):
                problem = "BleedBox reaches past the MediaBox"
        if problem:
            findings.append(Finding("B001", name, None, f"page {number}: {problem}"))
            break  # the first: one wrong box is usually every page's
    return findings


def _pdfx(name, pdf):
    """B002: what PDF/X-1a asks and a printer's preflight reads: the version named, an
    OutputIntent, no RGB colour, no image in RGB or with a soft mask, no annotation."""
    from ..outputs.book import PDFX

    problems = []
    if str(pdf.docinfo.get("/GTS_PDFXVersion", "")) != PDFX:
        problems.append(f"it does not say it is {PDFX} (GTS_PDFXVersion)")
    intents = pdf.Root.get("/OutputIntents")
    if not intents or not any(i.get("/S") == "/GTS_PDFX" and (
            "/DestOutputProfile" in i or "/RegistryName" in i) for i in intents):
        problems.append("it has no PDF/X OutputIntent")
    for number, page in enumerate(pdf.pages, 1):
        if "/Annots" in page.obj:
            problems.append(f"page {number} has annotations (links)")
        if any(RGB_OPERATOR.search(data) for data in _page_streams(page.obj)):
            problems.append(f"page {number} draws in RGB colour")
        bad = [n for n, image in _images(page.obj.get("/Resources"))
               if not _print_image(image)]
        if bad:
            problems.append(f"page {number}: image {bad[0]} is RGB or has a soft mask")
        if _transparent(page.obj.get("/Resources")):
            problems.append(f"page {number} draws with transparency")
        if len(problems) > 3:
            break
    return [Finding("B002", name, None, f"not PDF/X-1a: {problem}") for problem in problems]


def _transparent(resources):
    """Whether a graphics state of `resources` makes ink transparent (PDF/X-1a has
    none): an alpha below 1, a soft mask, a blend mode other than Normal."""
    states = resources.get("/ExtGState") if resources is not None else None
    for state in (states or {}).values():
        if any(float(state.get(key, 1)) < 1 for key in ("/CA", "/ca")) or \
                str(state.get("/SMask", "/None")) != "/None" or \
                str(state.get("/BM", "/Normal")) not in ("/Normal", "/Compatible"):
            return True
    return False


def _print_image(image):
    return (image.get("/ImageMask") is True or "/SMask" not in image and
            image.get("/ColorSpace") in ("/DeviceGray", "/DeviceCMYK"))


def _images(resources, seen=None):
    """(name, image XObject) under `resources`, forms' too."""
    seen = set() if seen is None else seen
    if resources is None or "/XObject" not in resources:
        return
    for key, xobject in resources.XObject.items():
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        if xobject.get("/Subtype") == "/Image":
            yield key, xobject
        elif xobject.get("/Subtype") == "/Form":
            yield from _images(xobject.get("/Resources"), seen)


def _page_streams(page):
    from ..outputs.book import _streams

    return _streams(page)


def _same_text(name, path, reading):
    """B005: the interior's text, page by page, is the reading PDF's (pages past the
    reading PDF's end blank). Pages whose text-showing operations are the same (each
    string drawn, with its font's ToUnicode map) hold the same text; only the others
    are read with pdfium (11 ms a page: 12 s for a 570-page book, read twice)."""
    got, want = _shown_text(path), _shown_text(reading)
    length = len(want)
    want += [[]] * max(0, len(got) - len(want))
    differ = [n for n, (g, w) in enumerate(zip(got, want)) if g != w]
    if differ:
        got_text = _pdfium_text(path, differ)
        want_text = _pdfium_text(reading, differ)
        for number in differ:
            if got_text.get(number, "") != want_text.get(number, ""):
                return [Finding("B005", name, None, f"page {number + 1}'s text is not the "
                                f"reading PDF's: '{got_text.get(number, '')[:40]}' where it "
                                f"has '{want_text.get(number, '')[:40]}'")]
    if len(got) < length:
        return [Finding("B005", name, None, f"{len(got)} pages, the reading PDF has "
                        f"{length}")]
    return []


# A font chosen (/F1 12 Tf) or a string shown ([<0102>-20<03>] TJ, <0102> Tj, (ab) Tj)
TEXT_OPERATION = re.compile(rb"(/[^\s/\[\]<>()]+)\s+[-\d.]+\s+Tf\b|"
                            rb"(\[(?:[^\]\\]|\\.)*\]\s*TJ|<[0-9a-fA-F\s]*>\s*Tj|"
                            rb"\((?:[^)\\]|\\.)*\)\s*Tj)")


def _shown_text(path):
    """Per page, the strings its content shows, each with a digest of its font's
    ToUnicode map (what makes the glyphs text)."""
    pages, maps = [], {}
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            resources = page.obj.get("/Resources")
            fonts = resources.get("/Font") if resources is not None else None
            font, shown = None, []
            for match in TEXT_OPERATION.finditer(_joined(page.obj)):
                if match[1]:
                    chosen = fonts.get(match[1].decode("latin-1")) if fonts else None
                    font = _unicode_map(chosen, maps)
                else:
                    shown.append((font, match[2]))
            pages.append(shown)
    return pages


def _joined(page):
    contents = page.get("/Contents")
    parts = contents if isinstance(contents, pikepdf.Array) else \
        [contents] if contents is not None else []
    return b"\n".join(part.read_bytes() for part in parts)


def _unicode_map(font, maps):
    if font is None:
        return None
    if font.objgen not in maps:
        unicode = font.get("/ToUnicode")
        maps[font.objgen] = _digest(unicode.read_bytes()) if unicode is not None else \
            str(font.get("/BaseFont"))
    return maps[font.objgen]


def _pdfium_text(path, numbers):
    """{page index: its text squashed} of pages `numbers` (0-based) of the PDF at `path`,
    as pdfium reads it ("" past its end)."""
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        texts = {}
        for number in numbers:
            if number >= len(document):
                texts[number] = ""
                continue
            page = document[number]
            textpage = page.get_textpage()
            texts[number] = squash(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()
