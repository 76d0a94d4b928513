"""Cover stage: a typographic cover drawn from the metadata (title, subtitle, author,
library) with the build's own fonts -> PNG. No network, no other fonts, same bytes
for the same manuscript."""

import functools
import io
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .. import FONTS
from ..writing import glyphs

SIZE = (1600, 2400)  # 2:3, what e-reader library views expect
INK, PAPER, BAND = (250, 247, 240), (28, 24, 22), (150, 28, 24)
MARGIN = 140
# Shades of ink over each background: 128 anti-aliasing levels fill a 256-colour palette.
LEVELS = 128


def cover(ms, out, *, size=SIZE):
    """Draw the cover of manuscript `ms` and write it as PNG to `out`; return `out`."""
    Path(out).write_bytes(cover_png(ms, size=size))
    return Path(out)


def cover_png(ms, *, size=SIZE):
    """The cover as PNG bytes: a palette image, each pixel one of LEVELS shades of ink
    over the paper or over the band. Against the same picture in RGB (505 colours):
    no pixel off by more than 2 of 255, less than half the size (this text: 61 against
    134 KB, in every EPUB) and made in half the time (68 against 126 ms)."""
    width, height = size
    ink = Image.new("L", size, 0)  # how much ink covers each pixel, 0 to 255
    draw_text(ImageDraw.Draw(ink), ms, size, fill=255)
    shade = [level * LEVELS // 256 for level in range(256)]  # palette index over paper
    picture = ink.point(shade)
    top, bottom = band_rows(height)
    band = (0, top, width, bottom)
    picture.paste(ink.crop(band).point([LEVELS + index for index in shade]), band)
    picture.putpalette(_palette())
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


THUMBNAIL = (160, 240)  # what a catalog shows in a list (OPDS's image/thumbnail)


def thumbnail(png, out, *, size=THUMBNAIL):
    """Write the cover `png` (bytes) scaled down to `size` as PNG to `out`; return `out`.
    Each list of a catalog fetches one per book: 1/100 of the cover's pixels. Each
    pixel the mean of the cover's it stands for (Image.reduce: 10 ms; a Lanczos resize
    of the whole cover took 150)."""
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    picture = picture.reduce(max(1, picture.width // size[0]))
    if picture.size != size:
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.quantize(256).save(buffer, format="PNG", optimize=False)
    Path(out).write_bytes(buffer.getvalue())
    return Path(out)


def band_rows(height):
    """First and last+1 pixel row of the coloured band."""
    return int(height * 0.08), int(height * 0.62) + 1


def draw_text(draw, ms, size, *, fill, scale=1):
    """Draw the cover's text (title, subtitle, author, library) on `draw` in `fill`, each
    in its own room; return the keys of those cut short to fit it (see _fit). `scale`
    sizes type and margins for a cover `scale` times as wide as SIZE (a print cover)."""
    width, height = size
    margin = round(MARGIN * scale)
    text_width = width - 2 * margin
    cut = {}
    block = functools.partial(_block, draw, width=text_width, fill=fill, base=ms.direction,
                              left=margin)
    title, subtitle, author = ms.plain("title"), ms.plain("subtitle"), ms.plain("author")
    band_bottom = band_rows(height)[1] - margin // 4
    title_room = band_bottom - (round(SUBTITLE_ROOM * scale) if subtitle else 0)
    y = block(title, "R", round(150 * scale), int(height * 0.14), 1.12, bottom=title_room,
              cut=cut.setdefault("title", []))
    block(subtitle, "RI", round(70 * scale), y + round(60 * scale), 1.25, bottom=band_bottom,
          cut=cut.setdefault("subtitle", []))
    block(author, "R", round(110 * scale), int(height * 0.68), 1.15,
          bottom=int(height * 0.88), cut=cut.setdefault("author", []))
    library = (ms.meta.get("library") or {}).get("name") if isinstance(
        ms.meta.get("library"), dict) else None
    library = library or ms.plain("publisher")
    block(library.upper(), "R", round(48 * scale), int(height * 0.90), 1.2,
          bottom=height - margin // 4, cut=cut.setdefault("publisher", []))
    return [key for key, was_cut in cut.items() if was_cut]


# What the title leaves the subtitle in the band: its gap and two lines.
SUBTITLE_ROOM = 60 + 2 * int(70 * 1.25)


def cut_short(ms, *, size=SIZE):
    """The metadata keys whose text the cover cuts short (nothing is drawn)."""
    return draw_text(_Nowhere(), ms, size, fill=0)


class _Nowhere:
    """A drawing surface that draws nothing (for measuring the layout alone)."""

    def text(self, *args, **options):
        pass


@functools.cache
def _palette():
    """LEVELS shades from PAPER to INK, then LEVELS from BAND to INK, as a flat list of
    R, G, B values (what Image.putpalette takes)."""
    shades = [[round(base[c] + (INK[c] - base[c]) * i / (LEVELS - 1)) for c in range(3)]
              for base in (PAPER, BAND) for i in range(LEVELS)]
    return [value for shade in shades for value in shade]


# The fonts of print.css's stack, in its order: each character is drawn by the first
# that has it. Libertine has Latin, Greek, Cyrillic and Hebrew; Amiri (Arabic script)
# has no Latin letters and no en dash: a line that mixes them takes both.
STACK = {
    "R": ("LinLibertine_R.otf", "GentiumBookPlus-Regular.ttf", "Amiri-Regular.ttf",
          "FrankRuhlLibre-Regular.ttf", "DejaVuSansMono.ttf"),
    "RI": ("LinLibertine_RI.otf", "GentiumBookPlus-Italic.ttf", "Amiri-Italic.ttf",
           "FrankRuhlLibre-Regular.ttf", "DejaVuSansMono-Oblique.ttf"),
}
# Marks and format controls (a Persian zero-width non-joiner, a combining accent) go
# with the characters around them: a word is shaped by one font.
JOINING = {"Mn", "Me", "Cf", "Zs"}


@dataclass(frozen=True)
class Run:
    """Part of a line drawn by one font in one direction."""

    text: str
    font: str  # the file's name in FONTS
    direction: str  # "ltr" or "rtl"


def runs(text, style, *, base):
    """The runs of line `text`, left to right as they are seen, for a paragraph of
    direction `base` ("ltr" or "rtl"). The Unicode bidirectional algorithm for what a
    cover holds (no explicit embeddings): letters and digits are strong, what lies
    between two strong runs of one direction takes it, else the paragraph's; Pillow
    (raqm) then orders and mirrors the characters inside each run."""
    chunks = []
    for chunk, direction in _directional(text, base):
        parts = _by_font(chunk, style)
        chunks.append([Run(part, font, direction)
                       for part, font in (parts[::-1] if direction == "rtl" else parts)])
    return [run for chunk in (chunks[::-1] if base == "rtl" else chunks) for run in chunk]


def _strong(char):
    kind = unicodedata.bidirectional(char)
    return "ltr" if kind in ("L", "EN") else "rtl" if kind in ("R", "AL", "AN") else None


def _directional(text, base):
    """(chunk, direction) in the text's own order."""
    strong = [_strong(char) for char in text]
    resolved = list(strong)
    for at, kind in enumerate(strong):
        if kind is None:
            before = next((k for k in reversed(strong[:at]) if k), base)
            after = next((k for k in strong[at + 1:] if k), base)
            resolved[at] = before if before == after else base
    chunks = []
    for char, direction in zip(text, resolved):
        if chunks and chunks[-1][1] == direction:
            chunks[-1][0] += char
        else:
            chunks.append([char, direction])
    return [tuple(chunk) for chunk in chunks]


def _by_font(text, style):
    """(part, font file) in order: each character in the first font of the stack that
    has it (the first font if none has: `check` refuses such a text, F008)."""
    fonts = glyphs.coverage()
    parts = []
    for char in text:
        if parts and unicodedata.category(char) in JOINING:
            font = parts[-1][1]
        else:
            font = next((f for f in STACK[style] if ord(char) in fonts.get(f, ())),
                        None) or _script_font(char) or STACK[style][0]
        if parts and parts[-1][1] == font:
            parts[-1][0] += char
        else:
            parts.append([char, font])
    return [tuple(part) for part in parts]


def _script_font(char):
    """The installed font of `char`'s script (fontstack: Devanagari, Bengali, Han, …, as
    the PDF sets it), by absolute path, or None. No italic: the PDF slants it too."""
    from ..writing import fontstack

    script = fontstack.script_of(char)
    path = script and fontstack.installed(script)
    if path is not None and script.suffix == ".ttc":  # CJK: Simplified forms on a cover
        path = fontstack.extracted_face(path, "SC")
    return str(path) if path else None


@functools.cache
def _font(name, size):
    """Pillow's font of bundled file `name` (or of an absolute path) at `size`."""
    return ImageFont.truetype(name if os.path.isabs(name) else str(FONTS / name), size)


def _length(line, style, size, base):
    return sum(_font(run.font, size).getlength(run.text, direction=run.direction)
               for run in runs(line, style, base=base))


def _block(draw, text, style, size, top, leading, *, width, fill, base, bottom=None,
           cut=None, left=MARGIN):
    """Draw `text` centred, wrapped to `width`, from `top` (above `bottom`, smaller or
    cut short if it must be: see _fit, and `cut` gets True); return the y below it.
    Every run sits on the line's baseline, set by the stack's first font."""
    if not text:
        return top
    lines, size, was_cut = _fit(text, style, size, leading, width=width, base=base,
                                room=(bottom - top) if bottom else None)
    if was_cut and cut is not None:
        cut.append(True)
    line_height = int(size * leading)
    ascent = _font(STACK[style][0], size).getmetrics()[0]
    measure = functools.partial(_length, style=style, size=size, base=base)
    for number, line in enumerate(lines):
        x = left + (width - measure(line)) / 2
        for run in runs(line, style, base=base):
            font = _font(run.font, size)
            draw.text((x, top + number * line_height + ascent), run.text, font=font,
                      fill=fill, direction=run.direction, anchor="ls")
            x += font.getlength(run.text, direction=run.direction)
    return top + line_height * len(lines)


# A text that does not fit its room at its size is set smaller, down to 40% (the
# title at 60 pixels: ~18 lines of ~45 letters in the band); past that its last line
# and any line wider than the cover end in an ellipsis. Only the first MAX_COVER_CHARS
# characters are ever measured, so a text of any length costs the same (a title of
# 100,000 letters on one line made Pillow refuse a 16-million-pixel text image: X009).
SCALES = (1.0, 0.85, 0.7, 0.55, 0.4)
MAX_COVER_CHARS = 1000
ELLIPSIS = "…"


def _fit(text, style, size, leading, *, width, base, room):
    """(lines, type size, whether cut) of `text` set in `room` pixels of height (None:
    any) and `width`: the largest of SCALES at which it fits, else cut short."""
    short, text = len(text) > MAX_COVER_CHARS, text[:MAX_COVER_CHARS]
    for scale in SCALES:
        scaled = round(size * scale)
        measure = functools.partial(_length, style=style, size=scaled, base=base)
        lines = _greedy(text, measure, width)
        fits = room is None or len(lines) * int(scaled * leading) <= room
        if fits and not short and all(measure(line) <= width for line in lines):
            return wrap(text, measure, width), scaled, False
    keep = max(1, room // int(scaled * leading)) if room else len(lines)
    cut = [_cut(line, measure, width) for line in lines[:keep]]
    if len(lines) > keep or short:
        cut[-1] = _cut(cut[-1].removesuffix(ELLIPSIS), measure, width, always=True)
    return cut, scaled, True


def _cut(line, measure, width, *, always=False):
    """`line`, or its longest start that fits `width` with an ellipsis after it (with
    `always`, ended by an ellipsis however short it is)."""
    if measure(line) <= width and not always:
        return line
    low, high = 0, len(line)
    while low < high:  # the most characters that fit with the ellipsis
        middle = (low + high + 1) // 2
        if measure(line[:middle].rstrip() + ELLIPSIS) <= width:
            low = middle
        else:
            high = middle - 1
    return line[:low].rstrip() + ELLIPSIS


def wrap(text, measure, width):
    """Lines of `text` no wider than `width` by `measure` (a line's width), balanced:
    the narrowest measure that needs no more lines than the full width does (no lone
    last word)."""
    best = _greedy(text, measure, width)
    for narrower in range(int(width), int(width * 0.5), -20):
        lines = _greedy(text, measure, narrower)
        if len(lines) > len(best):
            break
        best = lines
    return best


def _greedy(text, measure, width):
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and measure(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line] if line else lines
