"""Editions as data: the reader's choices (trim, sheet, type size, font, outputs) give
the table of printed files, and a build makes exactly those, on the right paper."""

import pikepdf
import pytest

from samizdat import build, editions
from samizdat.errors import UserError

MM = editions.MM


def kinds(**choices):
    return [(e.kind, e.page.name, e.sheet and e.sheet.name)
            for e in editions.plan(editions.Choices(**choices))]


def test_the_house_plan_is_a5_with_pamphlets_for_a4_and_letter():
    assert kinds() == [("pdf", "A5", None), ("pamphlet-a4", "A5", "A4"),
                       ("pamphlet-letter", "half-letter", "Letter")]


def test_pocket_books_are_a6_and_quarter_letter_4_up_when_asked_for():
    assert kinds(outputs=("pdf", "pocket")) == [
        ("pdf", "A5", None), ("pocket-a4", "A6", "A4"), ("pocket-letter", "quarter-letter",
                                                          "Letter")]
    assert kinds(trim=editions.TRIMS["a6"], outputs=("pamphlet", "pocket")) == [
        ("pamphlet-a5", "A6", "A5"), ("pocket-a4", "A6", "A4")]
    assert kinds(trim=editions.TRIMS["a5"], outputs=("pocket",)) == [("pocket-a3", "A5", "A3")]
    with pytest.raises(editions.ChoiceError, match="four A6 pages do not fit on it two by two"):
        editions.plan(editions.Choices(trim=editions.TRIMS["a6"],
                                       sheet=editions.SHEETS["a5"], outputs=("pocket",)))


@pytest.mark.parametrize("text, pages", [("32", (32, 32)), ("32-64", (32, 64)),
                                         (" 8 - 16 ", (8, 16)), (16, (16, 16))])
def test_a_signature_is_pages_or_a_range(text, pages):
    assert editions.Choices.of({"signature": text}).signature == pages


@pytest.mark.parametrize("text", ["30", "64-32", "0", "256", "x", "16-", "4-130"])
def test_a_signature_that_folds_no_booklet_is_refused(text):
    with pytest.raises(editions.ChoiceError, match="multiple of 4") as refused:
        editions.Choices.of({"signature": text})
    assert refused.value.key == "signature"


def test_every_edition_says_what_it_is_for():
    about = {e.kind: e.about for e in editions.HOUSE}
    assert about["pamphlet-a4"] == "Pamphlet to print on A4: duplex, short edge, fold, staple"
    assert about["pocket-letter"].startswith("Pocket book (quarter-letter) to print on Letter: "
                                             "duplex, long edge, cut across the middle")


@pytest.mark.parametrize("trim, sheet", [("a6", "A5"), ("a5", "A4"), ("half-letter", "Letter"),
                                         ("quarter-letter", "half-letter"),
                                         ("120x180mm", "A4"), ("4x6in", "A4")])
def test_the_sheet_follows_the_trim(trim, sheet):
    page = editions.trim(trim)
    assert kinds(trim=page) == [("pdf", page.name, None),
                                (f"pamphlet-{sheet.lower()}", page.name, sheet)]


@pytest.mark.parametrize("key, text", [("trim", "a7"), ("trim", "10x10mm"), ("trim", "120x18"),
                                       ("sheet", "b4"), ("type-size", "40"),
                                       ("type-size", "big"), ("font", "comic"),
                                       ("outputs", "mobi"), ("outputs", ""),
                                       # digits CSS does not read (Arabic-Indic, fullwidth)
                                       ("trim", "\u0661\u0662\u0660x\u0661\u0668\u0660mm"),
                                       ("trim", "\uff11\uff12\uff10x\uff11\uff18\uff10mm"),
                                       ("type-size", "\u0661\u0660"),
                                       ("signature", "\u0663\u0662")])
def test_a_choice_samizdat_cannot_make_is_refused_naming_what_it_takes(key, text):
    with pytest.raises(editions.ChoiceError) as refused:
        editions.Choices.of({key: text})
    assert refused.value.key == key


def test_a_sheet_too_small_for_two_pages_is_refused():
    with pytest.raises(editions.ChoiceError, match="do not fit"):
        editions.plan(editions.Choices(sheet=editions.SHEETS["a5"]))
    with pytest.raises(editions.ChoiceError, match="no sheet"):
        editions.sheet_for(editions.trim("400x400mm"), editions.SCHEMES["2-up"])


def test_the_command_line_wins_over_the_manuscript():
    choices = editions.Choices.of({"trim": "a6", "font": "gentium", "outputs": "epub pdf"},
                                  {"trim": "quarter-letter"})
    assert choices.trim.name == "quarter-letter" and choices.font == "gentium"
    assert [e.kind for e in editions.plan(choices)] == ["pdf"]


def boxes(path):
    with pikepdf.open(path) as pdf:
        return {tuple(round(float(v) / MM) for v in page.mediabox[2:]) for page in pdf.pages}


@pytest.mark.parametrize("yaml, given, files, page, sheet", [
    ("trim: a6\n", (), ["t.pdf", "t-pamphlet-a5.pdf", "t-printer-test-a5.pdf", "t.epub",
                 "t.kepub.epub"],
     (105, 148), (210, 148)),
    ("trim: a6\ntype-size: 9pt\nfont: gentium\n", (("trim", "120x180mm"), ("outputs", "pdf,pamphlet")),
     ["t.pdf", "t-pamphlet-a4.pdf", "t-printer-test.pdf"], (120, 180), (297, 210)),
])
def test_a_chosen_trim_builds_with_notes_on_their_page_on_its_sheet(tmp_path, yaml, given,
                                                                   files, page, sheet):
    from test_footnotes import TWO_LINE_NOTE

    source = tmp_path / "t.md"
    source.write_text(TWO_LINE_NOTE.replace("---\n\n", f"{yaml}---\n\n", 1), encoding="utf-8")
    out = tmp_path / "out"
    build.build(source, out, printing=build.PrintOptions(given=given), parallel=False)
    made = sorted(p.name for p in out.iterdir() if p.suffix in (".pdf", ".epub"))
    assert made == sorted(files)
    assert boxes(out / "t.pdf") == {page}
    assert boxes(out / files[1]) == {sheet}


def test_a_bad_choice_in_the_yaml_is_refused_with_its_line(tmp_path):
    from test_footnotes import TWO_LINE_NOTE

    source = tmp_path / "t.md"
    source.write_text(TWO_LINE_NOTE.replace("---\n\n", "trim: b7\n---\n\n", 1), encoding="utf-8")
    with pytest.raises(UserError) as refused:
        build.check(source)
    assert [str(f) for f in refused.value.findings if f.is_error] == [
        f"M008 {source}:7: trim 'b7': one of a5, a6, half-letter, quarter-letter or "
        "WIDTHxHEIGHT with mm or in (e.g. 120x180mm)"]


def texts(path):
    """Squashed text of each page within its box, read with pdfium as pdfread.folded
    reads sheets (a contents page's leader dots run past the page: cut there, as on
    the sheet)."""
    import pypdfium2

    from pdfread import pdfium_text

    return [pdfium_text(page.get_textpage().get_text_bounded(0, 0, *page.get_size()))
            for page in pypdfium2.PdfDocument(path)]


def test_every_edition_of_a_real_text_reads_in_order_after_printing_and_folding(tmp_path):
    """The first text on A6, in 8-page signatures, as a 2-up pamphlet on A5 and a 4-up
    pocket book on A4: each, printed, cut, gathered and folded, gives the A6 PDF's
    pages in order (notes on their call's page: the A6 PDF is verified)."""
    from conftest import MANUSCRIPT
    from pdfread import folded

    out = tmp_path / "out"
    given = (("trim", "a6"), ("outputs", "pdf,pamphlet,pocket"), ("signature", "8"))
    build.build(MANUSCRIPT, out, printing=build.PrintOptions(given=given), parallel=False)
    pages = texts(out / "workers-power.pdf")
    total = -(-len(pages) // 8) * 8
    want = pages[:-1] + [""] * (total - len(pages)) + pages[-1:]
    assert folded(out / "workers-power-pamphlet-a5.pdf", [2] * (total // 8)) == want
    assert folded(out / "workers-power-pocket-a4.pdf", [1] * (total // 8), rows=2) == want


def test_a_new_edition_is_one_entry_in_the_table(tmp_path, monkeypatch):
    """A5 pages 4-up on A3, added as one entry of editions.HOUSE and nothing else: the
    build lays it out, imposes and verifies it, the folder's download page lists it with
    what it is for (the catalog offers e-readers the e-books only), and it reads in order after the cut."""
    from conftest import MANUSCRIPT
    from pdfread import folded

    from samizdat.library import local

    entry = editions.imposed("pocket", editions.TRIMS["a5"], editions.SHEETS["a3"])
    monkeypatch.setattr(editions, "HOUSE", editions.HOUSE[:3] + (entry,))
    out = tmp_path / "out"
    books, failures = local.build_library([MANUSCRIPT], out, jobs=1, printing=build.PrintOptions(
        given=(("outputs", "pdf,pocket"),)))
    assert failures == []
    assert books["workers-power"].files["pocket-a3"] == "workers-power-pocket-a3.pdf"
    about = "Pocket book (A5) to print on A3: duplex, long edge, cut across the middle"
    assert about in (out / "index.html").read_text()
    assert "pocket" not in (out / "catalog.xml").read_text()  # e-readers get the e-books
    pages = texts(out / "workers-power.pdf")
    total = -(-len(pages) // 8) * 8
    assert folded(out / "workers-power-pocket-a3.pdf", [total // 8], rows=2) == \
        pages[:-1] + [""] * (total - len(pages)) + pages[-1:]


@pytest.fixture(scope="module")
def house(tmp_path_factory):
    """The first text built in every edition of the house table."""
    from conftest import MANUSCRIPT

    out = tmp_path_factory.mktemp("house")
    given = (("outputs", ",".join(editions.OUTPUTS)),)
    build.build(MANUSCRIPT, out, printing=build.PrintOptions(given=given))
    return out


@pytest.mark.parametrize("edition", [e for e in editions.HOUSE if e.sheet],
                         ids=lambda e: e.kind)
def test_every_imposed_edition_of_the_table_reads_as_a_book(house, edition):
    """For each entry of editions.HOUSE: its file, its sheet in its scheme's orientation,
    and printed, cut and folded, a book from the title page to the colophon."""
    from pdfread import folded

    path = house / edition.file("workers-power")
    with pikepdf.open(path) as pdf:
        sides = {tuple(round(float(v), 1) for v in side.mediabox[2:]) for side in pdf.pages}
        count = len(pdf.pages)
    assert sides == {tuple(round(v, 1) for v in edition.scheme.face(edition.sheet))}
    sheets = count // 2  # the first text is one signature in every edition
    pages = folded(path, [sheets], rows=edition.scheme.rows)
    assert "WorkersPowerandtheRussianRevolution" in pages[0]
    assert "AntiCopyright" in pages[-1]  # the colophon
    printed = [p for p in pages if p]  # the blanks, fewer than a sheet's, before the last
    assert pages == printed[:-1] + [""] * (len(pages) - len(printed)) + printed[-1:]
    assert len(pages) - len(printed) < edition.scheme.sheet_pages


# --- an edition framed from a nearby trim's layout -------------------------------------

def test_the_letter_pamphlet_is_the_a5_pages_line_for_line(built):
    """Half-letter is within editions.FRAME_MM of A5: the Letter pamphlet takes the A5
    layout's pages, unscaled, on half-letter pages (one layout, not two; the A4 and
    Letter pamphlets can be cited by the same page numbers). Printed and folded, it
    reads as the A5 PDF does, page for page."""
    from pdfread import folded

    pages = texts(built["pdf"])
    total = -(-len(pages) // 4) * 4
    want = pages[:-1] + [""] * (total - len(pages)) + pages[-1:]
    assert folded(built["pamphlet-letter"], [total // 4]) == want
    with pikepdf.open(built["pamphlet-letter"]) as pamphlet:
        assert len(pamphlet.pages) == total // 2
        sheet = [round(float(v), 1) for v in pamphlet.pages[0].mediabox]
    assert sheet == [0, 0, 792.0, 612.0]  # Letter, landscape


def test_a_page_is_framed_unscaled_and_centred(tmp_path):
    from samizdat.outputs import impose

    source = tmp_path / "a5.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page(page_size=(419.53, 595.28)).Contents = pdf.make_stream(b"0 0 m 1 1 l S")
        pdf.save(source)
    impose.frame(source, tmp_path / "hl.pdf", page=(396.0, 612.0))
    with pikepdf.open(tmp_path / "hl.pdf") as framed:
        page = framed.pages[0]
        assert [round(float(v), 2) for v in page.mediabox] == [0, 0, 396.0, 612.0]
        assert page.Contents.read_bytes() == b"q 1 0 0 1 -11.7650 8.3600 cm /Page1 Do Q"


def test_the_layouts_ink_decides_whether_a_trim_may_be_framed(real):
    """The first text's A5 pages keep 10.8 mm of margin on half-letter: framed at a
    10 mm minimum, not at 11 (then every page with text would be crowded)."""
    from samizdat.checks import verify
    from samizdat.outputs import pdf

    document = pdf.layout(pdf.print_html(real), ms=real, page=pdf.A5)
    letter = editions.TRIMS["half-letter"]
    size = (letter.width, letter.height)
    assert verify.crowded_pages(document, size, 10 * editions.MM) == []
    crowded = verify.crowded_pages(document, size, 11 * editions.MM)
    assert len(crowded) >= len(document.pages) - 2  # all but the title page, perhaps


def test_a_crowded_layout_gets_a_layout_of_its_own_and_says_so(tmp_path, monkeypatch,
                                                               caplog):
    """Past the margin the framing needs (here made 12 mm), the half-letter pages are
    laid out on their own, as before framing, and the build says why."""
    import logging

    from conftest import MANUSCRIPT
    from pdfread import folded

    monkeypatch.setattr(editions, "MIN_MARGIN_MM", 12.0)
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="samizdat"):
        build.build(MANUSCRIPT, out, parallel=False)
    said = [r.getMessage() for r in caplog.records if "laid out on" in r.getMessage()]
    assert said and "within 12 mm of the half-letter page's edge" in said[0]
    a5 = texts(out / "workers-power.pdf")
    with pikepdf.open(out / "workers-power-pamphlet-letter.pdf") as pamphlet:
        sides = len(pamphlet.pages)
    read = folded(out / "workers-power-pamphlet-letter.pdf", [sides // 2])
    assert [p for p in read if p] != [p for p in a5 if p]  # its own line breaks


def test_only_a_trim_as_tall_and_nearly_as_wide_is_framed():
    """Framing cuts side margins only: the top and bottom ones hold the folios."""
    trims = editions.TRIMS
    assert editions.near(trims["half-letter"], trims["a5"])  # 8.4 mm narrower, taller
    assert not editions.near(trims["quarter-letter"], trims["a6"])  # 8.3 mm shorter
    assert not editions.near(trims["a6"], trims["a5"])
    assert not editions.near(trims["a5"], trims["a5"])
    table = editions.plan(editions.Choices(outputs=("pdf", "pamphlet", "pocket")))
    framed = {e.kind: editions.framed_from(table, e) for e in table}
    assert framed == {"pdf": None, "pamphlet-a4": None, "pamphlet-letter": trims["a5"],
                      "pocket-a4": None, "pocket-letter": None}
    assert [editions.lane_of(table, e) for e in table] == [0, 0, 0, 0, 1]


def test_running_heads_near_the_top_do_not_stop_the_framing(tmp_path):
    """Seen on Kropotkin's Mutual Aid: its running heads, 6 mm below A5's top, were
    taken for ink too near half-letter's top, which is 3 mm further away: every page
    "crowded", and the Letter pamphlet laid out again, one layout after the other. Only
    the edges a framing brings nearer are looked at."""
    from samizdat.checks import verify
    from samizdat.weasy import MarginBox, TextBox, descendants
    from test_pdf import laid_out

    words = "Mutual aid is a factor of evolution, as the facts of nature show. " * 12
    document = laid_out(tmp_path, "".join(f"# Chapter {n}\n\n" + f"{words}\n\n" * 12
                                          for n in (1, 2)))
    heads = [b for page in document.pages for margin in page._page_box.children
             if isinstance(margin, MarginBox) and margin.at_keyword == "@top-center"
             for b in descendants(margin) if isinstance(b, TextBox) and b.text.strip()]
    assert heads and min(b.position_y for b in heads) * verify.PT_PER_PX < 10 * editions.MM
    letter = editions.TRIMS["half-letter"]
    assert verify.crowded_pages(document, (letter.width, letter.height),
                                editions.MIN_MARGIN_MM * editions.MM) == []
