"""The PDF's text layer: copying or searching gives the text's own characters, in order.

A PDF viewer reads text from glyphs: the font's ToUnicode map says which characters
each glyph stands for. WeasyPrint 70 writes one entry per glyph, taken from the first
cluster (HarfBuzz's unit of shaping: a letter with its marks, a conjunct) the glyph
was drawn in, and splits a cluster's characters between its glyphs by position, which
gives all of them to its last glyph and none (an empty entry) to the others. Where a
cluster is drawn as one glyph per character in order (Latin, Greek, Cyrillic, Hebrew,
Chinese) that is right. Elsewhere it is not:

- a vowel sign drawn before its consonant (Devanagari ि, Bengali ে, Tamil ெ, Sinhala
  ෙ, Khmer េ) leaves it with an empty entry, and the consonant with the whole cluster
  or, seen alone first, with itself: the vowel is lost;
- a glyph seen first in a cluster (ক with its vowel sign) gives that cluster to every
  later plain ক;
- an empty entry is read by pdfium as the glyph's number taken for a character:
  Yoruba's marks came out as C1 controls and "©", Persian's hamza (ۀ, هٔ) was lost.

The remedy is the standard one (PDF 1.7, 14.9.4): a cluster whose glyphs, as the map
reads them, do not spell its characters is drawn inside marked content that carries
them, `/Span <</ActualText (...)>> BDC ... EMC`, which pdfium, poppler, Acrobat and
screen readers read instead of the glyphs. And a glyph of such a cluster is mapped to
the character the font's own character map gives it (ি's glyph to ি), the rest of the
cluster's characters to its other glyph, never to nothing: a viewer that ignores the
span still finds the letters, if not in order.

Right to left, a span's text is read backwards (poppler) or its marks out of place
(PDFium), so none is drawn over a mark: a mark moved off its pen position (Persian's
hamza raised over ه, Urdu's kasra) is drawn with no text of its own (`_hide`), an
inkless copy at its letter's pen giving it (`_copy`); and a glyph standing for
characters that compose into one maps to that one (`_composed`).

`actual_text()` rebuilds WeasyPrint's `draw_first_line` with that, after checking its
source is the one this was written for (else W001, and the PDF is written as before).
A cluster already right is drawn exactly as before: a Latin text's PDF is the same
bytes.
"""

import contextlib
import io
import re
import unicodedata

import pydyf

from . import SourceFix, text_drawing
from .patches import patch

# sha256 of `inspect.getsource(weasyprint.draw.text.draw_first_line)` it was written for.
KNOWN_SOURCE = patch("text-layer").digest

# A run of only these is drawn a glyph a character, in order, with nothing moved (Latin,
# Greek and Cyrillic letters without combining marks, punctuation, symbols, CJK, Hangul
# syllables): the run is left as WeasyPrint draws it, and not looked at glyph by glyph
# (that look doubled the time of writing a Latin text's PDF: 0.46 -> 0.98 s). Not
# Tibetan: its vowel signs are drawn moved over their letters, which poppler read before
# them, and PDFium lost ེ where its glyph was first mapped in another cluster.
SIMPLE = re.compile("[\x00-\u02ff\u0370-\u0482\u048a-\u052f\u1e00-\u1fff"
                    "\u2000-\u2bff\u3000-\u9fff\uac00-\ud7a3\uf900-\ufaff"
                    "\uff00-\uffef]*")

# Each run: its clusters worked out before its glyphs are drawn.
RUN = ("        string += '<'\n"
       "        for i, glyph_info in enumerate(glyphs_info[0:num_glyphs]):\n"
       "            glyph_id = glyph_info.glyph\n")
FIXED_RUN = ("        utf8_text = utf8_text or textbox.pango_layout.text.encode()\n"
             "        spans, first_maps = _samizdat_clusters(font, glyph_item, utf8_text, run,\n"
             "                                               stream)\n"
             "        string += '<'\n"
             "        for i, glyph_info in enumerate(glyphs_info[0:num_glyphs]):\n"
             "            if spans:\n"
             "                string = _samizdat_mark(stream, string, spans, i)\n"
             "            glyph_id = glyph_info.glyph\n")
# A glyph's first entry: the one worked out for its cluster.
MAPPING = "                font.to_unicode[glyph_id] = utf8_text[offset+t1:offset+t2].decode()\n"
FIXED_MAPPING = ("                font.to_unicode[glyph_id] = (\n"
                 "                    first_maps[glyph_id] if glyph_id in first_maps\n"
                 "                    else utf8_text[offset+t1:offset+t2].decode())\n")
# A span still open at the end of the run is closed there (or after the white space
# runs that follow it).
RUN_END = ("            x_advance += (logical_width + offset - kerning) / 1000\n"
           "\n"
           "        # Close the last glyphs list, remove if empty.\n")
FIXED_RUN_END = ("            x_advance += (logical_width + offset - kerning) / 1000\n"
                 "\n"
                 "        if spans or getattr(stream, '_samizdat_open', 0):\n"
                 "            string = _samizdat_end(stream, string, spans, num_glyphs)\n"
                 "        # Close the last glyphs list, remove if empty.\n")

# A glyph drawn as nothing (PANGO_GLYPH_EMPTY: a U+200B, a soft hyphen) moves the pen by
# its width, which WeasyPrint 70 writes as `width / font_size`: Pango units (1/1024 of
# a pixel) taken for thousandths, 2.4% too far. Nothing if its width is nought; but a
# U+200B that linebreak.spaced_characters widens is a justified Thai, Lao, Khmer,
# Burmese or Tibetan line's word space, and each of a line's moved it on: a Burmese line holding
# ten of them was drawn 1.2 px past its box, its last letters past the page's edge.
EMPTY_MOVE = "                string += f'>{-width / font_size}<'\n"
FIXED_EMPTY_MOVE = "                string += f'>{-width * 1000 * FROM_UNITS / font_size}<'\n"
# A mark of a right to left run moved off its pen position (raised by a text rise, or
# moved sideways) is drawn as a raised glyph is, in a text object of its own, inside
# marked content that gives it no text (`_hide`); a copy where the pen stands gives it.
RISE = ("            if rise:\n")
FIXED_RISE = ("            if rise or (spans and i in spans.hidden):\n")
RISE_SET = "                stream.set_text_rise(-rise)\n"
FIXED_RISE_SET = ("                if spans:\n"
                  "                    _samizdat_hide(stream, spans, i, -rise)\n"
                  "                if rise:\n"
                  "                    stream.set_text_rise(-rise)\n")
RISE_END = ("                stream.set_text_rise(0)\n"
            "                string = '<'\n")
FIXED_RISE_END = ("                if rise:\n"
                  "                    stream.set_text_rise(0)\n"
                  "                if spans:\n"
                  "                    _samizdat_unhide(stream, spans, i)\n"
                  "                string = '<'\n")


class Spans(dict):
    """{first glyph index: (last glyph index, text)} of a run's clusters drawn inside
    an ActualText span; `open` is the last glyph index of the span being drawn;
    `carry` the number of runs after this one its last span stays open over (runs of
    white space, whose text its ActualText ends with); `into`: (glyphs, runs) when that
    span goes on over the first glyphs of the next run that is not white space (and,
    taking all of them, over the white space runs after it): `_reach_into_next_run`.
    A run entered so holds no span of its own over those glyphs; `open` is then the
    last of them from its start (`_enter`)."""

    open = None
    carry = 0
    into = None
    # (how far the span goes on past its run, how far it goes in it): `_redraw`
    beyond = None
    # first glyph indexes of the spans holding a raised glyph (drawn after the others,
    # `_redraw`), the WeasyPrint font they are drawn in, and where in the stream's
    # operators the span being drawn began
    raised = frozenset()
    font = None
    began = None
    # right to left: {glyph index: glyph id} of the moved marks drawn without text and
    # copied where the pen stands (`_hide`), and the copy still to be put in
    hidden = {}
    copy = None

    def __bool__(self):  # a run entered by a span carried into it has work to do
        return bool(len(self)) or self.open is not None or bool(self.hidden)


# A TJ array's body ending in moves after its last glyph (a mark's kerning back, a
# zero width space's move).
TRAILING_MOVE = re.compile(r"(?:>-?[0-9.]+<)+$")


def _flush(stream, string):
    """Show the glyphs gathered in `string` (a TJ array's body being built, ending in
    '<' or in a glyph's hex digits); return the start of the next one. A move after the
    last glyph is carried to the next array's start: PDFium does not apply a number
    that ends a TJ array holding an empty string (cpdf_streamcontentparser.cpp,
    AddTextObject: `kernings.back()` is the slot of the last string, empty ones
    included), and a Hindi के (its vowel sign drawn back over the letter, then the pen
    moved on) ate the space after it on screen ("के सभी" read "केसभी"). Every move
    after the last glyph goes on (a span ending in U+200B: a kerning, then its move)."""
    carried = TRAILING_MOVE.search(string)
    if carried:
        string = string[:carried.start()] + ">"
    else:
        string = string[:-1] if string.endswith("<") else string + ">"
    if string:
        stream.show_text(string)
    return " ".join(re.findall(r"-?[0-9.]+", carried[0])) + "<" if carried else "<"


def _mark(stream, string, spans, index):
    """Before glyph `index` of a run (or after its last one): close the span that ended,
    open the one that starts here. Returns the TJ body to go on with."""
    if spans.open is not None and index > spans.open:
        string = _flush(stream, string)
        _redraw(stream, spans)
        stream.end_marked_content()
        spans.open = None
    if spans.copy is not None:
        _copy(stream, spans)
    if index in spans:
        last, text = spans[index]
        string = _flush(stream, string)
        stream.begin_marked_content(
            "Span", pydyf.Dictionary({"ActualText": pydyf.String(text)}))
        spans.open = last
        spans.began = len(stream.stream) if index in spans.raised else None
    return string


def _end(stream, string, spans, count):
    """At the end of a run of `count` glyphs: close its open span, unless it is carried
    over the white space runs after it; close a carried span after the last of them."""
    if spans.open is not None and (spans.carry or spans.into):
        # shown here all the same: the next run may be in another font, and a move
        # ending this run's TJ must go on to the next one (`_flush`)
        string = _flush(stream, string)
        _redraw(stream, spans, spans.beyond)
        stream._samizdat_open = spans.carry
        # the next run that is not white space closes it (`_clusters`, `_enter`)
        stream._samizdat_into = spans.into
        spans.open = None
        return string
    if spans:
        string = _mark(stream, string, spans, count)
    pending = getattr(stream, "_samizdat_open", 0)
    if pending and not spans:  # a white space run a span is carried over
        stream._samizdat_open = pending - 1
        if pending == 1 and not getattr(stream, "_samizdat_into", None):
            string = _flush(stream, string)
            stream.end_marked_content()
    return string


# The marked content a moved mark of a right to left run is drawn in: no text for
# poppler and a reader of the standard (an empty ActualText: the glyph stands for
# nothing); none for PDFium either, which reads an empty ActualText as none and skips the
# objects of one holding no printable character (cpdf_textpage.cpp, PreMarkedContent:
# `kDone`). Poppler reads ActualText only in a Span (Gfx.cc, opBeginMarkedContent), so
# the one PDFium reads is in marked content of another tag inside it, where it is the
# last, the one PDFium takes.
HIDDEN = ("Span", "SamizdatHidden", "\ufffe")


def _hide(stream, spans, index, rise):
    """Before mark `index` of a right to left run is drawn (its text rise `rise` set
    next), if it is one `spans.hidden` holds: open the marked content that gives it no
    text (HIDDEN); its copy, which gives its text, goes in before it (`_copy`). PDFium
    sorts a line's text objects by their origin and read a raised mark, an object of its
    own set over its letter (Persian's hamza over ه, Urdu's kasra under ل), after that
    letter and the rest of the letter's object: out of its word (ماده + ٔ read
    'ٔ ماده'); poppler put it on the line above, and a mark moved sideways on its
    baseline (Urdu's kasra after ک in اشتراکِ) on a line of its own."""
    if index in spans.hidden:
        spans.copy = (spans.hidden[index], len(stream.stream), rise)
        tag, inner, text = HIDDEN
        stream.begin_marked_content(tag, pydyf.Dictionary({"ActualText": pydyf.String("")}))
        stream.begin_marked_content(inner, pydyf.Dictionary({"ActualText": pydyf.String(text)}))


def _unhide(stream, spans, index):
    """After mark `index` is drawn (the text rise set back): close what `_hide` opened.
    Its copy is put in before the next glyph is drawn (`_mark`), or at the run's end,
    when the mark's width is known."""
    if index in spans.hidden:
        stream.end_marked_content()
        stream.end_marked_content()


# How far before its letter's origin the copy of a mark is set, in thousandths of an
# em: the letter's origin is where WeasyPrint's rounded moves (`int(kerning)`) after the
# mark put it, less than one from where the mark was drawn from.
BEFORE = 1


def _copy(stream, spans):
    """Put in, before the mark drawn last (`spans.copy`: its glyph id, where its drawing
    begins in the stream's operators, its text rise), a copy of it with no ink (text
    rendering mode 3) at the pen, less BEFORE, at the same rise (where a viewer shows it
    selected: the mark's ink), the pen then moved back. A text object there, drawn
    first, PDFium reads before its letter's (objects at one origin keep their drawing
    order), and poppler with it: in a right to left run HarfBuzz gives a cluster's mark
    before its letter, which the line's reordering puts after it. (Drawn after the
    mark, PDFium took the copy of a mark moved a little, Urdu's kasra, for a second
    drawing of it and read neither: cpdf_textpage.cpp, IsSameAsPreTextObject.)"""
    (glyph, at, rise), spans.copy = spans.copy, None
    digits = 2 if spans.font.bitmap else 4
    width = spans.font.widths.get(glyph, 0)
    shown = _show([_number(BEFORE), f"<{glyph:0{digits}x}>", _number(width - BEFORE)])
    rises = ([f"{_number(rise)} Ts".encode()], [b"0 Ts"]) if rise else ([], [])
    stream.stream[at:at] = [b"3 Tr", *rises[0], *shown, *rises[1], b"0 Tr"]


# A TJ array's body as WeasyPrint writes it: glyph strings and numbers.
TJ_ITEM = re.compile(r"<([0-9a-f]*)>|(-?[0-9]*\.?[0-9]+)")


def _redraw(stream, spans, beyond=None):
    """Put before the span begun at operator `spans.began` of `stream` an invisible copy
    of its glyphs on the baseline (text rendering mode 3: no ink), in one TJ, each
    raised glyph's place kept by a move, the pen then moved back to the span's start;
    the span's own drawing is left as it is. PDFium's text page sorts a line's text
    objects by where they start and reads a span's ActualText with the first of its
    objects, then again with any object of it that does not follow another one of it
    in that order; and it measures the gap to the next word from the end of that
    first object (cpdf_textpage.cpp: PreMarkedContent's `kDone` for an object whose
    previous one has the same marks; ProcessInsertObject). A raised glyph is an object
    of its own (a text rise): Thai's ์ over ิ, Khmer's ាំ, a Bengali reph, set to the
    right, past where the next syllable begins, were read there a second time
    (`_reach_over_raised` keeps the next object past them); the copy comes first and
    reaches the span's end. (Drawing the span's glyphs in another order would do for
    PDFium, but poppler takes a span's extent from its first and last glyph drawn.)
    `beyond`: (how far the span goes on past this run, how far it goes in it; Pango
    units) for a span carried over the next run's first glyphs (`_reach_into_next_run`):
    the copy ends with its last glyph again, set to end where the span does, for PDFium
    measures the gap to the next text object from the end of the first one (ProcessInsert
    Object, `last_pos`: a space was put in after the span, 'ศักดิ์ป ระจำตัว').
    Operators not understood: nothing is put in."""
    began, spans.began = spans.began, None
    if began is None:
        return
    parsed = [_parse_op(op, spans.font) for op in stream.stream[began:]]
    if None in parsed:
        return
    base, rise, glyphs, pen = [], False, 0, 0.0
    for op, items, count, advance in parsed:
        if items is None:
            rise = float(op[:-3]) != 0
        elif rise:
            base.append(_number(-advance))
        else:
            base += items
            glyphs += count
        pen += advance
    if not glyphs:
        return
    if beyond and beyond[1] > 0:
        last = next(i for i in reversed(base) if i.startswith("<") and len(i) > 2)[
            -(3 if spans.font.bitmap else 5):-1]
        extra = pen * beyond[0] / beyond[1]
        base += [_number(spans.font.widths[int(last, 16)] - extra), f"<{last}>"]
        pen += extra
    stream.stream[began:began] = [b"3 Tr", *_show(base), b"0 Tr", *_show([_number(pen)])]


def _parse_op(op, font):
    """(op, None, 0, 0) for a text rise operator (bytes); (op, items, glyph count,
    advance in thousandths of an em) for a TJ operator as WeasyPrint writes it, in
    `font`; None for another."""
    if op.endswith(b" Ts"):
        try:
            float(op[:-3])
        except ValueError:
            return None
        return op, None, 0, 0.0
    if not (op.startswith(b"[") and op.endswith(b"] TJ")) or font is None:
        return None
    body = op[1:-4].decode("ascii", errors="replace")
    items, advance, glyphs, at = [], 0.0, 0, 0
    step = 2 if font.bitmap else 4
    for match in TJ_ITEM.finditer(body):
        if body[at:match.start()].strip():
            return None
        at = match.end()
        hexes, number = match.groups()
        if number is not None:
            items.append(number)
            advance -= float(number)
        elif hexes:
            if len(hexes) % step:
                return None
            for k in range(0, len(hexes), step):
                width = font.widths.get(int(hexes[k:k + step], 16))
                if width is None:
                    return None
                advance += width
                glyphs += 1
            items.append(f"<{hexes}>")
        # an empty string draws nothing: PDFium adds the numbers about it together
    if body[at:].strip():
        return None
    return op, items, glyphs, advance


def _number(value):
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def _show(items):
    """TJ operators drawing `items` (glyph strings and numbers): a move that ends them
    in a TJ of its own (`_flush`: PDFium drops a number ending a TJ array)."""
    k = len(items)
    while k and not items[k - 1].startswith("<"):
        k -= 1
    shown = []
    for part in (items[:k], items[k:]):
        if part:
            body = "".join(" " + i if n and not i.startswith("<")
                           and not part[n - 1].startswith("<") else i
                           for n, i in enumerate(part))
            shown.append(b"[" + body.encode("ascii") + b"] TJ")
    return shown


def _composed(text):
    """`text` composed (NFC) where that makes it one character: a glyph of a right to
    left run standing for two characters is read by PDFium and poppler with them
    reversed (Persian's تأمین, alef and hamza above in one glyph, read 'تٔامین'), one
    has no order to get wrong. Else `text` as it is."""
    composed = unicodedata.normalize("NFC", text)
    return composed if len(composed) == 1 else text


def _same(drawn, text):
    """Whether glyphs read as `drawn` give `text` (one space for another is the same)."""
    return drawn == text or (drawn.isspace() and text.isspace())


def _clusters(font, glyph_item, utf8, next_run=None, stream=None):
    """(Spans, {glyph id: text}) for a Pango glyph item drawn in WeasyPrint `font`: the
    clusters whose glyphs do not spell their text, and the ToUnicode entry of each glyph
    the font has none for yet (the first time it is drawn). `next_run`: the line's next
    run (a Pango GSList node, or None/NULL); `stream`: the one drawn on, whose
    `_samizdat_into` says that a span of a run before this one goes on over its first
    glyphs (`_reach_into_next_run`)."""
    from weasyprint.text.ffi import pango

    offset, length = glyph_item.item.offset, glyph_item.item.length
    run_text = utf8[offset:offset + length].decode(errors="replace")
    into = _taken_into(stream, run_text)
    if SIMPLE.fullmatch(run_text):
        spans = Spans()
        if into:
            _enter(spans, [], into, glyph_item.glyphs.num_glyphs)
        return spans, {}
    glyph_string = glyph_item.glyphs
    count, infos = glyph_string.num_glyphs, glyph_string.glyphs
    rtl = glyph_item.item.analysis.level % 2
    found, first = _found(font, glyph_item, utf8, rtl)
    spans = _syllable_spans(found, rtl)
    raised = [bool(infos[k].geometry.y_offset) and infos[k].glyph != pango.PANGO_GLYPH_EMPTY
              for k in range(count)]
    if rtl:
        _hide_moved_marks(spans, font, infos, count, raised)
    else:
        _reach(spans, found, infos, raised, into, utf8, next_run, glyph_item)
    if spans and any(raised) and not rtl:
        spans.font = font
        spans.raised = frozenset(
            start for start, (last, _) in spans.items()
            if any(raised[start:last + 1]) and any(
                not raised[k] and infos[k].glyph != pango.PANGO_GLYPH_EMPTY
                for k in range(start, last + 1)))
    return spans, first


def _taken_into(stream, run_text):
    """The span a run before this one left to go on over its first glyphs (`stream`'s
    `_samizdat_into`), taken by this run if it holds more than white space (the span
    is then closed in it, by `_mark` or `_end`), else None."""
    into = getattr(stream, "_samizdat_into", None)
    if into and not _blank(run_text):
        stream._samizdat_into, stream._samizdat_open = None, 0
        return into
    return None


def _found(font, glyph_item, utf8, rtl):
    """([(first glyph, last glyph, text, right as the map reads it, a glyph moved)] in
    glyph order, {glyph id: text} of the glyphs first mapped here) of a glyph item."""
    from weasyprint.text.ffi import pango

    offset, length = glyph_item.item.offset, glyph_item.item.length
    glyph_string = glyph_item.glyphs
    count, infos = glyph_string.num_glyphs, glyph_string.glyphs
    clusters = glyph_string.log_clusters
    empty, unknown = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG
    known, first, found, start = font.to_unicode, {}, [], 0
    while start < count:
        end = start
        while end + 1 < count and clusters[end + 1] == clusters[start]:
            end += 1
        # its characters: up to the next cluster's (the one before it, right to left)
        after = (length if start == 0 else clusters[start - 1]) if rtl else \
            (length if end == count - 1 else clusters[end + 1])
        text = utf8[offset + clusters[start]:offset + after].decode()
        glyphs = [infos[k] for k in range(start, end + 1)]
        ids = [g.glyph for g in glyphs]
        here, start = (start, end), end + 1
        drawn = [g for g in ids if g != empty]
        if not drawn or any(g & unknown for g in ids):
            # nothing drawn (a soft hyphen: nothing to copy), or no glyph for a
            # character (WeasyPrint's .notdef): left as they are
            found.append((*here, text, True, False))
            continue
        logical = drawn[::-1] if rtl else drawn
        new = [g for g in dict.fromkeys(logical) if g not in known and g not in first]
        if len(ids) == 1:
            if new:  # WeasyPrint's own entry; right to left, composed (`_composed`)
                first[new[0]] = _composed(text) if rtl else text
        elif new:
            first.update(_share(font, logical, new, text, known, first))
        right = _same("".join(first.get(g) or known.get(g, "") for g in logical),
                      _composed(text) if rtl else text)
        # a glyph moved off its pen position (a mark set over its letter, raised by a
        # text rise) is read where it is drawn: viewers sort it out of place or take
        # it for another line, unless its syllable's text is given. Not a lone glyph
        # (a justified space is moved); not right to left, where pdfium and poppler
        # read a span's text backwards (Persian's hamza: _hide_moved_marks)
        moved = not rtl and any(g.geometry.y_offset or g.geometry.x_offset for g in glyphs)
        found.append((*here, text, right, moved))
    return found, first


def _syllable_spans(found, rtl):
    """Spans of the syllables of `found` (see _found) whose glyphs do not spell their
    text, or that hold a glyph moved off its pen and more than one glyph."""
    spans = Spans()
    for group in _syllables(found[::-1] if rtl else found):
        if not all(c[3] for c in group) or (
                any(c[4] for c in group) and sum(c[1] - c[0] + 1 for c in group) > 1):
            spans[min(c[0] for c in group)] = (max(c[1] for c in group),
                                               "".join(c[2] for c in group))
    return spans


def _hide_moved_marks(spans, font, infos, count, raised):
    """Right to left: each mark moved off its pen position (raised, or moved sideways
    with no width) outside a span is drawn with no text of its own (`spans.hidden`)."""
    from weasyprint.text.ffi import pango

    empty, unknown = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG
    moved = [k for k in range(count) if raised[k] or (
        infos[k].geometry.x_offset > 0 and not infos[k].geometry.width
        and infos[k].glyph != empty)]
    inside = {k for start, (last, _) in spans.items() for k in range(start, last + 1)}
    spans.hidden = {k: infos[k].glyph for k in moved
                    if k not in inside and not infos[k].glyph & unknown}
    spans.font = font


def _reach(spans, found, infos, raised, into, utf8, next_run, glyph_item):
    """Left to right: each span stretched over what PDFium would read between its parts
    (a raised glyph's reach, the spaces after it), entered from the run before
    (`into`), carried into the next run where it must be."""
    count = len(raised)
    if spans and any(raised):
        _reach_over_raised(spans, found, infos, raised)
    if spans:
        _take_spaces(spans, found)
    if into:
        _enter(spans, found, into, count)
    if not (into and into[0] >= count) and not (
            spans and any(raised)
            and _reach_into_next_run(spans, found, infos, raised, utf8, next_run)):
        _carry_over_spaces(spans, found, utf8, next_run, glyph_item.item.analysis.font)


# How far (Pango units, 1/1024 pt) a raised glyph's origin may stand past the object
# after its span: WeasyPrint's TJ numbers are rounded, Pango's positions are not.
REACH = 64


def _reach_over_raised(spans, found, infos, raised):
    """Extend each span holding a raised glyph (`raised`: per glyph of the run) over the
    syllables after it (or before it) until the object after the span starts at or past
    every raised glyph's origin, and the span's first glyph on the baseline at or before
    them. PDFium sorts a line's text objects by their origin and reads a span's
    ActualText once only if its objects follow one another in that order (`_redraw`):
    Thai's ์ over ิ, Khmer's ាំ, a Bengali reph are raised and set to the right, past
    where the next syllable begins. `spans`, `found` (glyph order, left to right) as in
    `_clusters`; `spans` is changed."""
    origin = _origins(infos, len(raised))
    units = [[g[0][0], g[-1][1], "".join(c[2] for c in g), g[0][0] in spans]
             for g in _syllables(found)]

    def lifted(unit):
        return [origin[k] for k in range(unit[0], unit[1] + 1) if raised[k]]

    def base(unit):
        return next((origin[k] for k in range(unit[0], unit[1] + 1) if not raised[k]), None)

    i = 0
    while i < len(units):
        unit = units[i]
        if unit[3] and lifted(unit):
            while i > 0 and base(unit) is not None and min(lifted(unit)) < base(unit) - REACH:
                before = units.pop(i - 1)
                i -= 1
                unit[0], unit[2] = before[0], before[2] + unit[2]
            while i + 1 < len(units) and origin[unit[1] + 1] < max(lifted(unit)) + REACH:
                after = units.pop(i + 1)
                unit[1], unit[2] = after[1], unit[2] + after[2]
        i += 1
    spans.clear()
    spans.update({unit[0]: (unit[1], unit[2]) for unit in units if unit[3]})


def _origins(infos, count, pen=0):
    """Where each of a run's `count` glyphs (Pango glyph infos) starts, from `pen` (Pango
    units), then where the next run starts."""
    origin = []
    for info in infos[0:count]:
        origin.append(pen + info.geometry.x_offset)
        pen += info.geometry.width
    origin.append(pen)
    return origin


def _run_clusters(glyph_item, utf8):
    """[(first glyph, last glyph, text)] of a left-to-right Pango glyph item's clusters,
    in glyph order."""
    glyphs = glyph_item.glyphs
    count, clusters = glyphs.num_glyphs, glyphs.log_clusters
    offset, length = glyph_item.item.offset, glyph_item.item.length
    found, start = [], 0
    while start < count:
        end = start
        while end + 1 < count and clusters[end + 1] == clusters[start]:
            end += 1
        after = length if end == count - 1 else clusters[end + 1]
        found.append((start, end, utf8[offset + clusters[start]:offset + after].decode()))
        start = end + 1
    return found


def _blank_runs(utf8, node):
    """([text of each run of white space from `node` on], their width in Pango units,
    the node after them): left to right runs only; None for a right to left one."""
    texts, width = [], 0
    while node:  # a GSList node; NULL (false) ends the list
        item = node.data.item
        text = utf8[item.offset:item.offset + item.length].decode(errors="replace")
        if item.analysis.level % 2:
            return None
        if not _blank(text):
            break
        texts.append(_unmarked(text))
        glyphs = node.data.glyphs
        width += sum(glyphs.glyphs[k].geometry.width for k in range(glyphs.num_glyphs))
        node = node.next
    return texts, width, node


def _reach_into_next_run(spans, found, infos, raised, utf8, node):
    """Carry the span ending this run, when it holds a raised glyph set past where the
    next run that is not white space (`node` on: the line's next runs) starts, over
    that run's first syllables, until the text object after it starts past every raised
    glyph's origin; over the white space runs between too, and, if it takes the whole
    run, the ones after it. PDFium sorts a line's text objects by their origin (see
    `_reach_over_raised`, which does this within a run): Thai's ์ ending a run before
    a U+200B or a bracket in another font, Khmer's ាំ, stood past the next run's start,
    and its syllable was read again after that run's first one ('ศักดิ์ประจ ดิ์ ำตัว').
    Returns whether it did (`spans.into`, `spans.carry` set; its ActualText goes on
    with the text it reaches over); `spans`, `found`, `infos`, `raised` as in
    `_clusters`."""
    from weasyprint.text.ffi import pango

    empty = pango.PANGO_GLYPH_EMPTY
    end = found[-1][1]
    start = next((s for s, (last, _) in spans.items() if last == end), None)
    if start is None or not any(raised[start:end + 1]):
        return False
    origin = _origins(infos, len(raised))
    reach = max(origin[k] for k in range(start, end + 1) if raised[k]) + REACH
    blanks = _blank_runs(utf8, node)
    if blanks is None:
        return False
    before, width, node = blanks
    pen, texts, chain = origin[-1] + width, list(before), []
    while node and pen < reach and not node.data.item.analysis.level % 2:
        entered = node.data
        count, its = entered.glyphs.num_glyphs, entered.glyphs.glyphs
        starts = _origins(its, count, pen)
        glyphs = 0
        for group in _syllables(_run_clusters(entered, utf8)):
            if starts[group[0][0]] >= reach:
                break
            texts.append(_unmarked("".join(c[2] for c in group)))
            glyphs = group[-1][1] + 1
            # a glyph of that run's raised too (Khmer's ួ below រ) is passed as well
            reach = max([reach] + [starts[k] + REACH for k in range(group[0][0], glyphs)
                                   if its[k].geometry.y_offset and its[k].glyph != empty])
        if not glyphs:
            break
        chain.append([glyphs, 0])
        done = starts[glyphs] - (its[glyphs].geometry.x_offset if glyphs < count else 0)
        if glyphs < count:
            break
        # the whole run taken: on over the white space after it, and the next run
        blanks = _blank_runs(utf8, node.next)
        if blanks is None:
            break
        after, width, node = blanks
        texts += after
        chain[-1][1] = len(after)
        pen = done = starts[-1] + width
    if not chain:
        return False
    spans.beyond = (done - origin[-1],
                    origin[-1] - origin[start] + infos[start].geometry.x_offset)
    into = None
    for glyphs, runs in reversed(chain):
        into = (glyphs, runs, into)
    last, text = spans[start]
    spans[start] = (last, text + "".join(texts))
    spans.carry, spans.into = len(before), into
    return True


def _enter(spans, found, into, count):
    """Take a run's first glyphs out of its own spans: a span of a run before it is
    carried over them (`into`: (glyphs, white space runs after this one it goes on
    over when it takes them all, the `into` of the run after those), from
    `_reach_into_next_run`), whose ActualText holds their text. A span of this run reaching past them keeps the rest. `found`, `count` (the
    run's clusters and glyphs) as in `_clusters`; `spans` is changed."""
    glyphs, runs, rest = into
    for start in [s for s in spans if s < glyphs]:
        last, _ = spans.pop(start)
        if last >= glyphs:
            spans[glyphs] = (last, _unmarked("".join(
                c[2] for c in found if glyphs <= c[0] <= last)))
    spans.open = min(glyphs, count) - 1
    if glyphs >= count:
        spans.carry, spans.into = runs, rest


def _carry_over_spaces(spans, found, utf8, node, font):
    """Draw the runs of white space after this run (`node`: the line's next run, a
    GSList node or NULL) inside a span ending this run, its ActualText ending with their
    text, when they would stand alone in a text object of their own, which PDFium drops
    (`_take_spaces`): after a span (a justified line's every space is a run of its own:
    WeasyPrint's word spacing is a Pango attribute), or in another font than this run's
    (Thai, Khmer, Burmese spaces are set in the stack's first font). Then a run ending
    in plain glyphs gets a span over its last syllable. The span stays open over those
    runs (`Spans.carry`)."""
    carried, blank_font = [], None
    while node:  # a GSList node; NULL (false) ends the list
        item = node.data.item
        blank = utf8[item.offset:item.offset + item.length].decode(errors="replace")
        if not _blank(blank) or item.analysis.level % 2:
            break
        carried.append(_unmarked(blank))
        blank_font = blank_font or item.analysis.font
        node = node.next
    if not carried or not found:
        return
    end = found[-1][1]
    start = next((s for s, (last, _) in spans.items() if last == end), None)
    if start is not None:
        last, text = spans[start]
    elif blank_font != font:
        group = list(_syllables(found))[-1]
        start, last, text = group[0][0], end, "".join(c[2] for c in group)
    else:
        return
    spans[start] = (last, text + "".join(carried))
    spans.carry = len(carried)


def _blank(text):
    """Whether `text` draws no ink: white space, U+200B (which wordbreak.mark_words
    puts between Thai, Lao, Khmer, Burmese words and after Tibetan's tshegs), the
    joiners."""
    return bool(text) and all(c.isspace() or c in "\u200b\u200c\u200d\u2060" for c in text)


def _unmarked(text):
    """`text` without the U+200B wordbreak.mark_words put in (not the manuscript's)."""
    return text.replace("\u200b", "")


def _take_spaces(spans, found):
    """Draw white space that would stand alone in its text object inside the span
    before it (or, at a run's start, the one after it), its ActualText ending (or
    starting) with it. Between two spans, or between a span and the run's end, a space
    is a TJ of its own, an object with no ink: PDFium's text page drops an object
    narrower than 0.01 pt (cpdf_textpage.cpp, ProcessTextObject: `if
    (fabs(pTextObj->GetRect().Width()) < kSizeEpsilon) return;`) and then guesses a
    space from the gap, which after a syllable whose mark is kerned back it does not
    see: Hindi's "अधिकारों के" read "अधिकारोंके". `spans` and `found` (the run's
    clusters in glyph order, left to right) as in `_clusters`; `spans` is changed."""
    starts = {c[0]: n for n, c in enumerate(found)}

    for start in sorted(spans):
        last, text = spans[start]
        n = starts.get(last + 1)
        if n is None:
            continue
        m = n
        while m < len(found) and _blank(found[m][2]):
            m += 1
        if m > n and (m == len(found) or found[m][0] in spans):
            spans[start] = (found[m - 1][1],
                            text + _unmarked("".join(c[2] for c in found[n:m])))
    m = 0
    while m < len(found) and _blank(found[m][2]):
        m += 1
    if 0 < m < len(found) and found[m][0] in spans:
        last, text = spans.pop(found[m][0])
        spans[0] = (last, _unmarked("".join(c[2] for c in found[:m])) + text)


def _syllables(clusters):
    """`clusters` (in the order of their characters) in groups that viewers must not
    part: a cluster that starts with a mark or a joiner, or follows a virama (a
    conjunct's halves: HarfBuzz gives Telugu's క and ్తు apart), goes with the one
    before it, so that a span holds the whole syllable where its glyphs are drawn."""
    group = []
    for cluster in clusters:
        text = cluster[2]
        if group and not (unicodedata.category(text[0]).startswith("M")
                          or text[0] in "\u200c\u200d"
                          or unicodedata.combining(group[-1][2][-1]) == 9):
            yield group
            group = []
        group.append(cluster)
    if group:
        yield group


def _share(font, logical, new, text, known, first):
    """{glyph: text} for the `new` glyphs of a cluster drawn as glyphs `logical` (in the
    order of its characters): each glyph the font's character map gives a character of
    the cluster stands for it (its decomposition too: ো is ে and া); the characters no
    glyph takes go to the first other glyph; a glyph left with none stands for the
    cluster's last character (an empty entry is read as garbage by pdfium)."""
    left = list(unicodedata.normalize("NFC", text))
    for glyph in logical:  # what the glyphs already mapped stand for
        for char in first.get(glyph) or known.get(glyph, ""):
            if char in left:
                left.remove(char)
    nominal = _nominal(font)
    shares, rest = {}, []
    for glyph in new:
        chars = nominal.get(glyph, ())
        found = next((c for c in chars if c in left), None)
        if found is None:
            decomposed = list(unicodedata.normalize("NFD", "".join(left)))
            found = next((c for c in chars if c in decomposed), None)
            if found is not None:
                left = decomposed
        if found is None:
            rest.append(glyph)
        else:
            left.remove(found)
            shares[glyph] = found
    for glyph in rest:
        shares[glyph] = "".join(left) or text[-1]
        left = []
    return shares


def _nominal(font):
    """{glyph id: (characters the font's character map draws with it)} of a WeasyPrint
    Font, read once per Font (only for a text whose clusters need it)."""
    nominal = getattr(font, "_samizdat_nominal", None)
    if nominal is None:
        from fontTools.ttLib import TTFont

        nominal = {}
        try:
            tt = TTFont(io.BytesIO(font.file_content), fontNumber=font.index, lazy=True)
            for point, name in sorted(tt.getBestCmap().items()):
                nominal.setdefault(tt.getGlyphID(name), []).append(chr(point))
        except Exception:  # noqa: BLE001 - a font fontTools cannot read: no nominal glyphs
            nominal = {}
        font._samizdat_nominal = nominal
    return nominal


def _fix():
    return SourceFix(text_drawing, "draw_first_line", KNOWN_SOURCE, RUN, FIXED_RUN,
                     helpers=(("_samizdat_clusters", _clusters), ("_samizdat_mark", _mark),
                              ("_samizdat_end", _end), ("_samizdat_hide", _hide),
                              ("_samizdat_unhide", _unhide)),
                     more=((MAPPING, FIXED_MAPPING), (RUN_END, FIXED_RUN_END),
                           (EMPTY_MOVE, FIXED_EMPTY_MOVE), (RISE, FIXED_RISE),
                           (RISE_SET, FIXED_RISE_SET), (RISE_END, FIXED_RISE_END)),
                     patch="text-layer")


def source_digest():
    """sha256 of the WeasyPrint function the fix rebuilds."""
    return _fix().source_digest()


@contextlib.contextmanager
def actual_text():
    """Within the block, WeasyPrint draws text with a faithful text layer (the module
    doc). Yields True when the fix is in force, False when this WeasyPrint's code is
    not the code it was written for (said once, W001; nothing changed)."""
    with _fix().applied() as in_force:
        yield in_force
