"""The cover: drawn from the metadata with the build's fonts, in the EPUB as its cover."""

import io
import zipfile
from pathlib import Path

from lxml import etree
from PIL import Image, ImageChops, ImageDraw, ImageFont

from samizdat import cover, verify

NS = verify.NS


def test_cover_png_is_a_2_by_3_image(built):
    image = Image.open(built["cover"])
    assert image.format == "PNG" and image.size == cover.SIZE


def test_cover_is_the_picture_drawn_in_rgb_with_no_shade_off_by_more_than_a_level(real):
    """The palette cover against the same cover drawn the plain way, in RGB."""
    reference = Image.new("RGB", cover.SIZE, cover.PAPER)
    draw = ImageDraw.Draw(reference)
    top, bottom = cover.band_rows(cover.SIZE[1])
    draw.rectangle([0, top, cover.SIZE[0], bottom - 1], fill=cover.BAND)
    cover.draw_text(draw, real, cover.SIZE, fill=cover.INK)
    image = Image.open(io.BytesIO(cover.cover_png(real)))
    assert image.mode == "P"
    difference = ImageChops.difference(image.convert("RGB"), reference)
    # one level of 128 between band red and ink white is at most 2 of 255
    assert max(high for _, high in difference.getextrema()) <= 2
    inked = reference.getcolors(1 << 16)
    assert len(inked) > 200  # anti-aliased text on both backgrounds: a real comparison


def test_cover_is_the_same_bytes_each_time(real):
    assert cover.cover_png(real) == cover.cover_png(real)


def test_cover_shows_the_metadata(real, monkeypatch):
    drawn = []
    monkeypatch.setattr(cover, "_block", lambda draw, text, *a, **k: drawn.append(text) or 0)
    cover.cover_png(real)
    assert drawn == ["Workers Power and the Russian Revolution",
                     "A review of Maurice Brinton's For Workers Power", "Tom Wetzel",
                     "THE ANARCHIST LIBRARY (MIRROR)"]


def test_wrapped_lines_fit_and_leave_no_lone_word():
    font = ImageFont.truetype(str(cover.FONTS / "LinLibertine_RI.otf"), 70)
    lines = cover.wrap("A review of Maurice Brinton's For Workers Power", font, 1320)
    assert len(lines) == 2 and all(font.getlength(line) <= 1320 for line in lines)
    assert min(len(line.split()) for line in lines) > 1


def test_epub_has_the_cover_first_and_marked(built):
    with zipfile.ZipFile(built["epub"]) as archive:
        opf = etree.fromstring(archive.read("EPUB/content.opf"))
        png = archive.read("EPUB/media/cover.png")
        page = etree.fromstring(archive.read("EPUB/text/cover.xhtml"))
    assert png == built["cover"].read_bytes()
    item = opf.xpath("//opf:item[@properties='cover-image']", namespaces=NS)[0]
    assert item.get("href") == "media/cover.png"
    assert opf.xpath("//opf:spine/opf:itemref/@idref", namespaces=NS)[0] == "cover_xhtml"
    assert opf.xpath("//opf:meta[@name='cover']/@content", namespaces=NS) == ["cover-image"]
    alt = page.xpath("//x:img/@alt", namespaces=NS)[0]
    assert alt == "Cover: Workers Power and the Russian Revolution, by Tom Wetzel"
    Image.open(io.BytesIO(png)).verify()


def test_an_arabic_script_title_is_drawn_in_amiri_right_to_left(monkeypatch, tmp_path):
    """Seen on the Persian Hafez: Libertine has no Arabic letters, and the cover showed
    boxes. Arabic script takes Amiri, set right to left."""
    from samizdat import manuscript

    source = tmp_path / "fa.md"
    source.write_text("---\ntitle: دیوان حافظ\nauthor: حافظ شیرازی\ndate: 1389\nlang: fa\n"
                      "rights: Public domain\n---\n\nمتن\n", encoding="utf-8")
    drawn = []
    monkeypatch.setattr(cover, "_block", lambda draw, text, font, *a, **k:
                        drawn.append((text, Path(font.path).name)) or 0)
    cover.cover_png(manuscript.load(source))
    assert drawn[0] == ("دیوان حافظ", "Amiri-Regular.ttf")
    assert drawn[2] == ("حافظ شیرازی", "Amiri-Regular.ttf")
    ltr = cover._font("R", 40, "Workers Power")
    assert Path(ltr.path).name == "LinLibertine_R.otf"
