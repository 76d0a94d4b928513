"""No line of a paragraph left holding one word (linebreak: WeasyPrint 70 fix + P006)."""

import random

import pytest
from samizdat import STYLES
from samizdat.checks import verify
from samizdat.outputs import pdf
from samizdat.source import manuscript
from samizdat.weasy import linebreak
from samizdat.weasy import CSS, HTML, FontConfiguration

# The run before <em> fits the first line only without its trailing space.
PARAGRAPH = ("A work I found particularly helpful in the '70s was Maurice Brinton's "
             "<em>The Bolsheviks and Workers Control</em>. This clear-headed and "
             "well-researched little book")


def first_lines(paragraph):
    """The first two lines of `paragraph` laid out with the house style at half-letter."""
    fonts = FontConfiguration()
    house = CSS(filename=str(STYLES / "print.css"), font_config=fonts)
    page = CSS(string="@page { size: 5.5in 8.5in }", font_config=fonts)
    html = f'<html lang="en-US"><main><p>x</p><p>{paragraph}</p></main></html>'
    document = HTML(string=html).render(stylesheets=[house, page], font_config=fonts)
    lines = [line for _, line in _lines(document)]
    return lines[1:3]


def _lines(document):
    for number, page in enumerate(document.pages, 1):
        for box in linebreak._paragraphs(page._page_box):
            for line in box.children:
                yield number, "".join(linebreak._texts(line)).strip()


def test_the_fix_is_written_for_this_weasyprint():
    assert linebreak.source_digest() == linebreak.KNOWN_SOURCE


def test_unfixed_weasyprint_leaves_the_first_word_alone():
    assert first_lines(PARAGRAPH)[0] == "A"


def test_fixed_the_run_keeps_its_line_and_the_emphasis_moves_down():
    with linebreak.hanging_spaces() as in_force:
        lines = first_lines(PARAGRAPH)
    assert in_force
    assert lines == ["A work I found particularly helpful in the '70s was Maurice Brinton's",
                     "The Bolsheviks and Workers Control. This clear-headed and well-"]


def test_another_weasyprint_is_left_alone(monkeypatch):
    monkeypatch.setattr(linebreak, "KNOWN_SOURCE", "not this weasyprint")
    with linebreak.hanging_spaces() as in_force:
        assert first_lines(PARAGRAPH)[0] == "A"
    assert in_force is False


@pytest.mark.parametrize("points, runts", [(10.5, [(2, "A")]),
                                           (11, [(3, 'Soviet"'), (14, "hired")])])
def test_the_real_text_at_half_letter(real, points, runts):
    """Measured: unfixed, these lines hold one word; the build's layout has none."""
    html, css = pdf.print_html(real), f"html {{ font-size: {points}pt }}"
    unfixed = pdf._render(html, ms=real, page=pdf.HALF_LETTER, styles=STYLES, forced=[],
                          css=css)
    assert linebreak.runts(unfixed) == runts
    assert linebreak.runts(pdf.layout(html, ms=real, page=pdf.HALF_LETTER, css=css)) == []


# A letter of Mina Harker's in Standard Ebooks' Dracula, as received (a block quotation):
# "and *my* belief in *him* helps", the emphasised words glued with no-break spaces.
DRACULA = (
    "\"Such a sad blow has befallen us. Mr.\xa0Hawkins has died very suddenly. "
    "Some may not think it so sad for us, but we had both come to so love "
    "him that it really seems as though we had lost a father. I never knew "
    "either father or mother, so that the dear old man's death is a real "
    "blow to me. Jonathan is greatly distressed. It is not only that he "
    "feels sorrow, deep sorrow, for the dear, good man who has befriended "
    "him all his life, and now at the end has treated him like his own son "
    "and left him a fortune which to people of our modest bringing up is "
    "wealth beyond the dream of avarice, but Jonathan feels it on another "
    "account. He says the amount of responsibility which it puts upon him "
    "makes him nervous. He begins to doubt himself. I try to cheer him up, "
    "and\xa0*my*\xa0belief in\xa0*him*\xa0helps him to have a belief in himself. But it "
    "is here that the grave shock that he experienced tells upon him the "
    "most. Oh, it is too hard that a sweet, simple, noble, strong nature "
    "such as his\u2060---a nature which enabled him by our dear, good friend's "
    "aid to rise from clerk to master in a few years\u2060---should be so "
    "injured that the very essence of its strength is gone. Forgive me, "
    "dear, if I worry you with my troubles in the midst of your own "
    "happiness; but, Lucy dear, I must tell someone, for the strain of "
    "keeping up a brave and cheerful appearance to Jonathan tries me, and I "
    "have no one here that I can confide in. I dread coming up to London, "
    "as we must do the day after tomorrow; for poor Mr.\xa0Hawkins left in his "
    "will that he was to be buried in the grave with his father. As there "
    "are no relations at all, Jonathan will have to be chief mourner. I "
    "shall try to run over to see you, dearest, if only for a few minutes. "
    "Forgive me for troubling you. With all blessings,")


def test_a_run_ending_in_a_no_break_space_is_broken_at_its_last_room(tmp_path):
    """Pango lets a trailing no-break space hang, as it does a space: WeasyPrint, breaking
    the run before "and\u00a0<em>my</em>" (no room there), took it for unbreakable and kept
    only its first word: "nervous." alone on a line of Dracula's page 170 (P006)."""
    path = tmp_path / "dracula.md"
    path.write_text("---\ntitle: Dracula\nauthor: Bram Stoker\ndate: \"1897\"\nlang: en-GB\n"
                    f"rights: Public domain\n---\n\n> {DRACULA}\n", encoding="utf-8")
    ms = manuscript.load(path)
    document = pdf.layout(pdf.print_html(ms), ms=ms, page=pdf.A5)
    assert linebreak.runts(document) == []
    lines = [text for _, text in _lines(document)]
    assert "nervous. He begins to doubt himself. I try to cheer him up," in lines


def test_a_forced_line_break_is_not_a_runt(tmp_path):
    fonts = FontConfiguration()
    house = CSS(filename=str(STYLES / "print.css"), font_config=fonts)
    html = ('<html lang="en"><main><p>Short line<br>then a line long enough to be '
            'justified across the measure and then some more words to wrap.</p></main>')
    document = HTML(string=html).render(stylesheets=[house], font_config=fonts)
    assert linebreak.runts(document) == []


def test_P006_a_pdf_with_a_runt_line(real, tmp_path):
    html = pdf.print_html(real)
    document = pdf._render(html, ms=real, page=pdf.HALF_LETTER, styles=STYLES, forced=[],
                           css="html { font-size: 10.5pt }")
    path = tmp_path / "x.pdf"
    document.write_pdf(path)
    findings = [f for f in verify.verify_pdf(path, document, real) if f.code == "P006"]
    assert [str(f) for f in findings] == [
        f"P006 {path}: page 2: a line of a justified paragraph holds only 'A' "
        "(a line-breaking fault)"]


WORDS = ("the workers councils of revolution and power in production were a class party "
         "state soviets factory committees management Bolshevik anarchist industry").split()


def emphatic_text(seed):
    """40 paragraphs of words with emphasis, strong emphasis and links among them."""
    rng, body = random.Random(seed), []
    for _ in range(40):
        words = [rng.choice(WORDS) for _ in range(rng.randint(15, 120))]
        for _ in range(rng.randint(0, 4)):
            at = rng.randint(1, len(words) - 1)
            markup = rng.choice(["*%s*", "**%s**", "[%s](https://x.org)", "*%s %s*"])
            words[at] = markup.replace("%s", rng.choice(WORDS))
        body.append(" ".join(words).capitalize() + ".")
    return ("---\ntitle: Stress\nauthor: Test\ndate: 2024\nlang: en\n"
            "rights: Anti-Copyright\n---\n\n" + "\n\n".join(body) + "\n")


@pytest.mark.parametrize("seed, page, points, unfixed", [
    (1, pdf.HALF_LETTER, 10.5, [(6, "Coun‐"), (9, "age‐")]),
    (3, pdf.A5, 12, [(2, "industry")])])
def test_texts_with_emphasis_and_links(tmp_path, seed, page, points, unfixed):
    """Measured on 24 such layouts (4 texts, A5 and half-letter, 9.5/10.5/12 pt): 9
    runt lines unfixed, some ending in a hyphen; none with the fix."""
    path = tmp_path / "emphatic.md"
    path.write_text(emphatic_text(seed), encoding="utf-8")
    ms = manuscript.load(path)
    html, css = pdf.print_html(ms), f"html {{ font-size: {points}pt }}"
    document = pdf._render(html, ms=ms, page=page, styles=STYLES, forced=[], css=css)
    assert linebreak.runts(document) == unfixed
    assert linebreak.runts(pdf.layout(html, ms=ms, page=page, css=css)) == []


def test_a_short_line_before_an_image_that_did_not_fit_is_no_runt(tmp_path):
    """Found in Entre Nous (Gutenberg): a page number, then a picture the width of the
    page; the number's line is short because the picture went to the next line."""
    from samizdat.outputs import pdf
    from samizdat.source import manuscript
    from test_hostile import png

    (tmp_path / "wide.png").write_bytes(png(600, 40, b"\x80\x80\x80"))
    source = tmp_path / "t.md"
    source.write_text("---\ntitle: T\n---\n\n[63]{.pagenum} ![a picture](wide.png)"
                      " and some words after it to fill the paragraph's last line.\n",
                      encoding="utf-8")
    ms = manuscript.load(source)
    document = pdf.layout(pdf.print_html(ms), ms=ms, page=pdf.A5)
    lines = [line for page in document.pages for paragraph in
             linebreak._paragraphs(page._page_box) for line in paragraph.children]
    assert len(lines) >= 3 and linebreak.runts(document) == []


def laid_out(tmp_path, body, *, lang="mk", trim="a6"):
    """(manuscript, print HTML, layout) of a manuscript of `body` at `trim`."""
    from samizdat import editions

    source = tmp_path / "t.md"
    source.write_text(f"---\ntitle: T\nauthor: A\ndate: 2024\nlang: {lang}\nrights: CC0\n"
                      f"---\n\n{body}\n", encoding="utf-8")
    ms = manuscript.load(source)
    html = pdf.print_html(ms)
    return ms, html, pdf.layout(html, ms=ms, page=editions.TRIMS[trim])


def findings_of(tmp_path, ms, html, document):
    path = tmp_path / "t.pdf"
    pdf.write_pdf(document, path)
    return [str(f) for f in verify.verify_pdf(path, document, ms, html=html)]


def line_texts(document):
    return [text for _, text in _lines(document)]


# A reproduction of the Macedonian text (no hyphenation patterns for mk): a
# long word, then one wider than what is left of the line.
MACEDONIAN = ("Во тоа време се зборуваше многу таканаречената "
              "интернационалнаработничкасолидарност се спомнуваше во сите весници и "
              "списанија на тоа време.")


def test_a_line_left_short_before_a_long_word_is_no_runt(tmp_path):
    """The issue's P006 "a line holds only '<one long word>'": the next word is wider
    than what is left of the line (and fits a line of its own), so the line is as short
    as it must be, no line-breaking fault: the build does not refuse it."""
    ms, html, document = laid_out(tmp_path, MACEDONIAN)
    assert line_texts(document)[1:3] == ["таканаречената",
                                         "интернационалнаработничкасолидарност се"]
    assert linebreak.runts(document) == []
    assert findings_of(tmp_path, ms, html, document) == []


def test_a_word_wider_than_the_measure_breaks_where_the_line_has_room(tmp_path, caplog):
    """A word wider than the line (A6) ran past the edge (P007) after a line left short
    for it (P006). It is broken without a hyphen, starting where the line has room, and
    said (P008, a warning) with its line; nothing runs past the edge, and the note's
    call glued to it stays with its last letters."""
    word = "противуставностнатакапиталистичкатаопштественостпоредок"
    ms, html, document = laid_out(tmp_path, "Прва реченица.\n\nВо тоа време се зборуваше "
                                  f"за таканаречената {word}[^1] и за сите нејзини "
                                  "последици врз работничката класа во Македонија.\n\n"
                                  "[^1]: Белешка.")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", f"P008 {ms.path}:11: '{word}' is wider than a line (A6): broken to "
         "fit, without a hyphen")]
    lines = line_texts(document)
    assert lines[2].startswith("таканаречената противуставност")
    assert "".join(lines).replace(" ", "").count(word + "1") == 1
    assert findings_of(tmp_path, ms, html, document) == []


def test_a_word_that_fits_is_left_alone(tmp_path, caplog):
    ms, html, document = laid_out(tmp_path, MACEDONIAN, trim="a5")
    assert caplog.records == [] and "samizdat-overlong" not in html


def test_a_line_separator_ends_its_line(tmp_path):
    """U+2028 (a line separator, kept by pandoc inside a word) ended a line that was
    then justified: a line holding one word before it was a runt (P006). It is a hard
    line break, as EPUB readers show it."""
    ms, html, document = laid_out(tmp_path, "Tom\u2028Wetzel wrote this review of the "
                                  "book in the year two thousand and five, when it came "
                                  "out again.\u2029The end of it.", lang="en", trim="a5")
    assert line_texts(document)[:2] == ["Tom", "Wetzel wrote this review of the book in "
                                        "the year two thousand and five, when"]
    assert line_texts(document)[-1] == "The end of it."
    assert findings_of(tmp_path, ms, html, document) == []


def test_a_word_is_broken_only_where_its_letters_stay_as_they_are():
    """pyphen breaks Hungarian "mennyire" as "meny-" + "nyire"; WeasyPrint 70 printed
    "meny-" + "yire" (seen on ELTeC's Hungarian novels, P002). Within the layout's
    fixes that break is not offered; the standard one is."""
    import pyphen

    from samizdat.weasy import linebreak

    hungarian = pyphen.Pyphen(lang="hu")
    assert ("meny", "nyire") in list(hungarian.iterate("mennyire"))
    with linebreak.standard_hyphenation():
        assert list(hungarian.iterate("mennyire")) == [("mennyi", "re")]
    assert ("meny", "nyire") in list(hungarian.iterate("mennyire"))


def test_a_very_long_word_is_named_by_its_ends(tmp_path, caplog):
    """A finding stays a line a person can read: a word of 3,000 letters is named by its
    first and last letters and its length, not quoted whole."""
    word = "ab" * 1500
    ms, html, document = laid_out(tmp_path, f"Before it {word} and after it.")
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("P008")]
    assert said == [f"P008 {ms.path}:9: '{word[:40]}…{word[-12:]}' (3000 characters) is wider "
                    "than a line (A6): broken to fit, without a hyphen"]


def _udhr_paragraphs(stem, count):
    """The first `count` paragraphs of the corpus's UDHR text `stem` (issue 26's bench)."""
    import tarfile
    from pathlib import Path

    udhr = Path(__file__).resolve().parent / "corpus" / "udhr" / "udhr.tar.xz"
    with tarfile.open(udhr) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith(f"{stem}.md"))
        text = tar.extractfile(member).read().decode("utf-8")
    body = text.split("\n---\n", 1)[1]
    paragraphs = (p.strip() for p in body.split("\n\n"))
    return [p for p in paragraphs if p and not p.startswith("#")][:count]


def _justified_lines(document):
    """(text, widest gap a space was widened by, in ems) of every justified line: each
    line of a paragraph but its last."""
    for page in document.pages:
        for paragraph in linebreak._paragraphs(page._page_box):
            for line in paragraph.children[:-1]:
                boxes = [b for b in line.descendants() if isinstance(b, linebreak.TextBox)]
                gap = max((b.justification_spacing or 0) / b.style["font_size"]
                          for b in boxes)
                yield "".join(linebreak._texts(line)).strip(), gap


@pytest.mark.parametrize("stem, lang", [("udhr-mal", "ml"), ("udhr-kat", "ka")])
def test_malayalam_and_georgian_are_hyphenated_and_their_gaps_stay_narrow(tmp_path, stem,
                                                                          lang):
    """Issue 26: pyphen has no Malayalam or Georgian patterns, so their justified lines
    were never hyphenated and a line of two or three long words was spread across the
    measure (A5, the UDHR's preamble: Malayalam spaces widened by up to 14.6 em,
    Georgian 1.7 em). With TeX's patterns (styles/hyphenation) words are broken and no
    space is widened by more than 1.5 em."""
    ms, html, document = laid_out(tmp_path, "\n\n".join(_udhr_paragraphs(stem, 3)),
                                  lang=lang, trim="a5")
    lines = list(_justified_lines(document))
    hyphenated = [text for text, _ in lines if text.endswith("\u2010")]
    assert len(lines) >= 10 and len(hyphenated) >= len(lines) // 4, (len(lines), hyphenated)
    assert max(gap for _, gap in lines) <= 1.5, max(lines, key=lambda line: line[1])
    assert findings_of(tmp_path, ms, html, document) == []


def test_a_language_pyphen_has_is_never_overridden():
    """The house's dictionaries are added only for languages pyphen lacks, and within
    the layout's fixes alone."""
    import pyphen

    assert "ml" not in pyphen.LANGUAGES
    with linebreak.more_hyphenation() as in_force:
        assert in_force
        assert pyphen.language_fallback("ml-IN") == "ml"
        assert pyphen.Pyphen(lang="ka", left=1, right=2).inserted("ადამიანთა") != "ადამიანთა"
        assert pyphen.LANGUAGES["ml"] == linebreak.HYPHENATION / "hyph_ml.dic"
    assert "ml" not in pyphen.LANGUAGES and pyphen.language_fallback("ml") is None
    # Marathi is pyphen's (hyph_mr_IN.dic): a house hyph_mr.dic would not be added
    assert linebreak.added_languages({"mr_IN": None, "ML": None}).keys() == \
        {"ta", "hi", "bn", "gu", "ka", "hy"}


def test_the_house_limits_are_no_looser_than_texs_mins():
    """pyphen takes its limits from WeasyPrint (print.css's hyphenate-limit-chars), not
    from a .dic's LEFTHYPHENMIN/RIGHTHYPHENMIN: those TeX mins must not be stricter."""
    import re

    limits = re.search(r"hyphenate-limit-chars: \d+ (\d+) (\d+);",
                       (STYLES / "print.css").read_text(encoding="utf-8"))
    for dic in linebreak.HYPHENATION.glob("hyph_*.dic"):
        head = dic.read_text(encoding="utf-8").split("\n")[:3]
        assert head[0] == "UTF-8"
        left, right = (int(line.split()[1]) for line in head[1:3])
        assert left <= int(limits[1]) and right <= int(limits[2]), dic.name
