"""The PDF and both pamphlets, read back from the written files."""

import re

import pikepdf
import pytest

from pdfread import note_placement, page_texts, unimpose
from samizdat.outputs import pdf
from samizdat.checks.verify import squash

A5 = (419.53, 595.28)


@pytest.fixture(scope="module")
def pages(built):
    return page_texts(built["pdf"])


def test_every_page_is_a5(built):
    with pikepdf.open(built["pdf"]) as pdf:
        sizes = {tuple(round(float(v), 2) for v in p.mediabox[2:]) for p in pdf.pages}
    assert sizes == {A5}


@pytest.mark.parametrize("kind", ["pdf", "pamphlet-a4", "pamphlet-letter"])
def test_nine_notes_on_their_calls_page(built, real, kind):
    data = built[kind].read_bytes()
    pages = page_texts(data if kind == "pdf" else unimpose(built[kind]))
    placement = note_placement(pages, real)
    assert len(placement) == 9
    for number, (call, note) in placement.items():
        assert len(call) == 1 and call == note, f"note {number}: call {call}, text {note}"


@pytest.mark.parametrize("kind", ["pdf", "pamphlet-a4", "pamphlet-letter"])
def test_every_word_is_printed_in_order(built, real, kind):
    data = built[kind].read_bytes()
    text = "".join(page_texts(data if kind == "pdf" else unimpose(built[kind])))
    for flow in (real.paragraphs, real.notes):
        missing = words_missing(" ".join(flow).split(), text)
        assert missing == []


def words_missing(words, text):
    """Words not found in `text` in order (notes, numbers and page ends may come between;
    a word hyphenated across a page break is found in its two parts)."""
    missing, at = [], 0
    for word in map(squash, words):
        end = _find(word, text, at)
        if end is None:
            missing.append(word)
        else:
            at = end
    return missing


def _find(word, text, at):
    """End of the nearest occurrence of `word` after `at`, whole or split in two."""
    ends = []
    found = text.find(word, at)
    if found >= 0:
        ends.append(found + len(word))
    for cut in range(2, len(word) - 1):
        head = text.find(word[:cut], at)
        if 0 <= head - at < 200:
            tail = text.find(word[cut:], head + cut)
            if 0 <= tail - head < 3000:
                ends.append(tail + len(word) - cut)
    return min(ends, default=None)


def test_words_missing_sees_a_lost_or_moved_word():
    assert words_missing(["a", "bc", "d"], "a1bc2d") == []
    assert words_missing(["a", "d", "bc"], "abcd") == ["bc"]
    assert words_missing(["sup", "ported"], "sup1.note2ported") == []
    assert words_missing(["supported", "x"], "sup1.note2portedx") == []


def test_title_page_first_and_colophon_last(pages):
    assert pages[0].startswith(squash("Workers Power and the Russian Revolution"))
    assert "TomWetzel" in pages[0]
    assert "AntiCopyright" in pages[-1] and "libcom.org" in pages[-1]
    assert pages[-1].startswith("TheAnarchistLibrary") or "ANARCHIST" in pages[-1].upper()


def test_page_numbers_on_text_pages_only(pages):
    assert pages[1].endswith("2") and pages[-2].endswith(str(len(pages) - 1))
    assert not pages[0].endswith("1") and not pages[-1].endswith(str(len(pages)))


def test_document_info_and_language(built):
    with pikepdf.open(built["pdf"]) as pdf:
        info = {k: str(v) for k, v in pdf.docinfo.items()}
        lang = str(pdf.Root.Lang)
    assert info["/Title"] == "Workers Power and the Russian Revolution"
    assert info["/Author"] == "Tom Wetzel"
    assert info["/Subject"].startswith("Tom Wetzel reviews")
    assert "Workers' control" in info["/Keywords"]
    assert lang == "en-US"


def test_book_font_is_embedded_not_dejavu(built):
    with pikepdf.open(built["pdf"]) as pdf:
        fonts = {str(f.BaseFont) for p in pdf.pages for f in p.Resources.Font.values()}
        embedded = all("/FontFile3" in f.DescendantFonts[0].FontDescriptor or
                       "/FontFile2" in f.DescendantFonts[0].FontDescriptor
                       for p in pdf.pages for f in p.Resources.Font.values())
    assert fonts and all("Samizdat-Serif" in f for f in fonts), fonts
    assert embedded


def test_pdf_is_tagged_pdf_ua_1_with_its_title_shown(built):
    with pikepdf.open(built["pdf"]) as document:
        assert "/StructTreeRoot" in document.Root
        assert document.Root.MarkInfo.Marked
        assert document.Root.ViewerPreferences.DisplayDocTitle
        with document.open_metadata() as xmp:
            assert xmp.get("pdfuaid:part") == "1"
            assert xmp.get("dc:title") == "Workers Power and the Russian Revolution"


def test_chapters_open_pages_run_heads_and_are_listed_with_their_pages(tmp_path):
    """Three chapters: each opens a page; its title heads its later pages, not its first;
    the contents after the title page give each chapter's page; the outline lists them."""
    import pypdfium2

    from samizdat.source import manuscript

    words = " ".join(["Words of the chapter, long enough to fill more than one page."] * 60)
    body = "".join(f"# Chapter {n}\n\n{words}\n\n{words}\n\n" for n in (1, 2, 3))
    source = tmp_path / "t.md"
    source.write_text(f"---\ntitle: T\nauthor: A\ndate: 2024\nlang: en\nrights: CC0\n---\n\n"
                      f"{body}", encoding="utf-8")
    out = tmp_path / "t.pdf"
    pdf.pdf(manuscript.load(source), out)
    document = pypdfium2.PdfDocument(str(out))
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    starts = {n: next(i for i, t in enumerate(pages) if t.lstrip().startswith(f"Chapter {n}"))
              for n in (1, 2, 3)}
    assert pages[1].lstrip().startswith("Contents")
    for n, first in starts.items():
        assert f"Chapter {n} " in pages[1].replace("\r\n", " ") + " "
        assert re.search(rf"Chapter {n}\W+{first + 1}\b", pages[1]), pages[1]
        assert f"Chapter {n}" in pages[first + 1]  # the running head
        assert pages[first].count(f"Chapter {n}") == 1  # none on the chapter's own page
    with pikepdf.open(out) as opened, opened.open_outline() as outline:
        titles = [item.title for item in outline.root]
    assert titles[-3:] == ["Chapter 1", "Chapter 2", "Chapter 3"]


@pytest.mark.parametrize("level", ["#", "##"])
def test_a_chapters_number_and_title_as_two_headings_open_one_page(tmp_path, level):
    """ELTeC's French novel (fra02001, Gilbert) gives each chapter as '## II' then
    '## LE MARQUIS DE LA LANDE': 'II' stood alone on a page, the title and text on the
    next. The two open one page, and a chapter with text between its headings still
    opens its own."""
    import pypdfium2

    from samizdat.source import manuscript

    words = " ".join(["Mots du chapitre, assez pour remplir plus d'une page."] * 50)
    body = "".join(f"{level} {n}\n\n{level} TITRE {n}\n\n{words}\n\n" for n in ("I", "II"))
    source = tmp_path / "t.md"
    source.write_text(f"---\ntitle: T\nauthor: A\ndate: 2024\nlang: fr\nrights: CC0\n---\n\n"
                      f"{body}{level} III\n\nUn mot.\n\n{level} IV\n\nUn autre.\n",
                      encoding="utf-8")
    out = tmp_path / "t.pdf"
    pdf.pdf(manuscript.load(source), out)
    document = pypdfium2.PdfDocument(str(out))
    pages = [" ".join(document[i].get_textpage().get_text_range().split())
             for i in range(len(document))]
    for n in ("I", "II"):
        assert any(p.startswith(f"{n} TITRE {n} Mots du chapitre") for p in pages), pages
    assert any(p.startswith("III Un mot.") for p in pages)
    assert any(p.startswith("IV Un autre.") for p in pages)


def test_a_right_to_left_text_is_set_right_to_left_in_its_own_fonts(tmp_path):
    """Persian and Hebrew: lines start at the right edge, every glyph from the build's
    fonts (Persian from Amiri; Libertine has Hebrew), none from the machine's."""
    from samizdat.source import manuscript
    from samizdat.weasy import TextBox, descendants

    source = tmp_path / "fa.md"
    source.write_text("---\ntitle: دیوان\nauthor: حافظ\ndate: 1389\nlang: fa\n"
                      "rights: Public domain\n---\n\nالا یا ایها الساقی ادر کاسا و ناولها"
                      " که عشق آسان نمود اول ولی افتاد مشکل‌ها. שלום עולם.\n\nکوتاه\n",
                      encoding="utf-8")
    ms = manuscript.load(source)
    document = pdf.layout(pdf.print_html(ms), ms=ms, page=pdf.A5)
    page = document.pages[1]._page_box
    right = page.content_box_x() + page.width
    short = next(b for b in descendants(page) if isinstance(b, TextBox) and b.text == "کوتاه")
    assert abs(short.position_x + short.width - right) < 2  # at the right, not the left
    out = tmp_path / "fa.pdf"
    pdf.pdf(ms, out)
    with pikepdf.open(out) as opened:
        fonts = {str(f.get("/BaseFont")) for p in opened.pages
                 for f in p.resources.get("/Font", {}).values()}
    assert any("Samizdat-Arabic" in f for f in fonts)
    assert all("Samizdat-" in f for f in fonts), fonts  # WeasyPrint names them by family


def laid_out(tmp_path, body, *, lang="en"):
    """The A5 layout (a WeasyPrint Document) of a manuscript of `body` in `lang`."""
    from samizdat.source import manuscript

    source = tmp_path / "t.md"
    source.write_text(f"---\ntitle: T\nauthor: A\ndate: 2024\nlang: {lang}\nrights: CC0\n"
                      f"---\n\n{body}", encoding="utf-8")
    ms = manuscript.load(source)
    return pdf.layout(pdf.print_html(ms), ms=ms, page=pdf.A5)


def text_boxes(document):
    """{text: box} of every text box of `document` (the last of equal texts)."""
    from samizdat.weasy import TextBox, descendants

    return {b.text: b for page in document.pages for b in descendants(page._page_box)
            if isinstance(b, TextBox)}


def test_a_hard_break_in_a_note_starts_the_next_line_not_an_empty_one(tmp_path):
    """pandoc's newline after <br /> made WeasyPrint set an empty line in the note
    (seen on SBLGNT Galatians' apparatus): the note's two lines sit one line apart."""
    boxes = text_boxes(laid_out(tmp_path, "Text.[^1]\n\n[^1]: First line\\\n    second line\n"))
    first, second = boxes["First line"], boxes["second line"]
    assert 0 < second.position_y - first.position_y < 1.5 * first.height


def test_a_notes_later_blocks_are_set_in_from_the_notes_numbers(tmp_path):
    """A note's later paragraphs, list and quotation were lines flush with the notes'
    numbers, so the list's "1." read as a note of its own: each later block is set in
    (a paragraph indented, a list item hanging on its number, a quotation set in)."""
    document = laid_out(tmp_path, "Text.[^1] More.[^2]\n\n[^1]: First paragraph.\n\n"
                        "    Second paragraph.\n\n    1. Item one.\n    2. Item two.\n\n"
                        "    > Quoted words.\n\n[^2]: Next note.\n")
    x = {text: box.position_x for text, box in text_boxes(document).items()}
    numbers = x["2. "]  # the second note's number (its marker): where every note starts
    assert x["First paragraph."] < numbers + 15  # runs on after its own number
    for later in ("Second paragraph.", "1.", "2.", "Quoted words."):
        assert x[later] > numbers + 8, later
    assert x[" Item one."] > x["1."]


PERSIAN = ("قدمت اولین متن‌های به جا مانده از توابع مثلثاتی به دوران پیش از میلاد در مصر "
           "باستان و یونان باستان بازمی گردد؟ ")


def test_persian_lines_end_flush_right_and_a_notes_number_stands_by_its_text(tmp_path):
    """Seen on text-amuse's bidi-1.muse: justified Persian lines fell short of the right
    edge by up to a word space, and a note's number stood a gap apart from its text
    (Pango does not stretch Arabic script for WeasyPrint's justification). Arabic
    script is set flush right: every line of a paragraph ends on one edge."""
    import pypdfium2

    data = laid_out(tmp_path, f"{PERSIAN * 4}[^1]\n\n[^1]: {PERSIAN * 2}\n",
                    lang="fa").write_pdf()
    text = pypdfium2.PdfDocument(data)[1].get_textpage()
    rects = [text.get_rect(i) for i in range(text.count_rects())]  # left, bottom, right, top
    lines = [r for r in rects if r[2] - r[0] > 20]  # not a number, a call, a folio
    edge = max(r[2] for r in lines)
    body = [r for r in lines if r[1] > 100]
    notes = sorted((r for r in lines if r[1] < 100), key=lambda r: -r[3])  # top first
    assert len(body) >= 5 and len(notes) >= 2
    assert all(edge - r[2] < 1 for r in body + notes[1:])
    number = next(r for r in rects if r[1] < 100 and r[2] - r[0] < 20 and r[2] > edge - 1)
    assert 0 < number[0] - notes[0][2] < 4  # "1." then one space, no gap


def test_a_note_that_opens_with_a_list_runs_on_from_its_number(tmp_path):
    """Seen on Barclay's Offenbarung, note 36 ("1. Cor. 10 v. 4."): the note's number
    stood alone on a line, its list item on the next. The first item runs on."""
    document = laid_out(tmp_path, "Text.[^1]\n\n[^1]:\n    1.  Cor. 10 v. 4.\n"
                        "    2.  Hebr. 13,7.\n", lang="de")
    y = {text: box.position_y for text, box in text_boxes(document).items()}
    assert y["1. "] == y["1."]  # the note's marker, then the item's number, on one line
    assert y["2."] > y["1."]  # the next item on a line of its own


HEBREW = ("בראשית ברא אלהים את השמים ואת הארץ. והארץ היתה תהו ובהו וחשך על פני תהום "
          "ורוח אלהים מרחפת על פני המים. ")


@pytest.mark.parametrize("lang", ["he", "heb"])
def test_a_hebrew_texts_notes_are_set_right_to_left_from_the_right_margin(tmp_path, lang):
    """Seen on a Hebrew text converted from TEI (`heb`, ISO 639-2): its notes' short
    lines stood at the left margin, read left to right. A note's lines end at the right
    edge; its later paragraph, list items and quotation are set in from the right."""
    document = laid_out(tmp_path, f"{HEBREW}[^1]\n\n[^1]: הערה קצרה.\n\n"
                        "    פסקה שנייה של ההערה.\n\n    1. פריט אחד.\n    2. פריט שני.\n\n"
                        "    > מובאה בתוך ההערה.\n", lang=lang)
    page = document.pages[1]._page_box
    right = page.content_box_x() + page.width
    boxes = text_boxes(document)
    edge = {text: boxes[text].position_x + boxes[text].width for text in boxes}
    assert right - edge["1. "] < 1  # the note's number at the right edge
    assert edge["הערה קצרה."] < edge["1. "]  # its words run on to the left of it
    for later in ("פסקה שנייה של ההערה.", "1.", "2.", "מובאה בתוך ההערה."):
        assert edge[later] < right - 8, later  # set in from the right, as from the left
    assert edge[" פריט אחד."] < boxes["1."].position_x + 1  # the item after its number
