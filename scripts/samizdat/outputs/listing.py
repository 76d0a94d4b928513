"""Library stage: what readers and libraries find next to the books.

- `catalog.xml`: an OPDS 1.2 acquisition feed (Atom) listing every book with its
  metadata, cover and download links, for e-reader apps and static web servers;
- `index.html`: a plain download page with the same books, the Anti-Copyright
  notice and how to print the pamphlet, with a picture of its first sheet.
Both are made from `Book` records, so they always list the same files.
"""

import html
import io
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from .. import editions
from ..errors import Finding, UserError

ATOM = "http://www.w3.org/2005/Atom"
DCTERMS = "http://purl.org/dc/terms/"
OPDS = "http://opds-spec.org/2010/catalog"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
SUBSECTION = "subsection"
# The catalog's navigation: (name, what a book is filed under, the heading)
FACETS = (("author", lambda book: [book.author] if book.author else [], "By author"),
          ("subject", lambda book: book.subjects, "By subject"))
OPEN_ACCESS = "http://opds-spec.org/acquisition/open-access"
# kind -> (media type, what it is for): the e-book files. The printed ones are
# described by their editions (editions.Edition.about), in each Book's `about`.
FILES = {ebook.kind: (ebook.media_type, ebook.about) for ebook in editions.EBOOKS}
PDF = "application/pdf"

# Only on the download page: the test print is not a book for e-reader apps.
PRINTER_TEST = "Printer test sheet ({sheet}): print it duplex before the first pamphlet"


@dataclass
class Book:
    """One built text: its metadata (plain strings) and its files in the output folder."""

    stem: str
    title: str
    author: str
    identifier: str
    updated: str
    subtitle: str = ""
    lang: str = ""
    date: str = ""
    rights: str = ""
    publisher: str = ""
    description: str = ""
    subjects: list = field(default_factory=list)
    files: dict = field(default_factory=dict)  # kind -> file name
    # [kind, what the printed file is for], in the editions' order (a list: the record's
    # JSON keeps a list's order, and sorts a dict's keys)
    about: list = field(default_factory=list)
    # kinds of the impositions made from another trim's layout, framed (build._framed):
    # a cluster's client checks them against the reading PDF, framed the same way
    framed: list = field(default_factory=list)

    def downloads(self, *, printer_tests=False):
        """(kind, media type, what it is for) of the files readers download, e-books
        first, then the editions in their table's order (and the printer tests)."""
        listed = [(kind, media, purpose) for kind, (media, purpose) in FILES.items()
                  if kind in self.files]
        listed += [(kind, PDF, purpose) for kind, purpose in self.about
                   if kind in self.files and (printer_tests or
                                              not kind.startswith("printer-test"))]
        return listed


def book_of(ms, files, *, updated, about=None, framed=()):
    """The Book record of manuscript `ms` whose outputs are `files` {kind: file name};
    `about` {kind: purpose} describes the printed ones; `framed` lists the kinds framed
    from another trim's layout."""
    return Book(stem=ms.stem, title=ms.plain("title"), subtitle=ms.plain("subtitle"),
                author=ms.plain("author"), identifier=ms.identifier, updated=updated,
                lang=ms.plain("lang"),
                date=ms.plain("date"), rights=ms.plain("rights"),
                publisher=ms.plain("publisher"), description=ms.plain("description"),
                subjects=ms.plain_list("subject"), files=dict(files),
                about=[[kind, text] for kind, text in (about or {}).items()],
                framed=list(framed))


# --- OPDS catalog --------------------------------------------------------------

URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+")
MAX_TITLE = 200
# What no XML file can carry, or a line of text should not: control characters, line
# separators, lone surrogates (from a name that is not UTF-8), the two non-characters.
UNFIT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Catalog:
    """What names a library's catalog: its title and its lasting id (a URI; empty: one
    derived from the title). Set by `catalog:` in samizdat.yaml or by --catalog-title
    and --catalog-id, and kept with the folder (shelf.catalog_of), so the feed's id
    stays when a later build does not repeat them."""

    title: str = "Samizdat library"
    id: str = ""

    @property
    def identity(self):
        """What every feed's id is derived from."""
        return self.id or self.title


def catalog_of(values, where):
    """A Catalog from `values` (the `catalog:` mapping of samizdat.yaml, or the options);
    UserError M010, naming `where`, for a title that is not one line of text or an id
    that is not a URI."""
    if not isinstance(values, dict) or set(values) - {"title", "id"}:
        raise UserError(Finding("M010", where, None, "catalog: a mapping of title and id"))
    title, id_ = values.get("title"), values.get("id")
    if title is not None and (not isinstance(title, str) or not title.strip()
                              or len(title) > MAX_TITLE or UNFIT.search(title)):
        raise UserError(Finding("M010", where, None, f"catalog title: one line of text, at "
                                f"most {MAX_TITLE} characters, no control characters"))
    if id_ is not None and not (isinstance(id_, str) and URI.fullmatch(id_)
                                and not UNFIT.search(id_)):
        raise UserError(Finding("M010", where, None, "catalog id: a URI, such as "
                                "urn:uuid:… or https://library.example/catalog"))
    return Catalog(title=(title or Catalog.title).strip(), id=id_ or "")


PER_PAGE = 50  # entries in a page of the catalog
LIBRARY_IDS = uuid.UUID("6c1f0a52-8a58-4b0e-9d2e-5a7c3f1e9b40")  # namespace of catalog ids


def catalog_pages(books, *, catalog=Catalog(), per_page=PER_PAGE):
    """{file name: bytes}: the OPDS 1.2 catalog of `books`. catalog.xml is the first page
    of the acquisition feed of every book, by title, in pages of `per_page` entries
    linked first, previous, next and last (RFC 5005 paging, as OPDS 1.2 says); it links
    two navigation feeds, catalog-authors.xml and catalog-subjects.xml, whose entries
    lead to one acquisition feed per author (catalog-author-N.xml) and per subject.
    The first feed's id is the catalog's own (else derived from its title); every other
    feed's is derived from that and what it lists, never from which books there are. An
    entry offers the e-reader files (EPUB, Kobo EPUB), and links the book on the
    download page; the print files are there."""
    title, identity = catalog.title, catalog.identity
    ordered = _ordered(books)
    where = page_names(ordered, per_page)
    pages = _paged(ordered, "catalog", title, identity, per_page, where, feed_id=catalog.id)
    for facet, filed, heading in FACETS:
        groups = {}
        for book in ordered:
            for name in filed(book):
                groups.setdefault(name, []).append(book)
        names = sorted(groups, key=str.lower)
        entries = []
        for number, name in enumerate(names, 1):
            stem = f"catalog-{facet}-{number}"
            pages.update(_paged(groups[name], stem, f"{title}: {name}",
                                f"{identity}\n{facet}\n{name}", per_page, where))
            entries.append((name, f"{stem}.xml", len(groups[name])))
        name = f"catalog-{facet}s.xml"
        pages[name] = _navigation(name, entries, f"{title}: {heading.lower()}",
                                  f"{identity}\n{facet}s", ordered)
    return pages


def _ordered(books):
    """Books as the catalog and the download page list them: by title."""
    return sorted(books, key=lambda b: (b.title.lower(), b.stem))


def _paged(books, stem, title, identity, per_page, where, *, feed_id=""):
    """{file name: bytes} of an acquisition feed of `books` in linked pages; `where`:
    {stem: the download page that shows the book}."""
    count = max(1, -(-len(books) // per_page))
    names = [f"{stem}.xml"] + [f"{stem}-{n}.xml" for n in range(2, count + 1)]
    pages = {}
    for index, name in enumerate(names):
        feed = _feed(title if count == 1 else f"{title} ({index + 1}/{count})", identity,
                     books, feed_id=feed_id)
        rels = [("self", name, ACQUISITION), ("start", "catalog.xml", ACQUISITION)]
        if count > 1:
            rels += [("first", names[0], ACQUISITION), ("last", names[-1], ACQUISITION)]
            rels += [("previous", names[index - 1], ACQUISITION)] if index else []
            rels += [("next", names[index + 1], ACQUISITION)] if index + 1 < count else []
        if stem == "catalog":
            rels += [(SUBSECTION, f"catalog-{facet}s.xml", NAVIGATION)
                     for facet, _, _ in FACETS]
        for rel, href, kind in rels:
            _link(feed, rel, href, kind)
        for book in books[index * per_page:(index + 1) * per_page]:
            feed.append(_entry(book, where[book.stem]))
        pages[name] = _bytes(feed)
    return pages


def _navigation(name, entries, title, identity, books):
    """Navigation feed `name`: an entry per (heading, feed file, number of books)."""
    feed = _feed(title, identity, books)
    _link(feed, "self", name, NAVIGATION)
    _link(feed, "start", "catalog.xml", ACQUISITION)
    for heading, href, count in entries:
        entry = etree.SubElement(feed, f"{{{ATOM}}}entry")
        _text(entry, "title", heading)
        _text(entry, "id", f"urn:uuid:{uuid.uuid5(LIBRARY_IDS, f'{identity}{chr(10)}{heading}')}")
        _text(entry, "updated", feed.findtext(f"{{{ATOM}}}updated"))
        _text(entry, "content", f"{count} book{'s' if count != 1 else ''}")
        _link(entry, SUBSECTION, href, ACQUISITION)
    return _bytes(feed)


def _feed(title, identity, books, *, feed_id=""):
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "dc": DCTERMS, "opds": OPDS})
    _text(feed, "id", feed_id or f"urn:uuid:{uuid.uuid5(LIBRARY_IDS, identity)}")
    _text(feed, "title", title)
    _text(feed, "updated", max((b.updated for b in books), default="1970-01-01T00:00:00Z"))
    _text(etree.SubElement(feed, f"{{{ATOM}}}author"), "name", "Samizdat")
    return feed


def _bytes(feed):
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _entry(book, page):
    """The OPDS entry of `book`, whose download page is `page` (its alternate: Atom wants
    an entry to have content or an alternate link)."""
    entry = etree.Element(f"{{{ATOM}}}entry")
    _text(entry, "title", book.title + (f": {book.subtitle}" if book.subtitle else ""))
    _text(entry, "id", book.identifier)
    _text(entry, "updated", book.updated)
    _text(etree.SubElement(entry, f"{{{ATOM}}}author"), "name", book.author)
    for tag, value in (("identifier", book.identifier), ("language", book.lang),
                       ("issued", book.date), ("publisher", book.publisher)):
        if value:
            etree.SubElement(entry, f"{{{DCTERMS}}}{tag}").text = value
    if book.rights:
        _text(entry, "rights", book.rights)
    if book.description:
        _text(entry, "summary", book.description)
    for subject in book.subjects:
        etree.SubElement(entry, f"{{{ATOM}}}category", term=subject, label=subject)
    _link(entry, "alternate", href(page, book.stem), "text/html")
    for rel, kind in (("http://opds-spec.org/image", "cover"),
                      ("http://opds-spec.org/image/thumbnail", "thumbnail")):
        if kind in book.files:
            _link(entry, rel, href(book.files[kind]), "image/png")
    for kind, (media_type, purpose) in FILES.items():
        if kind in book.files:
            _link(entry, OPEN_ACCESS, href(book.files[kind]), media_type, title=purpose)
    return entry


def href(name, fragment=None):
    """The relative link to file `name` of the output folder (to the element of id
    `fragment` in it): percent-escaped, so that a text named "javascript:x" or
    "50% #2" is linked as the file it is, never as a scheme or a fragment."""
    link = quote(name, safe="")
    return link if fragment is None else f"{link}#{quote(fragment, safe='')}"


def _text(parent, tag, value):
    element = etree.SubElement(parent, f"{{{ATOM}}}{tag}")
    element.text = value
    return element


def _link(parent, rel, href, media_type, **extra):
    return etree.SubElement(parent, f"{{{ATOM}}}link", rel=rel, href=href, type=media_type,
                            **extra)


# --- download page --------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="alternate" type="{feed_type}" href="catalog.xml" title="OPDS catalog">
<link rel="search" type="application/opensearchdescription+xml" href="{opensearch}"
      title="{title}">
<style>
body {{ font: 17px/1.5 Georgia, serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       color: #1c1816; background: #faf7f0; }}
article {{ display: flex; gap: 1.5rem; margin: 2rem 0; align-items: flex-start; }}
article img.cover {{ width: 10rem; height: auto; box-shadow: 0 1px 4px #0004; }}
h1 {{ font-weight: normal; }} h2 {{ margin: 0; font-weight: normal; }}
.author {{ margin: .2rem 0 .8rem; font-style: italic; }}
ul.files {{ padding-left: 1.1rem; }} .size {{ color: #555; white-space: nowrap; }}
.rights {{ font-variant: small-caps; }}
nav.pages a, nav.pages span {{ margin-right: .8rem; }}
figure {{ margin: 1rem 0; }} figure img {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<form role="search" action="{first}"><label>Search titles, authors and subjects
<input type="search" name="q"></label> <button>Search</button></form>
<section id="found" hidden></section>
<div id="shelf">
{nav}
{books}
{nav}
</div>
<section id="printing">
<h2>Printing the pamphlet</h2>
<ol>
<li>Print the pamphlet PDF for your paper (A4 or US Letter) <strong>double-sided, flipping on
the short edge</strong>, at <strong>actual size</strong> (100&nbsp;%, not “fit to page”).</li>
<li>Keep the sheets in order and fold the stack in half along the middle.</li>
<li>Staple twice on the fold.</li>
</ol>
{proof}
</section>
<p>Catalog for e-reader apps (OPDS): <a href="catalog.xml">catalog.xml</a></p>
<script>
// ?q=words: the books of every page whose title, author or subjects hold every word,
// from the shelf's index (a script, so that it loads from a folder too), in place of
// this page's books.
(function () {{
  var q = new URLSearchParams(location.search).get("q");
  if (!q) return;
  document.querySelector("input[name=q]").value = q;
  var words = q.toLowerCase().split(/\\s+/).filter(Boolean);
  var index = document.createElement("script");
  index.src = "{index}";
  index.onload = function () {{
    var found = document.getElementById("found"), list = document.createElement("ol");
    SAMIZDAT_SHELF.filter(function (b) {{
      var text = (b.title + " " + b.author + " " + b.subjects.join(" ")).toLowerCase();
      return words.every(function (w) {{ return text.indexOf(w) >= 0; }});
    }}).forEach(function (b) {{
      var item = document.createElement("li"), link = document.createElement("a");
      link.href = encodeURIComponent(b.page) + "#" + encodeURIComponent(b.stem);
      link.textContent = b.title;
      item.append(link, " – " + b.author); list.append(item);
    }});
    var heading = document.createElement("h2");
    heading.textContent = list.children.length + " found for “" + q + "”";
    found.append(heading, list); found.hidden = false;
    document.getElementById("shelf").hidden = true;
  }};
  document.head.append(index);
}})();
</script>
</body>
</html>
"""

BOOK = """<article id="{stem}">
{cover}<div>
<h2>{title}</h2>
{subtitle}<p class="author">{author}</p>
<ul class="files">
{files}
</ul>
<p class="rights">{rights}</p>
</div>
</article>"""

SEARCH_INDEX = "search.js"  # SAMIZDAT_SHELF = [{stem, title, author, subjects, page}]
OPENSEARCH = "opensearch.xml"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"


def page_names(books, per_page=PER_PAGE):
    """{stem: the download page it is on}: index.html, index-2.html, ... by title."""
    return {book.stem: "index.html" if n < per_page else f"index-{n // per_page + 1}.html"
            for n, book in enumerate(_ordered(books))}


def download_pages(books, *, folder, catalog=Catalog(), proof=None, per_page=PER_PAGE):
    """{file name: bytes}: the download pages of `books` (files in `folder`), in pages of
    `per_page` by title, linked first, previous, next and last; the shelf's search
    index (search.js: every book's title, author, subjects and page), which each
    page's search form reads; and an OpenSearch description of that search, for
    browsers. `proof`: file name of a picture of a pamphlet's first sheet."""
    ordered = _ordered(books)
    where = page_names(ordered, per_page)
    names = list(dict.fromkeys(where.values())) or ["index.html"]
    figure = _proof_figure(proof)
    pages = {}
    for number, name in enumerate(names):
        shelf = ordered[number * per_page:(number + 1) * per_page]
        page = PAGE.format(title=html.escape(catalog.title), feed_type=ACQUISITION,
                           books="\n".join(_article(book, folder) for book in shelf),
                           nav=_page_nav(names, number), proof=figure, first=names[0],
                           index=SEARCH_INDEX, opensearch=OPENSEARCH)
        pages[name] = page.encode("utf-8")
    shelf = json.dumps([{"stem": b.stem, "title": b.title, "author": b.author,
                         "subjects": b.subjects, "page": where[b.stem]} for b in ordered],
                       ensure_ascii=False, separators=(",", ":"))
    # JSON in a script: "</" and the two line ends JSON allows and scripts once did not
    shelf = shelf.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    pages[SEARCH_INDEX] = f"SAMIZDAT_SHELF = {shelf};\n".encode("utf-8")
    pages[OPENSEARCH] = _opensearch(catalog, names[0])
    return pages


def _article(book, folder):
    e = html.escape
    files = "\n".join(
        f'<li><a href="{e(href(book.files[kind]))}" type="{media}">{e(book.files[kind])}</a> '
        f'<span class="size">({_size(Path(folder) / book.files[kind])})</span> – '
        f"{e(purpose)}</li>"
        for kind, media, purpose in book.downloads(printer_tests=True))
    cover = (f'<img class="cover" src="{e(href(book.files["cover"]))}" '
             f'alt="Cover of {e(book.title)}" width="400" height="600" loading="lazy">\n'
             if "cover" in book.files else "")
    return BOOK.format(stem=e(book.stem), cover=cover, title=e(book.title),
                       author=e(book.author), files=files, rights=e(book.rights),
                       subtitle=f"<p>{e(book.subtitle)}</p>\n" if book.subtitle else "")


def _page_nav(names, number):
    """Links to the first, previous, next and last page ("" for a shelf of one page)."""
    if len(names) < 2:
        return ""
    parts = [f'<a href="{names[to]}"{rel}>{label}</a>'
             for label, to, rel in (("First", 0, ""), ("Previous", number - 1, ' rel="prev"'),
                                    ("Next", number + 1, ' rel="next"'),
                                    ("Last", len(names) - 1, ""))
             if 0 <= to < len(names) and to != number]
    return (f'<nav class="pages">Page {number + 1} of {len(names)}: '
            + " ".join(parts) + "</nav>")


def _proof_figure(proof):
    return (f'<figure><img src="{html.escape(href(proof))}" alt="The first sheet of the pamphlet, '
            "front and back: the back cover and the title page side by side, then the "
            'inside"><figcaption>The first sheet: front above, back below.</figcaption>'
            "</figure>" if proof else "")


def _opensearch(catalog, first):
    """OpenSearch 1.1 description of the download page's search. Static files cannot
    answer an OPDS (Atom) search, so it offers the HTML one only, and the OPDS feeds do
    not link it (OPDS 1.2 wants Atom results from a feed's search link)."""
    root = etree.Element(f"{{{OPENSEARCH_NS}}}OpenSearchDescription",
                         nsmap={None: OPENSEARCH_NS})
    short = catalog.title if len(catalog.title) <= 16 else catalog.title[:15] + "…"
    etree.SubElement(root, f"{{{OPENSEARCH_NS}}}ShortName").text = short
    etree.SubElement(root, f"{{{OPENSEARCH_NS}}}Description").text = (
        f"Search {catalog.title} by title, author and subject")[:1024]
    etree.SubElement(root, f"{{{OPENSEARCH_NS}}}Url", type="text/html",
                     template=f"{first}?q={{searchTerms}}")
    etree.SubElement(root, f"{{{OPENSEARCH_NS}}}InputEncoding").text = "UTF-8"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _size(path):
    size = path.stat().st_size
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


# --- proof picture ----------------------------------------------------------------

def sheet_proof(pamphlet, out, *, dpi=60):
    """PNG of the pamphlet's first sheet, front above back, rendered with PDFium: each
    side framed, with a dashed line where the sheet folds."""
    import pypdfium2
    from PIL import Image

    document = pypdfium2.PdfDocument(str(pamphlet))
    try:
        sides = [document[i].render(scale=dpi / 72).to_pil()
                 for i in range(min(2, len(document)))]
    finally:
        document.close()
    pad = 16
    width = max(s.width for s in sides) + 2 * pad
    sheet = Image.new("RGB", (width, sum(s.height + pad for s in sides) + pad), (205, 200, 190))
    y = pad
    for side in sides:
        sheet.paste(_framed(side), (pad, y))
        y += side.height + pad
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    Path(out).write_bytes(buffer.getvalue())
    return Path(out)


def _framed(side):
    """The side with a thin frame and a dashed fold line down its middle."""
    from PIL import ImageDraw

    side = side.copy()
    draw = ImageDraw.Draw(side)
    draw.rectangle([0, 0, side.width - 1, side.height - 1], outline=(90, 90, 90))
    middle = side.width // 2
    for y in range(0, side.height, 12):
        draw.line([middle, y, middle, min(y + 6, side.height)], fill=(150, 28, 24), width=1)
    return side


def spines(pamphlet, out, *, dpi=50, width_mm=12):
    """PNG of the spines of a pamphlet's signatures as a binder sees them gathered:
    from the outside of each signature (the side that carries its collation mark), a
    strip `width_mm` wide across the fold, side by side in order, each numbered."""
    import pikepdf
    import pypdfium2
    from PIL import Image, ImageDraw

    from .impose import COLLATION, page_content

    with pikepdf.open(pamphlet) as pdf:
        outsides = [i for i, side in enumerate(pdf.pages)
                    if COLLATION.search(page_content(side).decode("latin-1"))]
    document = pypdfium2.PdfDocument(str(pamphlet))
    try:
        sides = [document[i].render(scale=dpi / 72).to_pil() for i in outsides]
    finally:
        document.close()
    half = round(width_mm / 25.4 * dpi / 2)
    strips = [side.crop((side.width // 2 - half, 0, side.width // 2 + half, side.height))
              for side in sides]
    pad, label = 8, 16
    height = max((s.height for s in strips), default=0)
    picture = Image.new("RGB", (len(strips) * (2 * half + pad) + pad, height + 2 * pad + label),
                        (205, 200, 190))
    draw = ImageDraw.Draw(picture)
    for number, strip in enumerate(strips):
        x = pad + number * (2 * half + pad)
        picture.paste(strip, (x, pad))
        draw.rectangle([x, pad, x + 2 * half - 1, pad + strip.height - 1], outline=(90, 90, 90))
        draw.text((x + half - 3, pad + height + 3), str(number + 1), fill=(0, 0, 0))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    Path(out).write_bytes(buffer.getvalue())
    return Path(out)

