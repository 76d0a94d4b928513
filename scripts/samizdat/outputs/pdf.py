"""PDF stage: manuscript -> print HTML (pandoc) -> WeasyPrint layout, notes guarded -> PDF.

`pdf(ms, out, page=...)` is the stage; `layout()` is where every note is made to
sit on its call's page or the build is refused.
"""

import functools
import logging
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from .. import STYLES
from ..editions import TRIMS
from ..errors import Finding, UserError
from ..source import resources
from ..weasy import (
    CSS,
    HTML,
    FontConfiguration,
    URLFetcher,
    URLFetcherResponse,
    descendants,
    footnotes,
    linebreak,
    textlayer,
    write_pdf,
)
from ..weasy.framestack import roomy
from ..writing import fontstack
from .printhtml import print_html  # noqa: F401 - the PDF stage's input, re-exported

MAX_RENDERS = 12


# Pages are editions.Size values: a name for messages, a CSS `size` value.
A5 = TRIMS["a5"]
HALF_LETTER = TRIMS["half-letter"]


# Layout and drawing loop deep in WeasyPrint: with room, CPython maps no stack chunks
# while they run (framestack: ~9% of a library worker's CPU).
@roomy
def pdf(ms, out, *, page=A5, styles=STYLES, html=None, css="", tagged=True):
    """Lay out manuscript `ms` on `page` and write the PDF to `out`; return the Document.

    `css` is added after the house style (e.g. another font size). `tagged` writes
    PDF/UA-1; a PDF made only to be imposed skips it (its tags would not survive
    imposition, and they cost a third of the writing time)."""
    document = layout(html or print_html(ms), ms=ms, page=page, styles=styles, css=css)
    # PDF/UA-1: tagged, with language, title shown, XMP metadata (WeasyPrint's variant).
    variant = {"pdf_variant": "pdf/ua-1"} if tagged else {}
    # drawn with a text layer that copies as the text (textlayer: shaped scripts)
    with textlayer.actual_text():
        write_pdf(document, out, pdf_identifier=_identifier(ms), **variant)
    return document


def _identifier(ms):
    return ms.identifier.encode("utf-8")


def layout(html, *, ms, page, styles=STYLES, css=""):
    """Render `html` (with Samizdat's fixes to WeasyPrint, see footnotes and
    linebreak); set a note too tall for a page at the end of its chapter (P005, said);
    repair misplaced notes; refuse what cannot be printed right."""
    laid = functools.partial(_render, ms=ms, page=page, styles=styles, css=css)
    render, forced = functools.partial(laid, html), []
    with footnotes.gcpm_deferral_rule(), footnotes.footnote_area_rounding(), \
            footnotes.remembered_notes(), linebreak.hanging_spaces(), \
            linebreak.standard_hyphenation(), linebreak.more_hyphenation(), \
            linebreak.spaced_characters():
        document = render(forced=forced)
        mended = _mend(html, document, ms, page)
        if mended != html:
            render = functools.partial(laid, mended)
            document = render(forced=forced)
        for _ in range(MAX_RENDERS - 1):
            bad = footnotes.misplaced(document)
            repaired = bad and _repair(document, bad[0], render, forced)
            if not repaired:
                break
            document = repaired
    _refuse_misplaced(document, ms, page)
    return document


def _repair(document, bad, render, forced):
    """One pass: force a page break before a paragraph near note `bad`'s call page.

    Tried in turn: the paragraph squeezed onto the call's page after the call's own
    paragraph, then the first paragraph of the next page (a break that happens
    anyway). The first that leaves fewer misplaced notes is kept and its document
    returned; None when neither helps.
    """
    before = len(footnotes.misplaced(document))
    for candidate in _break_candidates(document, bad):
        trial = forced + [candidate]
        attempt = render(forced=trial)
        if len(footnotes.misplaced(attempt)) < before:
            forced.append(candidate)
            logging.getLogger("samizdat").debug(
                "note %d: page break before paragraph %d", bad.number, candidate)
            return attempt
    return None


def _break_candidates(document, bad):
    starts = paragraph_starts(document)
    call_para = _paragraph_of_call(document, bad)
    squeezed = [p for p, first in starts.items()
                if first == bad.call_page and call_para is not None and p > call_para]
    following = [p for p, first in starts.items() if first == bad.call_page + 1]
    return [c for c in (max(squeezed, default=None), min(following, default=None))
            if c is not None]


def paragraph_starts(document):
    """{paragraph number (data-p): index of the page where it starts}."""
    starts = {}
    for index, page in enumerate(document.pages):
        for box in descendants(page._page_box):
            element = getattr(box, "element", None)
            number = element.get("data-p") if element is not None else None
            if number and getattr(box, "element_tag", "") == "p":
                starts.setdefault(int(number), index)
    return starts


def _paragraph_of_call(document, bad):
    page = document.pages[bad.call_page]._page_box
    for box in descendants(page):
        element = getattr(box, "element", None)
        if element is not None and element.get("data-p") and element.find(
                f".//*[@data-note='{bad.number}']") is not None:
            return int(element.get("data-p"))
    return None


def _refuse_misplaced(document, ms, page):
    bad = footnotes.misplaced(document)
    if bad:
        raise UserError([
            Finding("P001", ms.name, _note_line(ms, p.number),
                    f"note {p.number} would be printed on page {_human(p.note_page)}, "
                    f"its call is on page {_human(p.call_page)} ({page.name})")
            for p in bad])


def _mend(html, document, ms, page):
    """`html` mended for what its first layout `document` showed, each mend said: a word
    wider than the measure may break anywhere (P008); a note too tall for a page goes
    to the end of its chapter (P005), and so does one that left a heading alone at the
    foot of the page before its call's (footnotes.stranding)."""
    words = linebreak.overlong_words(document)
    if words:
        _say_broken(words, ms, page)
        html = linebreak.breakable(html, words)
    tall = footnotes.unplaceable(document)
    stranding = [n for n in footnotes.stranding(document) if n not in tall]
    if tall or stranding:
        _say_endnotes(tall, ms, page)
        _say_endnotes(stranding, ms, page, why="with its call and the heading before it")
        html = footnotes.as_endnotes(html, sorted(tall + stranding))
    return html


def _say_broken(words, ms, page):
    """P008 (W): each of `words` is broken without a hyphen to fit the line."""
    log = logging.getLogger("samizdat")
    for word in words:
        home = next((each for each in _texts_of(ms) if each.line_of_nth(word, 1)), ms)
        log.warning("%s", Finding(
            "P008", home.name, home.line_of_nth(word, 1),
            f"{_quoted(word)} is wider than a line ({page.name}): broken to fit, "
            "without a hyphen", "warning"))


# A word quoted in a finding whole up to this many characters, else its start and end
# (a 3,000-mark word made a finding line of 3,000 characters).
QUOTED = 60


def _quoted(word):
    """`word` in quotes, or its first and last characters around '…', and its length."""
    if len(word) <= QUOTED:
        return f"'{word}'"
    return f"'{word[:40]}…{word[-12:]}' ({len(word)} characters)"


def _say_endnotes(numbers, ms, page, why="with its call"):
    """P005 (W): each note of `numbers` is set at the end of its chapter; `why`: what
    it is too tall to sit with."""
    log = logging.getLogger("samizdat")
    for n in numbers:
        # a collection's note N is a note of its own file's or of one of its parts
        home, number = ms.note_homes[n - 1] if getattr(ms, "parts", None) else (ms, n)
        log.warning("%s", Finding(
            "P005", home.name, _note_line(home, number, definition=True),
            f"note {number} is too tall for a page ({page.name}) {why}: set at the end "
            "of its chapter, its call linking to it (a note cannot go on to the next page)",
            "warning"))


def _texts_of(ms):
    """The manuscripts whose text `ms` prints: itself, or a collection's own file and
    its parts (collection.py), which findings name."""
    return (ms.own, *ms.parts) if getattr(ms, "parts", None) else (ms,)


def _human(index):
    return "?" if index is None else index + 1


def _note_line(ms, number, *, definition=False):
    """Source line of note `number`'s call (or of its definition)."""
    from ..source.notes import scan_notes

    # pandoc makes one note per call, in call order (a label called twice is two notes).
    scan = scan_notes(ms.text, ms.yaml_lines + 1)
    calls = [(label, line) for label, line, inside in scan.calls if not inside]
    labels, lines = [c[0] for c in calls], [c[1] for c in calls]
    if not 0 < number <= len(labels):
        return None
    if definition:
        return next((d.line for d in scan.definitions if d.label == labels[number - 1]), None)
    return lines[number - 1]


# Where WeasyPrint is told a text's own files are: one fixed place, not its folder's
# path on this machine. WeasyPrint names each image in the PDF by the md5 of its URL:
# with the folder's path in it, a text with an image gave other bytes in another folder.
TEXT_FOLDER = Path("/samizdat-text")


def _render(html, *, ms, page, styles, forced, css=""):
    faces = fontstack.faces(ms.text, ms.lang)
    fonts, house, refused = _house_style(styles / "print.css", _stamp(styles / "print.css"),
                                         faces, fontstack.leading(ms.text, faces))
    fetcher = LocalFetcher([styles], {_as_named(TEXT_FOLDER, m.target): m.data
                                      for m in resources.usable(ms)})
    fetcher.refused += refused
    sheets = [*house, CSS(string=_page_css(page, forced) + css, font_config=fonts)]
    document = HTML(string=html, base_url=f"{TEXT_FOLDER}/", url_fetcher=fetcher).render(
        stylesheets=sheets, font_config=fonts)
    fetcher.raise_refused(ms)
    return document


def _as_named(folder, target):
    """The path WeasyPrint asks for when a page in `folder` names `target`: joined, `..`
    folded, links not followed (the bytes served for it were read when it was checked;
    a link swapped in since is never looked at)."""
    return Path(os.path.normpath(Path(folder) / resources.file_name(target)))


# The house's font stack: print.css's html rule (a text's own script font goes first).
HOUSE_STACK = re.compile(r"\bhtml\s*\{\s*font-family:\s*([^;]+);")


@functools.lru_cache(maxsize=4)
def _house_style(path, stamp, faces=(), lead=None):
    """(fonts, sheets, refused URLs) of the house style sheet at `path` and the @font-face
    rules of a text's script fonts `faces` (fontstack.Face), the family `lead` set first
    (fontstack.leading), parsed once per process (per
    `stamp`: the sheet's size and time): every render with the same fonts shares the
    sheets and the FontConfiguration holding them (a library worker renders many texts
    and two page sizes with one sheet; a text in other scripts gets its own, so two
    families never share a name). The PDFs are the same bytes; the time saved per render
    was within this machine's noise when measured (A5: 0.567 against 0.573 CPU-s)."""
    fonts = FontConfiguration()
    fetcher = LocalFetcher([path.parent], fonts=[face.path for face in faces])
    sheets = [CSS(filename=str(path), font_config=fonts, url_fetcher=fetcher)]
    if faces:
        stack = HOUSE_STACK.search(path.read_text(encoding="utf-8"))
        sheets.append(CSS(string=fontstack.css(faces, lead, stack[1] if stack else ""),
                          font_config=fonts, url_fetcher=fetcher))
    return fonts, tuple(sheets), tuple(fetcher.refused)


def _stamp(path):
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def _page_css(page, forced):
    rules = [f"@page {{ size: {page.css}; }}"]
    rules += [f'p[data-p="{n}"] {{ break-before: page; }}' for n in forced]
    return "\n".join(rules)


class _Bytes(URLFetcherResponse):
    """A fetched file's bytes, and no path: WeasyPrint keeps a raster image's file path
    and reads the file again when it writes the PDF (images.RasterImage, LazyLocalImage),
    so a file swapped after the checks, or a raw `x.png#/../..` path opened through a
    folder named `x.png#`, would reach the PDF. Without a path it writes these bytes."""

    path = None


class LocalFetcher(URLFetcher):
    """WeasyPrint URL fetcher that serves only `approved` files ({resolved path: bytes},
    as resources.survey read them), regular files inside `roots` (the styles) and the
    font files `fonts` (a text's script fonts, by absolute path); no network, nothing
    else. WeasyPrint opens no file itself."""

    def __init__(self, roots, approved=None, fonts=()):
        super().__init__(allowed_protocols=("file", "data"))
        self.roots = [Path(r).resolve() for r in roots]
        self.approved = dict(approved or {})
        self.fonts = {Path(font).resolve() for font in fonts}
        self.refused = []

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme == "data":
            return super().fetch(url, headers)
        found = self._read(parsed) if parsed.scheme == "file" else None
        if found is None:
            self.refused.append(url)
            raise ValueError(f"refused: {url}")
        data, headers = found
        return _Bytes(url, data, headers)

    def _read(self, parsed):
        """(bytes, headers) of the file a file: URL names, or None if it is refused."""
        named = Path(os.path.normpath(unquote(parsed.path)))
        if named in self.approved:  # as checked, before any link is followed
            data = self.approved[named]
            return data, {"Content-Type": resources.media_type(data)}
        try:
            path = named.resolve()
        except (OSError, ValueError, RuntimeError):
            return None
        if path in self.fonts:
            limit = fontstack.MAX_FONT_BYTES
        elif any(path.is_relative_to(root) for root in self.roots):
            limit = resources.MAX_IMAGE_BYTES
        else:
            return None
        try:
            return resources.read_regular(path, limit), {}
        except OSError:
            return None

    def raise_refused(self, ms):
        """WeasyPrint only warns about a failed fetch: make a refusal stop the build."""
        if self.refused:
            raise UserError([Finding("R002", ms.name, None,
                                     f"{_in_folder(url, ms)} refused: the build reads only "
                                     "the images the checks approved and the house style")
                             for url in self.refused])


def _in_folder(url, ms):
    """`url` as the user knows it: a file of the text's named in its own folder."""
    parsed = urlparse(url)
    named = Path(unquote(parsed.path))
    if parsed.scheme == "file" and named.is_relative_to(TEXT_FOLDER):
        return str(ms.folder / named.relative_to(TEXT_FOLDER))
    return url
