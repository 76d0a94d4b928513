"""Cover stage: a typographic cover drawn from the metadata (title, subtitle, author,
library) with the build's own fonts -> PNG. No network, no other fonts, same bytes
for the same manuscript."""

import io
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from . import FONTS

SIZE = (1600, 2400)  # 2:3, what e-reader library views expect
INK, PAPER, BAND = (250, 247, 240), (28, 24, 22), (150, 28, 24)
MARGIN = 140


def cover(ms, out, *, size=SIZE):
    """Draw the cover of manuscript `ms` and write it as PNG to `out`; return `out`."""
    Path(out).write_bytes(cover_png(ms, size=size))
    return Path(out)


def cover_png(ms, *, size=SIZE):
    """The cover as PNG bytes."""
    width, height = size
    image = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, int(height * 0.08), width, int(height * 0.62)], fill=BAND)
    text_width = width - 2 * MARGIN
    y = _block(draw, ms.plain("title"), _font("R", 150), text_width, int(height * 0.14), 1.12)
    _block(draw, ms.plain("subtitle"), _font("RI", 70), text_width, y + 60, 1.25)
    _block(draw, ms.plain("author"), _font("R", 110), text_width, int(height * 0.68), 1.15)
    library = (ms.meta.get("library") or {}).get("name") if isinstance(
        ms.meta.get("library"), dict) else None
    library = library or ms.plain("publisher")
    _block(draw, library.upper(), _font("R", 48), text_width, int(height * 0.90), 1.2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def _font(style, size):
    return ImageFont.truetype(str(FONTS / f"LinLibertine_{style}.otf"), size)


def _block(draw, text, font, width, top, leading):
    """Draw `text` centred, wrapped to `width`, from `top`; return the y below it."""
    if not text:
        return top
    line_height = int(font.size * leading)
    for number, line in enumerate(wrap(text, font, width)):
        x = MARGIN + (width - font.getlength(line)) / 2
        draw.text((x, top + number * line_height), line, font=font, fill=INK)
    return top + line_height * len(wrap(text, font, width))


def wrap(text, font, width):
    """Lines of `text` no wider than `width`, balanced: the narrowest measure that
    needs no more lines than the full width does (no lone last word)."""
    best = _greedy(text, font, width)
    for narrower in range(int(width), int(width * 0.5), -20):
        lines = _greedy(text, font, narrower)
        if len(lines) > len(best):
            break
        best = lines
    return best


def _greedy(text, font, width):
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line] if line else lines
