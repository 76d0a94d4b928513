"""Pamphlet stage: impose a finished PDF 2-up for saddle stitching, with pikepdf.

Each page is copied once as a form XObject and placed unscaled (no re-render, no
rasterising), so the pamphlet carries the very glyphs of the PDF. Sheets are
landscape, both sides upright: print duplex flipping on the short edge, fold,
staple.
"""

from dataclasses import dataclass
from pathlib import Path

import pikepdf

MM = 72 / 25.4
TOLERANCE = 0.5  # points: A5 x 2 is 2.8 pt narrower than A4; anything more is refused


@dataclass(frozen=True)
class Sheet:
    """A sheet size, portrait width and height in points."""

    name: str
    width: float
    height: float

    @property
    def landscape(self):
        return max(self.width, self.height), min(self.width, self.height)


A4 = Sheet("A4", 210 * MM, 297 * MM)
LETTER = Sheet("Letter", 8.5 * 72, 11 * 72)


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


def saddle_sides(total):
    """Sheet sides as (left, right) 1-based positions in the padded booklet of `total`.

    Side 2i holds N-2i | 2i+1 and side 2i+1 holds 2i+2 | N-2i-1.
    """
    sides = []
    for i in range(total // 4):
        sides.append((total - 2 * i, 2 * i + 1))
        sides.append((2 * i + 2, total - 2 * i - 1))
    return sides


def saddle(pdf, out, *, sheet=A4):
    """Impose `pdf` 2-up, saddle-stitched, on landscape `sheet`; write `out`; return it."""
    with pikepdf.open(pdf) as source, pikepdf.new() as target:
        width, height = _page_size(source)
        sheet_w, sheet_h = sheet.landscape
        if 2 * width > sheet_w + TOLERANCE or height > sheet_h + TOLERANCE:
            raise ImposeError(f"{width:.0f}x{height:.0f} pt pages do not fit 2-up on "
                              f"{sheet.name} unscaled")
        order = reading_order(len(source.pages))
        for left, right in saddle_sides(len(order)):
            side = target.add_blank_page(page_size=(sheet_w, sheet_h))
            x0 = (sheet_w - 2 * width) / 2
            y0 = (sheet_h - height) / 2
            drawing = b""
            for slot, position in enumerate((left, right)):
                number = order[position - 1]
                if number is not None:
                    drawing += _place(target, side, source.pages[number - 1],
                                      x0 + slot * width, y0, f"/Pg{slot + 1}")
            side.Contents = target.make_stream(drawing)
        _copy_metadata(source, target)
        target.save(out, deterministic_id=True, compress_streams=True)
    return Path(out)


def _page_size(source):
    boxes = {tuple(round(float(v), 2) for v in page.mediabox) for page in source.pages}
    if len(boxes) != 1:
        raise ImposeError("the PDF's pages are not all the same size")
    x0, y0, x1, y1 = boxes.pop()
    return x1 - x0, y1 - y0


def _place(target, side, page, x, y, name):
    """Content-stream bytes that draw `page` as form XObject `name` at (x, y), unscaled.

    The name is chosen here: pikepdf's generated names are random, and the same
    input must give the same bytes."""
    form = target.copy_foreign(page.as_form_xobject())
    if "/Resources" not in side.obj:
        side.obj.Resources = pikepdf.Dictionary()
    if "/XObject" not in side.obj.Resources:
        side.obj.Resources.XObject = pikepdf.Dictionary()
    side.obj.Resources.XObject[name] = form
    x0, y0 = float(page.mediabox[0]), float(page.mediabox[1])
    return f"q 1 0 0 1 {x - x0:.4f} {y - y0:.4f} cm {name} Do Q\n".encode()


def _copy_metadata(source, target):
    info = target.docinfo
    for key, value in source.docinfo.items():
        info[key] = value
    lang = source.Root.get("/Lang")
    if lang is not None:
        target.Root.Lang = lang
