"""The PDF's text layer copies as the text (textlayer: WeasyPrint 70's draw_first_line
rebuilt with ActualText spans). Phrases from the Universal Declaration of Human Rights
(article 1; OHCHR's translations, which may be freely reproduced), each drawn in the
font the build sets its script in and read back."""

import contextlib
import io
import re
import unicodedata

import pikepdf
import pypdfium2
import pytest

from conftest import ROOT
from samizdat import weasy
from samizdat.weasy import textlayer
from samizdat.writing import fontstack, wordbreak
from samizdat.weasy import CSS, HTML, FontConfiguration, write_pdf

FONTS = ROOT / "styles" / "fonts"
# (script whose installed font draws it, or a bundled font file; phrase)
PHRASES = {
    "hi": ("Devanagari", "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता"),
    "bn": ("Bengali", "সমস্ত মানুষ স্বাধীনভাবে সমান মর্যাদা এবং অধিকার নিয়ে জন্মগ্রহণ করে"),
    "ta": ("Tamil", "மனிதப் பிறிவியினர் சகலரும் சுதந்திரமாகவே பிறக்கின்றனர்; அவர்கள் மதிப்பிலும்"),
    "te": ("Telugu", "ప్రతిపత్తిస్వత్వముల విషయమున మానవులెల్లరును జన్మతః స్వతంత్రులును"),
    "si": ("Sinhala", "සියලු මනුෂ්‍යයෝ නිදහස්ව උපත ලබා ඇත. ගරුත්වයෙන් හා අයිතිවාසිකම්වලින්"),
    "km": ("Khmer", "មនុស្សទាំងអស់ កើតមកមានសេរីភាព និងសមភាព ក្នុងផ្នែកសេចក្ដីថ្លៃថ្នូរនិងសិទ្ធិ"),
    "th": ("Thai", "มนุษย์ทั้งหลายเกิดมามีอิสระและเสมอภาคกันในเกียรติศักดิ์และสิทธิ"),
    "lo": ("Lao", "ມະນຸດມີສະຕິສຳປັດຊັນຍະ(ຮູ້ດີຮູ້ຊົ່ວ)ແລະມີມະໂນທຳຈື່ງຕ້ອງປະພຶດຕົນຕໍ່ກັນ"),
    "my": ("Myanmar", "လူတိုင်းသည် တူညီ လွတ်လပ်သော ဂုဏ်သိက္ခာဖြင့် လည်းကောင်း၊ "
                      "တူညီလွတ်လပ်သော အခွင့်အရေးများဖြင့် လည်းကောင်း၊ မွေးဖွားလာသူများ ဖြစ်သည်။"),
    "yo": ("GentiumBookPlus-Regular.ttf", "ìkéde káríayé fún è̩tó̩ o̩mo̩nìyàn, iyì àti è̩tó̩ kò̩ò̩kan"),
    "ar": ("Amiri-Regular.ttf", "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق"),
    "fa": ("Amiri-Regular.ttf", "تمام افراد بشر آزاد بدنیا میایند و از لحاظ حیثیت و حقوق"),
    "he": ("FrankRuhlLibre-Regular.ttf", "כל בני האדם נולדו בני חורין ושווים בערכם ובזכויותיהם"),
}
RIGHT_TO_LEFT = {"ar", "fa", "he"}


def font_of(lang):
    name = PHRASES[lang][0]
    if name.endswith(".ttf"):
        return FONTS / name
    script = next(s for s in fontstack.SCRIPTS if s.name == name)
    path = fontstack.installed(script)
    if path is None:
        pytest.skip(f"{script.font} is not installed: install {script.package}")
    return path


def drawn(text, font, *, fixed=True, justified=False, latin_first=False):
    """PDF bytes of `text` on one wide line in `font`, the fix in force or not; or,
    `justified`, in justified lines 300 pt wide; `latin_first`: Libertine before `font`
    in the stack (as a text whose script Samizdat justifies itself is set: its spaces
    are Libertine's)."""
    fonts = FontConfiguration()
    page = ("body { text-align: justify } @page { size: 300pt 600pt }" if justified
            else "@page { size: 2000pt 80pt }")
    libertine = (FONTS / "LinLibertine_R.otf").as_uri()
    css = CSS(string=f"@font-face {{ font-family: T; src: url({font.as_uri()}) }} "
                     f"@font-face {{ font-family: L; src: url({libertine}) }} "
                     f"body {{ font-family: {'L, T' if latin_first else 'T'}; "
                     f"font-size: 14pt }} {page}",
              font_config=fonts)
    document = HTML(string=f"<html><body><p>{text}</p></body></html>").render(
        stylesheets=[css], font_config=fonts)
    with textlayer.actual_text() if fixed else contextlib.nullcontext():
        return write_pdf(document)


def squashed(text):
    """NFC, no white space, no format characters (ZWJ, ZWNJ: not drawn)."""
    return "".join(c for c in unicodedata.normalize("NFC", text)
                   if not c.isspace() and unicodedata.category(c) != "Cf")


def pdfium_text(pdf):
    document = pypdfium2.PdfDocument(pdf)
    return "".join(page.get_textpage().get_text_range() for page in document)


def spec_text(pdf):
    """The text a reader following PDF 1.7 (14.9.4) reads, in drawing order: a span's
    ActualText for the glyphs inside it, else each glyph's ToUnicode entry."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        maps = {name: _to_unicode(font) for name, font in page.Resources.Font.items()}
        out, spans, font = [], [], None
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op == "BDC":
                props = operands[1] if len(operands) > 1 else None
                actual = props.get("/ActualText") if isinstance(props, pikepdf.Dictionary) \
                    else None
                spans.append(actual)
                if actual is not None:
                    out.append(str(actual))
            elif op in ("BMC",):
                spans.append(None)
            elif op == "EMC":
                spans.pop()
            elif op == "Tf":
                font = maps[str(operands[0])]
            elif op in ("TJ", "Tj") and not any(s is not None for s in spans):
                items = operands[0] if op == "TJ" else [operands[0]]
                for item in items:
                    if isinstance(item, pikepdf.String):
                        data = bytes(item)
                        out += [font.get(data[i:i + 2], "\ufffd")
                                for i in range(0, len(data), 2)]
        return "".join(out)


def _to_unicode(font):
    cmap = font.ToUnicode.read_bytes().decode("ascii")
    return {bytes.fromhex(glyph): bytes.fromhex(text).decode("utf-16-be")
            for glyph, text in re.findall(r"<([0-9a-f]{4})> <([0-9a-f]*)>", cmap)}


def test_the_fix_is_written_for_this_weasyprint():
    assert textlayer.source_digest() == textlayer.KNOWN_SOURCE


@pytest.mark.parametrize("lang", sorted(set(PHRASES) - RIGHT_TO_LEFT))
def test_a_reader_of_actual_text_reads_the_phrase(lang):
    text = PHRASES[lang][1]
    assert squashed(spec_text(drawn(text, font_of(lang)))) == squashed(text)


@pytest.mark.parametrize("lang", ["hi", "bn", "ta", "te", "si", "km", "th", "my", "yo", "ar",
                                  "fa", "he"])
def test_pdfium_reads_the_phrase(lang):
    text = PHRASES[lang][1]
    assert squashed(pdfium_text(drawn(text, font_of(lang)))) == squashed(text)


def words_of(text):
    """`text`'s words, NFC, one space between them."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@pytest.mark.parametrize("lang", ["hi", "ta", "te", "si", "yo", "ar", "fa", "he"])
def test_pdfium_reads_the_phrase_word_for_word(lang):
    """Its words apart: a space drawn between two ActualText spans was a text object
    of its own with no ink, which PDFium drops (Hindi's "अधिकारों के" read
    "अधिकारोंके"): it is drawn inside the span before it."""
    text = PHRASES[lang][1]
    assert words_of(pdfium_text(drawn(text, font_of(lang)))) == words_of(text)


@pytest.mark.parametrize("lang", ["th", "km", "bn"])
def test_pdfium_reads_a_raised_mark_once(lang):
    """A mark raised by a text rise (Thai ์ over ิ, Khmer ាំ, a Bengali reph) is a text
    object of its own, set to the right past where the next syllable starts. PDFium
    sorts a line's objects by their origin and reads a span's ActualText again for an
    object of it that does not follow another of it: the syllable was read twice
    ("ศักดิ์และ ดิ์"). The span reaches over the next syllable, and an invisible copy of
    its glyphs on the baseline comes first."""
    text = PHRASES[lang][1]
    assert words_of(pdfium_text(drawn(text, font_of(lang)))) == words_of(text)


def pdftotext(pdf, tmp_path):
    """The text poppler's pdftotext reads in `pdf`, or a skip where it is not installed."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("poppler's pdftotext is not installed (apt-get install poppler-utils)")
    path = tmp_path / "t.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-q", str(path), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout


@pytest.mark.parametrize("lang", ["hi", "bn", "th", "my"])
def test_poppler_reads_the_phrase_word_for_word(lang, tmp_path):
    """What is drawn for PDFium (spans over spaces, an invisible copy before a raised
    mark) keeps poppler's reading: it takes a span's place from its first and last
    glyph drawn."""
    text = PHRASES[lang][1]
    assert words_of(pdftotext(drawn(text, font_of(lang)), tmp_path)) == words_of(text)


@pytest.mark.parametrize("lang", ["hi", "te"])
def test_pdfium_reads_a_justified_phrase_word_for_word(lang):
    """In a justified line each space is a Pango run of its own (WeasyPrint's word
    spacing is an attribute): a span ending a run stays open over the space runs after
    it, else the space is again an object of its own."""
    text = " ".join([PHRASES[lang][1]] * 3)
    assert words_of(pdfium_text(drawn(text, font_of(lang), justified=True))) == \
        words_of(text)


def lone_spaces(pdf):
    """The text objects (TJ, Tj, as written) outside any ActualText span whose glyphs
    are all white space: objects with no ink, which PDFium's text page drops, and with
    them the space."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        maps = {name: _to_unicode(font) for name, font in page.Resources.Font.items()}
        found, spans, font = [], [], None
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op == "BDC":
                props = operands[1] if len(operands) > 1 else None
                spans.append(isinstance(props, pikepdf.Dictionary) and "/ActualText" in props)
            elif op == "BMC":
                spans.append(False)
            elif op == "EMC":
                spans.pop()
            elif op == "Tf":
                font = maps[str(operands[0])]
            elif op in ("TJ", "Tj") and not any(spans):
                items = operands[0] if op == "TJ" else [operands[0]]
                data = b"".join(bytes(i) for i in items if isinstance(i, pikepdf.String))
                chars = "".join(font.get(data[i:i + 2], "?") for i in range(0, len(data), 2))
                if chars and chars.isspace():
                    found.append(pikepdf.unparse_content_stream(
                        [(operands, operator)]).decode("latin-1"))
        return found


@pytest.mark.parametrize(("lang", "justified", "latin_first"), [
    ("hi", False, False), ("hi", True, False), ("my", False, True), ("my", True, True),
    ("th", True, True)])
def test_no_space_is_a_text_object_of_its_own(lang, justified, latin_first):
    """A space between two ActualText spans, after a span ending a Pango run (a
    justified line's every space is a run of its own: WeasyPrint's word spacing is an
    attribute), or in another font than its words (a Burmese or Thai text's spaces are
    Libertine's) was a TJ of its own: an object with no ink, which PDFium drops
    (cpdf_textpage.cpp: `if (fabs(pTextObj->GetRect().Width()) < kSizeEpsilon)
    return;`), and then it guesses a space from the gap, often wrongly. Each is drawn
    inside a span over the syllable before it, its ActualText ending with the space.
    (The words are marked as the build marks them: U+200B between Thai or Burmese
    words, where a line may break.)"""
    text = wordbreak.mark_words(PHRASES[lang][1] + " " + PHRASES[lang][1], lang)
    assert not lone_spaces(drawn(text, font_of(lang), justified=justified,
                                 latin_first=latin_first))


@pytest.mark.parametrize("lang", ["hi", "bn", "ta", "te", "si", "km", "th", "yo", "ar"])
def test_without_the_fix_the_phrase_is_lost(lang):
    """What the fix mends: WeasyPrint 70's own text layer, read as pdfium or as the
    standard reads it, is not the phrase."""
    text = PHRASES[lang][1]
    pdf = drawn(text, font_of(lang), fixed=False)
    assert squashed(pdfium_text(pdf)) != squashed(text) or \
        squashed(spec_text(pdf)) != squashed(text)


def test_no_glyph_stands_for_nothing():
    """An empty ToUnicode entry is read by pdfium as the glyph's number: Yoruba's marks
    came out as C1 controls and "©"."""
    pdf = drawn(PHRASES["yo"][1], font_of("yo"))
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for font in document.pages[0].Resources.Font.values():
            assert all(_to_unicode(font).values())
    assert not re.search("[\x80-\x9f©]", pdfium_text(pdf))


def test_a_latin_text_is_drawn_the_same_bytes():
    text = ("Workers’ power: ﬁnal offers, “quotes”, naïve café, 1–2 — the end. " * 20)
    font = FONTS / "GentiumBookPlus-Regular.ttf"
    pdf = drawn(text, font)
    assert pdf == drawn(text, font, fixed=False)
    with pikepdf.open(io.BytesIO(pdf)) as document:
        assert b"ActualText" not in document.pages[0].Contents.read_bytes()


def test_a_fix_that_does_not_apply_says_so_and_changes_nothing(caplog, monkeypatch):
    monkeypatch.setattr(textlayer, "KNOWN_SOURCE", "another WeasyPrint")
    weasy._rebuild.cache_clear()
    weasy.say_not_applied.cache_clear()
    try:
        standard = weasy.text_drawing.draw_first_line
        with textlayer.actual_text() as in_force:
            assert not in_force and weasy.text_drawing.draw_first_line is standard
        said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("W001")]
        assert len(said) == 1 and "draw_first_line" in said[0]
    finally:
        weasy._rebuild.cache_clear()
        weasy.say_not_applied.cache_clear()


def test_every_move_ending_a_span_goes_on_to_the_next_array():
    """A span ending in U+200B (which the build puts between Thai, Lao, Khmer, Burmese
    words) ends its TJ with its last glyph's kerning, an empty string, then the zero
    width space's move: both moves go on to the next array. Left in, PDFium dropped
    the kerning (a number before an empty string ending a TJ array): the rest of a
    Lao line stood a hair off."""
    shown = []
    stream = type("Stream", (), {"show_text": lambda self, text: shown.append(text)})()
    assert textlayer._flush(stream, "<0001>0<0002>22<>0.0<") == "22 0.0<"
    assert shown == ["<0001>0<0002>"]


def as_the_standard_draws_it(pdf):
    """`pdf` with the moves that end each TJ array (numbers, empty strings) in a TJ of
    their own, which draws the same (PDF 1.7, 9.4.3). PDFium does not apply a number
    ending a TJ array that holds an empty string, as WeasyPrint writes them: in a Thai
    or Burmese line it drew each word after a space (Libertine's, its TJ ending in the
    letter spacing) some points to the left."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        ops = []
        for operands, operator in pikepdf.parse_content_stream(page):
            items = list(operands[0]) if str(operator) == "TJ" else []
            k = len(items)
            while k and not (isinstance(items[k - 1], pikepdf.String) and bytes(items[k - 1])):
                k -= 1
            if 0 < k < len(items):
                ops += [([pikepdf.Array(items[:k])], operator),
                        ([pikepdf.Array(items[k:])], operator)]
            else:
                ops.append((operands, operator))
        page.Contents = document.make_stream(pikepdf.unparse_content_stream(ops))
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


@pytest.mark.parametrize(("lang", "justified", "latin_first"), [
    ("hi", False, False), ("bn", False, False), ("km", False, False), ("th", False, False),
    ("hi", True, False), ("th", True, True), ("km", True, True), ("my", True, True),
    ("lo", False, False), ("lo", True, True)])
def test_the_ink_is_the_same_with_the_text_layer(lang, justified, latin_first):
    """The spans change what copies, never where a glyph is drawn: a move that ended a
    span's glyphs (a vowel sign kerned back over its letter, then the pen moved on) was
    the last number of its TJ array, which PDFium does not apply: a Hindi के ate the
    space after it on screen. So too a span carried over the spaces after its run, in
    another font (Thai's, Burmese's spaces are Libertine's), or over a U+200B (a
    kerning, then its move, ending the array). Both drawn as the standard draws them:
    WeasyPrint's own arrays are not all drawn right by PDFium."""
    script, phrase = PHRASES[lang]
    if not font_of(lang):
        pytest.skip(f"the {script} font is not installed")
    text = f"{phrase} के सभी {phrase}"
    if lang in ("th", "km", "my", "lo"):  # as the build marks them (U+200B)
        text = wordbreak.mark_words(f"{phrase} {phrase}", lang)
    pages = [pypdfium2.PdfDocument(as_the_standard_draws_it(drawn(
        text, font_of(lang), fixed=fixed, justified=justified, latin_first=latin_first)))[0]
             .render(scale=2).to_pil().convert("L") for fixed in (True, False)]
    from PIL import ImageChops

    assert ImageChops.difference(*pages).getbbox() is None


def paragraph(text, font, *, fixed=True, width=300):
    """PDF bytes of `text` as a justified paragraph of 10.5 pt lines (the book's size)
    `width` points wide, in `font`, the fix in force or not."""
    fonts = FontConfiguration()
    css = CSS(string=f"@font-face {{ font-family: T; src: url({font.as_uri()}) }} "
                     "body { font-family: T; font-size: 10.5pt; text-align: justify } "
                     f"@page {{ size: {width + 40}pt 1000pt; margin: 20pt }}",
              font_config=fonts)
    document = HTML(string=f"<html><body><p>{text}</p></body></html>").render(
        stylesheets=[css], font_config=fonts)
    with textlayer.actual_text() if fixed else contextlib.nullcontext():
        return write_pdf(document)


# The UDHR's preamble in Yoruba (OHCHR's translation), set in Libertine as the book sets
# it: at 10.5 pt its marks below (U+0329) are lowered by a text rise.
YORUBA = ("Bí ó ti jé̩ pé ó s̩e pàtàkì kí a dáàbò bo àwo̩n è̩tó o̩mo̩nìyàn lábé̩ òfin, "
          "bí a kò bá fé̩ ti àwo̩n ènìyàn láti ko̩jú ìjà sí ìjo̩ba ipá àti ti amúnisìn, "
          "nígbà tí kò bá sí ò̩nà àbáyo̩ mìíràn fún wo̩n láti bèèrè è̩tó̩ wo̩n, Bí ó ti "
          "jé̩ pé ó s̩e pàtàkì kí ìdàgbàsókè ìbás̩epò̩ ti ò̩ré̩síò̩ré̩ wà láàrin àwo̩n "
          "orílè̩èdè")


def test_a_lowered_mark_past_the_next_words_start_is_read_once():
    """A mark lowered by a text rise is a text object of its own, which PDFium sorts by
    where it starts: Libertine's mark below an s starts past the e after it, and the
    s̩'s span was read again after the next text object ('àwo̩n' read 'àw s̩ o̩n').
    The span now goes on over the text the mark stands past."""
    font = FONTS / "LinLibertine_R.otf"
    pdf = paragraph(YORUBA, font)
    assert squashed(pdfium_text(pdf)) == squashed(YORUBA)
    pages = [pypdfium2.PdfDocument(paragraph(YORUBA, font, fixed=fixed))[0]
             .render(scale=2).to_pil().convert("L") for fixed in (True, False)]
    from PIL import ImageChops

    assert ImageChops.difference(*pages).getbbox() is None


# Its next sentences: 210 pt wide, "àwùjo̩ nínú" ends a line's run at o̩ (Pango sets a
# justified space as a run of its own).
YORUBA_2 = ("pé àwo̩n ní ìgbàgbó̩ nínú è̩tó̩ o̩mo̩nìyàn tó jé̩ kòs̩eémánìí, ìgbàgbó̩ nínú "
             "iyì àti è̩ye̩ è̩dá ènìyàn, àti ìgbàgbó̩ nínú ìdó̩gba è̩tó̩ láàrin o̩kùnrin "
             "àti obìnrin, tó sì jé̩ pé wó̩n tún ti pinnu láti s̩e ìgbéláruge̩ ìtè̩síwájú "
             "àwùjo̩ nínú èyí tí òmìnira ètò ìgbéayé rere è̩dá ti lè gbòòrò sí i")


def test_a_mark_standing_past_its_runs_end_is_read_once():
    """The same when the mark's syllable ends its run: the span goes on over the next
    run's first glyphs (before, 'àwùjo̩' was read 'àwùj e̩ o̩')."""
    font = FONTS / "LinLibertine_R.otf"
    pdf = paragraph(YORUBA_2, font, width=210)
    assert squashed(pdfium_text(pdf)) == squashed(YORUBA_2)
    pages = [pypdfium2.PdfDocument(paragraph(YORUBA_2, font, fixed=fixed, width=210))[0]
             .render(scale=2).to_pil().convert("L") for fixed in (True, False)]
    from PIL import ImageChops

    assert ImageChops.difference(*pages).getbbox() is None


TIBETAN = "ཡོངས་ཁྱབ་གསལ་བསྒྲགས་འགྲོ་བ་མིའི་ཐོབ་ཐང་། རྒྱ་ཆེར་བྱེད་པ། འབྲེལ་བ་ཡོད། བརྗོད།"


def test_tibetan_vowel_signs_are_read_after_their_letters():
    """Tibetan's vowel signs above (ོ, ི, ེ) are drawn moved over their letter: left to
    WeasyPrint's own map, poppler read them before it ('ོཡངས' for 'ཡོངས'), and PDFium
    lost ེ from syllables where its glyph had first been drawn in another cluster (the
    UDHR's 'ཆེར' read 'ཆར'). Spanned now, the objects of a span held together
    (_held_together: before, PDFium read a span's subjoined letters as another line)."""
    import shutil
    import subprocess

    script = next(s for s in fontstack.SCRIPTS if s.name == "Tibetan")
    font = fontstack.installed(script)
    if font is None or shutil.which("pdftotext") is None:
        pytest.skip("needs the Tibetan font and poppler's pdftotext")
    pdf = drawn(TIBETAN, font)
    read = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          timeout=60, check=True).stdout.decode()
    assert squashed(read) == squashed(TIBETAN)
    assert squashed(pdfium_text(pdf)) == squashed(TIBETAN)
    pages = [pypdfium2.PdfDocument(drawn(TIBETAN, font, fixed=fixed))[0]
             .render(scale=2).to_pil().convert("L") for fixed in (True, False)]
    from PIL import ImageChops

    assert ImageChops.difference(*pages).getbbox() is None


# Two paragraphs of the UDHR's preamble in Khmer (tests/corpus/udhr: OHCHR's translation,
# as test_scripts builds it), set as the build sets them: wordbreak's U+200B between words,
# in Libertine, a run of its own between the Khmer runs. Raised marks (ី, ិ, ួ) end runs
# and stand past the next run's start.
KHMER_MARKS = ("ទៅលើសិទ្ធិមូលដ្ឋាន", "គតិរួម")


@pytest.fixture(scope="module")
def khmer_book(tmp_path_factory):
    """(PDF, its paragraphs): a book of the Khmer paragraphs holding KHMER_MARKS, with
    the corpus text's metadata, built as the build builds it."""
    import tarfile

    from samizdat import build

    script = next(s for s in fontstack.SCRIPTS if s.name == "Khmer")
    if fontstack.installed(script) is None:
        pytest.skip(f"{script.font} is not installed")
    with tarfile.open(ROOT / "tests" / "corpus" / "udhr" / "udhr.tar.xz") as tar:
        text = tar.extractfile("udhr-khm.md").read().decode()
    _, metadata, body = text.split("---\n", 2)
    paragraphs = [re.sub(r"\[\^\d+\]", "", line) for line in body.splitlines()
                  if any(mark in line for mark in KHMER_MARKS)]
    folder = tmp_path_factory.mktemp("khmer")
    source = folder / "khm.md"
    source.write_text(f"---\n{metadata}---\n\n" + "\n\n".join(paragraphs) + "\n",
                      encoding="utf-8")
    build.build(source, folder / "out", parallel=False)
    return (folder / "out" / "khm.pdf").read_bytes(), paragraphs


def body_text(pdf):
    """PDFium's text of the pages between the first (title) and the last (colophon)."""
    document = pypdfium2.PdfDocument(pdf)
    return "".join(document[i].get_textpage().get_text_range()
                   for i in range(1, len(document) - 1))


def test_a_raised_mark_ending_a_run_is_read_once(khmer_book):
    """A raised mark ending a Pango run (before a U+200B, set in Libertine as a run of
    its own) stands past the next run's start: PDFium sorted its text object after that
    run's first one and read its syllable's ActualText again ('ទៅលើសិទ្ធិមូល' read
    'ទៅលើសិទ្ធិ លើ សិទ្ធិមូសិទ្ធិមូល'). Its span goes on over the next run's first
    syllables, over a whole run and into the next where one is not enough (សិទ្ធិ's own
    ិ stands past មូ's start)."""
    pdf, paragraphs = khmer_book
    assert all(squashed(p) in squashed(body_text(pdf)) for p in paragraphs)


def test_no_space_is_read_inside_a_word_after_a_carried_span(khmer_book):
    """PDFium measures the gap to the next text object from the end of a span's first
    object (the copy `_redraw` puts first): the copy of a span carried into the next run
    ends where the span does, else PDFium saw a gap there and put a space in a word
    ('ដើម្បីជៀ ស'). Every space it reads stands where the text has one, or where a line
    may break (wordbreak's U+200B; lines break there)."""
    pdf, paragraphs = khmer_book
    text = body_text(pdf).replace("\r\n", " ").replace("\u200b", "")
    body = " ".join(paragraphs)
    marked = wordbreak.mark_words(body, "km")
    breaks, n = set(), 0
    for char in marked:
        if char in " \u200b":
            breaks.add(n)
        else:
            n += 1
    found, spaces = [], []
    for char in text:
        if char.isspace():
            spaces.append(len(found))
        else:
            found.append(char)
    start = "".join(found).find(squashed(body))
    assert start >= 0
    inside = [at - start for at in spaces
              if 0 < at - start < len(squashed(body)) and at - start not in breaks]
    assert inside == []


# The UDHR's preamble in Korean (OHCHR's translation): WeasyPrint justifies it at its
# spaces, each a Pango run of its own (its word spacing is an attribute) set in the
# stack's first font, Libertine, whose first glyph is moved (the spacing's left half).
KOREAN = ("모든 인류 구성원의 천부의 존엄성과 동등하고 양도할 수 없는 권리를 인정하는 것이 "
          "세계의 자유, 정의 및 평화의 기초이며")


def text_arrays(pdf):
    """[[items]] of every TJ array of `pdf`'s first page: glyph strings as bytes, numbers
    as floats."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return [[bytes(i) if isinstance(i, pikepdf.String) else float(i)
                 for i in operands[0]]
                for operands, operator in pikepdf.parse_content_stream(document.pages[0])
                if str(operator) == "TJ"]


def poppler_page(pdf, tmp_path):
    """`pdf`'s first page as poppler's pdftoppm draws it (grey, 144 dpi), or a skip."""
    import shutil
    import subprocess

    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.skip("poppler's pdftoppm is not installed (apt-get install poppler-utils)")
    path = tmp_path / "p.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-q", "-r", "144", "-gray", "-singlefile", str(path),
                    str(tmp_path / "p")], check=True, timeout=60)
    with Image.open(tmp_path / "p.pgm") as image:
        return image.copy()


@pytest.mark.parametrize(("lang", "fixed"), [("th", True), ("my", False), ("ko", True),
                                             ("km", True)])
def test_pdfium_draws_every_text_array_as_the_standard_does(lang, fixed, monkeypatch,
                                                             tmp_path):
    """No TJ array is written with an empty string in it (weasy._show_text): WeasyPrint
    opens a run whose first glyph is moved with one (`[<>-46.4<0001>-44] TJ`, a Korean
    space after Libertine's), and PDFium drops the number ending an array that holds
    one: Thai, Lao, Khmer, Burmese and Korean justified lines ended points short, in the
    text layer's spans and outside them (`fixed`: the text layer, or WeasyPrint's own
    drawing). PDFium now draws each line as the standard does (the moves ending an array
    in a TJ of their own), and the ink is as WeasyPrint's arrays draw it, in PDFium so
    split and in poppler."""
    from PIL import ImageChops

    if lang == "ko":
        script = next(s for s in fontstack.SCRIPTS if s.name == "CJK")
        font, text = fontstack.installed(script), KOREAN
        if font is None:
            pytest.skip(f"{script.font} is not installed: install {script.package}")
    else:
        font = font_of(lang)
        text = wordbreak.mark_words(f"{PHRASES[lang][1]} {PHRASES[lang][1]}", lang)

    def pdf():
        return drawn(text, font, fixed=fixed, justified=True, latin_first=True)

    def pdfium(pdf):
        return pypdfium2.PdfDocument(pdf)[0].render(scale=2).to_pil().convert("L")

    written = pdf()
    assert ImageChops.difference(pdfium(written),
                                 pdfium(as_the_standard_draws_it(written))).getbbox() is None
    assert not [items for items in text_arrays(written) if b"" in items]
    monkeypatch.setattr(weasy, "whole_text_arrays", contextlib.nullcontext)
    as_weasyprint_writes = pdf()
    assert [items for items in text_arrays(as_weasyprint_writes) if b"" in items]
    assert ImageChops.difference(
        pdfium(written), pdfium(as_the_standard_draws_it(as_weasyprint_writes))
    ).getbbox() is None
    assert ImageChops.difference(poppler_page(written, tmp_path),
                                 poppler_page(as_weasyprint_writes, tmp_path)).getbbox() is None


def test_a_text_array_is_written_without_its_empty_strings():
    """The moves about an empty string are kept, in order; an array of nothing is not
    written; one without an empty string is written as pydyf writes it."""
    import pydyf

    stream = pydyf.Stream()
    for body in ("<>-75.3<0001>-71", "<0001>-71<>-20<0002>", "<0001>22<>", "<>",
                 "<0001>-71<0002>", b"<><0003>"):
        weasy._show_text(stream, body)
    assert stream.stream == [b"[-75.3<0001>-71] TJ", b"[<0001>-71 -20<0002>] TJ",
                             b"[<0001>22] TJ", b"[<0001>-71<0002>] TJ", b"[<0003>] TJ"]


def test_text_arrays_are_left_to_another_pydyf(monkeypatch, caplog):
    import dataclasses

    import pydyf

    from samizdat.weasy import patches

    other = dataclasses.replace(patches.patch("text-arrays"),
                                targets=(("pydyf.Stream.show_text", "another pydyf"),))
    monkeypatch.setitem(patches.BY_NAME, "text-arrays", other)
    patches.say_not_applied.cache_clear()
    try:
        standard = pydyf.Stream.show_text
        with weasy.whole_text_arrays() as in_force:
            assert not in_force and pydyf.Stream.show_text is standard
        said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("W001")]
        assert len(said) == 1 and "pydyf.Stream.show_text" in said[0]
    finally:
        patches.say_not_applied.cache_clear()


def pen_ends(pdf):
    """[(baseline, where the pen ends)] of each text object group of `pdf`'s first page
    (from one `Tm` to the next), in WeasyPrint's text space (CSS px): its start moved
    by each TJ's glyphs, as the fonts' widths give them, and numbers."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        page = document.pages[0]
        widths = {}
        for name, font in page.Resources.Font.items():
            cid, spec = font.DescendantFonts[0], {}
            items, k = list(cid.W), 0
            while k < len(items):
                spec.update({int(items[k]) + n: float(w) for n, w in enumerate(items[k + 1])})
                k += 2
            widths[str(name)] = (spec, float(cid.get("/DW", 1000)))
        ends, font, size = [], None, 0
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op == "Tm":
                ends.append([float(operands[5]), float(operands[4])])
            elif op == "Tf":
                font, size = widths[str(operands[0])], float(operands[1])
            elif op == "TJ":
                for item in operands[0]:
                    if isinstance(item, pikepdf.String):
                        data = bytes(item)
                        ends[-1][1] += sum(font[0].get(int.from_bytes(data[i:i + 2], "big"),
                                                       font[1])
                                           for i in range(0, len(data), 2)) * size / 1000
                    else:
                        ends[-1][1] -= float(item) * size / 1000
        return [tuple(end) for end in ends]


@pytest.mark.parametrize("lang", ["my", "th"])
def test_a_widened_zero_width_space_moves_the_pen_by_its_width(lang):
    """A glyph drawn as nothing (a U+200B) moves the pen by its width: WeasyPrint 70 wrote
    it in Pango units taken for thousandths of an em, 2.4% too far, and each U+200B that
    linebreak.spaced_characters widens (a Thai or Burmese line's word spaces) moved the
    rest of the line on: a Burmese line ended 1.2 px past the edge, its last letters
    past the page's. Each line of a justified paragraph now ends where its box does, at
    the edge (within a twentieth of a pixel: WeasyPrint cuts each glyph's kerning to
    whole thousandths of an em; ended 0.07 to 0.61 px past before)."""
    from samizdat.weasy import linebreak

    font = font_of(lang)
    text = wordbreak.mark_words(" ".join([PHRASES[lang][1]] * 4), lang)
    fonts = FontConfiguration()
    css = CSS(string=f"@font-face {{ font-family: T; src: url({font.as_uri()}) }} "
                     "body { font-family: T; font-size: 14px; text-align: justify; margin: 0 } "
                     "@page { size: 400px 1000px; margin: 0 50px }", font_config=fonts)
    with linebreak.spaced_characters():
        document = HTML(string=f"<html lang={lang}><body><p>{text}</p></body></html>"
                        ).render(stylesheets=[css], font_config=fonts)
    with textlayer.actual_text():
        pdf = write_pdf(document)
    lines = {}
    for baseline, end in pen_ends(pdf):
        lines[baseline] = max(end, lines.get(baseline, end))
    ends = [lines[baseline] for baseline in sorted(lines)][:-1]
    assert len(ends) >= 3
    assert [round(end - 350, 2) for end in ends if abs(end - 350) > 0.05] == []


# --- right to left: a mark moved off its pen position, a glyph for two characters ------

AMIRI = FONTS / "Amiri-Regular.ttf"


def unmarked(text):
    """`text` without the bidi controls pdftotext writes about a right-to-left line's
    runs (U+202A-U+202E)."""
    return text.translate(dict.fromkeys(range(0x202A, 0x202F)))


# (phrase, drawn at 14 pt on one line (`drawn`) or at 10.5 pt in a paragraph): Persian's
# hamza above ه (U+0654), raised by a text rise and set right of its pen; Urdu's kasra
# (U+0650) under م, lowered and moved a little (which PDFium took for a second drawing
# of it when its copy came after it); Urdu's kasra moved right on its baseline, 0.21 em
# (poppler put it on a line of its own); alef and hamza above (U+0627 U+0654, as the
# Persian manuscript has them) drawn as one glyph.
RIGHT_TO_LEFT_MARKS = {
    "raised hamza": ("کلیهٔ اعضای خانواده و مادهٔ اول", False),
    "lowered kasra": ("اقوامِ متحدہ کے", False),
    "kasra moved on its baseline": ("اقوام متحدہ کے اشتراکِ عمل سے ساری دنیا", True),
    "alef and hamza in one glyph": ("حقوق \u062a\u0627\u0654\u0645\u06cc\u0646 گردد", True),
}


def rtl_drawn(case, fixed=True):
    text, in_paragraph = RIGHT_TO_LEFT_MARKS[case]
    return paragraph(text, AMIRI, fixed=fixed) if in_paragraph else \
        drawn(text, AMIRI, fixed=fixed)


@pytest.mark.parametrize("case", sorted(RIGHT_TO_LEFT_MARKS))
def test_pdfium_reads_a_right_to_left_mark_on_its_letter(case):
    """A mark of a right-to-left run moved off its pen position is drawn with no text,
    an inkless copy at its letter's pen giving it: PDFium sorts a line's text objects
    by their origin and read a raised hamza after its letter's whole object ('ٔ ماده');
    a glyph standing for alef and hamza above maps to their composition (U+0623), which
    has no order to get wrong (read 'تٔامین')."""
    text = RIGHT_TO_LEFT_MARKS[case][0]
    assert words_of(pdfium_text(rtl_drawn(case))) == words_of(text)


@pytest.mark.parametrize("case", sorted(RIGHT_TO_LEFT_MARKS))
def test_poppler_reads_a_right_to_left_mark_on_its_letter(case, tmp_path):
    """The same for poppler, which put a raised mark on the line above and a mark moved
    right on its baseline on a line of its own: the mark drawn is in a Span whose
    ActualText is empty."""
    text = RIGHT_TO_LEFT_MARKS[case][0]
    assert words_of(unmarked(pdftotext(rtl_drawn(case), tmp_path))) == words_of(text)


@pytest.mark.parametrize("case", sorted(RIGHT_TO_LEFT_MARKS))
def test_a_right_to_left_marks_ink_is_the_same_with_the_text_layer(case, tmp_path):
    """The copies have no ink and move the pen back; the marks drawn are where they were
    (a mark moved on its baseline now in a text array of its own): PDFium's and
    poppler's pictures are the same pixels."""
    import subprocess

    from PIL import Image, ImageChops

    pdfs = [rtl_drawn(case, fixed=fixed) for fixed in (True, False)]
    pages = [pypdfium2.PdfDocument(as_the_standard_draws_it(pdf))[0].render(scale=3)
             .to_pil().convert("L") for pdf in pdfs]
    assert ImageChops.difference(*pages).getbbox() is None
    pictures = []
    for n, pdf in enumerate(pdfs):
        (tmp_path / f"{n}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "200", "-gray", "-singlefile", str(tmp_path / f"{n}.pdf"),
                        str(tmp_path / f"{n}")], check=True, timeout=60)
        pictures.append(Image.open(tmp_path / f"{n}.pgm"))
    assert ImageChops.difference(*pictures).getbbox() is None


def test_a_right_to_left_mark_drawn_has_no_text_of_its_own():
    """Its drawing is in a Span with an empty ActualText (no text, for poppler and the
    standard), around marked content PDFium reads instead (it reads an empty ActualText
    as none) whose ActualText has no printable character; the copy is drawn first, with
    no ink."""
    with pikepdf.open(io.BytesIO(rtl_drawn("raised hamza"))) as document:
        ops = [(str(op), operands) for operands, op in
               pikepdf.parse_content_stream(document.pages[0])]
    rises = [k for k, (op, operands) in enumerate(ops) if op == "Ts" and float(operands[0])]
    assert rises
    for k in rises:
        if ops[k - 1][0] == "Tr":  # the copy, at the same rise
            continue
        outer, inner = ops[k - 2], ops[k - 1]
        assert outer[0] == inner[0] == "BDC"
        assert str(outer[1][0]) == "/Span" and str(outer[1][1].ActualText) == ""
        assert str(inner[1][0]) != "/Span"
        assert not any(c.isprintable() for c in str(inner[1][1].ActualText))
