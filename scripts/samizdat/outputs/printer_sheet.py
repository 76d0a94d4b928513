"""A one-sheet test print: check the printer's duplex flip and registration before a ream.

Side 1 and side 2 each say which they are, point at the top edge, name the edge to
flip on and say what the user should see. An alignment cross sits at the same place
on both sides (the sheet's centre and the centres of its halves, which every flip
maps onto each other), so the sheet held against the light shows whether the
sides line up. Laid out by WeasyPrint in the house font; pikepdf then turns the
back for a long-edge flip exactly as impose.saddle does, and draws the crosses.
"""

import functools
import html
import io
from pathlib import Path

import pikepdf

from .. import FONTS
from ..weasy import CSS, HTML, FontConfiguration, write_pdf
from . import impose

CROSS = 14.0  # points from a cross's centre to the end of an arm
EDGES = {"short": "the left and right edges", "long": "the top and bottom edges"}

CSS_TEXT = """
@font-face { font-family: Libertine; src: url(LinLibertine_R.otf); }
@font-face { font-family: Libertine; font-weight: bold; src: url(LinLibertine_RB.otf); }
@page { size: %(w).4fpt %(h).4fpt; margin: 0 }
html { font-family: Libertine; font-size: 12pt; }
body { margin: 0 }
section { position: relative; width: %(w).4fpt; height: %(h).4fpt; break-after: page; }
section:last-child { break-after: auto }
section > * { position: absolute; margin: 0; text-align: center; }
.top { top: 12mm; left: 0; right: 0; font-size: 20pt; font-weight: bold; }
.bottom { bottom: 12mm; left: 0; right: 0; font-size: 16pt; font-weight: bold; }
h1 { top: 26mm; left: 0; right: 0; font-size: 48pt; }
.mode { top: 50mm; left: 25mm; right: 25mm; font-size: 14pt; }
.edge { top: %(edge_top).4fpt; font-size: 14pt; font-weight: bold; }
.left { left: 12mm } .right { right: 12mm }
.text { bottom: 26mm; left: 25mm; right: 25mm; font-size: 12pt; }
.ruler { bottom: 56mm; left: %(ruler_left).4fpt; width: 100mm; height: 2mm;
         box-sizing: border-box; border: 0.5pt solid black; border-top: none; }
"""


def printer_test(out, *, sheet=impose.A4, duplex="short"):
    """Write the test sheet for `sheet` landscape and a `duplex` flip to `out`; return it.

    Two pages, side 1 then side 2; side 2 is drawn turned 180° for a long-edge
    flip, as the pamphlet's backs are. Same arguments, same bytes."""
    impose.check_options(duplex, 0.0)
    Path(out).write_bytes(sheet_bytes(sheet, duplex))
    return Path(out)


@functools.lru_cache(maxsize=8)
def sheet_bytes(sheet, duplex):
    """The test sheet as PDF bytes; made once per process (a library build writes the
    same sheet beside every text)."""
    width, height = sheet.landscape
    laid_out = _layout(width, height, duplex)
    with pikepdf.open(io.BytesIO(laid_out)) as source, pikepdf.new() as target:
        for index, page in enumerate(source.pages):
            side = target.add_blank_page(page_size=(width, height))
            form = target.copy_foreign(page.as_form_xobject())
            side.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Side=form))
            turn = impose.turned(index, duplex)
            matrix = f"-1 0 0 -1 {width:.4f} {height:.4f}" if turn else "1 0 0 1 0 0"
            drawing = f"q {matrix} cm /Side Do Q\n" + _crosses(width, height)
            side.Contents = target.make_stream(drawing.encode())
        target.docinfo.Title = f"Printer test: {sheet.name}, flip on the {duplex} edge"
        buffer = io.BytesIO()
        target.save(buffer, deterministic_id=True, compress_streams=True)
    return buffer.getvalue()


def _layout(width, height, duplex):
    """PDF bytes of the two sides, both upright, laid out by WeasyPrint."""
    fonts = FontConfiguration()
    css = CSS(string=CSS_TEXT % {"w": width, "h": height, "edge_top": height / 2 - 40,
                                 "ruler_left": width / 2 - 50 * impose.MM},
              base_url=str(FONTS) + "/", font_config=fonts)
    sides = "".join(_side(number, duplex) for number in (1, 2))
    document = HTML(string=f"<html lang='en'><body>{sides}</body></html>")
    return write_pdf(document, stylesheets=[css], font_config=fonts)


def _side(number, duplex):
    """The HTML of side `number` (1 front, 2 back)."""
    other = "long" if duplex == "short" else "short"
    name = "front" if number == 1 else "back"
    flip = f"Flip on the {duplex} edge: {EDGES[duplex]} of this landscape sheet."
    if duplex == "short":
        top = "↑ TOP EDGE ↑"
        edges = ('<p class="edge left">← flip on this edge</p>'
                 '<p class="edge right">flip on this edge →</p>')
    else:
        top = "↑ TOP EDGE — flip on this edge ↑"
        edges = '<p class="bottom">↓ flip on this edge ↓</p>'
    if number == 1:
        check = ("Turn the sheet over around its left or right edge, like a page of the "
                 "folded pamphlet: side 2 should read upright, its top at this side's top. ")
    else:
        check = ("Turned over around its left or right edge, like a page of the folded "
                 "pamphlet, this side should read upright, its top at side 1's top. ")
    check += (f"If side 2 is upside-down, the printer flipped on the {other} edge: choose "
              f"the other duplex mode ({other} edge) and print this test again. Held "
              "against the light, the crosses on both sides lie on top of each other.")
    return (f'<section><p class="top">{top}</p><h1>Side {number} — {name}</h1>'
            f'<p class="mode">Print two-sided at actual size (100 %, not “fit to page”). '
            f'{html.escape(flip)}</p>{edges}'
            f'<div class="ruler"></div>'
            f'<p class="text">The bar above is 100 mm long, end to end, at actual size. '
            f'{html.escape(check)}</p></section>')


def _crosses(width, height):
    """Content-stream text for alignment crosses at the centre and the halves' centres.

    Drawn on the sheet, not on the turned page: these three points stay where they
    are under a short-edge flip, a long-edge flip and a 180° turn, so the two sides'
    crosses meet whenever the printer registers the sides well."""
    lines = []
    for x in (width / 4, width / 2, 3 * width / 4):
        y = height / 2
        lines.append(f"{x - CROSS:.4f} {y:.4f} m {x + CROSS:.4f} {y:.4f} l "
                     f"{x:.4f} {y - CROSS:.4f} m {x:.4f} {y + CROSS:.4f} l\n")
    return "q 0 G 0.5 w\n" + "".join(lines) + "S Q\n"
