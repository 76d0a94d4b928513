"""Pamphlet stage: impose a finished PDF 2-up for saddle stitching, with pikepdf.

Each page is copied once as a form XObject and placed unscaled (no re-render, no
rasterising), so the pamphlet carries the very glyphs of the PDF. Sheets are
landscape. By default both sides are upright: print duplex flipping on the short
edge, fold, staple. Three options, off by default (and then the bytes are those
written before they existed):

- ``duplex="long"``: every back side turned 180°, for printers that flip on the long edge;
- ``creep_mm``: the pages of inner sheets moved toward the spine (creep compensation);
- ``marks``: fold and crop marks in the sheet margin, and /TrimBox, /BleedBox, /ArtBox.
"""

import logging
import math
from pathlib import Path

import pikepdf

from .editions import SHEETS, Size

MM = 72 / 25.4
TOLERANCE = 0.5  # points: A5 x 2 is 2.8 pt narrower than A4; anything more is refused
DUPLEX = ("short", "long")

# Marks, in points. A mark starts MARK_GAP outside the trim, so a cut a little off
# never shows it; it is at most MARK_LENGTH long and is left out when less than
# MARK_MIN of it fits on the sheet (too short to be seen, let alone cut along).
MARK_GAP = 2.0
MARK_LENGTH = 12.0
MARK_MIN = 3.0
MARK_WIDTH = 0.25

log = logging.getLogger("samizdat")


# Sheets are editions.Size values (portrait width and height in points).
Sheet = Size
A4 = SHEETS["a4"]
LETTER = SHEETS["letter"]


class ImposeError(ValueError):
    """The PDF's pages do not fit 2-up on the sheet unscaled."""


def padded_count(pages):
    """Pages after padding to a multiple of 4 (a sheet folds into 4 pages)."""
    return -(-pages // 4) * 4


def reading_order(pages):
    """The padded page list, 1-based, None for a blank.

    Blanks go before the last page, so the colophon stays on the back cover.
    """
    total = padded_count(pages)
    order = list(range(1, pages))
    order += [None] * (total - pages)
    order.append(pages if pages else None)
    return order


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


def check_options(duplex, creep_mm):
    """Raise ValueError for a duplex mode or creep that cannot be imposed."""
    if duplex not in DUPLEX:
        raise ValueError(f"duplex must be one of {DUPLEX}, not {duplex!r}")
    if not (math.isfinite(creep_mm) and creep_mm >= 0):
        raise ValueError(f"creep_mm must be a finite number >= 0, not {creep_mm!r}")


def turned(side, duplex):
    """Whether sheet side `side` (0-based) is drawn turned 180°.

    A long-edge flip turns the back over top to bottom; drawing the backs turned
    undoes that, so the folded booklet reads as with a short-edge flip."""
    return duplex == "long" and side % 2 == 1


def creep_shift(side, creep_mm):
    """Points that the pages of sheet side `side` (0-based) move toward the spine.

    Sheet k (0 outermost) moves k steps: folded, each inner sheet sticks out one
    paper thickness further at the fore-edge, so its pages are drawn that much
    nearer the fold and line up with the outer ones."""
    return (side // 2) * creep_mm * MM


def saddle(pdf, out, *, sheet=A4, duplex="short", creep_mm=0.0, marks=False, rtl=False):
    """Impose `pdf` 2-up, saddle-stitched, on landscape `sheet`; write `out`; return it.

    `duplex` is the printer's flip edge ("short" or "long"), `creep_mm` the creep
    step per sheet, `marks` adds fold and crop marks where the sheet has room, `rtl`
    binds on the right (a right-to-left text)."""
    check_options(duplex, creep_mm)
    with pikepdf.open(pdf) as source, pikepdf.new() as target:
        size = _page_size(source)
        _check_fit(size, sheet)
        order = reading_order(len(source.pages))
        for index, pair in enumerate(saddle_sides(len(order), rtl=rtl)):
            side = target.add_blank_page(page_size=sheet.landscape)
            pages = [source.pages[order[p - 1] - 1] if order[p - 1] else None for p in pair]
            drawing = _side_drawing(target, side, pages, (sheet.landscape, size),
                                    turned(index, duplex), creep_shift(index, creep_mm))
            if marks:
                drawing += _marks(side, sheet.landscape, size)
            side.Contents = target.make_stream(drawing)
        if marks:
            _warn_missing_marks(sheet, size)
        _copy_metadata(source, target)
        target.save(out, deterministic_id=True, compress_streams=True)
    return Path(out)


def _check_fit(size, sheet):
    (width, height), (sheet_w, sheet_h) = size, sheet.landscape
    if 2 * width > sheet_w + TOLERANCE or height > sheet_h + TOLERANCE:
        raise ImposeError(f"{width:.0f}x{height:.0f} pt pages do not fit 2-up on "
                          f"{sheet.name} unscaled")


def _page_size(source):
    boxes = {tuple(round(float(v), 2) for v in page.mediabox) for page in source.pages}
    if len(boxes) != 1:
        raise ImposeError("the PDF's pages are not all the same size")
    x0, y0, x1, y1 = boxes.pop()
    return x1 - x0, y1 - y0


def _side_drawing(target, side, pages, sizes, turn, shift):
    """Content-stream bytes placing `pages` (left, right; None for a blank) on `side`.

    `sizes` is ((sheet width, height), (page width, height)); `turn` and `shift`
    come from turned() and creep_shift(). Pages are clipped to their half only
    when creep is on: without it nothing can cross the spine."""
    (sheet_w, sheet_h), (width, height) = sizes
    x0, y0 = (sheet_w - 2 * width) / 2, (sheet_h - height) / 2
    drawing = b""
    for slot, page in enumerate(pages):
        if page is None:
            continue
        # toward the spine: the left page moves right, the right page left
        x = x0 + slot * width + (shift if slot == 0 else -shift)
        clip = _half(slot ^ turn, sheet_w, sheet_h) if shift else None
        drawing += _place(target, side, page, (x, y0), f"/Pg{slot + 1}",
                          (sheet_w, sheet_h) if turn else None, clip)
    return drawing


def _half(which, sheet_w, sheet_h):
    """The rectangle (x, y, w, h) of the sheet's left (0) or right (1) half."""
    return (which * sheet_w / 2, 0.0, sheet_w / 2, sheet_h)


def _place(target, side, page, at, name, turn=None, clip=None):
    """Content-stream bytes that draw `page` as form XObject `name` at `at`, unscaled.

    `turn` (the sheet's width, height) draws it turned 180° about the sheet's centre;
    `clip` (x, y, w, h) keeps it inside that rectangle, so a page moved by creep
    cannot cross the spine. The name is chosen here: pikepdf's generated names are
    random, and the same input must give the same bytes."""
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
    return f"q {clipping}{matrix} cm {name} Do Q\n".encode()


def mark_segments(sheet_size, page_size):
    """Fold and crop marks for 2-up pages centred on a sheet: (segments, left out).

    Segments are (x1, y1, x2, y2): a fold mark above and below the spine, and at each
    outer corner of the 2-up area a crop mark along each trim edge, pointing away.
    A mark is drawn only where it fits outside the trim and inside the sheet, stroke
    included. A5 on A4 leaves 1.4 pt left and right and none above and below, and
    half-letter on Letter none at all, so there no mark fits and none is drawn:
    pages are never scaled to make room, and marks inside the page would print on it.
    """
    (sheet_w, sheet_h), (width, height) = sheet_size, page_size
    left, bottom = (sheet_w - 2 * width) / 2, (sheet_h - height) / 2
    right, top = left + 2 * width, bottom + height
    wanted = [(sheet_w / 2, y, 0, dy) for y, dy in ((bottom, -1), (top, 1))]
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


def _marks(side, sheet_size, size):
    """Content-stream bytes for the marks that fit; sets the side's trim, bleed and art boxes.

    The 2-up area is the trim. There is no bleed in the pages, so the bleed box is the
    trim too, and the marks fall outside it, where the PDF standard puts printer's marks."""
    sheet_w, sheet_h = sheet_size
    # pages as big as the sheet come out a hair over it (sizes are read to 0.01 pt)
    left, bottom = max(0.0, (sheet_w - 2 * size[0]) / 2), max(0.0, (sheet_h - size[1]) / 2)
    box = pikepdf.Array([round(v, 4) for v in (left, bottom, sheet_w - left, sheet_h - bottom)])
    side.obj.TrimBox = side.obj.BleedBox = side.obj.ArtBox = box
    segments, _ = mark_segments(sheet_size, size)
    if not segments:
        return b""
    lines = "".join(f"{x1:.4f} {y1:.4f} m {x2:.4f} {y2:.4f} l\n" for x1, y1, x2, y2 in segments)
    # marks are the same on both sides (symmetric about the centre), so they also
    # show through the sheet on top of each other when the printer registers well
    return f"q 0 G {MARK_WIDTH} w 0 J\n{lines}S Q\n".encode()


def _warn_missing_marks(sheet, size):
    """Log, once per pamphlet, how many marks had no room: the user asked for them."""
    segments, missing = mark_segments(sheet.landscape, size)
    if missing:
        sheet_w, sheet_h = sheet.landscape
        log.warning("%d of %d printer's marks do not fit outside the pages on %s "
                    "(margins %.1f pt left and right, %.1f pt top and bottom); "
                    "drawn: %d", missing, missing + len(segments), sheet.name,
                    max(0.0, (sheet_w - 2 * size[0]) / 2), max(0.0, (sheet_h - size[1]) / 2),
                    len(segments))


def _copy_metadata(source, target):
    info = target.docinfo
    for key, value in source.docinfo.items():
        info[key] = value
    lang = source.Root.get("/Lang")
    if lang is not None:
        target.Root.Lang = lang
