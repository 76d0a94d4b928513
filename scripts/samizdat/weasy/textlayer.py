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
             "        spans, first_maps = _samizdat_clusters(font, glyph_item, utf8_text, stream,\n"
             "                                               run)\n"
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
# A span still open at the end of the run is closed there.
RUN_END = ("            x_advance += (logical_width + offset - kerning) / 1000\n"
           "\n"
           "        # Close the last glyphs list, remove if empty.\n")
FIXED_RUN_END = ("            x_advance += (logical_width + offset - kerning) / 1000\n"
                 "\n"
                 "        if spans:\n"
                 "            string = _samizdat_mark(stream, string, spans, num_glyphs)\n"
                 "        # Close the last glyphs list, remove if empty.\n")


class Spans(dict):
    """{first glyph index: (last glyph index, text)} of a run's clusters drawn inside
    an ActualText span; `open` is the last glyph index of the span being drawn."""

    open = None

    def __bool__(self):
        return bool(len(self)) or self.open is not None


# A TJ array's body ending in a move after its last glyph (a mark's kerning back).
TRAILING_MOVE = re.compile(r">(-?[0-9.]+)<$")


def _flush(stream, string):
    """Show the glyphs gathered in `string` (a TJ array's body being built, ending in
    '<' or in a glyph's hex digits); return the start of the next one. A move after the
    last glyph is carried to the next array's start: PDFium does not apply a number
    that ends a TJ array, and a Hindi के (its vowel sign drawn back over the letter,
    then the pen moved on) ate the space after it on screen ("के सभी" read "केसभी")."""
    carried = TRAILING_MOVE.search(string)
    if carried:
        string = string[:carried.start()] + ">"
    else:
        string = string[:-1] if string.endswith("<") else string + ">"
    if string:
        stream.show_text(string)
    return f"{carried[1]}<" if carried else "<"


def _mark(stream, string, spans, index):
    """Before glyph `index` of a run (or after its last one): close the span that ended,
    open the one that starts here. Returns the TJ body to go on with."""
    if spans.open is not None and index > spans.open:
        string = _flush(stream, string)
        stream.end_marked_content()
        spans.open = None
    if index in spans:
        last, text = spans[index]
        string = _flush(stream, string)
        stream.begin_marked_content(
            "Span", pydyf.Dictionary({"ActualText": pydyf.String(text)}))
        spans.open = last
    return string


def _same(drawn, text):
    """Whether glyphs read as `drawn` give `text` (one space for another is the same)."""
    return drawn == text or (drawn.isspace() and text.isspace())


def _clusters(font, glyph_item, utf8, stream=None, following=None):
    """(Spans, {glyph id: text}) for a Pango glyph item drawn in WeasyPrint `font`: the
    clusters whose glyphs do not spell their text, and the ToUnicode entry of each glyph
    the font has none for yet (the first time it is drawn). `following` is the line's
    next run (a Pango GSList node, or NULL); a span the run before left open on
    `stream` goes on over this run's first glyphs (_run_on)."""
    from weasyprint.text.ffi import ffi, pango

    carried = getattr(stream, "_samizdat_carry", 0)
    if carried:
        stream._samizdat_carry = 0
    offset, length = glyph_item.item.offset, glyph_item.item.length
    if SIMPLE.fullmatch(utf8[offset:offset + length].decode(errors="replace")):
        spans = Spans()
        spans.open = carried - 1 if carried else None
        return spans, {}
    glyph_string = glyph_item.glyphs
    count, infos = glyph_string.num_glyphs, glyph_string.glyphs
    clusters = glyph_string.log_clusters
    rtl = glyph_item.item.analysis.level % 2
    empty, unknown = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG
    known = font.to_unicode
    spans, first = Spans(), {}
    # (first glyph, last glyph, text, right as the map reads it, a glyph moved), in
    # glyph order
    found = []
    start = 0
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
            if new:  # WeasyPrint's own entry
                first[new[0]] = text
        elif new:
            first.update(_share(font, logical, new, text, known, first))
        right = _same("".join(first.get(g) or known.get(g, "") for g in logical), text)
        # a glyph moved off its pen position (a mark set over its letter, raised by a
        # text rise) is read where it is drawn: viewers sort it out of place or take
        # it for another line, unless its syllable's text is given. Not a lone glyph
        # (a justified space is moved); not right to left: a span's text must be
        # written in the order it is drawn for poppler (it reverses the whole span) and
        # with its combining marks after their letters for PDFium (it reverses only the
        # letters), and no one string is both (Persian's hamza, Urdu's kasra)
        moved = not rtl and any(g.geometry.y_offset or g.geometry.x_offset for g in glyphs)
        found.append((*here, text, right, moved))
    groups = []  # [first glyph, last glyph, text, spanned], in the order of the characters
    for group in _syllables(found[::-1] if rtl else found):
        spanned = not all(c[3] for c in group) or (
            any(c[4] for c in group) and sum(c[1] - c[0] + 1 for c in group) > 1)
        groups.append([min(c[0] for c in group), max(c[1] for c in group),
                       "".join(c[2] for c in group), spanned])
    held = _held_together(groups[::-1] if rtl else groups, infos, count, rtl)
    if held and held[-1][3] and not rtl and following not in (None, ffi.NULL):
        more, text = _run_on(held[-1], infos, count, following.data, glyph_item, utf8)
        if more:
            held[-1][1] += more
            held[-1][2] += text
            stream._samizdat_carry = more
    for first_glyph, last_glyph, text, spanned in held:
        if spanned and first_glyph >= carried:
            spans[first_glyph] = (last_glyph, text)
    if carried:
        spans.open = carried - 1
    return spans, first


def _held_together(groups, infos, count, rtl):
    """`groups` (in glyph order) with each span stretched over the groups after it that
    PDFium would read between its parts. A glyph raised or lowered (a text rise) is a
    text object of its own, and PDFium sorts a line's text objects by where each
    starts; it takes a span's text once, from its first object, and skips the next
    object only if it is of the same span: a Yoruba s̩'s lowered mark, placed past the
    start of the text after it, came later, and its span's text was read again there
    ('àwo̩n' as 'àw s̩ o̩n'). So the span goes on until the text after it starts
    past every part of it."""
    origins = _origins(infos, count)
    held = []
    for group in groups:
        if held and held[-1][3]:
            span = held[-1]
            apart = [origins[k] for k in range(span[0], span[1] + 1)
                     if infos[k].geometry.y_offset]
            if apart and max(apart) + MARGIN > origins[group[0]]:
                span[1] = group[1]
                span[2] = group[2] + span[2] if rtl else span[2] + group[2]
                continue
        held.append(list(group))
    return held


def _origins(infos, count, pen=0):
    """Where each of `count` glyphs is drawn along the line (Pango units, from `pen`),
    and where the pen stands after the last."""
    origins = []
    for k in range(count):
        origins.append(pen + infos[k].geometry.x_offset)
        pen += infos[k].geometry.width
    return origins + [pen]


# WeasyPrint writes moves as whole thousandths of an em: a margin for that (Pango units:
# 2/1000 of a 10 pt em)
MARGIN = 20


def _run_on(span, infos, count, following, glyph_item, utf8):
    """(glyphs, text) of the next run's first clusters that a span ending its run must
    go on over (_held_together): its mark stands past the run's end (a Yoruba e̩ before
    a justified space, which Pango sets as a run of its own). Only a run in the same
    font, left to right."""
    origins = _origins(infos, count)
    apart = [origins[k] for k in range(span[0], span[1] + 1) if infos[k].geometry.y_offset]
    if not apart or max(apart) + MARGIN <= origins[count] or \
            following.item.analysis.font != glyph_item.item.analysis.font or \
            following.item.analysis.level % 2:
        return 0, ""
    glyphs = following.glyphs
    n, clusters, pen, k = glyphs.num_glyphs, glyphs.log_clusters, origins[count], 0
    while k < n and pen + glyphs.glyphs[k].geometry.x_offset < max(apart) + MARGIN:
        end = k
        while end + 1 < n and clusters[end + 1] == clusters[k]:
            end += 1
        for j in range(k, end + 1):
            pen += glyphs.glyphs[j].geometry.width
        k = end + 1
    if not k:
        return 0, ""
    start = following.item.offset
    stop = following.item.length if k >= n else clusters[k]
    return k, utf8[start + clusters[0]:start + stop].decode()


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
                     helpers=(("_samizdat_clusters", _clusters), ("_samizdat_mark", _mark)),
                     more=((MAPPING, FIXED_MAPPING), (RUN_END, FIXED_RUN_END)),
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
