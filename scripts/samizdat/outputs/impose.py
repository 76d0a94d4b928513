"""Pamphlet stage: impose a finished PDF for saddle stitching, with pikepdf.

Each page is copied once as a form XObject and placed unscaled (no re-render, no
rasterising), so the pamphlet carries the very glyphs of the PDF. Two schemes
(editions.SCHEMES): 2-up on a landscape sheet, and 4-up on a portrait sheet that is
cut across the middle, its bottom halves put under its top halves, and folded.

A text longer than one booklet holds is gathered from several signatures, each
folded and stapled (or sewn) on its own, printed one after the other in one file;
a black collation mark on the spine of each, stepped down from one to the next,
shows the binder that they are gathered in order. Options, off by default (and
then the bytes are those written before they existed):

- ``duplex``: the edge the printer flips on; the scheme's own by default (short for
  2-up, long for 4-up); with the other edge every back side is turned 180°;
- ``creep_mm``: the pages of inner sheets moved toward the spine (creep compensation),
  counted afresh in every signature;
- ``marks``: fold, cut and crop marks in the sheet margin, and /TrimBox, /BleedBox, /ArtBox.
"""

import functools
import logging
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pikepdf

from ..editions import SCHEMES, SHEETS, Size

MM = 72 / 25.4
TOLERANCE = 0.5  # points: A5 x 2 is 2.8 pt narrower than A4; anything more is refused
DUPLEX = ("short", "long")
SADDLE, FOUR_UP = SCHEMES["2-up"], SCHEMES["4-up"]
# One booklet up to 64 pages; past that, signatures of at most 16 sheets (a long-arm
# stapler closes 16 sheets of 80 g/m² paper, and their creep stays under 1.5 mm).
DEFAULT_SIGNATURE = (4, 64)

# Marks, in points. A mark starts MARK_GAP outside the trim, so a cut a little off
# never shows it; it is at most MARK_LENGTH long and is left out when less than
# MARK_MIN of it fits on the sheet (too short to be seen, let alone cut along).
MARK_GAP = 2.0
MARK_LENGTH = 12.0
MARK_MIN = 3.0
MARK_WIDTH = 0.25
# Collation marks: COLLATION_WIDTH across the spine fold (half of it on each page's
# inner margin, which is 15 mm), at most COLLATION_STEP high, stepped down the spine
# from COLLATION_TOP of the page's height.
COLLATION_WIDTH = 5.0
COLLATION_STEP = 12.0
COLLATION_TOP = 0.1

log = logging.getLogger("samizdat")


# Sheets are editions.Size values (portrait width and height in points).
Sheet = Size
A4 = SHEETS["a4"]
LETTER = SHEETS["letter"]


class ImposeError(ValueError):
    """The PDF's pages do not fit the scheme on the sheet unscaled."""


@dataclass(frozen=True)
class Cell:
    """A page's place on a sheet side: `row` (0 top) and `col` (0 left) as the side is
    printed upright; `page` 1-based, None for a blank; `fold` the place of its folded
    sheet in its signature, 0 outermost (creep counts it)."""

    page: int | None
    row: int
    col: int
    fold: int


@dataclass(frozen=True)
class Side:
    """One side of a printed sheet: its cells, its signature (0-based), and whether it
    is the outside of that signature (where the collation mark goes)."""

    cells: tuple
    signature: int
    outside: bool


def padded_count(pages, step=4):
    """Pages after padding to a multiple of `step` (a sheet folds into 4 pages)."""
    return -(-pages // step) * step


def reading_order(pages, total=None):
    """The padded page list (to `total`, default the next multiple of 4), 1-based, None
    for a blank. Blanks go before the last page, so the colophon stays on the back cover.
    """
    total = padded_count(pages) if total is None else total
    order = list(range(1, pages))
    order += [None] * (total - pages)
    order.append(pages if pages else None)
    return order


def signatures(pages, *, scheme=SADDLE, signature=None):
    """The page counts of the signatures a pamphlet of `pages` pages is gathered from.

    `signature` is (fewest, most) pages per signature (DEFAULT_SIGNATURE if None). The
    fewest blank pages first, then the fewest signatures, then sizes as even as can
    be, the larger first. Each size is a multiple of the scheme's pages per sheet (a
    4-up sheet carries 8); bounds that are not are rounded to one, and said."""
    step = scheme.sheet_pages
    fewest, most = _bounds(signature, step, scheme.name)
    if pages <= 0:
        return []
    need = padded_count(pages, step)
    count = -(-need // most)
    total = max(count * fewest, need)
    base, extra = divmod(total // step, count)
    return [(base + (i < extra)) * step for i in range(count)]


def _bounds(signature, step, scheme):
    """(fewest, most) pages a signature may have: `signature`'s bounds rounded to whole
    sheets of `step` pages, said once if that changed them."""
    low, high = signature or DEFAULT_SIGNATURE
    fewest = max(step, padded_count(low, step))
    most = max(fewest, high // step * step)
    if signature and (fewest, most) != (low, high):
        _say_rounded(_span(low, high), scheme, step, _span(fewest, most))
    return fewest, most


def _span(low, high):
    return str(low) if low == high else f"{low}-{high}"


@functools.cache
def _say_rounded(asked, scheme, step, made):
    log.warning("signatures of %s pages are not whole %s sheets (%d pages each): made "
                "%s pages", asked, scheme, step, made)


def saddle_sides(total, *, rtl=False):
    """Sheet sides as (left, right) 1-based positions in the padded booklet of `total`.

    Side 2i holds N-2i | 2i+1 and side 2i+1 holds 2i+2 | N-2i-1. A right-to-left
    booklet (`rtl`: bound on the right, read from the right) is the mirror: each
    side's pages change places.
    """
    sides = []
    for i in range(total // 4):
        sides.append((total - 2 * i, 2 * i + 1))
        sides.append((2 * i + 2, total - 2 * i - 1))
    return [side[::-1] for side in sides] if rtl else sides


def sides(pages, *, scheme=SADDLE, sizes=None, rtl=False):
    """The printed sides of a pamphlet of `pages` pages, in order: each signature of
    `sizes` (default: signatures()) folded from nested sheets, 0 outermost; a 4-up
    sheet carries folded sheet j in its top row and j + half in its bottom row, so
    that after the cut the bottom halves go inside the top ones."""
    sizes = signatures(pages, scheme=scheme) if sizes is None else sizes
    order = reading_order(pages, sum(sizes))
    printed, start = [], 0
    for number, size in enumerate(sizes):
        chunk = order[start:start + size]
        pairs = [tuple(chunk[p - 1] for p in pair) for pair in saddle_sides(size, rtl=rtl)]
        half = len(pairs) // 2 // scheme.rows
        for sheet in range(half):
            for face in (0, 1):
                folds = [sheet + row * half for row in range(scheme.rows)]
                cells = tuple(Cell(pairs[2 * fold + face][col], row, col, fold)
                              for row, fold in enumerate(folds) for col in (0, 1))
                printed.append(Side(cells, number, sheet == 0 and face == 0))
        start += size
    return printed


def check_options(duplex, creep_mm):
    """Raise ValueError for a duplex mode or creep that cannot be imposed."""
    if duplex is not None and duplex not in DUPLEX:
        raise ValueError(f"duplex must be one of {DUPLEX}, not {duplex!r}")
    if not (math.isfinite(creep_mm) and creep_mm >= 0):
        raise ValueError(f"creep_mm must be a finite number >= 0, not {creep_mm!r}")


def turned(side, duplex, scheme=SADDLE):
    """Whether sheet side `side` (0-based) is drawn turned 180°.

    A back printed with a flip on the other edge than the scheme's own comes out
    turned over top to bottom; drawing it turned undoes that."""
    return side % 2 == 1 and (duplex or scheme.flip) != scheme.flip


def creep_shift(fold, creep_mm):
    """Points that the pages of folded sheet `fold` (0 outermost in its signature) move
    toward the spine.

    Folded, each inner sheet sticks out one paper thickness further at the fore-edge,
    so its pages are drawn that much nearer the fold and line up with the outer ones."""
    return fold * creep_mm * MM


def collation_mark(signature, count, face, page, rows=1):
    """(x, y, w, h) of the collation mark of signature `signature` (0-based) of `count`
    on the outside of its outer sheet: across the spine fold of the top row of a side
    of size `face` holding `rows` rows of pages of size `page`, one step lower than the
    signature before, all of them within the middle 80 % of the page's height."""
    (width, height), page_h = face, page[1]
    step = min(COLLATION_STEP, (1 - 2 * COLLATION_TOP) * page_h / count)
    top = (height + rows * page_h) / 2 - COLLATION_TOP * page_h
    return (width / 2 - COLLATION_WIDTH / 2, top - (signature + 1) * step, COLLATION_WIDTH,
            step)


# How a collation mark is drawn (_collation), as verify and the spines picture read it
COLLATION = re.compile(r"q 0 g ([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re f Q")


def _collation(signature, count, face, page, rows):
    box = collation_mark(signature, count, face, page, rows)
    return ("q 0 g " + " ".join(f"{v:.4f}" for v in box) + " re f Q\n").encode()


def saddle(pdf, out, *, sheet=A4, scheme=SADDLE, signature=None, duplex=None, creep_mm=0.0,
           marks=False, rtl=False):
    """Impose `pdf` by `scheme` on `sheet`, saddle-stitched; write `out`; return it.

    `signature` is (fewest, most) pages per signature (see signatures()); `duplex` the
    printer's flip edge ("short" or "long"; None: the scheme's own), `creep_mm` the
    creep step per sheet, `marks` adds fold and crop marks where the sheet has room,
    `rtl` binds on the right (a right-to-left text)."""
    check_options(duplex, creep_mm)
    face = scheme.face(sheet)
    with pikepdf.open(pdf) as source, pikepdf.new() as target:
        size = _page_size(source)
        _check_fit(size, sheet, scheme)
        sizes = signatures(len(source.pages), scheme=scheme, signature=signature)
        for index, printed in enumerate(sides(len(source.pages), scheme=scheme, sizes=sizes,
                                              rtl=rtl)):
            side = target.add_blank_page(page_size=face)
            drawing = _side_drawing(target, side, source, printed, (face, size, scheme.rows),
                                    turned(index, duplex, scheme), creep_mm)
            if printed.outside and len(sizes) > 1:
                drawing += _collation(printed.signature, len(sizes), face, size, scheme.rows)
            if marks:
                drawing += _marks(side, face, size, scheme.rows)
            side.Contents = target.make_stream(drawing)
        if marks:
            _warn_missing_marks(sheet, face, size, scheme.rows)
        _copy_metadata(source, target)
        target.save(out, deterministic_id=True, compress_streams=True)
    return Path(out)


def frame(pdf, out, *, page):
    """Write to `out` each page of `pdf` centred, unscaled, on a page `page` ((width,
    height) in pt), what lies outside it cut off; return `out`. An edition of a trim
    near the layout's is made so, the same pages line for line, without a layout of its
    own (build checks first that no ink is cut or comes near the new edges)."""
    with pikepdf.open(pdf) as source, pikepdf.new() as target:
        for number, original in enumerate(source.pages):
            box = [float(v) for v in original.mediabox]
            dx = (page[0] - (box[2] - box[0])) / 2 - box[0]
            dy = (page[1] - (box[3] - box[1])) / 2 - box[1]
            framed = target.add_blank_page(page_size=page)
            # a name of its own: a page's content tells it from the others (verify)
            name = f"Page{number + 1}"
            framed.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(
                {f"/{name}": target.copy_foreign(original.as_form_xobject())}))
            framed.Contents = target.make_stream(
                f"q 1 0 0 1 {dx:.4f} {dy:.4f} cm /{name} Do Q".encode("ascii"))
        _copy_metadata(source, target)
        target.save(out, deterministic_id=True, compress_streams=True)
    return Path(out)


def _check_fit(size, sheet, scheme):
    (width, height), (sheet_w, sheet_h) = size, scheme.face(sheet)
    if 2 * width > sheet_w + TOLERANCE or scheme.rows * height > sheet_h + TOLERANCE:
        raise ImposeError(f"{width:.0f}x{height:.0f} pt pages do not fit {scheme.name} on "
                          f"{sheet.name} unscaled")


def _page_size(source):
    boxes = {tuple(round(float(v), 2) for v in page.mediabox) for page in source.pages}
    if len(boxes) != 1:
        raise ImposeError("the PDF's pages are not all the same size")
    x0, y0, x1, y1 = boxes.pop()
    return x1 - x0, y1 - y0


def cell_origin(cell, face, size, rows, shift=0.0):
    """(x, y) of the lower left corner of `cell`'s page on an upright side of size
    `face`, pages of `size` centred, moved `shift` points toward the spine."""
    (sheet_w, sheet_h), (width, height) = face, size
    x0, y0 = (sheet_w - 2 * width) / 2, (sheet_h - rows * height) / 2
    # toward the spine: the left page moves right, the right page left
    return (x0 + cell.col * width + (shift if cell.col == 0 else -shift),
            y0 + (rows - 1 - cell.row) * height)


def cell_clip(cell, face, rows, turn):
    """The rectangle (x, y, w, h) of the sheet a page in `cell` is kept inside: its half
    of the side (its quarter, 4-up), turned with the side."""
    (sheet_w, sheet_h) = face
    w, h = sheet_w / 2, sheet_h / rows
    x, y = cell.col * w, (rows - 1 - cell.row) * h
    return (sheet_w - x - w, sheet_h - y - h, w, h) if turn else (x, y, w, h)


def _side_drawing(target, side, source, printed, geometry, turn, creep_mm):
    """Content-stream bytes placing the pages of `printed` (a Side) on `side`.

    `geometry` is (the side's size, the pages' size, rows); `turn` comes from turned().
    Pages are clipped to their cell only when creep moves them: without it nothing
    can cross the spine."""
    face, size, rows = geometry
    drawing = b""
    for index, cell in enumerate(printed.cells):
        if cell.page is None:
            continue
        shift = creep_shift(cell.fold, creep_mm)
        clip = cell_clip(cell, face, rows, turn) if shift else None
        drawing += _place(target, side, source.pages[cell.page - 1],
                          cell_origin(cell, face, size, rows, shift), f"/Pg{index + 1}",
                          face if turn else None, clip)
    return drawing


# A page whose text layer holds an ActualText span (textlayer: a cluster whose glyphs do
# not spell its characters, Amiri's lam drawn with a joining stroke of its own) is placed
# by its form XObject's /Matrix, not by a `cm` before its `Do`: PDFium gives a span's
# letters the box of its text object as that object lies in the form's own space, the
# matrix the form is drawn with left out (cpdf_textpage.cpp, ProcessMarkedContent:
# `pTextObj->GetRect()`, where every other character's box goes through the form's
# matrix), and a form's /Matrix is part of that space. Placed by `cm`, hafez-divan's 'ل'
# of page 14 was read in the cell of page 19 on the A4 sheet. The ink is the same (the
# same matrix); a page without a span is placed as before (the same bytes).
ACTUAL_TEXT = b"/ActualText"


def _place(target, side, page, at, name, turn=None, clip=None):
    """Content-stream bytes that draw `page` as form XObject `name` at `at`, unscaled.

    `turn` (the sheet's width, height) draws it turned 180° about the sheet's centre;
    `clip` (x, y, w, h) keeps it inside that rectangle, so a page moved by creep
    cannot cross the spine. The name is chosen here: pikepdf's generated names are
    random, and the same input must give the same bytes. A page holding an ActualText
    span is placed by its form's /Matrix instead (ACTUAL_TEXT)."""
    form = target.copy_foreign(page.as_form_xobject())
    if "/Resources" not in side.obj:
        side.obj.Resources = pikepdf.Dictionary()
    if "/XObject" not in side.obj.Resources:
        side.obj.Resources.XObject = pikepdf.Dictionary()
    side.obj.Resources.XObject[name] = form
    e, f = at[0] - float(page.mediabox[0]), at[1] - float(page.mediabox[1])
    if turn:
        # the upright placement, then (u, v) -> (W - u, H - v): -1 0 0 -1 W-e H-f
        matrix = f"-1 0 0 -1 {turn[0] - e:.4f} {turn[1] - f:.4f}"
    else:
        matrix = f"1 0 0 1 {e:.4f} {f:.4f}"
    clipping = " ".join(f"{v:.4f}" for v in clip) + " re W n " if clip else ""
    if ACTUAL_TEXT in page_content(page):
        # placed by the form's own matrix: PDFium reads the page's spans there (ACTUAL_TEXT)
        form.Matrix = pikepdf.Array([Decimal(v) for v in matrix.split()])
        return f"q {clipping}{name} Do Q\n".encode()
    return f"q {clipping}{matrix} cm {name} Do Q\n".encode()


def mark_segments(face, page_size, rows=1):
    """Fold, cut and crop marks for pages centred on a side: (segments, left out).

    Segments are (x1, y1, x2, y2): a fold mark above and below the spine, a cut mark
    left and right of the middle for 4-up, and at each outer corner of the pages' area
    a crop mark along each trim edge, pointing away. A mark is drawn only where it fits
    outside the trim and inside the sheet, stroke included. A5 on A4 leaves 1.4 pt
    left and right and none above and below, and half-letter on Letter none at all,
    so there no mark fits and none is drawn: pages are never scaled to make room, and
    marks inside the page would print on it.
    """
    (sheet_w, sheet_h), (width, height) = face, page_size
    left, bottom = (sheet_w - 2 * width) / 2, (sheet_h - rows * height) / 2
    right, top = left + 2 * width, bottom + rows * height
    wanted = [(sheet_w / 2, y, 0, dy) for y, dy in ((bottom, -1), (top, 1))]
    if rows == 2:
        wanted += [(x, sheet_h / 2, dx, 0) for x, dx in ((left, -1), (right, 1))]
    for x, dx in ((left, -1), (right, 1)):
        for y, dy in ((bottom, -1), (top, 1)):
            wanted += [(x, y, dx, 0), (x, y, 0, dy)]
    segments = [s for s in (_mark(m, sheet_w, sheet_h) for m in wanted) if s]
    return segments, len(wanted) - len(segments)


def _mark(mark, sheet_w, sheet_h):
    """One mark from the trim point (x, y) in direction (dx, dy), or None if it does not fit."""
    x, y, dx, dy = mark
    room = (x if dx < 0 else sheet_w - x) if dx else (y if dy < 0 else sheet_h - y)
    across, edge = (y, sheet_h) if dx else (x, sheet_w)
    length = min(MARK_LENGTH, room - MARK_GAP)
    if length < MARK_MIN or not MARK_WIDTH / 2 <= across <= edge - MARK_WIDTH / 2:
        return None
    start, end = MARK_GAP, MARK_GAP + length
    return (x + dx * start, y + dy * start, x + dx * end, y + dy * end)


def trim_box(face, size, rows=1):
    """(x0, y0, x1, y1): the pages' area on a side, which is the trim (cut to the sheet:
    pages as big as the sheet come out a hair over it, sizes being read to 0.01 pt)."""
    (sheet_w, sheet_h), (width, height) = face, size
    left, bottom = max(0.0, (sheet_w - 2 * width) / 2), max(0.0, (sheet_h - rows * height) / 2)
    return (left, bottom, sheet_w - left, sheet_h - bottom)


def _marks(side, face, size, rows):
    """Content-stream bytes for the marks that fit; sets the side's trim, bleed and art boxes.

    The pages' area is the trim. There is no bleed in the pages, so the bleed box is the
    trim too, and the marks fall outside it, where the PDF standard puts printer's marks."""
    box = pikepdf.Array([round(v, 4) for v in trim_box(face, size, rows)])
    side.obj.TrimBox = side.obj.BleedBox = side.obj.ArtBox = box
    segments, _ = mark_segments(face, size, rows)
    if not segments:
        return b""
    lines = "".join(f"{x1:.4f} {y1:.4f} m {x2:.4f} {y2:.4f} l\n" for x1, y1, x2, y2 in segments)
    # marks are the same on both sides (symmetric about the centre), so they also
    # show through the sheet on top of each other when the printer registers well
    return f"q 0 G {MARK_WIDTH} w 0 J\n{lines}S Q\n".encode()


def _warn_missing_marks(sheet, face, size, rows):
    """Log, once per pamphlet, how many marks had no room: the user asked for them."""
    segments, missing = mark_segments(face, size, rows)
    if missing:
        left, bottom, _, _ = trim_box(face, size, rows)
        log.warning("%d of %d printer's marks do not fit outside the pages on %s "
                    "(margins %.1f pt left and right, %.1f pt top and bottom); "
                    "drawn: %d", missing, missing + len(segments), sheet.name, left, bottom,
                    len(segments))


def _copy_metadata(source, target):
    info = target.docinfo
    for key, value in source.docinfo.items():
        info[key] = value
    lang = source.Root.get("/Lang")
    if lang is not None:
        target.Root.Lang = lang


def page_content(page):
    """A page's content stream bytes, its parts joined if it has several."""
    contents = page.get("/Contents")
    if contents is None:
        return b""
    parts = contents if isinstance(contents, pikepdf.Array) else [contents]
    return b"".join(part.read_bytes() for part in parts)
