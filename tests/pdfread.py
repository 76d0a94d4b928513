"""Reading PDFs back the way a reader would: page by page, from the written file."""

import io
import re

import pikepdf
from pypdf import PdfReader

from samizdat.checks.verify import squash


def page_texts(path_or_bytes):
    """Squashed text (no whitespace, no hyphens) of each page."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return [squash(page.extract_text()) for page in PdfReader(source).pages]


def saddle_position(side, slot, total):
    """Booklet page (1-based) at `slot` (0 left, 1 right) of sheet side `side` (0-based):
    side 2i holds N-2i | 2i+1, side 2i+1 holds 2i+2 | N-2i-1 (the issue's rule)."""
    i, back = divmod(side, 2)
    pair = (2 * i + 2, total - 2 * i - 1) if back else (total - 2 * i, 2 * i + 1)
    return pair[slot]


def unimpose(pamphlet):
    """A PDF (bytes) of the pages placed on the pamphlet's sheet sides, put back in
    reading order by the saddle rule; blank slots are left out. A page drawn turned
    180° (a long-edge back) is put back upright; clipping (creep) is ignored."""
    with pikepdf.open(pamphlet) as src, pikepdf.new() as out:
        total = 2 * len(src.pages)
        placed = {}
        for side_number, side in enumerate(src.pages):
            half = float(side.mediabox[2]) / 2
            content = side.Contents.read_bytes().decode("latin-1")
            for a, x, name in re.findall(
                    r"(?:q |W n )(?:(-?1) 0 0 -?1 ([-\d.]+) [-\d.]+ cm )?(/\w+) Do", content):
                form = side.Resources.XObject[name]
                if not a:  # placed by its own /Matrix (impose.ACTUAL_TEXT)
                    a, x = f"{float(form.Matrix[0]):g}", form.Matrix[4]
                centre = float(x) + sum(float(v) for v in form.BBox[::2]) / 2 * int(a)
                # on a turned side the booklet's left page is drawn on the right
                slot = int(centre >= half) ^ (a == "-1")
                placed[saddle_position(side_number, slot, total)] = form
        for position in sorted(placed):
            form = placed[position]
            bbox = [float(v) for v in form.BBox]
            page = out.add_blank_page(page_size=(bbox[2] - bbox[0], bbox[3] - bbox[1]))
            form = out.copy_foreign(form)
            if "/Matrix" in form:
                del form.Matrix
            page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=form))
            page.Contents = out.make_stream(b"q 1 0 0 1 0 0 cm /F Do Q")
        data = io.BytesIO()
        out.save(data)
        return data.getvalue()


def call_contexts(ms):
    """{note number: squashed text just before its call, with the call number, in
    three lengths (a call near a page top has little of its paragraph on that page)}."""
    contexts, number = {}, 0
    for block in ms.ast["blocks"]:
        number = _contexts(block, contexts, number, "")
    return contexts


def _contexts(node, contexts, number, before):
    from samizdat.source.pandoc import stringify

    inlines = node.get("c") if node.get("t") in ("Para", "Plain") else None
    if inlines is None:
        return number
    text = ""
    for inline in inlines:
        if inline.get("t") == "Note":
            number += 1
            contexts[number] = [squash(text)[-n:] + str(number) for n in (14, 9, 5)]
        else:
            text += stringify(inline)
    return number


def note_placement(pages, ms):
    """{note number: (page of its call, page of its text)}, 1-based, from page texts."""
    placement = {}
    for number, context in call_contexts(ms).items():
        start = squash(f"{number}. {ms.notes[number - 1]}")[:24]
        call = []
        for candidate in context:
            call = call or [i + 1 for i, text in enumerate(pages) if candidate in text]
        note = [i + 1 for i, text in enumerate(pages) if start in text]
        placement[number] = (call, note)
    return placement


def folded(pamphlet, signatures, *, rows=1, flip="own", rtl=False):
    """The text of each page of `pamphlet` as a reader finds it after binding ('' for
    a blank), by the sheets' printed text alone, not by how Samizdat meant it.

    Each sheet is printed duplex, flipped on the scheme's `own` edge (the back's image
    lies upright behind the front, left and right changed places) or on the `other`
    (the back's image lies turned 180°, top and bottom changed places). 4-up (`rows`
    2): the pile is cut across the middle, and the bottom halves go under the top
    halves. Each signature (`signatures`: sheets printed for each) is folded with
    its first sheet outside, and read from the left (from the right if `rtl`).
    Raises AssertionError if a page would be read upside down."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    document = pypdfium2.PdfDocument(pamphlet)
    sides = [_cells(document[i], rows, pdfium_c) for i in range(len(document))]
    assert len(sides) == 2 * sum(signatures), (len(sides), signatures)
    pages, start = [], 0
    for count in signatures:
        pieces = [[], []]  # the top and bottom halves, in printing order
        for sheet in range(start, start + count):
            front, back = sides[2 * sheet], sides[2 * sheet + 1]
            for row in range(rows):
                behind = {col: _behind(back, rows, row, col, flip) for col in (0, 1)}
                pieces[row].append((*(_upright(front[row, col]) for col in (0, 1)),
                                    behind[0], behind[1]))
        nested = pieces[0] + pieces[1]  # outermost first
        pages += _read_nested(nested, rtl)
        start += count
    return pages


def _cells(page, rows, pdfium_c):
    """{(row, col): (text, upside down)} of a sheet side."""
    textpage = page.get_textpage()
    width, height = page.get_size()
    cells = {}
    for row in range(rows):
        for col in (0, 1):
            left, bottom = col * width / 2, (rows - 1 - row) * height / rows
            text = pdfium_text(textpage.get_text_bounded(left, bottom, left + width / 2,
                                                         bottom + height / rows))
            # not the spaces and line ends pdfium puts in (nothing printed): it gives
            # them the matrix of the form they are read in, which a page placed by its
            # form's /Matrix (impose.ACTUAL_TEXT) leaves upright on a turned side
            angles = {round(pdfium_c.FPDFText_GetCharAngle(textpage.raw, i), 1)
                      for i in range(textpage.count_chars())
                      if _inside(textpage.get_charbox(i), left, bottom, width / 2,
                                 height / rows)
                      and pdfium_c.FPDFText_IsGenerated(textpage.raw, i) != 1}
            cells[row, col] = (text, angles == {3.1})
    return cells


def pdfium_text(text):
    """Squashed text as pdfium gives it: a line-end hyphen is "\\x02" from some of its
    calls and U+FFFE from others; both go, as squash takes hyphens out."""
    return squash(text.replace("\x02", "").replace("\ufffe", ""))


def _inside(box, left, bottom, width, height):
    x, y = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return left <= x < left + width and bottom <= y < bottom + height


def _upright(cell):
    text, upside_down = cell
    assert not upside_down, f"a front page {text!r} prints upside down"
    return text


def _behind(back, rows, row, col, flip):
    """The text on the back behind front cell (row, col), read when the sheet is turned
    over like a page; it must read upright then."""
    if flip == "own":
        return _upright(back[row, 1 - col])
    text, upside_down = back[rows - 1 - row, col]
    assert upside_down or not text, f"a back page {text!r} prints upright: turned over " \
        "on the other edge it reads upside down"
    return text


def _read_nested(nested, rtl):
    """Pages of nested folded sheets (outermost first), each (front left, front right,
    behind front left, behind front right), read from the left (right if `rtl`)."""
    if not nested:
        return []
    front_left, front_right, behind_left, behind_right = nested[0]
    if rtl:
        return [front_left, behind_left] + _read_nested(nested[1:], rtl) + \
            [behind_right, front_right]
    return [front_right, behind_right] + _read_nested(nested[1:], rtl) + \
        [behind_left, front_left]
