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

A third fix, `spaced_characters()`: WeasyPrint 70 justifies a line only by widening
its spaces. A Chinese or Japanese line has none (it was left up to an em short of the
edge), a Thai one a few (each stretched wide): such lines are justified as CSS Text 3
(§7.4, text-justify: auto) does for their scripts, Chinese and Japanese between their
characters, Thai, Lao, Khmer and Burmese at their words' ends, Tibetan after its
syllables' tshegs and shads.

And a mend: `breakable(html, words)` lets a word wider than the measure break
anywhere (P008, said), rather than run off the page.
"""

import contextlib
import html as markup
import re
import types

from .. import STYLES
from ..writing import wordbreak
from ..writing.markup import in_body_text
from . import (
    FootnoteAreaBox,
    InlineBox,
    LineBox,
    MarginBox,
    ReplacedBox,
    SourceFix,
    TextBox,
    descendants,
    inline,
    line_break,
    preferred,
)
from .patches import applied, opens, patch, swapped

RULE = "    if resume_index is None and first_line_width <= max_width:\n"
FIXED_RULE = ("    if resume_index is None and (first_line_width <= max_width or (\n"
              "            space_collapse and _fits_without_trailing_spaces(\n"
              "                text, style, context, first_line_width, max_width))):\n")
# sha256 of `inspect.getsource(weasyprint.text.line_break.split_first_line)` it was written for.
KNOWN_SOURCE = patch("hanging-spaces").digest
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
                     also_in=(inline, preferred), patch="hanging-spaces")


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
    A swap of pyphen's `iterate`, gated on its source (patches.py)."""
    import pyphen

    standard = pyphen.Pyphen.iterate

    def iterate(self, word):
        return ((start, end) for start, end in standard(self, word) if start + end == word)

    return applied("standard-hyphenation", (pyphen.Pyphen,), "iterate", iterate)


# TeX's hyph-utf8 patterns for languages pyphen 0.18 has none for (Malayalam, Tamil, Hindi,
# Bengali, Gujarati, Georgian, Armenian): their source and licences in SOURCE.md there.
HYPHENATION = STYLES / "hyphenation"


def added_languages(languages):
    """The house's hyphenation dictionaries (language -> .dic path) for the languages
    `languages` (pyphen's LANGUAGES) has none for: one pyphen has is never overridden."""
    lowercase = {name.lower() for name in languages}
    return {path.stem[len("hyph_"):]: path for path in sorted(HYPHENATION.glob("hyph_*.dic"))
            if path.stem[len("hyph_"):].lower() not in lowercase}


@contextlib.contextmanager
def more_hyphenation():
    """Within the block, pyphen (and so WeasyPrint's `hyphens: auto`) also knows the
    languages styles/hyphenation adds: without them a justified Malayalam or Georgian
    line holding two or three long words was spread across the measure in wide gaps.
    WeasyPrint asks `pyphen.language_fallback(lang)` and then `pyphen.Pyphen(lang=...)`,
    which read the module's LANGUAGES_LOWERCASE and LANGUAGES: both are swapped for
    copies with the added languages, gated on those two functions' source (patches.py).
    Yields True when in force, False when the gate is shut (nothing changed)."""
    import pyphen

    if not opens("more-hyphenation"):
        yield False
        return
    added = added_languages(pyphen.LANGUAGES)
    languages = {**pyphen.LANGUAGES, **added}
    lowercase = {**pyphen.LANGUAGES_LOWERCASE, **{name.lower(): name for name in added}}
    with swapped((pyphen,), "LANGUAGES", languages), \
            swapped((pyphen,), "LANGUAGES_LOWERCASE", lowercase):
        yield True


# Languages whose justified lines are spaced between their characters, whatever spaces
# they hold: Chinese and Japanese (CSS Text 3's block scripts, whose characters are
# each a justification opportunity).
BY_CHARACTERS = frozenset({"zh", "ja"})
# Languages whose justified lines are spaced at their words' ends, spaces, Ethiopic's
# word separator ፡ and the zero width spaces wordbreak.mark_words puts between words,
# by what Pango draws: CSS Text 3's clustered scripts (their few spaces part phrases;
# their characters are never spaced: Pango's letter spacing parts a Khmer vowel from
# its consonant), and Ethiopic's languages (a text written with ፡ alone has no space).
# And Tibetan's languages (Tibetan, Dzongkha), widened after each tsheg and shad a line
# may break after, where wordbreak.mark_words puts a zero width space (Tibetan's
# typesetting widens there; its few spaces follow a shad). Not "characters": their
# vowel signs and stacked consonants (JOINED) would be parted from their syllables.
BY_WORDS = frozenset({"th", "lo", "km", "my", "am", "ti", "gez", "tig", "byn", "bo", "dz"})
# Languages WeasyPrint would widen at their spaces, but whose spaces it measures in one
# font and draws in another: a Korean line is laid out with each space in the Hangul
# font (Pango sets a space in its neighbours' font), and drawn with each space spaced,
# a Pango run of its own (the spacing is an attribute) set in the stack's first font,
# Libertine, whose space is 0.06 em narrower (0.25 em; Noto Serif CJK KR's, as Pango
# shapes it for Korean, is 0.31 em): every justified line of the UDHR's Korean ended
# 0.63 pt short per space, 3 to 7 pt in all. Widened at their spaces as BY_WORDS are, by what Pango
# draws (`_spread_line` counts what the spacing changes besides).
MEASURED_AS_DRAWN = frozenset({"ko"})
SEPARATORS = re.compile(f"[ \u00a0\u1361{wordbreak.ZWSP}]")
# Characters a line spaced between its characters must not hold: combining marks (a
# Thai vowel, a Devanagari sign) and the letters of scripts that join (Arabic, Syriac,
# N'Ko, Mongolian), which letter spacing parts from what they belong to.
JOINED = re.compile("[\u0300-\u036f\u0483-\u0489\u0591-\u07ff\u0816-\u085b\u0860-\u08ff"
                    "\u0900-\u0dff\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc"
                    "\u0ec8-\u0ecd\u0f18-\u0fbc\u102b-\u109d\u1712-\u1714\u1800-\u18aa"
                    "\u17b4-\u17d3\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufb1e-\ufdff"
                    "\ufe00-\ufe0f\ufe20-\ufe2f\ufe70-\ufeff]")
# sha256 of the sources this fix was written against: the function it takes the place
# of, and the one its layouts extend to draw the spacing again.
JUSTIFY_LINE_SOURCE, REACTIVATE_SOURCE = (d for _, d in patch("script-justification").targets)


@contextlib.contextmanager
def spaced_characters():
    """Within the block, a justified line is justified as its script is (`justification`):
    a Chinese or Japanese line by spacing between its characters, a Thai, Lao, Khmer or
    Burmese one at its words' ends, a Tibetan one after its tshegs and shads, one with
    no space to widen (Amharic written with ፡ alone) between its characters when that parts nothing; others by their spaces, as
    WeasyPrint does. The spacing stays with the laid out text boxes (the PDF may be
    written after the block). Yields True; or False, said once (W001), when this
    WeasyPrint's `justify_line` or `Layout.reactivate` is not the code it was written for."""
    standard = inline.justify_line
    standard = getattr(standard, "samizdat_original", standard)
    if not opens("script-justification", [JUSTIFY_LINE_SOURCE, REACTIVATE_SOURCE]):
        yield False
        return

    def justify_line(context, line, extra_width):
        how = justification(line)
        if how is None:
            standard(context, line, extra_width)
        else:
            _spread_line(context, line, extra_width, how)

    justify_line.samizdat_original = standard
    with swapped((inline,), "justify_line", justify_line):
        yield True


def justification(line):
    """How justified `line` is widened: "characters" (spaced between every two of its
    characters), "words" (at its spaces and zero width spaces), or None (WeasyPrint's
    way: at its spaces)."""
    lang = (line.style["lang"] or "").replace("_", "-").split("-")[0].lower()
    if lang in BY_WORDS or lang in MEASURED_AS_DRAWN:
        return "words"
    text = "".join(_texts(line))
    if JOINED.search(text):
        return None
    if lang in BY_CHARACTERS or not inline.count_expandable_spaces(line):
        return "characters"
    return None


def _spread_line(context, line, extra_width, how):
    """Share `extra_width` evenly between the places `how` names in `line`: each text
    box gets a layout drawn with that spacing and is widened and moved by what it takes."""
    texts = [box for box in descendants(line)
             if isinstance(box, TextBox) and box.text and box.is_in_normal_flow()]
    if not texts:
        return
    # a box's places, as Pango counts them (between clusters, not within a syllable):
    # how much wider it is set with a spacing of two than of one; and what setting it
    # with any spacing changes besides (Pango shapes a spaced run apart from its
    # neighbours: a Burmese line came out 3 pt wider than counted)
    places, besides = 0, 0
    for box in texts:
        none, one, two = (_width(box, spacing, how, box is texts[-1])
                          for spacing in (0, 1, 2))
        places += two - one
        besides += one - none - (two - one)
    # and, between characters, one between two boxes, each laid out alone
    places += len(texts) - 1 if how == "characters" else 0
    if places <= 0.5 or extra_width - besides <= 0:
        return
    spacing = (extra_width - besides) / places
    after_gap = set(map(id, texts[1:])) if how == "characters" else set()
    _spread(context, line, spacing, 0, after_gap, how, texts[-1])


def _spread(context, box, spacing, x_advance, after_gap, how, last):
    """add_word_spacing's walk (inline.py) with this spacing: returns the advance."""
    if isinstance(box, TextBox):
        if id(box) in after_gap:
            x_advance += spacing
        box.position_x += x_advance
        if box.text:
            before = _width(box, 0, how, box is last)
            layout = _spaced_layout(box, spacing, how, box is last, context)
            widened, _ = line_break.line_size(layout.get_first_line()[0], box.style)
            layout.deactivate()
            box.pango_layout = layout
            box.width += widened - before
            x_advance += widened - before
    elif isinstance(box, (LineBox, InlineBox)):
        box.position_x += x_advance
        previous = x_advance
        children = box.children[::-1] if box.style["direction"] == "rtl" else box.children
        for child in children:
            if child.is_in_normal_flow():
                x_advance = _spread(context, child, spacing, x_advance, after_gap, how,
                                    last)
        box.width += x_advance - previous
    else:  # an atomic inline box (an image)
        box.translate(x_advance, 0)
    return x_advance


def _width(box, spacing, how, last):
    """The width of `box`'s text laid out alone with spacing `spacing` at `how`."""
    layout = _spaced_layout(box, spacing, how, last)
    try:
        width, _ = line_break.line_size(layout.get_first_line()[0], box.style)
        return width
    finally:
        layout.deactivate()


def _spaced_layout(box, spacing, how, last, context=None):
    """A layout of `box`'s text drawn with spacing `spacing` (CSS px) at `how`: set again
    whenever WeasyPrint sets the layout up again to draw it (Layout.reactivate), whose
    own setting up knows only the style's. The `last` box of its line gets none after
    its text (a zero width space a line ends with is no place to widen: it shows none)."""
    layout = line_break.create_layout(box.text, box.style, context, None,
                                      box.justification_spacing)
    if spacing:
        _letter_spacing(layout, spacing, how, last)

        def reactivate(self, style):
            line_break.Layout.reactivate(self, style)
            _letter_spacing(self, spacing, how, last)

        layout.reactivate = types.MethodType(reactivate, layout)
    return layout


def _letter_spacing(layout, spacing, how, last=False):
    """Pango letter spacing `spacing` (CSS px), on top of the style's own, over all of
    `layout`'s text ("characters"), or on each of its spaces and zero width spaces
    ("words": Pango puts a run's letter spacing at its ends, half on each side; a
    separator at the text's start or end gets it twice, WeasyPrint's word spacing's
    rule; the `last` text of a line gets none after its last visible character)."""
    own = layout.style["letter_spacing"]
    own = 0 if own == "normal" else own
    _, bytestring = line_break.unicode_to_char_p(layout.text)
    pango, ffi = line_break.pango, line_break.ffi
    attributes = pango.pango_layout_get_attributes(layout.layout)
    if attributes == ffi.NULL:
        attributes = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)

    def add(start, end, amount):
        attribute = pango.pango_attr_letter_spacing_new(int(amount * line_break.TO_UNITS))
        attribute.start_index, attribute.end_index = start, end
        pango.pango_attr_list_change(attributes, attribute)

    if how == "characters":
        add(0, len(bytestring), spacing + own)
    else:
        visible = len(layout.text.rstrip(" " + wordbreak.ZWSP)) if last else len(layout.text)
        for match in SEPARATORS.finditer(layout.text, 0, visible):
            start = len(layout.text[:match.start()].encode())
            end = start + len(match.group().encode())
            factor = 2 if start == 0 or end == len(bytestring) else 1
            add(start, end, factor * spacing + own)
    pango.pango_layout_set_attributes(layout.layout, attributes)


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


# --- words wider than the measure (P007, P008) ----------------------------------

# How far (pt) a glyph run may reach past the text's measure: justification and
# hanging punctuation stay well within it.
OVERHANG = 1.0


def overlong_words(document):
    """The texts (stripped) of the text boxes that run past an edge of the measure (the
    right, or the left where a right-to-left line runs over): words wider than a line,
    which nothing in them lets break (a long compound in a language without hyphenation
    patterns, a URL with no slash in reach). A note's number, pushed past the edge by
    the word it is glued to, is not one."""
    words = {}
    for page in document.pages:
        box = page._page_box
        left = box.content_box_x() - OVERHANG
        right = box.content_box_x() + box.width + OVERHANG
        for flow in (c for c in box.children if not isinstance(c, MarginBox)):
            for child in descendants(flow):
                if isinstance(child, TextBox) and child.text.strip() and \
                        not child.element_tag.endswith("::footnote-call") and \
                        max(past_edges(child, left, right)) > 0:
                    words.setdefault(child.text.strip(), None)
    return list(words)


def past_edges(box, left, right):
    """How far (px) the border box of text box or image `box` reaches past the right
    edge and past the left edge of the measure; a space at a line's end may hang (at
    the right of a left-to-right line, at the left of a right-to-left one)."""
    x0 = box.position_x + box.margin_left
    x1 = box.position_x + box.margin_width() - box.margin_right
    return x1 - right - hanging(box), left - x0 - hanging(box)


def hanging(box):
    """How far a text box's trailing spaces may hang past the edge (CSS Text 3: a
    space at a line's end hangs): a space's width for each."""
    if not isinstance(box, TextBox):
        return 0
    spaces = len(box.text) - len(box.text.rstrip())
    return spaces * 0.6 * box.style["font_size"]
