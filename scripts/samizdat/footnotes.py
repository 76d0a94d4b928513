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
"""

from dataclasses import dataclass

from .weasy import FootnoteAreaBox, InlineBox, SourceFix, block, layout

# The overflow branch's rule, and the fix: defer only notes whose policy is auto.
RULE = "report = not context.in_column and can_break_now and not could_break_before"
FIXED_RULE = (RULE + " and all(note.style['footnote_policy'] == 'auto'"
              " for note in context.current_page_footnotes)")
# sha256 of `inspect.getsource(weasyprint.layout.block._linebox_layout)` in 70.0.
KNOWN_SOURCE = "e07bbe000974787ee370be1f419a01a21b327a1a1e3025a65afd47589060883d"


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


def too_tall(document):
    """Numbers of notes taller than a page's content area: WeasyPrint cannot split a
    note across pages, so such a note overprints the next page or is lost."""
    tall = set()
    for page in document.pages:
        limit = page._page_box.height
        for child in page._page_box.children:
            if isinstance(child, FootnoteAreaBox):
                tall.update(_note_number(n) for n in child.children
                            if n.margin_height() > limit)
    return sorted(n for n in tall if n is not None)


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
KNOWN_AREA_SOURCE = "2e317e4b066fb80cb369a41cd6f054a127722f9961c18ef4d6e1eef93673c4c1"


def _deferral_fix():
    return SourceFix(block, "_linebox_layout", KNOWN_SOURCE, RULE, FIXED_RULE,
                     purpose="a note may be printed after its call's page, and refused (P001)")


def _rounding_fix():
    return SourceFix(layout, "_update_footnote_area", KNOWN_AREA_SOURCE, OVERFLOW,
                     FIXED_OVERFLOW, owner=layout.LayoutContext,
                     purpose="a note may be pushed past its call's page by a rounding error, "
                             "and refused (P001)")


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
