"""Footnotes on the page of their call: read placement from the layout, and repair it.

WeasyPrint 70's `float: footnote` can put a note one or two pages after its call
(upstream #2502, #1564). The cause is one rule in `layout/block.py`
`_linebox_layout`: when one of a paragraph's first `orphans` lines does not fit,
notes already on the page are deferred to make room, whatever `footnote-policy`
says, although GCPM allows deferral only for `footnote-policy: auto`.

Two defences, both kept:
- `gcpm_deferral_rule()` renders with that rule restricted to `auto` notes, by
  rebuilding the function from its source after checking the source is exactly
  the one this fix was written for (a different WeasyPrint is left alone);
- `placement()` reads every note's page and its call's page from the layout tree
  (about 1 ms), so the PDF stage can repair what is left and refuse what it cannot.

And one for speed: `remembered_notes()` lays out each note in a footnote area once
(WeasyPrint does it again for every note added to the page's area).
"""

import contextlib
import inspect
import re
from dataclasses import dataclass
from math import inf

from ..writing.markup import span_end
from . import FootnoteAreaBox, InlineBox, LineBox, SourceFix, block, descendants, layout
from .patches import opens, patch, swapped

# The overflow branch's rule, and the fix: defer only notes whose policy is auto.
RULE = "report = not context.in_column and can_break_now and not could_break_before"
FIXED_RULE = (RULE + " and all(note.style['footnote_policy'] == 'auto'"
              " for note in context.current_page_footnotes)")
# sha256 of `inspect.getsource(weasyprint.layout.block._linebox_layout)` it was written for.
KNOWN_SOURCE = patch("notes-deferral").digest


@dataclass(frozen=True)
class Placement:
    """Note `number`: its call is on page `call_page`, its text on `note_page` (0-based)."""

    number: int
    call_page: int | None
    note_page: int | None

    @property
    def misplaced(self):
        return self.call_page != self.note_page


def placement(document):
    """Placement of every note (marked `data-note`) in a rendered WeasyPrint document."""
    calls, notes = {}, {}
    for index, page in enumerate(document.pages):
        for number in _call_numbers(page._page_box):
            calls.setdefault(number, index)
        for number in _note_numbers(page._page_box):
            notes.setdefault(number, index)
    return [Placement(n, calls.get(n), notes.get(n)) for n in sorted(calls.keys() | notes.keys())]


def misplaced(document):
    """The placements whose note is not on its call's page."""
    return [p for p in placement(document) if p.misplaced]


def _note_number(box):
    element = getattr(box, "element", None)
    value = element.get("data-note") if element is not None else None
    return int(value) if value and value.isdigit() else None


def _note_numbers(page_box):
    for child in page_box.children:
        if isinstance(child, FootnoteAreaBox):
            for note in child.children:
                number = _note_number(note)
                if number is not None:
                    yield number


def _call_numbers(box):
    for child in getattr(box, "children", ()):
        if isinstance(child, FootnoteAreaBox):
            continue
        # The call's InlineBox wraps a TextBox with the same tag: count the InlineBox only.
        if isinstance(child, InlineBox) and child.element_tag.endswith("::footnote-call"):
            number = _note_number(child)
            if number is not None:
                yield number
            continue
        yield from _call_numbers(child)


# WeasyPrint 70 finds a note "overflowing" its footnote area when the note's bottom is
# below the area's by a float's rounding (1e-13 px): the note is then pushed to a later
# page. Seen on A6 and quarter-letter with a two-line note (28.333333333333314 against
# 28.33333333333337); a hundredth of a pixel is no overflow.
OVERFLOW = "overflow = last_child_bottom > footnote_area_bottom"
FIXED_OVERFLOW = "overflow = last_child_bottom > footnote_area_bottom + 0.01"
KNOWN_AREA_SOURCE = patch("notes-rounding").digest


# In the same function, for speed: each box of each line is looked up in the list of
# the notes not yet laid out, most of them with no note at all (None): on a novel given
# 2,000 notes, 2.5 of its A5 layout's 44 s (profiled). A box without a note is not looked up.
LOOKUP = "if descendant.footnote in context.footnotes)"
FIXED_LOOKUP = ("if descendant.footnote is not None and descendant.footnote in "
                "context.footnotes)")


def _deferral_fix():
    return SourceFix(block, "_linebox_layout", KNOWN_SOURCE, RULE, FIXED_RULE,
                     more=((LOOKUP, FIXED_LOOKUP),),
                     patch="notes-deferral")


def _rounding_fix():
    return SourceFix(layout, "_update_footnote_area", KNOWN_AREA_SOURCE, OVERFLOW,
                     FIXED_OVERFLOW, owner=layout.LayoutContext, patch="notes-rounding")


def source_digest():
    """sha256 of the WeasyPrint function the fix rebuilds."""
    return _deferral_fix().source_digest()


def gcpm_deferral_rule():
    """Within the block, WeasyPrint defers notes only under `footnote-policy: auto`.

    Yields True when the fix is in force, False when this WeasyPrint's code is not
    the code the fix was written for (then nothing is changed). The original
    function is restored on exit; renders in other threads wait meanwhile.
    """
    return _deferral_fix().applied()


def footnote_area_rounding():
    """Within the block, a note no more than 0.01 px below its footnote area's bottom
    fits (see OVERFLOW). Yields True when the fix is in force (as gcpm_deferral_rule)."""
    return _rounding_fix().applied()


# WeasyPrint lays out a page's footnote area again each time a note is added to it or
# taken back (LayoutContext._update_footnote_area), every note in it afresh, and once
# more for the page itself: quadratic in the notes of a page. On a novel given 2,000
# notes that was 24 of 44 s of its A5 layout (profiled). A note's layout in the area
# cannot depend on where the area is (nothing breaks in it: no bottom limit), so
# remembered_notes keeps each note's laid-out boxes and hands out copies, moved to
# where the note now starts. The PDFs are the same bytes (tests: the corpus, built
# both ways). sha256 of the block_level_layout whose call it answers:
KNOWN_LEVEL_SOURCE = patch("notes-remembered").digest


@contextlib.contextmanager
def remembered_notes():
    """Within the block a note laid out in a footnote area again, in the same place
    among the same margins, is a copy of its first layout (see KNOWN_LEVEL_SOURCE):
    yields True; or yields False, said once (W001), when this WeasyPrint's
    block_level_layout is not the code this was written for."""
    standard = getattr(block.block_level_layout, "samizdat_original", block.block_level_layout)
    if not opens("notes-remembered", [KNOWN_LEVEL_SOURCE]):
        yield False
        return
    memo, rendering = {}, []
    # the arguments after (context, box) of the block_level_layout the gate let through
    arity = len(inspect.signature(standard).parameters) - 2

    def laid_out(context, box, *args):
        key = _note_key(context, box, *args) if len(args) == arity else None
        if key is None:
            return standard(context, box, *args)
        if rendering[:1] != [context]:  # a new render (a repair): its own elements
            memo.clear()
            rendering[:] = [context]
        if key in memo:
            return _copy(memo[key], box)
        absolute_boxes, fixed_boxes = args[4], args[5]
        before = _state(context, absolute_boxes, fixed_boxes)
        at = box.position_x, box.position_y
        result = standard(context, box, *args)
        if _state(context, absolute_boxes, fixed_boxes) == before and result[1] is None:
            # the element is kept: while the memo lives, no other can take its id
            memo[key] = (result[0].deepcopy(), *result[1:], at, box.element)
        return result

    laid_out.samizdat_original = standard
    with swapped((block,), "block_level_layout", laid_out):
        yield True


def _note_key(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
              absolute_boxes, fixed_boxes, adjoining_margins, first_letter_style,
              first_line_style, discard, max_lines):
    """What a note's layout in a footnote area depends on, or None for any other layout
    (or one that floats, clears, or sits among floats: left to WeasyPrint)."""
    if not isinstance(containing_block, FootnoteAreaBox) or box.element is None or (
            bottom_space != -inf or skip_stack is not None or discard or max_lines is not None
            or first_letter_style is not None or first_line_style is not None
            or context.in_column or context.excluded_shapes):
        return None
    return (id(box.element), box.element_tag, type(box), containing_block.width,
            containing_block.style["direction"], page_is_empty,
            # a page's first box loses its top margin after an unforced break
            page_is_empty and context.current_page > 1, page_is_empty and context.forced_break,
            tuple(adjoining_margins or ()))


def _state(context, absolute_boxes, fixed_boxes):
    """What a layout may leave behind besides its boxes: a note that changes any of it
    is laid out afresh every time."""
    return (len(context.excluded_shapes), len(absolute_boxes or ()), len(fixed_boxes or ()),
            len(context.broken_out_of_flow),
            sum(len(v) for pages in context.string_set.values() for v in pages.values()),
            sum(len(v) for pages in context.running_elements.values() for v in pages.values()))


def _copy(remembered, box):
    new_box, resume_at, next_page, margins, through, lines, (x, y), _ = remembered
    copy = new_box.deepcopy()
    copy.translate(box.position_x - x, box.position_y - y)
    return (copy, resume_at, dict(next_page) if next_page else next_page, list(margins),
            through, lines)


# --- Notes taller than a page ---------------------------------------------------------
# WeasyPrint 70 lays out a page's footnote area in one piece (LayoutContext.
# _update_footnote_area: no bottom, no break): a note cannot go on to the next page, and
# one taller than the page is drawn over the next page's top. Such a note is set at the
# end of its chapter instead, as an endnote: its call keeps its number and links to it,
# its number links back to the call.
NOTE_SPAN = re.compile(r'<span class="samizdat-note( secondary)?" data-note="(\d+)">')
CHAPTER_CLASS = re.compile(r'<main class="[^"]*\bchapters-([12])\b')


def unplaceable(document):
    """Numbers of the notes that cannot sit on a page with a line of the text (their
    call's): taller than the page less its footnote area's rule and margins and a line."""
    tall = set()
    for page in document.pages:
        box = page._page_box
        for area in (c for c in box.children if isinstance(c, FootnoteAreaBox)):
            room = box.height - (area.margin_height() - area.height) - _line_height(box)
            tall.update(_note_number(n) for n in area.children if n.margin_height() > room)
    return sorted(n for n in tall if n is not None)


HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def stranding(document):
    """Numbers of the notes that leave a heading alone at the foot of the page before
    their call's: a note called in the first lines after a heading, too tall to sit with
    them on the heading's page (a chapter's first page has a third of its height less),
    takes its call's line to the next page, and the heading's page has nothing after the
    heading (seen on an Arabic text whose chapters open with long notes)."""
    stranded = []
    pages = [p._page_box for p in document.pages]
    for before, page in zip(pages, pages[1:]):
        if _last_line_tag(before) not in HEADINGS:
            continue
        lines = _text_lines(page)[:2]
        areas = [a for a in page.children if isinstance(a, FootnoteAreaBox)]
        notes = {_note_number(n): n for a in areas for n in a.children}
        called = [n for line in lines for n in _call_numbers(line) if n in notes]
        # the notes are what moved the lines: with them (and their area's rule and
        # margins), the lines did not fit below the heading (a note that did is no
        # cause, and stays)
        needed = sum(notes[n].margin_height() for n in called) + sum(
            line.height for line in lines) + sum(a.margin_height() - a.height for a in areas)
        if called and needed > _room_below(before):
            stranded += called
    return sorted(set(stranded))


def _text_lines(page_box):
    """The lines of the page's text, not of its notes or margins, in order."""
    return [b for f in page_box.children if not isinstance(f, FootnoteAreaBox)
            and not type(f).__name__.endswith("MarginBox")
            for b in descendants(f) if isinstance(b, LineBox)]


def _room_below(page_box):
    """The height left on the page below its last line of text and above its notes."""
    lines = _text_lines(page_box)
    foot = max((line.position_y + line.height for line in lines), default=0)
    areas = [a for a in page_box.children if isinstance(a, FootnoteAreaBox) and a.children]
    bottom = min([a.position_y for a in areas],
                 default=page_box.content_box_y() + page_box.height)
    return bottom - foot


def _last_line_tag(page_box):
    """The tag of the element whose line is the last of the page's text (in <main>: not
    the title page's, nor the contents', notes' or margins')."""
    last = None

    def walk(box, owner, text):
        nonlocal last
        tag = getattr(box, "element_tag", None)
        text = text or tag == "main"
        if isinstance(box, LineBox):
            last = owner if text else None
            return
        for child in getattr(box, "children", ()):
            walk(child, tag if tag and not isinstance(box, InlineBox) else owner, text)

    for flow in page_box.children:
        if not isinstance(flow, FootnoteAreaBox) and not type(flow).__name__.endswith(
                "MarginBox"):
            walk(flow, None, False)
    return last


def _line_height(page_box):
    """The height of the first line of text on the page, outside its footnote area."""
    for child in page_box.children:
        if isinstance(child, FootnoteAreaBox):
            continue
        line = next((b for b in descendants(child) if isinstance(b, LineBox)), None)
        if line is not None:
            return line.height
    return 0


def as_endnotes(html, numbers):
    """Print HTML `html` with each note of `numbers` (data-note) moved to the end of its
    chapter (before the next chapter's heading, the colophon or the end of the text):
    its call a link to it, numbered as the notes are; its number a link back."""
    level = CHAPTER_CLASS.search(html)
    notes = [(m.start(), m) for m in NOTE_SPAN.finditer(html) if int(m.group(2)) in numbers]
    ends = [(at, None) for at in _chapter_ends(html, int(level.group(1)) if level else 0)]
    out, pending, done = [], [], 0
    for at, note in sorted(ends + notes, key=lambda event: event[0]):
        if at < done:  # inside a note already moved
            continue
        out.append(html[done:at])
        done = at
        if note is None and pending:
            out += ['<div class="samizdat-endnotes" role="doc-endnotes">', *pending, "</div>\n"]
            pending = []
        elif note is not None:
            done = span_end(html, at)
            call, endnote = _endnote(note, html[note.end():done - len("</span>")])
            out.append(call)
            pending.append(endnote)
    return "".join(out) + html[done:]


def _endnote(note, inner):
    """(call, endnote) HTML of note span `note` (a NOTE_SPAN match) holding `inner`."""
    number, secondary = note.group(2), " secondary" if note.group(1) else ""
    call = (f'<a class="samizdat-endcall{secondary}" id="samizdat-endcall-{number}" '
            f'href="#samizdat-endnote-{number}" role="doc-noteref"></a>')
    endnote = (f'<div class="samizdat-endnote{secondary}" id="samizdat-endnote-{number}" '
               f'data-note="{number}" role="doc-endnote"><a class="samizdat-back" '
               f'href="#samizdat-endcall-{number}" role="doc-backlink"></a> {inner}</div>\n')
    return call, endnote


def _chapter_ends(html, level):
    """Offsets in `html` where a chapter ends: each heading of a chapter's level or
    above (none without chapters), the colophon, the end of the text."""
    heads = "|".join(f"<h{n}[ >]" for n in range(1, level + 1)) or "(?!)"
    ends = [m.start() for m in re.finditer(heads, html)]
    ends += [m.start() for m in re.finditer(r'<section id="colophon"|</main>', html)]
    return sorted(ends)
