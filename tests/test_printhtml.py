"""The print HTML: note calls glued to the word before them (printhtml.glue_calls), notes
and verse as lines, what the house leaves out, and the text it must show (printed)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from samizdat.outputs import printhtml
from samizdat.source import pandoc, policy

REFERENCE = Path(__file__).parent / "printhtml" / "glue-reference.lua"


def print_html_of(tmp_path, text):
    """The print HTML of a manuscript holding `text`."""
    from samizdat.source import manuscript

    source = tmp_path / "t.md"
    source.write_text(text, encoding="utf-8")
    return printhtml.print_html(manuscript.load(source))


def html_of(markdown, *, glue):
    """pandoc's HTML of `markdown` with notes as footnote spans, glued by Samizdat's
    Python (glue="python") or by the reference Lua filter (glue="lua")."""
    filters = [pandoc.FILTERS / "print-notes.lua"] + ([REFERENCE] if glue == "lua" else [])
    html = pandoc.run(["-t", "html5", "--wrap=none",
                       *(arg for f in filters for arg in ("--lua-filter", str(f)))],
                      text=markdown, source="x.md", reader=pandoc.PLAIN).decode("utf-8")
    return printhtml.glue_calls(html) if glue == "python" else html


def test_a_call_is_glued_to_the_word_before_it():
    html = html_of("The end of the revolution.[^1]\n\n[^1]: A *note* with [a link](x).\n",
                   glue="python")
    assert ('the <span class="samizdat-call">revolution.<span class="samizdat-note" data-note="1">A '
            '<em>note</em> with <a href="x">a link</a>.</span></span></p>') in html


def test_a_call_after_a_space_or_an_element_stays_where_it_is():
    html = html_of("Word [^1] and *emphasis*[^2].\n\n[^1]: One.\n[^2]: Two.\n",
                   glue="python")
    assert '<span class="samizdat-call">' not in html
    assert html.count('class="samizdat-note"') == 2


@pytest.mark.parametrize("text, glued", [
    # Chinese: its last character and the comma after it (a paragraph has no space)
    ("乃是世界自由、正义与和平的基础，[^1]", "础，"),
    # Amharic: the word after the last wordspace (U+1361)
    ("አንዱ፡ሌላውን፡በወንድማማችነት፡መንፈስ፡መመልከት፡ይገባዋል።[^1]", "ይገባዋል።"),
    # Thai: the last letter with its marks
    ("ความเสมอภาคและสิทธิที่[^1]", "ที่"),
])
def test_in_a_script_without_spaces_a_call_is_glued_to_its_last_letter(text, glued):
    """Glued to the run before it, the call would keep a paragraph on one line."""
    html = html_of(f"{text}\n\n[^1]: A note.\n", glue="python")
    assert f'<span class="samizdat-call">{glued}<span class="samizdat-note"' in html


WORDS = st.sampled_from(["word", "revolt.", "“quoted”", "x,", "(paren)", "a&b", "1917",
                         "*em*", "**strong**", "`code`", "[link](u)", "<b>raw</b>",
                         "soviets:", "don't", "—", '"plain"', "^sup^", "~sub~", "a\\_b"])


@st.composite
def paragraphs(draw):
    """Paragraphs of words, notes placed after a word or after a space, note texts
    with markup of their own (nested spans must be closed in the right place)."""
    text, number = [], 0
    for _ in range(draw(st.integers(1, 3))):
        words = []
        for word in draw(st.lists(WORDS, min_size=1, max_size=8)):
            words.append(word)
            if draw(st.booleans()):
                number += 1
                words[-1] += draw(st.sampled_from(["", " "])) + f"[^{number}]"
        text.append(" ".join(words))
    notes = [f"[^{n}]: Note {n} with *em* and [^a link](u) and `code`." for n in
             range(1, number + 1)]
    return "\n\n".join(text + notes) + "\n"


@settings(max_examples=40, deadline=timedelta(seconds=3),
          suppress_health_check=[HealthCheck.too_slow])
@given(markdown=paragraphs())
def test_the_python_glue_gives_the_html_the_lua_glue_gave(markdown):
    assert html_of(markdown, glue="python") == html_of(markdown, glue="lua")


def test_a_note_keeps_its_list_numbers_and_table_cells_in_print(tmp_path):
    """A note's blocks become lines of its span; nothing pandoc would print is lost, and
    what print adds (numbers, rules) is marked for the EPUB's comparison."""
    html = print_html_of(tmp_path, "---\ntitle: T\n---\n\nText.[^1]\n\n[^1]: See:\n\n    | a | b |\n"
                      "    |---|---|\n    | 1 | 2 |\n\n    3. Cor. 10 v. 4.\n    4. Acts 2.\n\n"
                      "    - one\n")
    printed = printhtml.printed(html)
    assert printed.notes == ["See: a | b 1 | 2 3. Cor. 10 v. 4. 4. Acts 2. • one"]
    assert printed.note_words == ["See: a b 1 2 Cor. 10 v. 4. Acts 2. one"]
    assert printed.paragraphs == ["Text.", "T"]


@pytest.mark.parametrize("smart, want", [("", "“Quoted” — dashed – and…"),
                                         ("smart: false\n", '"Quoted" --- dashed -- and...')])
def test_quotes_and_dashes_are_typographic_unless_the_manuscript_says_not(tmp_path, smart,
                                                                          want):
    html = print_html_of(tmp_path, f"---\ntitle: T\n{smart}---\n\n\"Quoted\" --- dashed -- and...\n")
    assert printhtml.printed(html).paragraphs[0] \
        == want


def test_notes_holding_spans_are_all_taken_out_of_the_paragraphs(tmp_path):
    """Found on Kropotkin's Mutual Aid (Standard Ebooks): a note holding a span ended the
    walk that takes notes out of their paragraphs, and 352 paragraphs were "text lost"."""
    html = print_html_of(tmp_path, "---\ntitle: T\n---\n\nFirst.[^1]\n\nSecond.[^2]\n\n"
                      "[^1]: Book [iii]{.z3998:roman} here.\n\n[^2]: Plain.\n")
    printed = printhtml.printed(html)
    assert printed.paragraphs[:2] == ["First.", "Second."]
    assert printed.notes == ["Book iii here.", "Plain."]


def test_a_footnote_class_of_the_authors_is_not_a_note(tmp_path):
    """Found on Morris's News from Nowhere (Gutenberg): its <a class="footnote">[1]</a>
    took the house style's note rule and floated to the page's foot."""
    html = print_html_of(tmp_path, '---\ntitle: T\n---\n\nA mark <a class="footnote" href="#x">[1]</a> '
                      "and a note.[^1]\n\n[^1]: The note.\n")
    assert html.count('class="samizdat-note"') == 1 and 'class="footnote"' in html


def test_the_house_leaves_out_inline_styles_and_dead_links_and_sets_pictures(tmp_path):
    """Found in Entre Nous (Gutenberg): inline floats, links to anchors the text does not
    have, pictures in paragraphs of their own pushed past the edge by the indent."""
    html = print_html_of(tmp_path, '---\ntitle: T\n---\n\n[a]{#here style="color: red"} [to here](#here) '
                      '[dead](#nowhere) <span style="display: none">hidden</span> '
                      '<a name="old"></a> [old](#old)\n\n![](x.png) [![i](y.png)](z.png)\n')
    assert "style=" not in html.split("<body>")[1]
    assert '<a href="#here">to here</a> dead <span>hidden</span>' in html
    assert '<a href="#old">old</a>' in html
    assert '<div class="picture">\n<img src="x.png" />' in html


LINKS = ["/bookbuilder", "/library/title-3", "title-2", "./title-5", "../other-text.html",
         "//libcom.org/x", "file:///home/me/x.txt", "C:/x.txt", "gemini://x.org/",
         "magnet:?xt=urn:btih:ab", "doi:10.1/x", "SMS:+1234", "HTTPS://libcom.org/",
         *(f"{scheme}:x" for scheme in sorted(policy.LINK_SCHEMES))]
# Addresses of schemes EPUBCheck knows that are no valid URL (RSC-020; amusewiki's
# links-2.muse has the first), and valid ones of the same shapes.
MALFORMED = ["mailto:marco@pessotto.hr/\\text{test}", "http://x.org/a\\b", "http://x.org\\y",
             "http://x.org/%zz", "http://x.org/a%", "http://x.org/#a#b", "http://x..org/",
             "http://.x.org/", "http://exa mple.org/", "http://x.org:99999/", "http:///x",
             "http:x.org", "http://", "mailto:", "https://x.org/a?b\\c", "http://x.org/\x01"]
WELL_FORMED = ["http://x.org/a%5Cb", "http://x.org/a b", "http://x.org/[a]^|`{}",
               "mailto:a b@c", "https://x.org/ä", "http://ä.org/", "http://x.org/%7e",
               "http://user:pa ss@x.org/", "http://x.org:8080/a", "http://x.org:/a",
               "mailto:a@b.org?subject=a b", "tel:+1 234", "urn:isbn:123", "news:comp.lang",
               "http://x.org/a#b c", "HTTP://X.ORG/"]


def test_the_house_prints_a_link_as_its_words_where_policy_says_it_goes_nowhere():
    """house.lua (which mends) and policy.unfollowable (which warns, R010) agree on
    every scheme EPUBCheck knows and on the shapes amusewiki and converters give."""
    markdown = "\n\n".join(f"[link {n}]({target})" for n, target in enumerate(LINKS))
    html = pandoc.run(["-t", "html5", "--lua-filter", str(pandoc.FILTERS / "house.lua")],
                      text=markdown, source="x.md").decode("utf-8")
    kept = {int(n) for n in re.findall(r'<a href="[^"]*">link (\d+)</a>', html)}
    assert kept == {n for n, target in enumerate(LINKS) if not policy.unfollowable(target)}
    # 12, and ftp:x, http:x, https:x: no valid URL (no //host; RSC-020)
    assert html.count("<p>link ") == len(LINKS) - len(kept) == 15


def test_the_house_prints_an_address_that_is_no_valid_url_as_its_words():
    """house.lua and policy.malformed agree on which addresses are no valid URL
    (EPUBCheck's RSC-020): those are printed as their words, the others kept."""
    links = MALFORMED + WELL_FORMED
    markdown = "\n\n".join(f"[link {n}](<{target}>)" for n, target in enumerate(links))
    html = pandoc.run(["-t", "html5", "--lua-filter", str(pandoc.FILTERS / "house.lua")],
                      text=markdown, source="x.md").decode("utf-8")
    kept = {int(n) for n in re.findall(r'<a href="[^"]*">link (\d+)</a>', html)}
    assert kept == set(range(len(MALFORMED), len(links)))
    assert all(policy.malformed(t) for t in MALFORMED)
    assert not any(policy.malformed(t) for t in WELL_FORMED)
    assert all("well-formed" in policy.unfollowable(t) for t in MALFORMED)


def test_the_pdfs_keywords_are_the_subjects_as_plain_text(tmp_path):
    """Text::Amuse's compile manual says `#topics My *category*`: the PDF's keywords were
    "My <em>category</em>" (P003). They are the subjects' words, whatever they hold."""
    from weasyprint import HTML
    from weasyprint.html import get_html_metadata

    html = print_html_of(tmp_path, '---\ntitle: T\nsubject: ["My *category*", '
                         '\'Tom & "Jerry"\']\n---\n\nText.\n')
    keywords = get_html_metadata(HTML(string=html))["keywords"]
    assert keywords == ["My category", "Tom & “Jerry”"]  # as the OPF has them


# Raw HTML as pandoc reads it from texts converted from plain text (RusLit's Lermontov,
# Blok and Pushkin: a title in angle brackets) and from a how-to, and markup that stays.
TAGS = ["<ВАЛЕРИК>", "<ДВА СТИХОТВОРЕНИЯ>", "<арка>", "<file>", "</file>", "<Chorus>",
        "<my-tag/>", "<br>", "<b>", "</b>", "<circle r=\"1\"/>", "<mfrac>", "<epub:switch>",
        "<FONT>", "<!-- a comment -->", *(f"<{name}>" for name in sorted(policy.ELEMENTS))]


def test_the_house_prints_a_tag_naming_no_element_as_text_where_policy_says_so():
    """house.lua (which mends) and policy.not_markup (which warns, R011) agree: a tag
    naming no element of HTML, SVG or MathML is text; every element's tag stays markup.
    `<ВАЛЕРИК>` left as markup was never closed, and the EPUB's XHTML did not parse (E005)."""
    markdown = "\n\n".join(f"{n} `{tag}`{{=html}}" for n, tag in enumerate(TAGS))
    html = pandoc.run(["-t", "html5", "--lua-filter", str(pandoc.FILTERS / "house.lua")],
                      text=markdown, source="x.md").decode("utf-8")
    as_text = {n for n, tag in enumerate(TAGS) if policy.not_markup(tag)}
    printed = {n for n, tag in enumerate(TAGS)
               if f"{n} {tag.replace('<', '&lt;').replace('>', '&gt;')}" in html}
    assert printed == as_text == set(range(7))
    assert all(f"{n} {tag}" in html for n, tag in enumerate(TAGS) if n not in as_text)


def test_the_house_and_policy_know_the_same_elements():
    lua = (pandoc.FILTERS / "house.lua").read_text(encoding="utf-8")
    listed = re.search(r"local ELEMENTS = \{\}\nfor name in \(\[\[(.*?)\]\]\)", lua, re.S)[1]
    assert set(listed.split()) == policy.ELEMENTS


def test_verse_is_set_as_lines(tmp_path):
    """Line blocks, stanzas of three hard-broken lines or more, and every paragraph of a
    poem (Whitman, Standard Ebooks: z3998:poem) become lines print.css can hang; a
    paragraph with one hard break outside a poem stays prose, and so does the colophon."""
    html = print_html_of(tmp_path, "---\ntitle: T\nsubtitle: S\ndate: 2024\n---\n\n| one\n|   two\n\n"
                      "A\\\nB\\\nC\n\nProse\\\nwith one break.\n\n"
                      '::: {epub:type="chapter z3998:poem"}\nShort\\\nstanza.\n\nOne line.\n:::\n')
    verses = re.findall(r'<div class="verse">(.*?)</div>', html, re.S)
    lines = [re.findall(r"<p[^>]*>(.*?)</p>", v) for v in verses]
    assert lines == [["one", "\u00a0\u00a0two"], ["A", "B", "C"], ["Short", "stanza."],
                     ["One line."]]
    assert re.search(r"<p[^>]*>Prose<br />with one break.</p>", html)


# Wordsworth, "I wandered lonely as a cloud" (1807), as a plain-text edition (Project
# Gutenberg's) has it and a mechanical conversion leaves it: lines ended by plain
# newlines, which Markdown runs together into one justified paragraph.
DAFFODILS = ("I wandered lonely as a cloud\nThat floats on high o'er vales and hills,\n"
             "When all at once I saw a crowd,\nA host, of golden daffodils;\n"
             "Beside the lake, beneath the trees,\nFluttering and dancing in the breeze.\n")


def test_plain_text_verse_is_set_as_lines_and_wrapped_prose_is_not(tmp_path):
    """A stanza of plain-text verse (lines broken by hand, each opening with a capital)
    was set as a justified paragraph. Prose wrapped at a width (no line could have taken
    the next one's first word), or written a sentence a line, stays prose."""
    html = print_html_of(tmp_path, "---\ntitle: T\n---\n\n" + DAFFODILS + "\n"
                         "This is prose wrapped at a width of sixty characters, as many\n"
                         "Markdown writers wrap it: every line but the last is full, so\n"
                         "No word of the next line would have fitted on the one before.\n\n"
                         "One sentence a line.\nAnother sentence on its line.\n"
                         "And a third one.\n\nTwo lines\nOf a couplet.\n")
    verses = re.findall(r'<div class="verse">(.*?)</div>', html, re.S)
    lines = [re.findall(r"<p[^>]*>(.*?)</p>", v) for v in verses]
    assert lines == [["I wandered lonely as a cloud",
                      "That floats on high o’er vales and hills,",
                      "When all at once I saw a crowd,", "A host, of golden daffodils;",
                      "Beside the lake, beneath the trees,",
                      "Fluttering and dancing in the breeze."]]
    for prose in ("This is prose wrapped at a width of sixty characters, as many Markdown",
                  "One sentence a line. Another sentence", "Two lines Of a couplet."):
        assert re.search(rf'<p data-p="\d+">{prose}', html), prose


@pytest.mark.parametrize("chapters, contents, opens", [(1, False, False), (2, False, True),
                                                       (3, True, True)])
def test_chapters_open_pages_and_three_get_a_printed_contents(tmp_path, chapters, contents,
                                                              opens):
    body = "".join(f"# Chapter {n}\n\n## Part {n}.1\n\nText {n}.\n\n" for n in
                   range(1, chapters + 1))
    html = print_html_of(tmp_path, f"---\ntitle: T\nlang: de\n---\n\n{body}")
    assert ('<nav class="contents"' in html) == contents
    assert ('<main class="text chapters-1">' in html) == opens
    if contents:
        nav = html[html.index('<nav class="contents"'):html.index("</nav>")]
        assert "Inhalt" in nav and "#part-3.1" in nav and "colophon" not in nav


def test_chapters_under_one_title_heading_are_level_2(tmp_path):
    """Standard Ebooks (Kropotkin's Mutual Aid): one level-1 title, chapters at level 2."""
    body = "# Mutual Aid\n\n" + "".join(f"## {n}\n\nText.\n\n" for n in ("I", "II", "III"))
    html = print_html_of(tmp_path, f"---\ntitle: T\n---\n\n{body}")
    assert '<main class="text chapters-2">' in html and '<nav class="contents"' in html


def test_dashes_no_font_has_are_set_as_em_dashes(tmp_path):
    """Found in Kropotkin's Mutual Aid (Standard Ebooks): U+2E3A and U+2E3B, which no
    font of the build's has, print as two and three em dashes; the check lets them by."""
    from samizdat.writing import glyphs

    html = print_html_of(tmp_path, "---\ntitle: T\n---\n\nB⸺ and ⸻.[^1]\n\n[^1]: C⸺.\n")
    printed = printhtml.printed(html)
    assert printed.paragraphs[0] == "B—— and ———." and printed.notes == ["C——."]
    assert glyphs.missing("B⸺ ⸻") == []


def test_the_printed_contents_leaves_out_the_notes_of_headings(tmp_path):
    """pandoc copies a heading's note into its contents entry: printed twice, and the
    layout's note check would count it twice (found on Text::Amuse's beamer.muse)."""
    body = "".join(f"# Part {n}[^{n}]\n\nText {n}.\n\n" for n in range(1, 4))
    body += "".join(f"[^{n}]: Note of part {n}.\n\n" for n in range(1, 4))
    html = print_html_of(tmp_path, "---\ntitle: T\n---\n\n" + body)
    contents = html[html.index('<nav class="contents"'):html.index("</nav>")]
    assert "Part 1" in contents and "samizdat-note" not in contents
    assert printhtml.printed(html).notes == [f"Note of part {n}." for n in range(1, 4)]


def test_a_secondary_note_is_marked_for_its_own_series(tmp_path):
    html = print_html_of(tmp_path, "---\ntitle: T\n---\n\nA word[^1] and another.[^2]\n\n"
                                   "[^1]: Primary.\n\n"
                                   "[^2]: []{.secondary}The translator's.\n")
    assert re.findall(r'class="(samizdat-note[^"]*)" data-note="(\d)"', html) == [
        ("samizdat-note", "1"), ("samizdat-note secondary", "2")]
    assert printhtml.printed(html).notes == ["Primary.", "The translator’s."]
