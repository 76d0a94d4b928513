"""The print HTML: the manuscript as one HTML document for WeasyPrint (pandoc only).

Kept apart from pdf.py so it can run while WeasyPrint is still being imported.
"""

import functools
import re
from dataclasses import dataclass

from ..source import pandoc
from ..writing import glyphs, wordbreak
from ..writing.markup import in_body_text, span_end

NOTE = re.compile(r'<span class="samizdat-note(?: secondary)?" data-note="\d+">')


def print_html(ms, *, modified=None):
    """The manuscript as one HTML document for print, paragraphs numbered in data-p,
    each note call glued to the word before it.

    `modified` (ISO 8601) becomes the PDF's modification date."""
    import html as markup

    stamp = ["-M", f"samizdat-modified={modified}"] if modified else []
    # The subjects as plain text, escaped here (a template variable is not): `$subject$`
    # is HTML, and a Muse #topics "My *category*" gave the PDF the keywords
    # "My <em>category</em>" (P003).
    keywords = ", ".join(" ".join(s.split()) for s in ms.plain_list("subject"))
    html = ms.pandoc(
        ["-t", "html5", "--standalone", "--wrap=none", *stamp, *ms.label_args,
         "-V", f"samizdat-keywords={markup.escape(keywords)}",
         "--toc", "--toc-depth=2", "-M", "samizdat-contents=true",
         "-M", f"samizdat-contents-label={ms.labels['contents']}",
         "--template", str(pandoc.TEMPLATES / "print.html"),
         "--lua-filter", str(pandoc.FILTERS / "house.lua"),
         # before the colophon, whose title block has hard breaks but is no verse
         "--lua-filter", str(pandoc.FILTERS / "print-blocks.lua"),
         "--lua-filter", str(pandoc.FILTERS / "colophon.lua"),
         "--lua-filter", str(pandoc.FILTERS / "print-notes.lua")]).decode("utf-8")
    # The colophon is the back page, not a chapter: out of the printed contents.
    html = re.sub(r'<li><a href="#colophon"[^>]*>.*?</a></li>\n?', "", html, count=1)
    # pandoc writes a newline after each <br />; inside a note (an inline float)
    # WeasyPrint 70 lays that newline out as an empty line (seen on SBLGNT Galatians).
    html = html.replace("<br />\n", "<br />")
    # Dashes none of the build's fonts has, set as what they are: two and three em
    # dashes (Standard Ebooks writes U+2E3A and U+2E3B for omitted words).
    for dash, em_dashes in glyphs.SET_AS.items():
        html = html.replace(dash, em_dashes)
    html = _no_notes_in_contents(html)
    html = separators_as_breaks(html)
    counter = iter(range(1, 1_000_000))
    html = re.sub(r"<p>", lambda _: f'<p data-p="{next(counter)}">', html)
    # Khmer, Lao and Burmese words, which Pango does not find, marked where ICU finds them
    html = in_body_text(html, functools.partial(wordbreak.mark_words, lang=ms.lang))
    return glue_calls(html, lang=ms.lang)


def _no_notes_in_contents(html):
    """The printed contents without the notes of the headings they copy (pandoc copies
    a heading's note into its entry): each note is printed once, under its heading.
    Seen on Text::Amuse's beamer.muse, whose part and chapter headings carry notes."""
    start = html.find('<nav class="contents"')
    end = html.find("</nav>", start)
    if start < 0 or end < 0:
        return html
    contents, parts, done = html[start:end], [], 0
    for note in NOTE.finditer(contents):
        if note.start() < done:  # inside a note already left out
            continue
        parts.append(contents[done:note.start()])
        done = span_end(contents, note.start())
    return html[:start] + "".join(parts) + contents[done:] + html[end:]


# Unicode's line and paragraph separators end a line (UAX 14: a mandatory break);
# pandoc keeps them inside a word, and WeasyPrint broke the line there but justified
# it as if it ran on: a line holding one word before one was stretched or left a runt.
SEPARATORS = re.compile("[\u2028\u2029]")


def separators_as_breaks(html):
    """`html` with each U+2028 and U+2029 in the body's text a hard line break, as an
    EPUB reader shows it (attribute values and the head left as they are)."""
    if not SEPARATORS.search(html):
        return html
    return in_body_text(html, lambda text: SEPARATORS.sub("<br />", text))


def glue_calls(html, lang=""):
    """Wrap each note (print-notes.lua's note span) with the word it follows in
    `<span class="samizdat-call">`, which print.css keeps on one line: no line may
    start with a note number. A note after a space or after an element keeps its place.
    In a script written without spaces the word is what follows the last place a line
    may break (wordbreak.word_start, `lang`'s rules): one or two Chinese characters, a
    Thai word, not the paragraph back to its last space (which ran off the page).

    Done here on pandoc's HTML rather than in the Lua filter: a filter that looks at
    every run of inlines to find the notes costs pandoc 0.07 s of a 0.17 s run."""
    parts, done = [], 0
    for note in NOTE.finditer(html):
        start = note.start()
        word = start
        while word > done and html[word - 1] not in " \t\r\n<>" + WORD_ENDS:
            word -= 1
        word += wordbreak.word_start(html[word:start], lang)
        if word == start:  # a space or a tag before the note: no word to glue to
            continue
        end = span_end(html, start)
        parts += [html[done:word], '<span class="samizdat-call">', html[word:end], "</span>"]
        done = end
    return "".join(parts) + html[done:]


# Where a script marks a word's end with a sign of its own, not a space: Ethiopic's
# wordspace (U+1361) and the zero width space (Thai, Khmer, Lao texts may carry it).
WORD_ENDS = "\u1361\u200b"


@dataclass(frozen=True)
class Printed:
    """The text pandoc printed, as the layout must show it: each paragraph (notes left
    out) and each note, in order, whitespace collapsed. Lists, tables, math and images
    come out as pandoc's HTML has them, so this is what a correct layout holds.
    `note_words`: each note without what print adds to it (list numbers, table rules),
    as an EPUB, which has lists and tables, shows it."""

    paragraphs: list
    notes: list
    note_words: list


def printed(html):
    """Printed of print HTML `html` (see print_html)."""
    import lxml.html

    root = lxml.html.document_fromstring(html)
    for br in root.iter("br"):  # a hard break parts words as a space does
        br.tail = " " + (br.tail or "")
    # Lists first: dropping an element while iterfind walks the tree ends the walk.
    spans = root.xpath("//span[contains(concat(' ', @class, ' '), ' samizdat-note ')]")
    notes = [_text(span) for span in spans]
    for mark in root.findall(".//span[@class='samizdat-mark']"):
        mark.drop_tree()
    words = [_text(span) for span in spans]
    for span in spans:
        span.drop_tree()
    paragraphs = [_text(p) for p in root.iterfind(".//p[@data-p]")]
    return Printed([p for p in paragraphs if p], notes, words)


def _text(element):
    return " ".join("".join(element.itertext()).split())
