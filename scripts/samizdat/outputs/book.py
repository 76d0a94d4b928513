"""A bound book for a print service: its interior and its cover wrap, as PDF/X-1a.

Print-on-demand services take two files: the interior, one page per page at the trim
plus bleed, and the cover wrap, back + spine + front on one sheet. Which PDF/X: the
strictest of the three common ones, PDF/X-1a, is the one every service takes
(IngramSpark's file creation guide asks PDF/X-1a:2001 or 2003 and rejects RGB;
Lulu and KDP take any PDF with fonts embedded and the pages at trim + 0.125 in of
bleed, so PDF/X-1a serves them too). PDF/X-3 and X-4 allow colour-managed RGB, which
IngramSpark's black-and-white interiors refuse. PDF/X-1a asks for CMYK or grey only,
no transparency, no annotations, every font embedded and an OutputIntent; the
OutputIntent names a registered print condition (SWOP, "CGATS TR 001"), which needs
no ICC profile in the file (ISO 15930-4), and none is installed here to embed.

- `interior()` writes the layout of the reading PDF's trim again (the same pages, the
  same WeasyPrint document: no second layout) as PDF/X-1a with bleed on every page,
  colours as black ink, images in grey on white, links left out (a printed page has
  none), blank pages added at the end for an even count.
- `cover()` draws the wrap at 300 ppi in CMYK: the front is Samizdat's cover
  (cover.draw_text), the spine carries title and author when it is wide enough, the
  back the description and the rights.
"""

import io
import logging
import re
import zlib

import pikepdf
from PIL import Image, ImageDraw

from ..editions import INCH, MM
from ..errors import Finding
from . import cover as covers

log = logging.getLogger("samizdat")

PDFX = "PDF/X-1a:2003"  # what WeasyPrint's "pdf/x-1a" variant writes
# A registered characterization (color.org's registry): PDF/X-1a may name it without
# embedding its profile. SWOP coated, the US web offset condition the POD services use.
CONDITION = "CGATS TR 001"
REGISTRY = "http://www.color.org"
PPI = 300  # print resolution: the cover is drawn at it, interior images are held to it
# Spine text: none on a spine narrower than this (KDP sets none below 80 pages, 5 mm;
# with a margin of 1/16 in each side, as KDP and Lulu ask, 6 mm leaves 6 pt type).
SPINE_TEXT_MIN_MM = 6.0
SPINE_MARGIN_MM = 1.6
SPINE_TYPE_MAX_PX = 80  # about 19 pt at 300 ppi
# The cover's colours in CMYK, 0-255, for cover.py's RGB ones: dark ground, red band,
# light ink. Total ink at most 240% (IngramSpark's limit for covers).
GROUND = (102, 115, 128, 255)  # 40/45/50/100 %: 235%
BAND = (38, 255, 255, 51)  # 15/100/100/20 %: 235%
INK = (0, 3, 10, 0)

# Languages whose spines read bottom to top (the continental European tradition);
# every other reads top to bottom (ISO 6357, and the English-speaking trade); Chinese,
# Japanese and Korean books stack their characters upright (vertical writing).
BOTTOM_TO_TOP = {"de", "fr", "it", "es", "pt", "ca"}
VERTICAL = {"zh", "ja", "ko"}


def spine_mm(pages, paper_mm):
    """The spine's width in mm: one paper thickness per leaf (two pages)."""
    return (pages + 1) // 2 * paper_mm


def spine_direction(lang):
    """"down", "up" or "vertical": how the spine's text runs for language `lang`."""
    primary = lang.split("-")[0].lower()
    return "vertical" if primary in VERTICAL else "up" if primary in BOTTOM_TO_TOP \
        else "down"


# --- interior ---------------------------------------------------------------------

def interior(document, out, *, ms, page, modified, shown):
    """Write `document` (the layout of `page`s) to `out` as the bound book's interior,
    PDF/X-1a with `page.bleed` on every side; return the warnings (B006 blank pages
    added, B007 images below PPI), each already logged. `shown` names the file."""
    from ..weasy import as_black_ink, write_pdf

    bleed = page.bleed / 0.75  # CSS px
    saved = [p.bleed for p in document.pages]
    metadata = document.metadata
    dates = metadata.created, metadata.modified
    try:
        for laid in document.pages:
            laid.bleed = {side: bleed for side in ("top", "right", "bottom", "left")}
        # PDF/X asks for both dates; WeasyPrint would write the clock's (not reproducible)
        metadata.created = metadata.created or modified
        metadata.modified = metadata.modified or modified
        with as_black_ink():
            write_pdf(document, out, pdf_variant="pdf/x-1a",
                      pdf_identifier=ms.identifier.encode("utf-8"))
    finally:
        for laid, was in zip(document.pages, saved):
            laid.bleed = was
        metadata.created, metadata.modified = dates
    warnings = _low_resolution(document, ms, shown)
    added = finish_interior(out)
    if added:
        warnings.append(Finding("B006", shown, None,
                                f"{len(document.pages)} pages: {added} blank page added at "
                                "the end (a bound book has an even number of pages)",
                                "warning"))
    for warning in warnings:
        log.warning("%s", warning)
    return warnings


def finish_interior(path):
    """What WeasyPrint leaves for PDF/X-1a, done in place on the PDF at `path`: the
    OutputIntent, links removed, images in grey on white (no RGB, no soft mask), unused
    colour spaces dropped, a blank page added to an odd count. Return the pages added."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        add_output_intent(pdf)
        for page in pdf.pages:
            if "/Annots" in page.obj:
                del page.obj["/Annots"]
            _grey_images(page.obj.get("/Resources"), set())
        _drop_unused_colour_spaces(pdf)
        added = len(pdf.pages) % 2
        if added:
            last = pdf.pages[-1]
            pdf.add_blank_page(page_size=(72, 72))
            blank = pdf.pages[-1]
            for box in ("/MediaBox", "/TrimBox", "/BleedBox"):
                blank.obj[box] = pikepdf.Array(list(last.obj[box]))
        pdf.save(path, deterministic_id=True, force_version="1.4")
    return added


def add_output_intent(pdf):
    """PDF/X's OutputIntent: the registered condition CONDITION (no profile needed)."""
    pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFX,
        OutputConditionIdentifier=pikepdf.String(CONDITION),
        OutputCondition=pikepdf.String("SWOP coated (US web offset)"),
        RegistryName=pikepdf.String(REGISTRY),
        Info=pikepdf.String(CONDITION)))])


def _grey_images(resources, seen):
    """Every image under `resources` (form XObjects too) made 8-bit grey on white."""
    if resources is None or "/XObject" not in resources:
        return
    for name, xobject in list(resources.XObject.items()):
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        if xobject.get("/Subtype") == "/Form":
            _grey_images(xobject.get("/Resources"), seen)
        elif xobject.get("/Subtype") == "/Image" and not _printable(xobject):
            _to_grey(xobject)


def _printable(image):
    """Whether an image XObject is grey or CMYK without a soft mask."""
    space = image.get("/ColorSpace")
    return "/SMask" not in image and space in ("/DeviceGray", "/DeviceCMYK") or \
        image.get("/ImageMask") is True


def _to_grey(image):
    picture = pikepdf.PdfImage(image).as_pil_image()
    if "/SMask" in image:
        alpha = pikepdf.PdfImage(image.SMask).as_pil_image().convert("L")
        if alpha.size != picture.size:
            alpha = alpha.resize(picture.size)
        ground = Image.new("RGB", picture.size, "white")
        ground.paste(picture.convert("RGB"), mask=alpha)
        picture = ground
    grey = picture.convert("L")
    image.write(zlib.compress(grey.tobytes(), 6), filter=pikepdf.Name.FlateDecode)
    for key in ("/SMask", "/DecodeParms", "/Decode", "/Mask", "/Intent", "/Interpolate"):
        if key in image:
            del image[key]
    image.ColorSpace = pikepdf.Name.DeviceGray
    image.BitsPerComponent = 8
    image.Width, image.Height = grey.size


def _drop_unused_colour_spaces(pdf):
    """WeasyPrint's shared resources name Lab (and sRGB ICC) colour spaces every page
    may use; a PDF/X-1a preflight refuses them even unused: those no page or form uses
    are left out (of every page's dictionary: WeasyPrint's pages share one)."""
    used, dictionaries = set(), {}
    for page in pdf.pages:
        for stream in _streams(page.obj):
            used.update(name.decode() for name in _SPACE_USE.findall(stream))
        resources = page.obj.get("/Resources")
        spaces = resources.get("/ColorSpace") if resources is not None else None
        if spaces is not None:
            dictionaries[spaces.objgen if spaces.is_indirect else id(spaces)] = spaces
    for spaces in dictionaries.values():
        for key in list(spaces.keys()):
            if key not in used:
                del spaces[key]


_SPACE_USE = re.compile(rb"(/[^\s/<>\[\]()]+)\s+(?:cs|CS)\b")


def _streams(page):
    """The content bytes of `page` and of every form it draws."""
    contents = page.get("/Contents")
    parts = contents if isinstance(contents, pikepdf.Array) else [contents] \
        if contents is not None else []
    yield b"\n".join(part.read_bytes() for part in parts)  # parts end tokens
    resources = page.get("/Resources")
    stack, seen = [resources] if resources is not None else [], set()
    while stack:
        current = stack.pop()
        for xobject in (current.get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                yield xobject.read_bytes()
                if xobject.get("/Resources") is not None:
                    stack.append(xobject.Resources)


def _low_resolution(document, ms, shown):
    """B007 (W): each raster image printed below PPI at its size on the page, named."""
    from ..weasy import ReplacedBox, descendants

    found = {}
    for laid in document.pages:
        for box in descendants(laid._page_box):
            image = getattr(box, "replacement", None) if isinstance(box, ReplacedBox) \
                else None
            if image is None or not hasattr(image, "mode") or not box.width:
                continue
            ppi = image.width / (box.width / 96)  # CSS px are 1/96 in
            source = box.element.get("src") if box.element is not None else None
            if ppi < PPI and source not in found:
                found[source] = ppi
    return [Finding("B007", ms.name, ms.line_of_nth(source, 1) if source else None,
                    f"image {source or '(inline)'} prints at {ppi:.0f} ppi in {shown}, "
                    f"below {PPI}: it may look soft or jagged on paper", "warning")
            for source, ppi in found.items()]


# --- cover ------------------------------------------------------------------------

def wrap_size(page, pages, paper_mm):
    """(width, height) in pt of the cover's trim: back + spine + front."""
    return 2 * page.width + spine_mm(pages, paper_mm) * MM, page.height


def cover(ms, out, *, page, pages, paper_mm, modified, shown):
    """Draw the cover wrap of `ms` for an interior of `pages` pages of size `page` on
    paper `paper_mm` thick and write it to `out` as PDF/X-1a; return the warnings
    (B008: the spine too narrow for text), each already logged."""
    width, height = wrap_size(page, pages, paper_mm)
    bleed = page.bleed
    picture, warnings = draw_wrap(ms, page, pages, paper_mm, shown=shown)
    media = (width + 2 * bleed, height + 2 * bleed)
    trim = (bleed, bleed, bleed + width, bleed + height)
    write_cover(picture, out, media=media, trim=trim, ms=ms, modified=modified)
    for warning in warnings:
        log.warning("%s", warning)
    return warnings


def _px(points):
    return round(points / INCH * PPI)


def draw_wrap(ms, page, pages, paper_mm, *, shown=""):
    """(CMYK picture of the whole sheet with its bleed at PPI, warnings)."""
    spine = spine_mm(pages, paper_mm) * MM
    bleed = _px(page.bleed)
    panel, tall, ridge = _px(page.width), _px(page.height), _px(spine)
    size = (2 * panel + ridge + 2 * bleed, tall + 2 * bleed)
    rtl = ms.direction == "rtl"  # bound on the right: the front is on the left
    back_x = bleed + (panel + ridge if rtl else 0)
    front_x = bleed + (0 if rtl else panel + ridge)
    spine_x = bleed + panel
    ink = Image.new("L", size, 0)
    band = Image.new("L", size, 0)
    # the front: Samizdat's cover, drawn at this size
    front = Image.new("L", (panel, tall), 0)
    covers.draw_text(ImageDraw.Draw(front), ms, (panel, tall), fill=255,
                     scale=panel / covers.SIZE[0])
    ink.paste(front, (front_x, bleed))
    top, bottom = covers.band_rows(tall)
    # the band runs into the bleed at the fore-edge, not over the spine
    left = 0 if rtl else front_x
    right = front_x + panel if rtl else size[0]
    band.paste(255, (left, bleed + top, right, bleed + bottom))
    _draw_back(ink, ms, (back_x, bleed, panel, tall))
    warnings = []
    if spine / MM >= SPINE_TEXT_MIN_MM:
        _draw_spine(ink, ms, (spine_x, bleed, ridge, tall), rtl=rtl)
    else:
        warnings.append(Finding("B008", shown, None,
                                f"the spine is {spine / MM:.1f} mm wide ({pages} pages on "
                                f"paper {paper_mm:g} mm thick): left plain, its title and "
                                f"author need {SPINE_TEXT_MIN_MM:g} mm", "warning"))
    return _cmyk(ink, band), warnings


def _cmyk(ink, band):
    """The CMYK picture: GROUND or BAND (where `band` is set) under INK, blended by
    how much ink covers each pixel."""
    channels = []
    for ground, red, light in zip(GROUND, BAND, INK):
        under = Image.composite(Image.new("L", ink.size, red),
                                Image.new("L", ink.size, ground), band)
        channels.append(Image.composite(Image.new("L", ink.size, light), under, ink))
    return Image.merge("CMYK", channels)


def _draw_back(ink, ms, box):
    """The back: the description, then the rights at the foot, in the back's room."""
    x, y, width, height = box
    scale = width / covers.SIZE[0]
    back = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(back)
    margin = round(covers.MARGIN * scale)
    text_width = width - 2 * margin
    base = ms.direction
    description = ms.plain("description")
    rights = ms.plain("rights")
    foot = height - margin
    rights_top = foot - round(height * 0.16)
    if description:
        covers._block(draw, description, "R", round(56 * scale), round(height * 0.1), 1.35,
                      width=text_width, fill=255, base=base, bottom=rights_top - margin,
                      left=margin)
    covers._block(draw, rights, "RI", round(40 * scale), rights_top, 1.3, width=text_width,
                  fill=255, base=base, bottom=foot, left=margin)
    ink.paste(back, (x, y))


def _draw_spine(ink, ms, box, *, rtl):
    """Title and author along the spine, as the language's convention runs them."""
    x, y, ridge, tall = box
    margin = _px(SPINE_MARGIN_MM * MM)
    size = min(SPINE_TYPE_MAX_PX, int((ridge - 2 * margin) / 1.25))
    title, author = ms.plain("title"), ms.plain("author")
    direction = spine_direction(ms.lang)
    gap = " " if direction == "vertical" else "  ·  "  # a stacked column: one step
    line = f"{title}{gap}{author}" if author else title
    length = tall - 2 * _px(0.5 * INCH)  # clear of the head and tail by half an inch
    if direction == "vertical":
        strip = _stacked(line, size, (ridge, length))
        ink.paste(strip, (x, y + (tall - length) // 2))
        return
    strip = Image.new("L", (length, ridge), 0)
    draw = ImageDraw.Draw(strip)
    top = (ridge - int(size * 1.15)) // 2
    covers._block(draw, line, "R", size, top, 1.15, width=length, fill=255,
                  base=ms.direction, bottom=top + int(size * 1.15), left=0)
    # "down": the letters' tops toward the front (read top to bottom with the book
    # face up); "up": toward the back. A right-to-left book's front is on the left.
    toward_front = direction == "down"
    clockwise = toward_front != rtl
    strip = strip.transpose(Image.Transpose.ROTATE_270 if clockwise
                            else Image.Transpose.ROTATE_90)
    ink.paste(strip, (x, y + (tall - length) // 2))


def _stacked(text, size, box):
    """`text` as a column of upright characters, centred in `box` (width, height),
    cut short with '…' when it is longer."""
    width, height = box
    strip = Image.new("L", box, 0)
    draw = ImageDraw.Draw(strip)
    step = int(size * 1.1)
    chars = [c for c in text if not c.isspace() or c == " "]
    room = height // step
    if len(chars) > room:
        chars = chars[:max(0, room - 1)] + ["…"]
    for number, char in enumerate(chars):
        if char == " ":
            continue
        font = covers._font(covers._by_font(char, "R")[0][1], size)
        draw.text((width / 2, number * step + step / 2), char, font=font, fill=255,
                  anchor="mm")
    return strip


def write_cover(picture, out, *, media, trim, ms, modified):
    """Write the CMYK `picture` as a one-page PDF/X-1a filling a MediaBox of `media`
    (width, height) pt, its TrimBox `trim` and its BleedBox the MediaBox."""
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, zlib.compress(picture.tobytes(), 6))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height = picture.size
    image.ColorSpace = pikepdf.Name.DeviceCMYK
    image.BitsPerComponent = 8
    image.Filter = pikepdf.Name.FlateDecode
    width, height = media
    content = f"q {width:.4f} 0 0 {height:.4f} 0 0 cm /Im0 Do Q".encode()
    box = pikepdf.Array([0, 0, round(width, 4), round(height, 4)])
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page, MediaBox=box, BleedBox=box,
        TrimBox=pikepdf.Array([round(v, 4) for v in trim]),
        Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
        Contents=pikepdf.Stream(pdf, content))
    pdf.pages.append(pikepdf.Page(page))
    stamp = "D:" + modified.replace("-", "").replace(":", "").replace("T", "").rstrip("Z") \
        + "Z"
    pdf.docinfo.update({
        "/Title": pikepdf.String(ms.plain("title")),
        "/Author": pikepdf.String(ms.plain("author")),
        "/Creator": pikepdf.String("Samizdat"),
        "/CreationDate": pikepdf.String(stamp), "/ModDate": pikepdf.String(stamp),
        "/Trapped": pikepdf.Name("/False"),
        "/GTS_PDFXVersion": pikepdf.String(PDFX),
        "/GTS_PDFXConformance": pikepdf.String(PDFX)})
    add_output_intent(pdf)
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, force_version="1.4")
    with open(out, "wb") as stream:
        stream.write(buffer.getvalue())
    return out
