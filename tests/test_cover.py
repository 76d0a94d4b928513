"""The cover: drawn from the metadata with the build's fonts, in the EPUB as its cover."""

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image, ImageChops, ImageDraw, ImageFont

from samizdat.checks import verify
from samizdat.outputs import cover

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
    lines = cover.wrap("A review of Maurice Brinton's For Workers Power", font.getlength, 1320)
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
    from samizdat.source import manuscript

    source = tmp_path / "fa.md"
    source.write_text("---\ntitle: دیوان حافظ\nauthor: حافظ شیرازی\ndate: 1389\nlang: fa\n"
                      "rights: Public domain\n---\n\nمتن\n", encoding="utf-8")
    drawn = []
    monkeypatch.setattr(cover, "_block", lambda draw, text, style, *a, base, **k:
                        drawn.append(cover.runs(text, style, base=base)) or 0)
    cover.cover_png(manuscript.load(source))
    assert drawn[0] == [cover.Run("دیوان حافظ", "Amiri-Regular.ttf", "rtl")]
    assert drawn[2] == [cover.Run("حافظ شیرازی", "Amiri-Regular.ttf", "rtl")]
    assert cover.runs("Workers Power", "R", base="ltr") == [
        cover.Run("Workers Power", "LinLibertine_R.otf", "ltr")]


def test_a_line_mixing_scripts_takes_each_character_from_a_font_that_has_it():
    """Seen on the Persian Wikipedia excerpt: its author, "Wikipedia contributors
    (فارسی)", was drawn in Amiri alone, which has no Latin letters: boxes. Each
    character now comes from the first font of print's stack that has it, in the order
    a reader sees, the parentheses mirrored around the Persian word."""
    from samizdat.writing import glyphs

    fonts = glyphs.coverage()
    line = "Wikipedia contributors (فارسی) – 1917"
    for base in ("ltr", "rtl"):
        seen = cover.runs(line, "R", base=base)
        assert sorted("".join(run.text for run in seen)) == sorted(line)
        for run in seen:
            assert all(ord(c) in fonts[run.font] for c in run.text if not c.isspace()), run
    assert cover.runs(line, "R", base="rtl") == [
        cover.Run("1917", "LinLibertine_R.otf", "ltr"),
        cover.Run(") – ", "LinLibertine_R.otf", "rtl"),  # ")" drawn mirrored
        cover.Run("فارسی", "Amiri-Regular.ttf", "rtl"),
        cover.Run(" (", "LinLibertine_R.otf", "rtl"),
        cover.Run("Wikipedia contributors", "LinLibertine_R.otf", "ltr")]


def test_runs_of_two_fonts_sit_on_one_baseline():
    """Amiri's and Libertine's ascents differ: each run is drawn on the line's baseline,
    side by side, so the Persian word and the Latin one stand on one line."""
    calls = []

    class Draw:
        def text(self, xy, text, **options):
            calls.append((xy, text, options["anchor"]))

    cover._block(Draw(), "Hafez حافظ", "R", 110, 20, 1.15, width=1320, fill=255, base="ltr")
    assert [text for _, text, _ in calls] == ["Hafez ", "حافظ"]
    (x0, y0), (x1, y1) = (xy for xy, _, _ in calls)
    assert {anchor for *_, anchor in calls} == {"ls"} and y0 == y1
    assert x1 == x0 + cover._font("LinLibertine_R.otf", 110).getlength("Hafez ")


class Metadata:
    """What the cover reads of a manuscript, given directly (a title of any length)."""

    direction, meta = "ltr", {}

    def __init__(self, **texts):
        self.texts = texts

    def plain(self, key):
        return self.texts.get(key, "")


CRUSOE = ("The Life and Strange Surprizing Adventures of Robinson Crusoe, of York, Mariner: "
          "Who lived Eight and Twenty Years, all alone in an un-inhabited Island on the Coast "
          "of America, near the Mouth of the Great River of Oroonoque; Having been cast on "
          "Shore by Shipwreck, wherein all the Men perished but himself. With An Account how "
          "he was at last as strangely deliver'd by Pyrates. Written by Himself.")


def test_a_long_title_is_set_smaller_to_fit_the_band(monkeypatch):
    """Crusoe's title (390 letters) ran at 150 pixels over the band and the author's
    name; it is set smaller, whole, above the band's foot."""
    drawn, original = [], cover._block

    def block(draw, text, *args, **options):
        drawn.append((text, original(draw, text, *args, **options)))
        return drawn[-1][1]

    monkeypatch.setattr(cover, "_block", block)
    ms = Metadata(title=CRUSOE, author="Daniel Defoe")
    cover.cover_png(ms)
    title, below = drawn[0]
    assert title == CRUSOE and below <= cover.band_rows(cover.SIZE[1])[1]
    assert cover.cut_short(ms) == []


def test_a_title_of_any_length_is_cut_short_on_the_cover_and_said_to_be():
    """A title of 100,000 letters made Pillow refuse the cover (a decompression bomb,
    X009); now the cover measures 1,000 characters at most and cuts the rest (0.2 s)."""
    for title in ("T" * 100_000, "Title " * 20_000):
        ms = Metadata(title=title, author="A")
        assert cover.cover_png(ms).startswith(b"\x89PNG")
        assert cover.cut_short(ms) == ["title"]
    lines, _, cut = cover._fit("T" * 100_000, "R", 150, 1.12, width=1320, base="ltr",
                               room=1000)
    assert cut and lines[-1].endswith("…") and len(lines) == 1


def test_a_script_without_a_bundled_font_is_drawn_in_its_installed_one():
    """A Bengali or Chinese title was drawn in boxes: the cover takes the installed
    script font the PDF is set in (fontstack), else the first of the stack."""
    from samizdat.outputs import cover
    from samizdat.writing import fontstack

    for text, script in (("শকুন্তলা", "Bengali"), ("道德经", "CJK")):
        installed = fontstack.installed(next(s for s in fontstack.SCRIPTS if s.name == script))
        if installed is None:
            pytest.skip(f"no {script} font installed here (make installs it as root)")
        [run] = cover.runs(text, "R", base="ltr")
        assert run.text == text and "Noto" in run.font and Path(run.font).is_file()
        assert cover._font(run.font, 40).getbbox(text)[2] > 0
