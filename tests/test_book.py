"""The bound book (`--outputs …,book`): a print service's interior and cover wrap.

Built once for the real manuscript (short: 17 pages, so a blank page is added and the
spine is too narrow for text) and once for a mid-size German text on thick paper (a
spine with text, read bottom to top). Each check of verify_book_* is shown failing on
a file spoiled the way it looks for."""

import dataclasses

import pikepdf
import pytest
from PIL import Image

from conftest import MANUSCRIPT, ROOT
from samizdat import build, editions
from samizdat.checks import verify
from samizdat.outputs import book
from samizdat.source import manuscript
from samizdat.editions import MM, TRIMS

MID = ROOT / "tests" / "corpus" / "barclay-offenbarung" / "barclay-offenbarung.md"
A5 = TRIMS["a5"]


def _build(source, out, **options):
    printing = build.PrintOptions(given=(("outputs", "pdf,book"),), **options)
    build.build(source, out, printing=printing, parallel=False)
    stem = source.stem
    return {"pdf": out / f"{stem}.pdf", "interior": out / f"{stem}-book-interior.pdf",
            "cover": out / f"{stem}-book-cover.pdf"}


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    return _build(MANUSCRIPT, tmp_path_factory.mktemp("short"))


@pytest.fixture(scope="module")
def mid(tmp_path_factory):
    # 0.25 mm a leaf (a heavy uncoated stock): a spine wide enough for its text
    return _build(MID, tmp_path_factory.mktemp("mid"), paper_mm=0.25)


def _pages(path):
    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


# --- the editions table ------------------------------------------------------------

def test_book_is_two_editions_of_the_chosen_trim():
    table = editions.plan(editions.Choices(outputs=("pdf", "book")))
    assert [(e.kind, e.page.name, e.bound) for e in table] == [
        ("pdf", "A5", ""), ("book-interior", "A5", "interior"), ("book-cover", "A5", "cover")]
    table = editions.plan(editions.Choices(trim=TRIMS["half-letter"], outputs=("book",)))
    assert [(e.file("x"), e.page.name) for e in table] == [
        ("x-book-interior.pdf", "half-letter"), ("x-book-cover.pdf", "half-letter")]
    assert "book" not in {e.output for e in editions.plan()}  # opt-in


def test_bleed_is_3_mm_or_an_eighth_of_an_inch_for_us_trims():
    assert TRIMS["a5"].bleed == pytest.approx(3 * MM)
    assert TRIMS["half-letter"].bleed == pytest.approx(9.0)
    assert editions.trim("6x9in").bleed == pytest.approx(9.0)
    assert editions.trim("120x180mm").bleed == pytest.approx(3 * MM)


def test_spine_direction_follows_the_language():
    assert [book.spine_direction(lang) for lang in ("en", "en-GB", "de", "fr-CA", "ru",
                                                    "ja", "zh-Hant")] == [
        "down", "down", "up", "up", "down", "vertical", "vertical"]
    assert book.spine_mm(244, 0.1) == pytest.approx(12.2)
    assert book.spine_mm(17, 0.1) == pytest.approx(0.9)  # an odd page is a leaf too


# --- the short text -------------------------------------------------------------------

def test_short_interior_is_pdfx_with_bleed_and_even(short):
    with pikepdf.open(short["interior"]) as pdf:
        assert len(pdf.pages) == 18 and _pages(short["pdf"]) == 17
        assert str(pdf.docinfo["/GTS_PDFXVersion"]) == "PDF/X-1a:2003"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFX"
        assert pdf.pdf_version == "1.4"
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            assert trim[2] - trim[0] == pytest.approx(A5.width, abs=0.01)
            assert bleed[0] == pytest.approx(trim[0] - 3 * MM, abs=0.01)
            assert "/Annots" not in page.obj
    assert verify.verify_book_interior(short["interior"], short["pdf"], page=A5) == []


def test_short_cover_is_back_spine_front(short):
    with pikepdf.open(short["cover"]) as pdf:
        (page,) = pdf.pages
        trim = [float(v) for v in page.obj.TrimBox]
        assert trim[2] - trim[0] == pytest.approx(2 * A5.width + 0.9 * MM, abs=0.01)
        image = next(iter(page.obj.Resources.XObject.values()))
        assert image.ColorSpace == "/DeviceCMYK"
        # 300 ppi over the whole sheet, bleed included
        assert image.Width == pytest.approx((2 * A5.width + 0.9 * MM + 6 * MM) / 72 * 300, abs=3)
    assert verify.verify_book_cover(short["cover"], short["interior"], page=A5,
                                    paper_mm=0.1) == []


def test_short_build_says_what_it_mended_and_is_the_same_bytes_again(short, tmp_path,
                                                                      caplog):
    again = _build(MANUSCRIPT, tmp_path)
    codes = [r.getMessage().split()[0] for r in caplog.records if r.levelname == "WARNING"]
    assert "B006" in codes  # 17 pages: a blank one added
    assert "B008" in codes  # 0.9 mm of spine: left plain
    for kind in ("interior", "cover"):
        assert again[kind].read_bytes() == short[kind].read_bytes()


def test_b008_a_spine_narrower_than_6_mm_is_left_plain(real):
    _, warnings = book.draw_wrap(real, A5, 118, 0.1)  # 5.9 mm
    assert [w.code for w in warnings] == ["B008"] and "5.9 mm" in warnings[0].message
    picture, warnings = book.draw_wrap(real, A5, 120, 0.1)
    assert warnings == [] and _spine(picture, 120, 0.1).getbbox() is not None


def test_other_outputs_are_unchanged_by_the_book(short, built):
    assert short["pdf"].read_bytes() == built["pdf"].read_bytes()


# --- the checks fail on bad data -------------------------------------------------

def _spoil(path, tmp_path, change):
    spoiled = tmp_path / path.name
    with pikepdf.open(path) as pdf:
        change(pdf)
        pdf.save(spoiled)
    return spoiled


def _codes(findings):
    return sorted({f.code for f in findings})


def test_b001_a_trim_box_not_the_trim(short, tmp_path):
    def change(pdf):
        pdf.pages[3].obj.TrimBox = pikepdf.Array([0, 0, 400, 595.2756])
    spoiled = _spoil(short["interior"], tmp_path, change)
    assert _codes(verify.verify_book_interior(spoiled, short["pdf"], page=A5)) == ["B001"]


def test_b001_a_bleed_box_past_the_media_box(short, tmp_path):
    def change(pdf):
        page = pdf.pages[0].obj
        page.MediaBox = page.TrimBox
    spoiled = _spoil(short["cover"], tmp_path, change)
    assert _codes(verify.verify_book_cover(spoiled, short["interior"], page=A5,
                                           paper_mm=0.1)) == ["B001"]


def test_b002_no_output_intent(short, tmp_path):
    spoiled = _spoil(short["interior"], tmp_path, lambda pdf: pdf.Root.__delattr__(
        "OutputIntents"))
    assert _codes(verify.verify_book_interior(spoiled, short["pdf"], page=A5)) == ["B002"]


def test_b002_rgb_colour(short, tmp_path):
    spoiled = _spoil(short["interior"], tmp_path,
                     lambda pdf: pdf.pages[1].contents_add(b"1 0 0 rg", prepend=True))
    found = verify.verify_book_interior(spoiled, short["pdf"], page=A5)
    assert _codes(found) == ["B002"] and "page 2 draws in RGB" in found[0].message


def test_b002_a_link(short, tmp_path):
    def change(pdf):
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
            Rect=pikepdf.Array([0, 0, 10, 10]))]))
    spoiled = _spoil(short["interior"], tmp_path, change)
    found = verify.verify_book_interior(spoiled, short["pdf"], page=A5)
    assert _codes(found) == ["B002"] and "annotations" in found[0].message


def test_b002_the_reading_pdf_is_not_one(short):
    # RGB text, links, no OutputIntent: what the interior is made not to be
    found = verify.verify_book_interior(short["pdf"], short["pdf"], page=A5)
    assert "B002" in _codes(found) and "B001" in _codes(found)


def test_b002_an_rgb_image(short, tmp_path):
    def change(pdf):
        image = pikepdf.Stream(pdf, b"\xff\x00\x00" * 4)
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = 2, 2, 8
        image.ColorSpace = pikepdf.Name.DeviceRGB
        pdf.pages[0].obj.Resources.XObject.Im9 = image
    spoiled = _spoil(short["cover"], tmp_path, change)
    found = verify.verify_book_cover(spoiled, short["interior"], page=A5, paper_mm=0.1)
    assert _codes(found) == ["B002"] and "image /Im9" in found[0].message


def test_b003_and_b005_a_page_lost(short, tmp_path):
    spoiled = _spoil(short["interior"], tmp_path, lambda pdf: pdf.pages.__delitem__(5))
    assert _codes(verify.verify_book_interior(spoiled, short["pdf"], page=A5)) == [
        "B003", "B005"]


def test_b005_pages_out_of_order(short, tmp_path):
    def change(pdf):
        pdf.pages[2], pdf.pages[3] = pdf.pages[3], pdf.pages[2]
    spoiled = _spoil(short["interior"], tmp_path, change)
    found = verify.verify_book_interior(spoiled, short["pdf"], page=A5)
    assert _codes(found) == ["B005"] and "page 3" in found[0].message


def test_b004_a_spine_for_another_page_count(short, mid):
    # the short book's cover against the mid-size interior: a spine far too thin
    found = verify.verify_book_cover(short["cover"], mid["interior"], page=A5, paper_mm=0.1)
    assert _codes(found) == ["B004"]
    assert _codes(verify.verify_book_cover(short["cover"], short["interior"], page=A5,
                                           paper_mm=0.25)) == ["B004"]


def test_b003_a_cover_of_two_pages(short, tmp_path):
    spoiled = _spoil(short["cover"], tmp_path,
                     lambda pdf: pdf.pages.append(pdf.pages[0]))
    assert _codes(verify.verify_book_cover(spoiled, short["interior"], page=A5,
                                           paper_mm=0.1)) == ["B003"]


def test_b007_an_image_below_300_ppi(tmp_path, caplog):
    folder = tmp_path / "text"
    folder.mkdir()
    Image.new("RGBA", (120, 80), (200, 30, 30, 128)).save(folder / "small.png")
    text = MANUSCRIPT.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    (folder / "pictured.md").write_text(
        f"{head}\n---\n\n![A small red picture](small.png)\n{body}", encoding="utf-8")
    made = _build(folder / "pictured.md", tmp_path / "out")
    warned = [r.getMessage() for r in caplog.records if r.getMessage().startswith("B007")]
    assert len(warned) == 1 and "small.png" in warned[0] and ":" in warned[0].split()[1]
    # printed in grey on white: no RGB, no soft mask (PDF/X-1a)
    assert verify.verify_book_interior(made["interior"], made["pdf"], page=A5) == []


# --- the mid-size text: a spine with text -------------------------------------------

def test_mid_cover_has_spine_text_bottom_to_top(mid):
    pages = _pages(mid["interior"])
    assert pages % 2 == 0 and pages > 40
    assert verify.verify_book_interior(mid["interior"], mid["pdf"], page=A5) == []
    assert verify.verify_book_cover(mid["cover"], mid["interior"], page=A5,
                                    paper_mm=0.25) == []
    ms = manuscript.load(MID)
    picture, warnings = book.draw_wrap(ms, A5, pages, 0.25)
    assert warnings == []
    spine = _spine(picture, pages, 0.25)
    assert spine.getbbox() is not None  # text on it
    # the same text in English runs the other way: the strip turned half round
    english = manuscript.load(MID)
    english.meta["lang"] = "en"
    down = _spine(book.draw_wrap(english, A5, pages, 0.25)[0], pages, 0.25)
    assert down.rotate(180).tobytes() == spine.tobytes()


def _spine(picture, pages, paper_mm):
    """The K channel of the spine's strip of a wrap picture (no bleed rows)."""
    left = book._px(A5.bleed) + book._px(A5.width)
    ridge = book._px(book.spine_mm(pages, paper_mm) * MM)
    strip = picture.getchannel("C").crop((left, 0, left + ridge, picture.height))
    # ink is where C leaves the ground's value
    return strip.point(lambda v: 255 if v < book.GROUND[0] // 2 else 0)


def test_right_to_left_wraps_the_other_way():
    ms = manuscript.load(ROOT / "tests" / "corpus" / "amuse-bidi-fa" / "amuse-bidi-fa.md")
    assert ms.direction == "rtl"
    picture, _ = book.draw_wrap(ms, A5, 40, 0.1)
    magenta = picture.getchannel("M")
    middle_row = book._px(A5.bleed) + book._px(A5.height) * 3 // 10  # in the band
    half = picture.width // 2
    band = [x for x in range(0, picture.width, 10)
            if magenta.getpixel((x, middle_row)) == book.BAND[1]]
    assert band and max(band) < half  # the front, with its band, on the left


def test_chinese_japanese_korean_spines_stack_upright_characters():
    ms = manuscript.load(MID)
    ms.meta.update({"lang": "ja", "title": "相互扶助論", "author": "クロポトキン"})
    picture, warnings = book.draw_wrap(ms, A5, 400, 0.1)
    ink = _spine(picture, 400, 0.1).getbbox()
    assert warnings == [] and ink is not None
    # five characters, a step, six: a column of one character's width, long
    width, height = ink[2] - ink[0], ink[3] - ink[1]
    assert height > 10 * width


def test_black_ink_is_left_out_and_said_when_weasyprint_sets_colours_another_way(
        monkeypatch, caplog):
    from samizdat import weasy
    from samizdat.weasy import patches

    with weasy.as_black_ink() as in_force:
        assert in_force and weasy.PdfStream.set_color_rgb is weasy._black_ink
    assert weasy.PdfStream.set_color_rgb is not weasy._black_ink
    other = dataclasses.replace(patches.patch("black-ink"),
                                targets=(("weasyprint.pdf.stream.Stream.set_color", "0" * 64),))
    monkeypatch.setitem(patches.BY_NAME, "black-ink", other)
    patches.say_not_applied.cache_clear()
    with weasy.as_black_ink() as in_force:
        assert not in_force and weasy.PdfStream.set_color_rgb is not weasy._black_ink
    assert any(r.getMessage().startswith("W001") and "set_color" in r.getMessage()
               for r in caplog.records)
    patches.say_not_applied.cache_clear()


def test_black_ink_is_black_alone():
    from samizdat import weasy

    class Stream:
        stream = []
    weasy._black_ink(Stream, 0, 0, 0)
    weasy._black_ink(Stream, 0.2667, 0.2667, 0.2667, stroke=True)  # print.css's #444
    assert Stream.stream == [b"0 0 0 1.0000 k", b"0 0 0 0.7333 K"]


def test_b002_transparency(short, tmp_path):
    def change(pdf):
        resources = pdf.pages[2].obj.Resources
        if "/ExtGState" not in resources:
            resources.ExtGState = pikepdf.Dictionary()
        resources.ExtGState.Half = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=0.5)
    spoiled = _spoil(short["interior"], tmp_path, change)
    found = verify.verify_book_interior(spoiled, short["pdf"], page=A5)
    assert _codes(found) == ["B002"] and "transparency" in found[0].message


def test_unused_colour_spaces_are_dropped_used_ones_kept(short, tmp_path):
    # WeasyPrint's pages share one resources dictionary: a colour space page 5 uses
    # stays for every page; one no page uses goes
    copy = tmp_path / "reading.pdf"
    copy.write_bytes(short["pdf"].read_bytes())
    with pikepdf.open(copy, allow_overwriting_input=True) as pdf:
        spaces = set(pdf.pages[0].obj.Resources.ColorSpace.keys())
        assert {"/lab-d50", "/lab-d65"} <= spaces
        pdf.pages[4].contents_add(b"/lab-d50 cs 50 0 0 scn", prepend=True)
        pdf.save(copy)
    book.finish_interior(copy)
    with pikepdf.open(copy) as pdf:
        for page in (pdf.pages[0], pdf.pages[4]):
            assert set(page.obj.Resources.ColorSpace.keys()) == {"/lab-d50"}
