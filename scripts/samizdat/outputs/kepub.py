"""Kobo's own edition, `<stem>.kepub.epub`: the EPUB as Kobo's reader wants it.

Kobo's readers set a sideloaded `.epub` with Adobe's engine, where links to notes in
`<aside>`s are reported to do nothing (pandoc #9851, kobolabs/epub-spec #45); a
`.kepub.epub` gets Kobo's own engine, which pops a note up when its target is in the
same file, after the link (kobolabs/epub-spec, "Footnotes"). pandoc's EPUB already
keeps each note in its call's file, after it (verify_kepub checks it); what Kobo adds
(kepubify does the same) is a `koboSpan` around every run of text, which its engine
uses for reading position, highlights and page turns, and the body's content inside
`div#book-columns > div#book-inner`.
"""

from lxml import etree

from . import epub
from .epub import NS

XHTML = NS["x"]
SKIPPED = ("nav.xhtml", "cover.xhtml")  # no text to read: Kobo's own kepubs skip them
NO_SPANS = {f"{{{XHTML}}}{tag}" for tag in ("script", "style", "svg", "math")}


def kepub(source, out):
    """Write the Kobo edition of EPUB `source` to `out`; return `out`."""
    entries = epub.read_entries(source)
    for name, data in entries.items():
        if name.endswith(".xhtml") and not name.endswith(SKIPPED):
            entries[name] = kobo_spans(data)
    out.write_bytes(epub.pack(entries))
    return out


def kobo_spans(xhtml):
    """`xhtml` with each run of text in `<span class="koboSpan" id="kobo.P.S">` (P counts
    the elements holding text, S the runs in each) and the body's content wrapped in
    `div#book-columns > div#book-inner`."""
    root = etree.fromstring(xhtml)
    body = root.find("x:body", NS)
    if body is None:
        return xhtml
    columns = etree.Element(f"{{{XHTML}}}div", id="book-columns")
    inner = etree.SubElement(columns, f"{{{XHTML}}}div", id="book-inner")
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)
    body.append(columns)
    paragraph = 0
    for element in list(inner.iter()):
        if not isinstance(element.tag, str) or element.tag in NO_SPANS or any(
                a.tag in NO_SPANS for a in element.iterancestors()):
            continue  # a comment holds no text to read (its tail is its parent's)
        runs = [element.text] + [child.tail for child in element]
        if any(run and run.strip() for run in runs):
            paragraph += 1
            _wrap_runs(element, paragraph)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _wrap_runs(element, paragraph):
    """Wrap `element`'s own text and its children's tails in koboSpans."""
    segment = 0

    def span(text):
        nonlocal segment
        segment += 1
        made = etree.Element(f"{{{XHTML}}}span", id=f"kobo.{paragraph}.{segment}")
        made.set("class", "koboSpan")
        made.text = text
        return made

    children = list(element)
    if element.text and element.text.strip():
        element.insert(0, span(element.text))
        element.text = None
    for child in children:
        if child.tail and child.tail.strip():
            wrapped = span(child.tail)
            child.tail = None
            child.addnext(wrapped)
