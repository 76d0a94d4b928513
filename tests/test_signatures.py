"""Long texts in print: signatures, collation marks, and the 4-up pocket scheme.

Every pamphlet here is read back as a reader would hold it (pdfread.folded): by the
text printed in each quarter or half of each sheet side, sheets turned over on the
printer's edge, cut, stacked and folded; not by how Samizdat meant to place them.
"""

import logging
import re

import pikepdf
import pypdfium2
import pytest

from pdfread import folded
from samizdat import editions
from samizdat.checks import verify
from samizdat.outputs import impose

A6, QUARTER_LETTER = editions.TRIMS["a6"], editions.TRIMS["quarter-letter"]
A5 = editions.TRIMS["a5"]


def numbered(path, pages, page=A5):
    """A PDF of `pages` pages of size `page`, page k showing only its folio k."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font,
                                                Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    for k in range(1, pages + 1):
        sheet = pdf.add_blank_page(page_size=(page.width, page.height))
        sheet.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
        sheet.Contents = pdf.make_stream(
            f"BT /F1 12 Tf {page.width / 2 - 8:.2f} 24 Td ({k}) Tj ET".encode())
    pdf.save(path)
    return path


def folios(pages, total):
    """What a reader finds: 1..pages-1, the blanks, then the last page (the colophon)."""
    return [str(k) for k in range(1, pages)] + [""] * (total - pages) + [str(pages)]


@pytest.mark.parametrize("pages, signature, sizes", [
    (4, None, [4]), (61, None, [64]), (64, None, [64]), (65, None, [36, 32]),
    (240, None, [60, 60, 60, 60]), (500, None, [64] * 5 + [60] * 3),
    (240, (32, 64), [60, 60, 60, 60]), (100, (32, 32), [32] * 4),
    (100, (40, 48), [40, 40, 40]),  # two of at most 48 cannot hold 100: three of 40
    (130, (16, 128), [68, 64]),
])
def test_signature_sizes_need_the_fewest_blanks(pages, signature, sizes):
    assert impose.signatures(pages, signature=signature) == sizes


@pytest.mark.parametrize("pages", range(1, 700, 7))
def test_default_signatures_hold_at_most_16_sheets_with_fewest_blanks(pages):
    sizes = impose.signatures(pages)
    assert all(size % 4 == 0 and size <= 64 for size in sizes)
    assert 0 <= sum(sizes) - pages < 4  # no more blanks than one booklet would need
    assert len(sizes) == -(-sum(sizes) // 64)  # the fewest signatures
    assert max(sizes) - min(sizes) <= 4  # as even as can be


def test_a_4_up_signature_is_whole_sheets_of_8_pages_and_says_so_when_rounded(caplog):
    assert impose.signatures(50, scheme=impose.FOUR_UP) == [56]
    assert impose.signatures(240, scheme=impose.FOUR_UP) == [64, 64, 56, 56]
    with caplog.at_level(logging.WARNING, logger="samizdat"):
        assert impose.signatures(40, scheme=impose.FOUR_UP, signature=(12, 12)) == [16] * 3
    assert "not whole 4-up sheets" in caplog.text


def test_a_240_page_text_reads_in_order_from_signatures_of_at_most_16_sheets(tmp_path):
    source = numbered(tmp_path / "in.pdf", 240)
    out = impose.saddle(source, tmp_path / "out.pdf", creep_mm=0.1)
    assert folded(out, [15, 15, 15, 15]) == folios(240, 240)
    assert verify.verify_pamphlet(out, source, sheet=impose.A4, creep_mm=0.1) == []


def test_creep_starts_afresh_in_every_signature(tmp_path):
    source = numbered(tmp_path / "in.pdf", 80)  # two signatures of 40 pages, 10 sheets
    out = impose.saddle(source, tmp_path / "out.pdf", creep_mm=0.1)
    with pikepdf.open(out) as pamphlet:
        shifts = [_clipped(side) for side in pamphlet.pages]
    # the outer sheet of each signature is not moved (not clipped); its inner ones are
    assert [index for index, clipped in enumerate(shifts) if not clipped] == [0, 1, 20, 21]


def _clipped(side):
    return b"re W n" in side.Contents.read_bytes()


def collation_marks(path, dpi=36):
    """Per sheet side, the rows (from the top) where the column at the spine is black."""
    document = pypdfium2.PdfDocument(path)
    rows = []
    for page in document:
        image = page.render(scale=dpi / 72).to_pil().convert("L")
        spine = image.width // 2
        rows.append([y for y in range(image.height) if image.getpixel((spine, y)) < 64])
    return rows


def test_each_signature_has_a_collation_mark_on_its_spine_one_step_lower(tmp_path):
    source = numbered(tmp_path / "in.pdf", 240)
    marks = collation_marks(impose.saddle(source, tmp_path / "out.pdf"))
    outsides = [0, 30, 60, 90]  # the first side of each signature's 15 sheets
    assert [i for i, rows in enumerate(marks) if rows] == outsides
    tops = [min(marks[i]) for i in outsides]
    bottoms = [max(marks[i]) for i in outsides]
    # stepped: each begins where the one before ends (a pixel either way), so the
    # gathered spines show a stair
    assert all(top > before for before, top in zip(tops, tops[1:]))
    assert all(-1 <= top - before <= 1 for before, top in zip(bottoms, tops[1:]))


def test_one_booklet_has_no_collation_mark(tmp_path):
    source = numbered(tmp_path / "in.pdf", 64)
    assert not any(collation_marks(impose.saddle(source, tmp_path / "out.pdf")))


def test_signatures_can_be_chosen(tmp_path):
    source = numbered(tmp_path / "in.pdf", 40)
    out = impose.saddle(source, tmp_path / "out.pdf", signature=(16, 16))
    assert folded(out, [4, 4, 4]) == folios(40, 48)
    assert verify.verify_pamphlet(out, source, sheet=impose.A4, signature=(16, 16)) == []
    # read as one booklet, it is not one: the verifier says so
    assert [f.code for f in verify.verify_pamphlet(out, source, sheet=impose.A4)] == ["I001"]


def test_verify_sees_a_missing_or_misplaced_collation_mark(tmp_path):
    source = numbered(tmp_path / "in.pdf", 100)
    out = impose.saddle(source, tmp_path / "out.pdf")
    with pikepdf.open(out, allow_overwriting_input=True) as pamphlet:
        outside = pamphlet.pages[26]  # signature 2 (52 + 48 pages: 13 sheets, 26 sides)
        content = outside.Contents.read_bytes()
        assert impose.COLLATION.search(content.decode())
        outside.Contents = pamphlet.make_stream(re.sub(rb"q 0 g [^Q]* re f Q\n", b"", content))
        inside = pamphlet.pages[3]
        inside.Contents = pamphlet.make_stream(inside.Contents.read_bytes() +
                                               b"q 0 g 418.4 400 5 12 re f Q\n")
        pamphlet.save(out)
    findings = verify.verify_pamphlet(out, source, sheet=impose.A4)
    assert [(f.code, f.message.split(":")[0]) for f in findings] == [
        ("I006", "sheet side 4"), ("I006", "sheet side 27")]


@pytest.mark.parametrize("page, sheet", [(A6, impose.A4), (QUARTER_LETTER, impose.LETTER)],
                         ids=["a6-on-a4", "quarter-letter-on-letter"])
@pytest.mark.parametrize("duplex", [None, "short"])
def test_the_pocket_book_reads_in_order_after_the_cut(tmp_path, page, sheet, duplex):
    source = numbered(tmp_path / "in.pdf", 50, page)
    out = impose.saddle(source, tmp_path / "out.pdf", sheet=sheet, scheme=impose.FOUR_UP,
                        duplex=duplex, creep_mm=0.1)
    flip = "own" if duplex is None else "other"  # the scheme's own edge is the long one
    assert folded(out, [7], rows=2, flip=flip) == folios(50, 56)
    with pikepdf.open(out) as pamphlet:
        assert {tuple(round(float(v)) for v in side.mediabox[2:]) for side in pamphlet.pages} \
            == {tuple(round(v) for v in sheet.portrait)}
    assert verify.verify_pamphlet(out, source, sheet=sheet, scheme=impose.FOUR_UP,
                                  duplex=duplex, creep_mm=0.1) == []


def test_a_long_pocket_book_reads_in_order_signature_by_signature(tmp_path):
    source = numbered(tmp_path / "in.pdf", 230, A6)
    out = impose.saddle(source, tmp_path / "out.pdf", scheme=impose.FOUR_UP, rtl=True)
    # 232 pages: four signatures of 64, 56, 56, 56 pages, 8 and 7 sheets of A4 each
    assert folded(out, [8, 7, 7, 7], rows=2, rtl=True) == folios(230, 232)
    assert verify.verify_pamphlet(out, source, sheet=impose.A4, scheme=impose.FOUR_UP,
                                  rtl=True) == []


def test_verify_wants_the_4_up_order(tmp_path):
    source = numbered(tmp_path / "in.pdf", 16, A6)
    two_up = impose.saddle(source, tmp_path / "two.pdf", sheet=impose.A4)
    four_up = impose.saddle(source, tmp_path / "four.pdf", scheme=impose.FOUR_UP)
    assert [f.code for f in verify.verify_pamphlet(two_up, source, sheet=impose.A4,
                                                   scheme=impose.FOUR_UP)] == ["I002", "I001"]
    assert [f.code for f in verify.verify_pamphlet(four_up, source, sheet=impose.A4,
                                                   scheme=impose.FOUR_UP,
                                                   duplex="short")] == ["I003", "I003"]


def test_pages_that_do_not_fit_4_up_are_refused(tmp_path):
    source = numbered(tmp_path / "in.pdf", 8, A5)
    with pytest.raises(impose.ImposeError, match="4-up on A4"):
        impose.saddle(source, tmp_path / "out.pdf", scheme=impose.FOUR_UP)
