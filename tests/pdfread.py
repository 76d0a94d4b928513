"""Reading PDFs back the way a reader would: page by page, from the written file."""

import io
import re

import pikepdf
from pypdf import PdfReader

from samizdat.verify import squash


def page_texts(path_or_bytes):
    """Squashed text (no whitespace, no hyphens) of each page."""
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return [squash(page.extract_text()) for page in PdfReader(source).pages]


def saddle_position(side, slot, total):
    """Booklet page (1-based) at `slot` (0 left, 1 right) of sheet side `side` (0-based):
    side 2i holds N-2i | 2i+1, side 2i+1 holds 2i+2 | N-2i-1 (the issue's rule)."""
    i, back = divmod(side, 2)
    pair = (2 * i + 2, total - 2 * i - 1) if back else (total - 2 * i, 2 * i + 1)
    return pair[slot]


def unimpose(pamphlet):
    """A PDF (bytes) of the pages placed on the pamphlet's sheet sides, put back in
    reading order by the saddle rule; blank slots are left out. A page drawn turned
    180° (a long-edge back) is put back upright; clipping (creep) is ignored."""
    with pikepdf.open(pamphlet) as src, pikepdf.new() as out:
        total = 2 * len(src.pages)
        placed = {}
        for side_number, side in enumerate(src.pages):
            half = float(side.mediabox[2]) / 2
            content = side.Contents.read_bytes().decode("latin-1")
            for a, x, name in re.findall(
                    r"(?:q |W n )(-?1) 0 0 \1 ([-\d.]+) [-\d.]+ cm (/\w+) Do", content):
                form = side.Resources.XObject[name]
                centre = float(x) + sum(float(v) for v in form.BBox[::2]) / 2 * int(a)
                # on a turned side the booklet's left page is drawn on the right
                slot = int(centre >= half) ^ (a == "-1")
                placed[saddle_position(side_number, slot, total)] = form
        for position in sorted(placed):
            form = placed[position]
            bbox = [float(v) for v in form.BBox]
            page = out.add_blank_page(page_size=(bbox[2] - bbox[0], bbox[3] - bbox[1]))
            page.Resources = pikepdf.Dictionary(
                XObject=pikepdf.Dictionary(F=out.copy_foreign(form)))
            page.Contents = out.make_stream(b"q 1 0 0 1 0 0 cm /F Do Q")
        data = io.BytesIO()
        out.save(data)
        return data.getvalue()


def call_contexts(ms):
    """{note number: squashed text just before its call, with the call number, in
    three lengths (a call near a page top has little of its paragraph on that page)}."""
    contexts, number = {}, 0
    for block in ms.ast["blocks"]:
        number = _contexts(block, contexts, number, "")
    return contexts


def _contexts(node, contexts, number, before):
    from samizdat.pandoc import stringify

    inlines = node.get("c") if node.get("t") in ("Para", "Plain") else None
    if inlines is None:
        return number
    text = ""
    for inline in inlines:
        if inline.get("t") == "Note":
            number += 1
            contexts[number] = [squash(text)[-n:] + str(number) for n in (14, 9, 5)]
        else:
            text += stringify(inline)
    return number


def note_placement(pages, ms):
    """{note number: (page of its call, page of its text)}, 1-based, from page texts."""
    placement = {}
    for number, context in call_contexts(ms).items():
        start = squash(f"{number}. {ms.notes[number - 1]}")[:24]
        call = []
        for candidate in context:
            call = call or [i + 1 for i, text in enumerate(pages) if candidate in text]
        note = [i + 1 for i, text in enumerate(pages) if start in text]
        placement[number] = (call, note)
    return placement
