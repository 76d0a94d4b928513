"""Line breaks: no line of a paragraph left holding one word by a WeasyPrint bug.

WeasyPrint 70's `split_first_line` measures a run of text with its trailing space.
When a run that ends in a space fits the line only without that space (Pango, rightly,
does not wrap it: a space at the end of a line hangs, CSS Text 3 §4.1.2), WeasyPrint
takes the run for one that cannot be broken and keeps only its first word. The
result is a line holding "A", the rest of the sentence on the next one. It happens
where a run of text meets an inline element (emphasis, a link) at the end of a line:
in the real text at half-letter, page 2 (seen in a picture of the Letter pamphlet).

Two defences, as for the notes:
- `hanging_spaces()` renders with that test of fit made on the run without its
  trailing spaces, after checking the source is exactly the one this fix was
  written for (a different WeasyPrint is left alone);
- `runts(document)` finds any line of a justified paragraph, other than its last,
  that fills less than half the measure, so the build can refuse it (P006).

And a mend: `breakable(html, words)` lets a word wider than the measure break
anywhere (P008, said), rather than run off the page.
"""

import html as markup
import re

from .printhtml import in_body_text
from .weasy import (
    FootnoteAreaBox,
    LineBox,
    MarginBox,
    ReplacedBox,
    SourceFix,
    TextBox,
    descendants,
    inline,
    line_break,
    preferred,
    swapped,
)

RULE = "    if resume_index is None and first_line_width <= max_width:\n"
FIXED_RULE = ("    if resume_index is None and (first_line_width <= max_width or (\n"
              "            space_collapse and _fits_without_trailing_spaces(\n"
              "                text, style, context, first_line_width, max_width))):\n")
# sha256 of `inspect.getsource(weasyprint.text.line_break.split_first_line)` in 70.0.
KNOWN_SOURCE = "39ad1016863ca34de0bea4c9fcffb46da7e27813c87dd82b7011bfa19fe5504f"
# A line narrower than this share of its paragraph's width, not the last, is a runt.
RUNT_SHARE = 0.5


def _fits_without_trailing_spaces(text, style, context, width, max_width):
    """Whether a one-line run of `width` fits `max_width` once its trailing spaces
    (which hang at the end of a line) are not counted.

    Pango lets every white space character hang (g_unichar_isspace: U+0020, and the
    no-break space U+00A0 as well), so Pango does not wrap a run ending in a no-break
    space that fits without it. Standard Ebooks glue a short emphasised word to its
    neighbours so (Dracula: "and\u00a0<em>my</em>\u00a0belief"): WeasyPrint, breaking the
    run before such a word, found it too wide, took it for one it cannot break, and
    kept only its first word on the line ("nervous.", P006)."""
    spaces = len(text) - len(text.rstrip())
    if not spaces or spaces == len(text):
        return False
    layout = line_break.create_layout(text[-spaces:], style, context, None, 0)
    try:
        spaces_width, _ = line_break.line_size(layout.get_first_line()[0], style)
    finally:
        layout.deactivate()
    return width - spaces_width <= max_width


def _fix():
    return SourceFix(line_break, "split_first_line", KNOWN_SOURCE, RULE, FIXED_RULE,
                     helpers=(("_fits_without_trailing_spaces",
                               _fits_without_trailing_spaces),),
                     also_in=(inline, preferred))


def source_digest():
    """sha256 of the WeasyPrint function the fix rebuilds."""
    return _fix().source_digest()


def hanging_spaces():
    """Within the block, WeasyPrint lets trailing spaces hang when it tests whether a
    run of text fits a line. Yields True when the fix is in force, False when this
    WeasyPrint's code is not the code it was written for (nothing changed)."""
    return _fix().applied()


def standard_hyphenation():
    """Within the block, WeasyPrint breaks a word only where its letters stay as they
    are. pyphen also gives non-standard breaks, which change the letters (Hungarian
    "mennyire" is "meny-" + "nyire"); WeasyPrint 70 sets the first part and then goes
    on from the word's own letters, printing "meny-" + "yire", a misspelt word (seen
    in ELTeC's Hungarian novels: P002). Such a word is broken elsewhere, or not at all.
    A swap of pyphen's public `iterate` (weasy.swapped), whatever its version."""
    import pyphen

    standard = pyphen.Pyphen.iterate

    def iterate(self, word):
        return ((start, end) for start, end in standard(self, word) if start + end == word)

    return swapped((pyphen.Pyphen,), "iterate", iterate)


def runts(document, *, share=RUNT_SHARE):
    """[(page number, line text)] of each line of a justified paragraph, other than
    its last on the page or one ended by a forced break, that fills less than `share`
    of the paragraph's width although the next line's first word would have fitted
    after it. Notes and margin boxes are not looked at."""
    found = []
    for number, page in enumerate(document.pages, 1):
        for paragraph in _paragraphs(page._page_box):
            lines = [child for child in paragraph.children if isinstance(child, LineBox)]
            for line, after in zip(lines, lines[1:]):
                if line.width < share * paragraph.width and not _ends_forced(line) \
                        and not _starts_with_image(after) \
                        and _next_word_fits(after, paragraph.width - line.width):
                    found.append((number, "".join(_texts(line)).strip()))
    return found


def _next_word_fits(line, room):
    """Whether the first word of `line` (with a space before it) is no wider than
    `room`: a line left short when it is wider holds what it should (a long word came
    next: a long compound where the language has no hyphenation patterns, a URL)."""
    first = next((box for box in descendants(line)
                  if isinstance(box, TextBox) and box.text.strip()), None)
    if first is None:
        return True
    word = " " + first.text.split()[0]
    layout = line_break.create_layout(word, first.style, None, None, 0)
    try:
        width, _ = line_break.line_size(layout.get_first_line()[0], first.style)
    finally:
        layout.deactivate()
    return width <= room


def _starts_with_image(line):
    """Whether `line` begins with an image: the line before it is short because the
    image did not fit there, not by a line-breaking fault."""
    first = next((box for box in descendants(line)
                  if isinstance(box, (TextBox, ReplacedBox)) and
                  (not isinstance(box, TextBox) or box.text.strip())), None)
    return isinstance(first, ReplacedBox)


def _ends_forced(line):
    """Whether `line` holds a <br> (its text is gone by then: only the box is left)."""
    return any(getattr(box, "element_tag", None) == "br" for box in descendants(line))


def _paragraphs(box):
    """Justified boxes that hold lines, outside footnote areas and margin boxes."""
    for child in getattr(box, "children", ()):
        if isinstance(child, (FootnoteAreaBox, MarginBox)):
            continue
        if isinstance(child, LineBox):
            continue
        if any(isinstance(c, LineBox) for c in getattr(child, "children", ())) and \
                child.style["text_align_all"] == "justify":
            yield child
        yield from _paragraphs(child)


def _texts(box):
    return (child.text for child in descendants(box) if isinstance(child, TextBox))



def breakable(html, words):
    """Print HTML `html` with each of `words` (as laid out: overlong_words), wherever it
    stands in the text, in a span print.css lets break between any two letters: a word
    wider than the measure starts where the line has room and goes on on the next,
    not past the edge (nor after a line left short for it)."""
    escaped = sorted({markup.escape(w, quote=False) for w in words}, key=len, reverse=True)
    found = re.compile("|".join(map(re.escape, escaped)))

    return in_body_text(html, lambda text: found.sub(
        lambda m: f'<span class="samizdat-overlong">{m[0]}</span>', text))
