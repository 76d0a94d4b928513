"""Saddle-stitch imposition: order, blanks, unscaled placement, sheet size, same bytes."""

import hashlib
import re

import pikepdf
import pytest
from weasyprint import HTML

from pdfread import page_texts, saddle_position, unimpose
from samizdat.checks import verify
from samizdat.outputs import impose


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


# --- duplex, creep, marks ------------------------------------------------------

PLACED = re.compile(r"q ((?:[-\d.]+ ){4}re W n )?"
                    r"(-?1) 0 0 (-?1) ([-\d.]+) ([-\d.]+) cm (/\w+) Do Q")


def drawn(path):
    """Per sheet side, read back from the file: [(a, e, f, form digest, clip)] where the
    matrix is a 0 0 a e f (a = 1 upright, -1 turned 180°)."""
    sides = []
    with pikepdf.open(path) as pamphlet:
        for side in pamphlet.pages:
            content = side.Contents.read_bytes().decode("latin-1")
            found = []
            for clip, a, d, e, f, name in PLACED.findall(content):
                assert a == d
                form = side.Resources.XObject[name].read_bytes()
                found.append((int(a), float(e), float(f), hashlib.sha256(form).hexdigest(),
                              [float(v) for v in clip.split()[:4]] or None))
            sides.append(found)
    return sides


def spine_shifts(path, width):
    """Per sheet side, how far (pt) each page is drawn toward the spine from where an
    unshifted page would be, measured on the sheet from the matrices in the file."""
    sheet_w = impose.A4.landscape[0]
    x0 = (sheet_w - 2 * width) / 2
    result = []
    for side in drawn(path):
        shifts = []
        for a, e, _, _, _ in side:
            left = e if a == 1 else e - width  # the page's left edge on the sheet
            shifts.append(left - x0 if left < sheet_w / 2 - width / 2 else x0 + width - left)
        result.append(shifts)
    return result


def codes(findings):
    return [f.code for f in findings]


def test_long_edge_turns_every_back_and_keeps_the_order(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 7)
    out = impose.saddle(source, tmp_path / "long.pdf", duplex="long")
    assert [{a for a, *_ in side} for side in drawn(out)] == [{1}, {-1}, {1}, {-1}]
    assert page_texts(unimpose(out)) == [f"Page{k}" for k in range(1, 8)]
    assert verify.verify_pamphlet(out, source, sheet=impose.A4, duplex="long") == []


def test_long_edge_back_is_the_short_edge_back_turned(tmp_path):
    """Turned 180° about the centre, every page of a long-edge back lands where the
    short-edge back has it: the folded booklets are the same."""
    source = numbered_pdf(tmp_path / "in.pdf", 8)
    short = drawn(impose.saddle(source, tmp_path / "short.pdf"))
    long = drawn(impose.saddle(source, tmp_path / "long.pdf", duplex="long"))
    sheet_w, sheet_h = impose.A4.landscape
    assert long[0::2] == short[0::2]
    for long_side, short_side in zip(long[1::2], short[1::2]):
        turned_back = {(round(sheet_w - e, 3), round(sheet_h - f, 3), digest)
                       for _, e, f, digest, _ in long_side}
        assert turned_back == {(round(e, 3), round(f, 3), digest)
                               for _, e, f, digest, _ in short_side}


def test_long_edge_back_renders_as_the_short_edge_back_upside_down(tmp_path):
    import pypdfium2
    from PIL import ImageChops, ImageFilter

    html = "".join(f'<p style="break-after: page; font-size: 60pt">P{k}</p>' for k in range(4))
    HTML(string="<style>@page { size: A5; margin: 10mm }</style>" + html).write_pdf(
        tmp_path / "in.pdf")

    def back(duplex):
        out = impose.saddle(tmp_path / "in.pdf", tmp_path / f"{duplex}.pdf", duplex=duplex)
        document = pypdfium2.PdfDocument(str(out))
        try:
            side = document[1].render(scale=36 / 72).to_pil()
        finally:
            document.close()
        # blurred: turning the raster may move it by a pixel, which is not what is measured
        return side.convert("L").filter(ImageFilter.BoxBlur(2))

    def differing(a, b):  # share of pixels that differ by more than a quarter of the range
        diff = ImageChops.difference(a, b)
        return sum(diff.histogram()[64:]) / (a.width * a.height)

    short, long = back("short"), back("long")
    assert differing(short, long) > 0.005  # big text, and none of it where it was
    assert differing(short, long.rotate(180)) < differing(short, long) / 20


def test_verify_sees_the_wrong_duplex_mode(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 8)
    short = impose.saddle(source, tmp_path / "short.pdf")
    long = impose.saddle(source, tmp_path / "long.pdf", duplex="long")
    # one finding per back: 8 pages are 2 sheets
    assert codes(verify.verify_pamphlet(short, source, sheet=impose.A4, duplex="long")) == \
        ["I003", "I003"]
    assert codes(verify.verify_pamphlet(long, source, sheet=impose.A4)) == ["I003", "I003"]


def test_verify_sees_a_front_drawn_turned(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 8)
    out = impose.saddle(source, tmp_path / "out.pdf", duplex="long")
    sheet_w, sheet_h = impose.A4.landscape
    with pikepdf.open(out, allow_overwriting_input=True) as pamphlet:
        side = pamphlet.pages[2]  # a front: upright in both modes
        content = side.Contents.read_bytes().decode()
        e, f = (float(v) for v in content.splitlines()[0].split()[5:7])
        turned = f"q -1 0 0 -1 {sheet_w - e:.4f} {sheet_h - f:.4f}"
        side.Contents = pamphlet.make_stream(
            content.replace(content.split(" cm")[0], turned, 1).encode())
        pamphlet.save(out)
    findings = verify.verify_pamphlet(out, source, sheet=impose.A4, duplex="long")
    assert codes(findings) == ["I003"] and "sheet side 3" in findings[0].message


def test_creep_moves_each_inner_sheet_one_step_toward_the_spine(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 13)  # 16 pages: 4 sheets, 8 sides
    out = impose.saddle(source, tmp_path / "out.pdf", creep_mm=0.1)
    width = 148 * impose.MM
    step = 0.1 * impose.MM
    shifts = spine_shifts(out, width)
    # 0.01 pt: page sizes are read to 0.01 pt, which centres pages 0.002 pt off
    for index, side in enumerate(shifts):  # side 1 has a blank and one page
        assert side == pytest.approx([index // 2 * step] * len(side), abs=0.01)
    assert shifts[-1][0] == pytest.approx(0.850, abs=0.01)  # innermost, in points
    assert page_texts(unimpose(out)) == [f"Page{k}" for k in range(1, 14)]
    assert verify.verify_pamphlet(out, source, sheet=impose.A4, creep_mm=0.1) == []


def test_creep_on_long_edge_backs_is_mirrored(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 16)
    out = impose.saddle(source, tmp_path / "out.pdf", duplex="long", creep_mm=0.25)
    step = 0.25 * impose.MM
    shifts = spine_shifts(out, 148 * impose.MM)
    assert shifts == [pytest.approx([k * step] * 2, abs=0.01) for k in (0, 0, 1, 1, 2, 2, 3, 3)]
    assert verify.verify_pamphlet(out, source, sheet=impose.A4, duplex="long",
                                  creep_mm=0.25) == []


def test_moved_pages_are_clipped_to_their_half(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 8)
    sheet_w, sheet_h = impose.A4.landscape
    for duplex in ("short", "long"):
        out = impose.saddle(source, tmp_path / f"{duplex}.pdf", duplex=duplex, creep_mm=0.1)
        sides = drawn(out)
        assert all(clip is None for *_, clip in sides[0] + sides[1])  # sheet 0 does not move
        for a, e, _, _, clip in sides[2] + sides[3]:
            centre = e + a * 148 * impose.MM / 2
            half = 0 if centre < sheet_w / 2 else sheet_w / 2
            assert clip == pytest.approx([half, 0, sheet_w / 2, sheet_h], abs=1e-3)


def test_verify_sees_the_wrong_creep(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 12)
    out = impose.saddle(source, tmp_path / "out.pdf", creep_mm=0.2)
    findings = verify.verify_pamphlet(out, source, sheet=impose.A4, creep_mm=0.1)
    assert set(codes(findings)) == {"I004"}
    # sheets 1 and 2 are off (sheet 0 never moves), two pages a side, two sides a sheet
    assert len(findings) == 8 and "wants 0.28 pt" in findings[0].message
    assert set(codes(verify.verify_pamphlet(out, source, sheet=impose.A4))) == {"I004"}


def test_verify_sees_a_moved_page_left_unclipped(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 8)
    out = impose.saddle(source, tmp_path / "out.pdf", creep_mm=0.1)
    with pikepdf.open(out, allow_overwriting_input=True) as pamphlet:
        side = pamphlet.pages[3]
        content = side.Contents.read_bytes()
        side.Contents = pamphlet.make_stream(re.sub(rb"q [-\d. ]+ re W n ", b"q ", content, 1))
        pamphlet.save(out)
    findings = verify.verify_pamphlet(out, source, sheet=impose.A4, creep_mm=0.1)
    assert codes(findings) == ["I004"] and "not clipped" in findings[0].message


@pytest.mark.parametrize("options", [{"duplex": "both"}, {"creep_mm": -0.1},
                                     {"creep_mm": float("nan")}])
def test_bad_options_are_refused(tmp_path, options):
    source = numbered_pdf(tmp_path / "in.pdf", 4)
    with pytest.raises(ValueError):
        impose.saddle(source, tmp_path / "out.pdf", **options)


MARK = re.compile(r"([-\d.]+) ([-\d.]+) m ([-\d.]+) ([-\d.]+) l")


def marks_of(path):
    """Per sheet side: (line width, [(x1, y1, x2, y2)], trim, bleed, art box), from the file."""
    result = []
    with pikepdf.open(path) as pamphlet:
        for side in pamphlet.pages:
            content = side.Contents.read_bytes().decode("latin-1")
            width = re.search(r"([\d.]+) w\b", content)
            boxes = [[round(float(v), 3) for v in side.obj[key]]
                     for key in ("/TrimBox", "/BleedBox", "/ArtBox")]
            result.append((float(width.group(1)) if width else None,
                           [tuple(map(float, m)) for m in MARK.findall(content)], *boxes))
    return result


def outside(segment, box, half_width):
    """Whether the stroked segment stays off the box's inside (touching its edge is off)."""
    x1, y1, x2, y2 = segment
    return (max(x1, x2) + half_width <= box[0] or min(x1, x2) - half_width >= box[2]
            or max(y1, y2) + half_width <= box[1] or min(y1, y2) - half_width >= box[3])


def within(segment, box, half_width):
    x1, y1, x2, y2 = segment
    return (min(x1, x2) - half_width >= box[0] and max(x1, x2) + half_width <= box[2]
            and min(y1, y2) - half_width >= box[1] and max(y1, y2) + half_width <= box[3])


def test_the_mark_checks_fail_on_a_mark_inside_the_trim():
    trim = (10, 10, 100, 50)
    assert outside((0, 10, 8, 10), trim, 0.125)
    assert not outside((0, 20, 12, 20), trim, 0.125)  # runs into the page
    assert not outside((9.9, 0, 9.9, 12), trim, 0.125)  # stroke grazes the page's corner
    assert not within((-1, 5, 5, 5), (0, 0, 110, 60), 0.125)


@pytest.mark.parametrize("size,count", [("140mm 200mm", 10), ("148mm 200mm", 6),
                                        ("148mm 210mm", 0)])
@pytest.mark.parametrize("duplex", ["short", "long"])
def test_marks_are_drawn_outside_the_trim_box(tmp_path, size, count, duplex):
    """Room all round: 2 fold + 8 crop marks. A5 wide: 1.4 pt left and right is too
    little, so only the fold marks and the vertical crop marks. A5: no room at all."""
    source = numbered_pdf(tmp_path / "in.pdf", 8, size)
    out = impose.saddle(source, tmp_path / "out.pdf", marks=True, duplex=duplex)
    sheet_w, sheet_h = impose.A4.landscape
    width, height = (float(v) * impose.MM for v in size.replace("mm", "").split())
    area = [round(v, 3) for v in ((sheet_w - 2 * width) / 2, (sheet_h - height) / 2,
                                  (sheet_w + 2 * width) / 2, (sheet_h + height) / 2)]
    sides = marks_of(out)
    for line_width, segments, trim, bleed, art in sides:
        assert trim == bleed == art == pytest.approx(area, abs=0.01)
        assert len(segments) == count
        assert all(outside(s, trim, line_width / 2) for s in segments)
        assert all(within(s, (0, 0, sheet_w, sheet_h), line_width / 2) for s in segments)
    folds = [s for s in sides[0][1] if s[0] == s[2] == pytest.approx(sheet_w / 2)]
    assert len(folds) == (2 if count else 0)
    assert len({tuple(s[1]) for s in sides}) == 1  # the same marks on every side
    assert verify.verify_pamphlet(out, source, sheet=impose.A4, duplex=duplex) == []


def test_marks_that_do_not_fit_are_reported(tmp_path, caplog):
    source = numbered_pdf(tmp_path / "in.pdf", 4)
    with caplog.at_level("WARNING", logger="samizdat"):
        impose.saddle(source, tmp_path / "out.pdf", marks=True)
    assert "10 of 10 printer's marks do not fit" in caplog.text


def test_verify_sees_a_mark_on_a_page(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 4, "140mm 200mm")
    out = impose.saddle(source, tmp_path / "out.pdf", marks=True)
    with pikepdf.open(out, allow_overwriting_input=True) as pamphlet:
        side = pamphlet.pages[1]
        side.Contents = pamphlet.make_stream(
            side.Contents.read_bytes() + b"q 0.25 w 100 100 m 120 100 l S Q\n")
        pamphlet.save(out)
    findings = verify.verify_pamphlet(out, source, sheet=impose.A4)
    assert codes(findings) == ["I005"] and "sheet side 2" in findings[0].message


def test_options_keep_the_same_bytes(tmp_path):
    source = numbered_pdf(tmp_path / "in.pdf", 9)
    options = {"duplex": "long", "creep_mm": 0.1, "marks": True}
    first = impose.saddle(source, tmp_path / "a.pdf", **options).read_bytes()
    assert impose.saddle(source, tmp_path / "b.pdf", **options).read_bytes() == first


def test_a_right_to_left_pamphlet_is_bound_on_the_right(tmp_path):
    """Folded with the spine on the right, its pages read 1..N from the right: the
    mirror of the left-bound booklet, sheet side by sheet side; the verifier wants that
    order and refuses the left-bound one (I001)."""
    assert impose.saddle_sides(8, rtl=True) == [(1, 8), (7, 2), (3, 6), (5, 4)]
    source = numbered_pdf(tmp_path / "in.pdf", 8)
    rtl = impose.saddle(source, tmp_path / "rtl.pdf", rtl=True)
    with pikepdf.open(rtl) as pamphlet:
        first = verify._placed(pamphlet.pages[0], [verify._digest(impose.page_content(p))
                                                   for p in pikepdf.open(source).pages])
    assert [(p.slot, p.number) for p in first] == [(0, 1), (1, 8)]
    assert verify.verify_pamphlet(rtl, source, sheet=impose.A4, rtl=True) == []
    ltr = impose.saddle(source, tmp_path / "ltr.pdf")
    assert [f.code for f in verify.verify_pamphlet(ltr, source, sheet=impose.A4,
                                                   rtl=True)] == ["I001"]


@pytest.mark.parametrize("duplex,creep_mm", [(None, 0.0), ("long", 0.1)])
def test_an_actualtext_span_is_read_on_its_own_page_of_the_sheet(tmp_path, duplex, creep_mm):
    """A page whose text layer holds an ActualText span (textlayer: a cluster whose
    glyphs do not spell its characters) reads its span's text in its own cell of the
    sheet, upright or turned, moved by creep or not: PDFium places a span's letters in
    the space of the form XObject drawing the page, so the page is placed by the form's
    /Matrix (impose.ACTUAL_TEXT). Placed by a `cm` before its `Do`, page 1's span was
    read in page 4's cell. The other pages are placed as before."""
    from pdfread import folded

    source = numbered_pdf(tmp_path / "in.pdf", 4)
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        for number in (1, 2):
            page = pdf.pages[number - 1]
            page.Contents = pdf.make_stream(b"/Span <</ActualText (Said%d)>> BDC\n" % number
                                            + impose.page_content(page) + b"\nEMC")
        pdf.save(source)
    out = impose.saddle(source, tmp_path / "out.pdf", duplex=duplex, creep_mm=creep_mm)
    flip = "other" if duplex else "own"
    assert folded(out, [1], flip=flip) == ["Said1", "Said2", "Page3", "Page4"]
    assert page_texts(unimpose(out)) == [f"Page{k}" for k in range(1, 5)]  # pypdf: glyphs
    assert verify.verify_pamphlet(out, source, sheet=impose.A4, duplex=duplex,
                                  creep_mm=creep_mm) == []
    with pikepdf.open(out) as pamphlet:
        placements = [verify.PLACEMENT.findall(impose.page_content(side).decode())
                      for side in pamphlet.pages]
    # page 4 | 1 on the front, 2 | 3 on the back: by a `cm`, pages 4 and 3 only
    assert [[bool(p[4]) for p in side] for side in placements] == [[True, False],
                                                                     [False, True]]
