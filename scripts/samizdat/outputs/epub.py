"""EPUB stage: pandoc EPUB 3, then what pandoc leaves out, then a reproducible zip.

pandoc 3.9 writes EPUB 3 notes (`epub:type="noteref"` calls, `epub:type="footnote"`
asides) but no link from a note back to its call, and no subtitle in the OPF.
Both are added here, and the zip is rewritten in a fixed order with fixed times.
"""

import io
import logging
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from .. import STYLES
from ..errors import Finding, UserError
from ..source import pandoc, policy, resources
from ..writing import labels

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
OPF = "http://www.idpf.org/2007/opf"
DC = "http://purl.org/dc/elements/1.1/"
NS = {"x": XHTML, "epub": OPS, "opf": OPF, "dc": DC}
STYLESHEET = "EPUB/styles/stylesheet1.css"
NAV = "EPUB/nav.xhtml"
# EPUB Accessibility 1.1: what the book conforms to and a summary for readers.
CONFORMS_TO = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"
SUMMARY = ("The text has a title page, a table of contents, landmarks and a logical "
           "reading order; notes are linked from their calls and back, and the language "
           "is declared on every document.")
# Zip entries get this time (the zip format cannot go earlier than 1980).
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def epub(ms, out, *, css=STYLES / "epub.css", modified="2000-01-01T00:00:00Z", cover=None,
         made=None):
    """Write manuscript `ms` as an EPUB 3 to `out`; return `out`.

    `cover`: PNG bytes of the cover image, shown by readers in their library view.
    `made`: pandoc's EPUB of `ms` (see pandoc_epub) if it was made beforehand."""
    entries = made if made is not None else pandoc_epub(ms)
    changes = []
    entries = {name: _fix(name, data, ms, modified, changes)
               for name, data in entries.items()}
    entries = letter_secondary_notes(entries)
    entries = {name: add_backlinks(data, back=ms.labels["back"]) if name.endswith(".xhtml")
               else data for name, data in entries.items()}
    for change in dict.fromkeys(changes):
        logging.getLogger("samizdat").warning(
            "%s", Finding("E007", ms.name, None, change, "warning"))
    entries[NAV] = add_bodymatter_landmark(nav_spans_with_text(entries[NAV]), entries,
                                           words=ms.labels)
    if cover:
        add_cover(entries, cover, ms)
    entries[STYLESHEET] = Path(css).read_bytes()
    Path(out).write_bytes(pack(entries))
    return Path(out)


def pandoc_epub(ms):
    """pandoc's EPUB 3 of manuscript `ms`, as {entry name: bytes}: the slow part of this
    stage, which a build runs in pandoc's own process beside the half-letter layout."""
    with tempfile.TemporaryDirectory(prefix="samizdat-epub-") as tmp:
        raw = Path(tmp) / "pandoc.epub"
        # pandoc's sandbox cannot read --css; its default stylesheet is replaced later.
        contents = [] if "toc-title" in ms.meta else ["-M", f"toc-title={ms.labels['contents']}"]
        # one file a chapter, at the level print makes chapters of (Manuscript.chapter_level)
        split = ["--split-level=2"] if ms.chapter_level == 2 else []
        ms.pandoc(["-t", "epub3", "--toc", "--wrap=none", *contents, *ms.label_args, *split,
                   "--lua-filter", str(pandoc.FILTERS / "house.lua"),
                   "--lua-filter", str(pandoc.FILTERS / "sections.lua"),
                   "--lua-filter", str(pandoc.FILTERS / "media.lua"),
                   "--lua-filter", str(pandoc.FILTERS / "colophon.lua"),
                   "-o", str(raw)],
                  strict=True, env={"SAMIZDAT_MEDIA": str(stage_media(ms, Path(tmp)))})
        return read_entries(raw)


def stage_media(ms, folder):
    """Write the approved images' bytes (as the checks read them) into `folder`, under
    names of our own, and a manifest of them for media.lua; return the manifest's path.
    pandoc reads those copies: never a path the manuscript wrote."""
    import json

    manifest = {}
    for number, item in enumerate(resources.usable(ms)):
        copy = folder / f"media-{number}"
        copy.write_bytes(item.data)
        manifest[item.target] = {"file": str(copy), "mime": resources.media_type(item.data)}
    path = folder / "media.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return path


def read_entries(path):
    """{name: bytes} of every entry of the EPUB at `path`."""
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _fix(name, data, ms, modified, changes):
    if name.endswith(".xhtml"):
        try:
            data = make_valid(data, name, changes)
            data = notes_without_rule(data)
            if ms.direction == "rtl":
                data = right_to_left(data, ms.lang)
            return name_chapters(data)
        except etree.XMLSyntaxError as error:
            raise UserError(Finding("E005", ms.name, None,
                                    f"raw HTML in the manuscript makes {name} invalid XHTML: "
                                    f"{error.msg}")) from None
    if name.endswith(".opf"):
        return fix_opf(data, ms, modified)
    return data


# Vocabularies whose prefixed epub:type values converted texts carry (Standard Ebooks:
# z3998 for poems and verse, se for its own semantics); EPUB wants them declared.
VOCABULARIES = {"z3998": "http://www.daisy.org/z3998/2012/vocab/structure/#",
                "se": "https://standardebooks.org/vocab/1.0"}


def make_valid(xhtml, name, changes):
    """What EPUBCheck refuses and converted texts carry, mended, each change described
    in `changes`: an id declared twice in a document (a heading named "Footnotes" and
    pandoc's notes section; `{#i}` on two headings): the later one renamed; epub:type
    values with a vocabulary prefix: the prefix declared if it is one of VOCABULARIES,
    else the value dropped."""
    root = etree.fromstring(xhtml)
    changed = (_unique_ids(root, name, changes) | _declare_prefixes(root, name, changes)
               | _unregistered_links(root, name, changes))
    return _serialize(root) if changed else xhtml


def _unique_ids(root, name, changes):
    seen, changed = set(), False
    for element in root.iter("*"):
        ident = element.get("id")
        if ident is None:
            continue
        if ident in seen:
            number = 2
            while f"{ident}-{number}" in seen:
                number += 1
            element.set("id", f"{ident}-{number}")
            changes.append(f"id '{ident}' is given twice in {name}: the second is now "
                           f"'{ident}-{number}' (rename one of them in the manuscript)")
            ident, changed = f"{ident}-{number}", True
        seen.add(ident)
    return changed


def _declare_prefixes(root, name, changes):
    used, changed = {}, False
    attribute = f"{{{OPS}}}type"
    for element in root.iter("*"):
        values = (element.get(attribute) or "").split()
        kept = [v for v in values if ":" not in v or v.split(":", 1)[0] in VOCABULARIES]
        for value in values:
            if value not in kept:
                changes.append(f"epub:type '{value}' in {name} has a prefix no vocabulary "
                               "declares: left out")
            elif ":" in value:
                used[value.split(":", 1)[0]] = True
        if kept != values:
            changed = True
            if kept:
                element.set(attribute, " ".join(kept))
            else:
                del element.attrib[attribute]
    if used:
        declared = " ".join(f"{p}: {VOCABULARIES[p]}" for p in sorted(used))
        root.set(f"{{{OPS}}}prefix", declared)
        changed = True
    return changed


def _unregistered_links(root, name, changes):
    """A link whose scheme EPUBCheck does not know (policy.LINK_SCHEMES: `foo:bar`,
    `C:\\file`: HTM-025) or that is no valid URL (policy.malformed: RSC-020) printed as
    its words, as print does with a link no reader can follow: house.lua mends the
    manuscript's links (R010); this catches raw HTML's."""
    changed = False
    for link in list(root.iterfind(f".//{{{XHTML}}}a[@href]")):
        href = link.get("href")
        scheme = _scheme(href)
        if not scheme:
            continue
        fault = "" if scheme not in policy.LINK_SCHEMES else policy.malformed(href)
        if scheme not in policy.LINK_SCHEMES or fault:
            why = f"is no well-formed address ({fault})" if fault else \
                "has a scheme no reader follows"
            changes.append(f"a link to '{href}' in {name} {why}: printed as its words")
            _unwrap_keeping_text(link)
            changed = True
    return changed


def _scheme(href):
    """`href`'s scheme in lower case, "" for a relative link, "?" if it does not parse."""
    try:
        return urlsplit(href).scheme.lower()
    except ValueError:
        return "?"


def _unwrap_keeping_text(element):
    """Replace `element` by its text and children: its words stay where they were."""
    parent = element.getparent()
    index, previous = parent.index(element), element.getprevious()
    _text_after(parent, previous, element.text)
    children = list(element)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    _text_after(parent, children[-1] if children else previous, element.tail)
    parent.remove(element)


def _text_after(parent, sibling, text):
    if not text:
        return
    if sibling is None:
        parent.text = (parent.text or "") + text
    else:
        sibling.tail = (sibling.tail or "") + text


def notes_without_rule(xhtml):
    """pandoc's notes section (`<section epub:type="footnotes"><hr/>…`) given way to its
    notes: a reader that pops notes up hides the asides, and the section's rule was left
    drawn at the end of every chapter (Foliate, Thorium); KOReader was reported to pop up
    such a section whole. The notes stay in their call's file, after it."""
    root = etree.fromstring(xhtml)
    sections = root.xpath("//x:section[@epub:type='footnotes']", namespaces=NS)
    for section in sections:
        for rule in section.findall(f"{{{XHTML}}}hr"):
            section.remove(rule)
        _unwrap_keeping_text(section)
    return _serialize(root) if sections else xhtml


def right_to_left(xhtml, lang=""):
    """`dir="rtl"` on a page's <html> (pandoc's EPUB template has no place for it), and
    on each note with its language: Readium (Thorium) lays out a note's pop-up from the
    note element alone, left to right when it carries no `dir`."""
    root = etree.fromstring(xhtml)
    root.set("dir", "rtl")
    for note in _asides(root):
        note.set("dir", "rtl")
        if lang:
            note.set("lang", lang)
            note.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    return _serialize(root)


def name_chapters(xhtml):
    """Give a chapter the <title> of its first heading (pandoc uses the file name)."""
    root = etree.fromstring(xhtml)
    title = root.find("x:head/x:title", NS)
    heading = root.find(".//x:h1", NS)
    if title is None or heading is None or not (title.text or "").endswith(".xhtml"):
        return xhtml
    title.text = " ".join("".join(heading.itertext()).split())
    return _serialize(root)


def letter_secondary_notes(entries):
    """Number the notes in two series, as print does: a note that opens with an empty
    span of class `secondary` (Muse's {1}; see muse.py) is lettered a, b, c, the others
    numbered 1, 2, 3 (pandoc numbers them all in one series); both series start again
    at each part of a collection (an element of class `samizdat-part`, see
    collection.py), as print.css restarts them. `entries` {name: bytes} in reading
    order (pandoc's chapter files sort so); unchanged without such a note or part."""
    pages = {name: etree.fromstring(data) for name, data in entries.items()
             if name.endswith(".xhtml")}
    if not any(_secondary(aside) for root in pages.values() for aside in _asides(root)) \
            and not any(root.xpath(PART, namespaces=NS) for root in pages.values()):
        return entries
    count = {False: 0, True: 0}
    for name in sorted(pages):
        root = pages[name]
        asides = {aside.get("id"): aside for aside in _asides(root)}
        for element in root.xpath(f"{PART} | //x:a[@epub:type='noteref']", namespaces=NS):
            if element.tag != f"{{{XHTML}}}a":  # a part begins: its notes count from 1
                count = {False: 0, True: 0}
                continue
            aside = asides.get(element.get("href", "").partition("#")[2])
            if aside is None:
                continue
            kind = _secondary(aside)
            count[kind] += 1
            label = alphabetic(count[kind]) if kind else str(count[kind])
            sup = element.find(f"{{{XHTML}}}sup")
            (sup if sup is not None else element).text = label
        entries[name] = _serialize(root)
    return entries


# A collection's part (collection.py) as pandoc's EPUB writer makes its section.
PART = "//*[contains(concat(' ', normalize-space(@class), ' '), ' samizdat-part ')]"


def alphabetic(number):
    """a, b, ... z, aa, ab, ...: CSS's lower-alpha, as print letters the same notes."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def _asides(root):
    return root.xpath("//x:aside[@epub:type='footnote' or @epub:type='endnote']",
                      namespaces=NS)


def _secondary(aside):
    """Whether the note `aside` opens with the secondary notes' mark."""
    first = aside.find(f"{{{XHTML}}}p")
    if first is None or (first.text or "").strip() or not len(first):
        return False
    span = first[0]
    return span.tag == f"{{{XHTML}}}span" and "secondary" in (span.get("class") or "").split()


def add_backlinks(xhtml, *, back="Back to the text"):
    """Begin every `epub:type="footnote"` aside with its number, a link back to its call
    (`fnrefN`): a reader that jumps to the notes instead of popping one up finds its
    note by the number, and the link leads back (pandoc PR #8676, Standard Ebooks). At
    the start, not the end: Calibre's AZW3 ties a trailing link to the next note."""
    root = etree.fromstring(xhtml)
    asides = root.xpath("//x:aside[@epub:type='footnote' or @epub:type='endnote']",
                        namespaces=NS)
    if not asides:
        return xhtml
    # Once: a search per note is quadratic.
    calls = {a.get("id"): "".join(a.itertext()).strip() for a in root.xpath("//x:a[@id]",
                                                                              namespaces=NS)}
    for aside in asides:
        call = aside.get("id", "").replace("fn", "fnref", 1)
        if call not in calls:
            continue
        _prepend_backlink(_first_words(aside), call, calls[call], back)
    return _serialize(root)


# Elements that hold a note's words as lines of text (a paragraph, an item, a cell).
TEXT_BLOCKS = {"p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6",
               "pre", "figcaption"}


def _first_words(aside):
    """The element that holds the first words of note `aside`: its first paragraph, also
    when the note opens with a quotation or a list (`<blockquote><p>`, `<ul><li><p>`);
    the aside itself if none does. The number goes there: put in the aside's first `<p>`
    of its own, it stood after a note's opening quotation (Standard Ebooks' Marcus
    Aurelius, note 79: the quotation, then "79. Again:"), and the note read otherwise in
    the EPUB than in print (E002)."""
    block = next((e for e in aside.iterdescendants() if isinstance(e.tag, str)
                  and etree.QName(e).localname in TEXT_BLOCKS), None)
    if block is None:
        return aside
    while not (block.text or "").strip() and len(block) and isinstance(block[0].tag, str) \
            and etree.QName(block[0]).localname in TEXT_BLOCKS:
        block = block[0]  # an item whose words are in a paragraph: that paragraph
    return block


def _prepend_backlink(paragraph, call, number, back):
    """Put `<a href="#call" role="doc-backlink">N</a>. ` at the start of `paragraph`."""
    link = etree.Element(f"{{{XHTML}}}a", href=f"#{call}", role="doc-backlink")
    link.set("class", "footnote-back")
    link.set("title", back)
    link.text = number
    link.tail = ". " + (paragraph.text or "")
    paragraph.text = None
    paragraph.insert(0, link)


def fix_opf(opf, ms, modified):
    """Add the subtitle (EPUB 3 title-type refinements) and a fixed dcterms:modified."""
    root = etree.fromstring(opf)
    metadata = root.find("opf:metadata", NS)
    title = metadata.find("dc:title", NS)
    subtitle = ms.plain("subtitle")
    if title is not None and subtitle:
        title_id = title.get("id") or "epub-title-1"
        title.set("id", title_id)
        _refine(metadata, title, title_id, "title-type", "main")
        sub = etree.Element(f"{{{DC}}}title", id="epub-subtitle")
        sub.text = subtitle
        _refine(metadata, title, "epub-subtitle", "title-type", "subtitle", before=sub)
    for meta in metadata.findall("opf:meta[@property='dcterms:modified']", NS):
        meta.text = modified
    _for_calibre(metadata)
    if not ms.plain("date"):  # pandoc writes the build's date: the text has none
        for date in metadata.findall("dc:date", NS):
            metadata.remove(date)
    if ms.direction == "rtl":  # pages turn to the left, as a right-to-left book's do
        root.find("opf:spine", NS).set("page-progression-direction", "rtl")
    images = ("Images carry the alternative text the manuscript gives them."
              if resources.usable(ms) else "No images but the cover, which has a text "
              "alternative.")
    for prop, value in (("dcterms:conformsTo", CONFORMS_TO),
                        ("schema:accessibilitySummary", f"{images} {SUMMARY}")):
        meta = etree.SubElement(metadata, f"{{{OPF}}}meta", property=prop)
        meta.text = value
    return _serialize(root)


def full_date(date):
    """`date` (YYYY, YYYY-MM or YYYY-MM-DD) as YYYY-MM-DD, the first of its month or year:
    Calibre reads "2005" as the 15th of the month it is read in (2005-11-15)."""
    parts = str(date).split("-")
    return "-".join(parts + ["01"] * (3 - len(parts))) if parts[0].isdigit() else date


def sort_name(name):
    """An author's name as catalogs sort it: "Tom Wetzel" -> "Wetzel, Tom"; one word, or
    a name already written "Last, First", stays as it is."""
    words = name.split()
    if "," in name or len(words) < 2:
        return name
    return f"{words[-1]}, {' '.join(words[:-1])}"


def _for_calibre(metadata):
    """What Calibre needs to read the metadata right: a full date, and each author's
    sort name as a `file-as` refinement (else it sorts them under "Unknown")."""
    for date in metadata.findall("dc:date", NS):
        date.text = full_date(date.text or "")
    for creator in metadata.findall("dc:creator", NS):
        if creator.get("id") and creator.text:
            _refine(metadata, creator, creator.get("id"), "file-as", sort_name(creator.text))


def add_bodymatter_landmark(nav, entries, *, words=None):
    """Point the nav's landmarks at the start of the text (pandoc lists only the title
    page and the table of contents), every landmark named in the book's language
    (`words`: labels.labels(lang))."""
    words = words or labels.labels("en")
    start = next((name for name, data in sorted(entries.items()) if name.endswith(".xhtml")
                  and b'epub:type="bodymatter"' in data), None)
    root = etree.fromstring(nav)
    landmarks = root.find(".//x:nav[@epub:type='landmarks']/x:ol", NS)
    if start is None or landmarks is None:
        return nav
    item = etree.SubElement(landmarks, f"{{{XHTML}}}li")
    link = etree.SubElement(item, f"{{{XHTML}}}a", href=start.removeprefix("EPUB/"))
    link.set(f"{{{OPS}}}type", "bodymatter")
    link.text = words["start"]
    for mark, field in (("titlepage", "title_page"), ("toc", "contents")):
        for named in landmarks.xpath(f"x:li/x:a[@epub:type='{mark}']", namespaces=NS):
            named.text = words[field]
    return _serialize(root)


def nav_spans_with_text(nav):
    """The navigation's entries without the empty spans pandoc copies into them from
    their headings: an anchor in a heading (Muse's `#label` on a heading's line, Markdown's
    `# Title []{#label}`) became `<span id="label"/>` in the entry, which EPUBCheck
    refuses (RSC-005: spans within nav elements must contain text). The anchor stays
    in the text, where links go."""
    root = etree.fromstring(nav)
    empty = [span for span in root.iterfind(f".//{{{XHTML}}}nav//{{{XHTML}}}span")
             if not "".join(span.itertext()).strip()]
    for span in empty:
        _unwrap_keeping_text(span)
    return _serialize(root) if empty else nav


COVER_PAGE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" \
lang="{lang}" xml:lang="{lang}" dir="{dir}">
<head>
<meta charset="utf-8" />
<title>{cover}</title>
<style>body {{ margin: 0; text-align: center; }} img {{ height: 100%; max-width: 100%; }}</style>
</head>
<body epub:type="cover">
<img role="doc-cover" src="../media/cover.png" alt="{alt}" />
</body>
</html>
"""


def add_cover(entries, png, ms):
    """Add the cover image, a cover page first in the spine, and the OPF, nav and
    EPUB 2 `meta name="cover"` entries that readers look for."""
    from html import escape

    words = ms.labels
    alt = escape(words["cover_alt"].format(title=ms.plain("title"), author=ms.plain("author")),
                 quote=True)
    entries["EPUB/media/cover.png"] = png
    entries["EPUB/text/cover.xhtml"] = COVER_PAGE.format(
        lang=escape(ms.lang or "en"), dir=ms.direction, alt=alt,
        cover=escape(words["cover"])).encode("utf-8")
    opf_name = next(n for n in entries if n.endswith(".opf"))
    entries[opf_name] = _cover_in_opf(entries[opf_name])
    landmarks = etree.fromstring(entries[NAV])
    items = landmarks.find(".//x:nav[@epub:type='landmarks']/x:ol", NS)
    if items is not None:
        item = etree.Element(f"{{{XHTML}}}li")
        link = etree.SubElement(item, f"{{{XHTML}}}a", href="text/cover.xhtml")
        link.set(f"{{{OPS}}}type", "cover")
        link.text = words["cover"]
        items.insert(0, item)
        entries[NAV] = _serialize(landmarks)


def _cover_in_opf(opf):
    root = etree.fromstring(opf)
    manifest, spine = root.find("opf:manifest", NS), root.find("opf:spine", NS)
    image = etree.SubElement(manifest, f"{{{OPF}}}item", id="cover-image",
                             href="media/cover.png")
    image.set("media-type", "image/png")
    image.set("properties", "cover-image")
    page = etree.SubElement(manifest, f"{{{OPF}}}item", id="cover_xhtml",
                            href="text/cover.xhtml")
    page.set("media-type", "application/xhtml+xml")
    spine.insert(0, etree.Element(f"{{{OPF}}}itemref", idref="cover_xhtml", linear="yes"))
    metadata = root.find("opf:metadata", NS)
    etree.SubElement(metadata, f"{{{OPF}}}meta", name="cover", content="cover-image")
    etree.SubElement(metadata, f"{{{OPF}}}meta", property="schema:accessMode").text = "visual"
    return _serialize(root)


def _refine(metadata, anchor, ident, prop, value, before=None):
    meta = etree.Element(f"{{{OPF}}}meta", refines=f"#{ident}", property=prop)
    meta.text = value
    index = list(metadata).index(anchor) + 1
    if before is not None:
        metadata.insert(index, before)
        index += 1
    metadata.insert(index, meta)


def _serialize(root):
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def pack(entries):
    """A zip that EPUB readers accept and that is the same bytes for the same entries:
    `mimetype` first and stored, then every entry in name order with a fixed time."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_info("mimetype", zipfile.ZIP_STORED), entries["mimetype"])
        for name in sorted(n for n in entries if n != "mimetype"):
            archive.writestr(_info(name, zipfile.ZIP_DEFLATED), entries[name])
    return buffer.getvalue()


def _info(name, compression):
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info
