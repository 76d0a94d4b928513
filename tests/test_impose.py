"""Saddle-stitch imposition: order, blanks, unscaled placement, sheet size, same bytes."""

import hashlib

import pikepdf
import pytest
from weasyprint import HTML

from pdfread import page_texts, saddle_position, unimpose
from samizdat import impose, verify


def numbered_pdf(path, pages, size="148mm 210mm"):
    """A PDF whose page k shows only 'Page k'."""
    html = "".join(f'<p style="break-after: page">Page{k}</p>' for k in range(1, pages))
    html += f"<p>Page{pages}</p>"
    css = f"<style>@page {{ size: {size}; margin: 20mm }}</style>"
    HTML(string=css + html).write_pdf(path)
    return path


def test_sides_follow_the_saddle_rule():
    assert impose.saddle_sides(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    total = 20
    for side, pair in enumerate(impose.saddle_sides(total)):
        assert pair == (saddle_position(side, 0, total), saddle_position(side, 1, total))


@pytest.mark.parametrize("pages,padded", [(1, 4), (4, 4), (5, 8), (17, 20), (20, 20)])
def test_blanks_go_before_the_back_cover(pages, padded):
    order = impose.reading_order(pages)
    assert len(order) == padded
    assert order[-1] == pages
    assert order[:pages - 1] == list(range(1, pages))
    assert order[pages - 1:-1] == [None] * (padded - pages)


@pytest.mark.parametrize("sheet", [impose.A4, impose.LETTER], ids=lambda s: s.name)
def test_pamphlet_reads_in_order_when_folded(tmp_path, sheet):
    size = "148mm 210mm" if sheet is impose.A4 else "5.5in 8.5in"
    source = numbered_pdf(tmp_path / "in.pdf", 7, size)
    out = impose.saddle(source, tmp_path / "out.pdf", sheet=sheet)
    texts = page_texts(unimpose(out))
    assert texts == [f"Page{k}" for k in range(1, 8)]
    with pikepdf.open(out) as pamphlet:
        assert len(pamphlet.pages) == 4  # 7 pages -> 8 -> 2 sheets, 4 sides
        sides = [tuple(round(float(v), 1) for v in p.mediabox[2:]) for p in pamphlet.pages]
    assert set(sides) == {tuple(round(v, 1) for v in sheet.landscape)}
    assert verify.verify_pamphlet(out, source, sheet=sheet) == []


def test_pages_are_placed_unscaled_and_centred(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 4)
    out = impose.saddle(source, tmp_path / "out.pdf", sheet=impose.A4)
    with pikepdf.open(out) as pamphlet:
        content = pamphlet.pages[0].Contents.read_bytes().decode()
    matrices = [line.split(" cm")[0] for line in content.splitlines()]
    assert len(matrices) == 2 and all(m.startswith("q 1 0 0 1 ") for m in matrices)
    left_x = float(matrices[0].split()[5])
    assert left_x == pytest.approx((impose.A4.landscape[0] - 2 * 148 * impose.MM) / 2, abs=0.01)


def test_same_input_same_bytes(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 6)
    first = impose.saddle(source, tmp_path / "a.pdf").read_bytes()
    second = impose.saddle(source, tmp_path / "b.pdf").read_bytes()
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()


def test_pages_too_big_for_the_sheet_are_refused(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 2, "210mm 297mm")
    with pytest.raises(impose.ImposeError):
        impose.saddle(source, tmp_path / "out.pdf", sheet=impose.A4)


def test_verify_sees_pages_out_of_order(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 8)
    out = impose.saddle(source, tmp_path / "out.pdf")
    with pikepdf.open(out, allow_overwriting_input=True) as pamphlet:
        xobjects = pamphlet.pages[0].Resources.XObject
        xobjects.Pg1, xobjects.Pg2 = xobjects.Pg2, xobjects.Pg1
        pamphlet.save(out)
    assert [f.code for f in verify.verify_pamphlet(out, source, sheet=impose.A4)] == ["I001"]


def test_verify_sees_a_scaled_page(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 4)
    out = impose.saddle(source, tmp_path / "out.pdf")
    with pikepdf.open(out, allow_overwriting_input=True) as pamphlet:
        side = pamphlet.pages[1]
        side.Contents = pamphlet.make_stream(
            side.Contents.read_bytes().replace(b"q 1 0 0 1", b"q 0.9 0 0 0.9", 1))
        pamphlet.save(out)
    assert [f.code for f in verify.verify_pamphlet(out, source, sheet=impose.A4)] == ["I001"]


def test_verify_sees_the_wrong_sheet(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 4, "5.5in 8.5in")
    out = impose.saddle(source, tmp_path / "out.pdf", sheet=impose.LETTER)
    codes = [f.code for f in verify.verify_pamphlet(out, source, sheet=impose.A4)]
    assert "I002" in codes
