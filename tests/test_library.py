"""A library build: several texts in parallel, one broken, one catalog, one page, and
nothing rebuilt when nothing changed."""

import json
import logging
import re
import shutil

import pytest
from lxml import etree

from conftest import MANUSCRIPT, ROOT
from samizdat.library import local
from samizdat.outputs import listing

TEXTS = ROOT / "tests" / "library"
NS = {"a": listing.ATOM, "dc": listing.DCTERMS}


@pytest.fixture(scope="module")
def shelf(tmp_path_factory):
    """Sources (the real manuscript, two short texts, one broken) and their library."""
    folder = tmp_path_factory.mktemp("shelf")
    sources = [MANUSCRIPT, TEXTS / "mutual-aid-note.md", TEXTS / "a-short-letter.md",
               TEXTS / "broken.md"]
    books, failures = local.build_library(sources, folder / "out", jobs=2)
    return sources, folder / "out", books, failures


def test_the_broken_text_is_reported_and_the_others_built(shelf):
    _, out, books, failures = shelf
    assert sorted(books) == ["a-short-letter", "mutual-aid-note", "workers-power"]
    assert [(f.code, f.path.endswith("broken.md"), f.line) for f in failures] == [
        ("N001", True, 10)]
    assert not list(out.glob("broken*"))
    for stem in books:
        assert (out / f"{stem}.epub").exists() and (out / f"{stem}-pamphlet-a4.pdf").exists()


def test_catalog_is_an_opds_acquisition_feed(shelf):
    _, out, books, _ = shelf
    feed = etree.parse(str(out / "catalog.xml")).getroot()
    assert feed.tag == f"{{{listing.ATOM}}}feed"
    for tag in ("id", "title", "updated"):
        assert feed.findtext(f"a:{tag}", namespaces=NS)
    self_link = feed.find("a:link[@rel='self']", NS)
    assert self_link.get("type") == listing.ACQUISITION
    entries = feed.findall("a:entry", NS)
    assert len(entries) == 3
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert entry.findtext(f"a:{tag}", namespaces=NS)
        assert entry.findtext("a:author/a:name", namespaces=NS)
        links = {(l.get("rel"), l.get("type")): l.get("href")
                 for l in entry.findall("a:link", NS)}
        epub = links[(listing.OPEN_ACCESS, "application/epub+zip")]
        assert (out / epub).exists() and epub.endswith(".epub")
        assert (out / links[("http://opds-spec.org/image", "image/png")]).exists()
    letter = next(e for e in entries if e.findtext("a:title", namespaces=NS) == "A Short Letter")
    assert letter.findtext("dc:language", namespaces=NS) == "fr"
    assert letter.findtext("a:rights", namespaces=NS).startswith("CC0")


def test_download_page_lists_every_file_and_how_to_print(shelf):
    from html.parser import HTMLParser

    _, out, books, _ = shelf
    page = (out / "index.html").read_text(encoding="utf-8")
    links = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            links.extend(v for k, v in attrs.items() if k in ("href", "src"))

    Links().feed(page)
    for book in books.values():
        for name in book.files.values():
            if not name.endswith(("sheet1.png", "-thumb.png")) and "printer-test" not in name:
                assert name in links, name
    assert all((out / link).exists() for link in links)
    assert "Anti-Copyright" in page and "short edge" in page
    assert [l for l in links if l.endswith("-pamphlet-sheet1.png")]


def test_nothing_changed_nothing_rebuilt(shelf, caplog):
    sources, out, _, _ = shelf
    good = sources[:3]
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix != ".html"}
    with caplog.at_level(logging.INFO, logger="samizdat"):
        books, failures = local.build_library(good, out, jobs=1)
    assert failures == [] and len(books) == 3
    assert sum("unchanged, not rebuilt" in r.getMessage() for r in caplog.records) == 3
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix != ".html"}
    changed = {n for n in before if before[n] != after.get(n)}
    # the manifests are written again (the catalog's feeds among them), no output
    assert {n for n in changed if not n.startswith("catalog")} <= {
        "SHA256SUMS", "search.js", "opensearch.xml"}
    assert all(n.endswith(".xml") for n in changed if n.startswith("catalog"))


def test_a_changed_text_is_rebuilt(tmp_path):
    source = tmp_path / "text.md"
    shutil.copy(TEXTS / "mutual-aid-note.md", source)
    local.build_library([source], tmp_path / "out", jobs=1)
    first = (tmp_path / "out" / "text.epub").read_bytes()
    source.write_text(source.read_text().replace("Neighbours", "Friends"))
    local.build_library([source], tmp_path / "out", jobs=1)
    assert (tmp_path / "out" / "text.epub").read_bytes() != first


def test_two_texts_with_one_name_are_refused(tmp_path):
    from samizdat.errors import UserError

    (tmp_path / "a").mkdir()
    shutil.copy(TEXTS / "a-short-letter.md", tmp_path / "a" / "x.md")
    shutil.copy(TEXTS / "mutual-aid-note.md", tmp_path / "x.md")
    with pytest.raises(UserError) as error:
        local.build_library([tmp_path / "a" / "x.md", tmp_path / "x.md"], tmp_path / "out")
    assert error.value.findings[0].code == "X003"


def test_readme_picture_is_the_current_first_sheet(built, tmp_path):
    from PIL import Image, ImageChops, ImageStat

    fresh = listing.sheet_proof(built["pamphlet-a4"], tmp_path / "sheet.png", dpi=50)
    committed = Image.open(ROOT / "docs" / "first-sheet.png").convert("RGB")
    current = Image.open(fresh).convert("RGB")
    assert committed.size == current.size, "run `make docs`"
    difference = ImageStat.Stat(ImageChops.difference(committed, current)).mean
    assert max(difference) < 1.0, "run `make docs`: the README picture is out of date"


def test_readme_picture_of_the_spines_is_current(tmp_path):
    """docs/spines.png: the first text in one-sheet signatures, their spines gathered
    (the Makefile's `docs` target makes it the same way)."""
    from PIL import Image, ImageChops, ImageStat

    from samizdat import build

    given = (("trim", "a5"), ("outputs", "pamphlet"), ("signature", "4"))
    made = build.build(ROOT / "manuscript" / "workers-power.md", tmp_path / "out",
                       printing=build.PrintOptions(given=given), parallel=False)
    fresh = listing.spines(made["pamphlet-a4"], tmp_path / "spines.png")
    committed = Image.open(ROOT / "docs" / "spines.png").convert("RGB")
    current = Image.open(fresh).convert("RGB")
    assert committed.size == current.size, "run `make docs`"
    difference = ImageStat.Stat(ImageChops.difference(committed, current)).mean
    assert max(difference) < 1.0, "run `make docs`: the README picture is out of date"


def test_texts_built_one_at_a_time_share_one_catalog(tmp_path):
    """A librarian adding texts one build at a time gets a catalog of the whole folder;
    a book whose files are gone leaves it."""
    out = tmp_path / "out"
    for text in ("mutual-aid-note.md", "a-short-letter.md"):
        local.build_library([TEXTS / text], out)
    assert catalog_titles(out) == ["A Note on Mutual Aid: Written for the Samizdat tests",
                                   "A Short Letter"]
    (out / "mutual-aid-note.epub").unlink()
    local.build_library([TEXTS / "a-short-letter.md"], out)
    assert catalog_titles(out) == ["A Short Letter"]
    assert "mutual-aid-note" not in (out / "index.html").read_text(encoding="utf-8")


def catalog_titles(out):
    feed = etree.parse(str(out / "catalog.xml")).getroot()
    return sorted(e.findtext("a:title", namespaces=NS) for e in feed.findall("a:entry", NS))


def fake_books(count):
    return [listing.Book(stem=f"text-{n:03d}", title=f"Text {n:03d}", author="A. Writer",
                         identifier=f"urn:x:{n}", updated="2023-01-01T00:00:00Z",
                         files={"epub": f"text-{n:03d}.epub", "kepub": f"text-{n:03d}.kepub.epub",
                                "pdf": f"text-{n:03d}.pdf"},
                         about=[["pdf", "PDF (A5)"]]) for n in range(count)]


def test_a_big_catalog_comes_in_linked_pages_of_50_with_one_id():
    pages = listing.catalog_pages(fake_books(120))
    main = [name for name in pages if re.fullmatch(r"catalog(-\d+)?\.xml", name)]
    assert main == ["catalog.xml", "catalog-2.xml", "catalog-3.xml"]
    feeds = {name: etree.fromstring(pages[name]) for name in main}
    rels = {name: {l.get("rel"): l.get("href") for l in feed.findall("a:link", NS)}
            for name, feed in feeds.items()}
    assert rels["catalog.xml"] == {"self": "catalog.xml", "start": "catalog.xml",
                                   "first": "catalog.xml", "last": "catalog-3.xml",
                                   "next": "catalog-2.xml", "subsection": "catalog-subjects.xml"}
    assert rels["catalog-2.xml"]["previous"] == "catalog.xml"
    assert rels["catalog-2.xml"]["next"] == "catalog-3.xml"
    assert "next" not in rels["catalog-3.xml"]
    assert len({feed.findtext("a:id", namespaces=NS) for feed in feeds.values()}) == 1
    titles = [e.findtext("a:title", namespaces=NS) for feed in feeds.values()
              for e in feed.findall("a:entry", NS)]
    assert titles == [f"Text {n:03d}" for n in range(120)]
    kinds = {l.get("type") for feed in feeds.values() for l in feed.iterfind(".//a:entry/a:link", NS)
             if l.get("rel") == listing.OPEN_ACCESS}
    assert kinds == {"application/epub+zip", "application/kepub+zip"}  # no print files


def test_the_catalog_id_does_not_change_as_books_come_and_go():
    ids = {etree.fromstring(listing.catalog_pages(fake_books(n))["catalog.xml"]).findtext(
        "a:id", namespaces=NS) for n in (0, 1, 60)}
    assert len(ids) == 1


def test_pages_a_smaller_shelf_no_longer_needs_are_removed(tmp_path):
    from samizdat.outputs import shelf

    for book in fake_books(120):  # the download page gives each file's size
        for name in book.files.values():
            (tmp_path / name).write_bytes(b"x")
    shelf.write_library_pages(fake_books(120), tmp_path)
    assert {"catalog-2.xml", "catalog-3.xml", "catalog-author-1-3.xml"} <= {
        p.name for p in tmp_path.glob("catalog*.xml")}
    shelf.write_library_pages(fake_books(10), tmp_path)
    assert sorted(p.name for p in tmp_path.glob("catalog*.xml")) == [
        "catalog-author-1.xml", "catalog-authors.xml", "catalog-subjects.xml", "catalog.xml"]


def test_the_catalog_leads_to_each_author_and_subject():
    books = fake_books(4)
    books[0].author, books[1].author = "B. Other", "B. Other"
    books[2].subjects, books[3].subjects = ["Anarchism", "History"], ["History"]
    pages = listing.catalog_pages(books)
    start = etree.fromstring(pages["catalog.xml"])
    sections = {l.get("href"): l.get("type") for l in start.findall("a:link", NS)
                if l.get("rel") == "subsection"}
    assert sections == {"catalog-authors.xml": listing.NAVIGATION,
                        "catalog-subjects.xml": listing.NAVIGATION}
    authors = etree.fromstring(pages["catalog-authors.xml"])
    listed = {e.findtext("a:title", namespaces=NS): e.find("a:link", NS).get("href")
              for e in authors.findall("a:entry", NS)}
    assert list(listed) == ["A. Writer", "B. Other"]
    by_other = etree.fromstring(pages[listed["B. Other"]])
    assert [e.findtext("a:title", namespaces=NS) for e in by_other.findall("a:entry", NS)] == [
        "Text 000", "Text 001"]
    subjects = etree.fromstring(pages["catalog-subjects.xml"])
    counts = {e.findtext("a:title", namespaces=NS): e.findtext("a:content", namespaces=NS)
              for e in subjects.findall("a:entry", NS)}
    assert counts == {"Anarchism": "1 book", "History": "2 books"}
    ids = [etree.fromstring(data).findtext("a:id", namespaces=NS) for data in pages.values()]
    assert len(set(ids)) == len(ids)  # one id per feed; a feed's pages would share it


# --- the catalog against the OPDS 1.2 schema -----------------------------------------

OPDS_SCHEMA = TEXTS / "opds" / "opds.rng"  # see SOURCE.txt beside it


def opds_errors(data):
    """What the OPDS 1.2 RELAX NG schema, and Atom's rule it cannot say (an entry has
    content or an alternate link), find wrong in feed `data`."""
    schema = etree.RelaxNG(etree.parse(str(OPDS_SCHEMA)))
    feed = etree.fromstring(data)
    errors = [] if schema.validate(feed) else [str(e) for e in schema.error_log]
    for entry in feed.iterfind("a:entry", NS):
        if entry.find("a:content", NS) is None and not entry.xpath(
                "a:link[@rel='alternate']", namespaces=NS):
            errors.append(f"entry {entry.findtext('a:id', namespaces=NS)}: no content, "
                          "no alternate link")
    return errors


def test_every_feed_of_a_120_book_catalog_validates_against_opds_1_2():
    books = fake_books(120)
    for n, book in enumerate(books):
        book.subjects = [f"Subject {n % 7}"]
        book.author = f"Writer {n % 13}"
        book.files["cover"] = f"{book.stem}-cover.png"
        book.files["thumbnail"] = f"{book.stem}-cover-thumb.png"
    pages = listing.catalog_pages(books)
    # three pages of 50, two navigation feeds, a feed for each author and each subject
    assert len(pages) == 3 + 2 + 13 + 7
    for name, data in pages.items():
        assert opds_errors(data) == [], name
    entry = etree.fromstring(pages["catalog-3.xml"]).find("a:entry", NS)
    links = {l.get("rel"): l.get("href") for l in entry.findall("a:link", NS)}
    assert links["alternate"] == "index-3.html#text-100"  # the book on the download page
    assert links["http://opds-spec.org/image/thumbnail"] == "text-100-cover-thumb.png"


def test_the_schema_check_finds_a_feed_that_breaks_opds():
    """The validation above can fail: an entry with no id, or no way to its book."""
    good = listing.catalog_pages(fake_books(1))["catalog.xml"]
    feed = etree.fromstring(good)
    entry = feed.find("a:entry", NS)
    entry.remove(entry.find("a:id", NS))
    assert opds_errors(etree.tostring(feed))
    feed = etree.fromstring(good)
    for link in feed.xpath("a:entry/a:link[@rel='alternate']", namespaces=NS):
        link.getparent().remove(link)
    assert opds_errors(etree.tostring(feed)) == ["entry urn:x:0: no content, no alternate link"]


def test_the_catalog_keeps_the_id_its_library_gives_it(tmp_path):
    """samizdat.yaml beside the texts names the catalog; the folder keeps the name for
    later builds that do not; the options win over both; two shelves naming two
    catalogs for one library are refused (M010), as is an id that is no URI."""
    from samizdat.outputs import shelf
    from samizdat.errors import UserError

    texts = tmp_path / "texts"
    texts.mkdir()
    (texts / "a.md").write_text("x")
    (texts / "samizdat.yaml").write_text(
        "catalog:\n  title: The Shelf\n  id: urn:uuid:11111111-2222-4333-8444-555555555555\n")
    named = local.catalog_for([texts / "a.md"])
    assert named == listing.Catalog("The Shelf", "urn:uuid:11111111-2222-4333-8444-555555555555")
    assert local.catalog_for([texts / "a.md"], title="Other").title == "Other"
    assert local.catalog_for([tmp_path / "elsewhere.md"]) is None
    out = tmp_path / "out"
    out.mkdir()
    shelf.keep_catalog(out, named)
    shelf.write_library_pages(fake_books(0), out)
    feed = etree.parse(str(out / "catalog.xml")).getroot()
    assert feed.findtext("a:id", namespaces=NS) == named.id
    assert feed.findtext("a:title", namespaces=NS) == "The Shelf"
    assert shelf.catalog_of(out) == named  # what a later build without the yaml uses
    other = tmp_path / "other"
    other.mkdir()
    (other / "b.md").write_text("x")
    (other / "samizdat.yaml").write_text("catalog:\n  title: Another\n")
    with pytest.raises(UserError) as refused:
        local.catalog_for([texts / "a.md", other / "b.md"])
    assert refused.value.findings[0].code == "M010"
    with pytest.raises(UserError) as refused:
        local.catalog_for([texts / "a.md"], id_="not a uri")
    assert refused.value.findings[0].code == "M010"


def test_the_download_page_comes_in_pages_with_a_search_over_all_of_them(tmp_path):
    from samizdat.outputs import shelf

    books = fake_books(120)
    for book in books:
        for name in book.files.values():
            (tmp_path / name).write_bytes(b"x")
    shelf.write_library_pages(books, tmp_path)
    names = sorted(p.name for p in tmp_path.glob("index*.html"))
    assert names == ["index-2.html", "index-3.html", "index.html"]
    second = (tmp_path / "index-2.html").read_text(encoding="utf-8")
    assert second.count("<article") == 50 and 'id="text-050"' in second
    assert '<a href="index.html" rel="prev">Previous</a>' in second
    assert '<a href="index-3.html" rel="next">Next</a>' in second
    script = (tmp_path / "search.js").read_text(encoding="utf-8")
    assert script.startswith("SAMIZDAT_SHELF = ") and script.endswith(";\n")
    found = json.loads(script.removeprefix("SAMIZDAT_SHELF = ").removesuffix(";\n"))
    assert len(found) == 120 and found[100] == {
        "stem": "text-100", "title": "Text 100", "author": "A. Writer", "subjects": [],
        "page": "index-3.html"}
    search = etree.parse(str(tmp_path / "opensearch.xml")).getroot()
    url = search.find("{http://a9.com/-/spec/opensearch/1.1/}Url")
    assert url.get("template") == "index.html?q={searchTerms}"
    assert len(search.findtext("{http://a9.com/-/spec/opensearch/1.1/}ShortName")) <= 16
    shelf.write_library_pages(books[:10], tmp_path)
    assert sorted(p.name for p in tmp_path.glob("index*.html")) == ["index.html"]


def test_a_library_build_writes_its_pages_once_not_once_per_text(tmp_path, monkeypatch):
    """Each install used to rewrite the catalog and the download pages twice: with
    20,000 books, 6.4 s a time, for each book. A library writes them when it ends."""
    from samizdat import build
    from samizdat.outputs import shelf

    written = []
    real = shelf.library_pages
    monkeypatch.setattr(shelf, "library_pages", lambda books, *rest: written.append(
        len(list(books))) or real(books, *rest))
    sources = [TEXTS / "mutual-aid-note.md", TEXTS / "a-short-letter.md"]
    books, failures = local.build_library(
        sources, tmp_path, jobs=1, printing=build.PrintOptions(given=(("outputs", "epub"),)))
    assert failures == [] and len(books) == 2
    assert written == [2]
    assert {p.name for p in tmp_path.glob("*.epub")} <= set(
        (tmp_path / "SHA256SUMS").read_text().split())


def test_a_hostile_title_stays_text_on_the_page_in_the_search_and_the_feeds(tmp_path):
    """A library's name and a book's title come from strangers' files: markup in them
    is text everywhere (the page, its search index, the OpenSearch description, the
    feeds), and the search index stays a script that only assigns data."""
    from samizdat.outputs import shelf

    evil = '</script><script>alert(1)</script>"\u2028'
    books = fake_books(2)
    books[0].title = evil
    for book in books:
        for name in book.files.values():
            (tmp_path / name).write_bytes(b"x")
    shelf.keep_catalog(tmp_path, listing.catalog_of({"title": "<b>Shelf</b> & co"}, "t"))
    shelf.write_library_pages(books, tmp_path)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page and "<b>Shelf" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)" in page
    script = (tmp_path / "search.js").read_text(encoding="utf-8")
    assert "</script" not in script and "\u2028" not in script
    data = json.loads(script.removeprefix("SAMIZDAT_SHELF = ").removesuffix(";\n"))
    assert data[0]["title"] == evil
    for name in ("opensearch.xml", "catalog.xml"):
        raw = (tmp_path / name).read_text(encoding="utf-8")
        assert "<b>" not in raw and "&lt;b&gt;Shelf" in raw
        etree.fromstring(raw.encode("utf-8"))  # well-formed
    feed = etree.parse(str(tmp_path / "catalog.xml")).getroot()
    assert feed.findtext("a:title", namespaces=NS) == "<b>Shelf</b> & co"
    assert evil in [e.findtext("a:title", namespaces=NS) for e in feed.findall("a:entry", NS)]


@pytest.mark.parametrize("title", ["a\x07b", "a\ud800b", "a\u2028b", "a\x85b"])
def test_a_catalog_title_no_xml_can_carry_is_refused_naming_where_it_came_from(tmp_path,
                                                                               title):
    """A control character or a lone surrogate (from a name that is not UTF-8) in the
    catalog's title or id, from samizdat.yaml or an option: M010 naming it, not X009."""
    from samizdat.errors import UserError

    (tmp_path / "a.md").write_text("x")
    escaped = title.encode("unicode_escape", "backslashreplace").decode("ascii")
    (tmp_path / "samizdat.yaml").write_text(f'catalog:\n  title: "{escaped}"\n')
    for given, where in (({}, str(tmp_path / "samizdat.yaml")),
                         ({"title": title}, "--catalog-title/--catalog-id"),
                         ({"title": "T", "id_": f"urn:x:{title}"},
                          "--catalog-title/--catalog-id")):
        if not given:
            with pytest.raises(UserError) as refused:
                local.catalog_for([tmp_path / "a.md"])
        else:
            (tmp_path / "samizdat.yaml").unlink(missing_ok=True)
            with pytest.raises(UserError) as refused:
                local.catalog_for([tmp_path / "a.md"], **given)
        assert [(f.code, f.path) for f in refused.value.findings] == [("M010", where)]


def test_every_link_of_the_feeds_and_pages_names_its_file_whatever_the_text_is_named(
        tmp_path):
    """A text named "javascript:alert(1)" or "50% #2?" is linked as the file it is: each
    href of every feed and download page, resolved as a reader's app or browser does,
    is a file of the folder (and its fragment a book's place on the page)."""
    from urllib.parse import unquote, urljoin, urlsplit

    from lxml import html

    from samizdat import build

    texts = tmp_path / "texts"
    texts.mkdir()
    names = ["javascript:alert(1)", "50% #2?", "plain"]
    for name in names:
        shutil.copy(TEXTS / "a-short-letter.md", texts / f"{name}.md")
    out = tmp_path / "out"
    books, failures = local.build_library(
        [texts / f"{name}.md" for name in names], out, jobs=1,
        printing=build.PrintOptions(given=(("outputs", "epub"),)))
    assert failures == [] and sorted(books) == sorted(names)
    links = [(feed.name, link.get("href")) for feed in out.glob("catalog*.xml")
             for link in etree.parse(str(feed)).iter(f"{{{listing.ATOM}}}link")]
    links += [(page.name, element.get(attribute)) for page in out.glob("index*.html")
              for element, attribute, _, _ in html.parse(str(page)).getroot().iterlinks()
              if element.tag in ("a", "img")]
    assert len(links) > 20
    for page, link in links:
        parts = urlsplit(urljoin("file:///library/", link))
        target = out / unquote(parts.path).removeprefix("/library/")
        assert (parts.scheme, parts.netloc, target.is_file()) == ("file", "", True), link
        if parts.fragment:
            ids = html.parse(str(target)).getroot().xpath("//article/@id")
            assert unquote(parts.fragment) in ids, link
    assert {unquote(urlsplit(link).path) for _, link in links} >= {
        f"{name}.epub" for name in names}


def folder_bytes(out):
    """{path inside `out`: its bytes (a link: where it points)} of every file there."""
    found = {}
    for path in sorted(out.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(out))] = f"-> {path.readlink()}"
        elif path.is_file():
            found[str(path.relative_to(out))] = path.read_bytes()
    return found


@pytest.mark.parametrize("name", ["zine-pamphlet-a4", "zine.kepub", "zine-printer-test",
                                  "ZINE-pamphlet-a4", "Zine.Kepub"])
def test_texts_whose_outputs_would_meet_are_refused_before_anything_is_built(tmp_path, name):
    """`zine.md` writes zine-pamphlet-a4.pdf, zine.kepub.epub and zine-printer-test.pdf:
    beside `zine-pamphlet-a4.md` (or `zine.kepub.md`, …) one would overwrite the other's.
    The library is refused (X014, one line naming both) before anything is built."""
    from samizdat.errors import UserError

    shutil.copy(TEXTS / "a-short-letter.md", tmp_path / "zine.md")
    shutil.copy(TEXTS / "mutual-aid-note.md", tmp_path / f"{name}.md")
    with pytest.raises(UserError) as error:
        local.build_library([tmp_path / "zine.md", tmp_path / f"{name}.md"],
                               tmp_path / "out", jobs=1)
    [finding] = error.value.findings
    assert finding.code == "X014" and "zine.md" in str(finding) and f"{name}.md" in str(finding)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("other", ["CAFÉ", "cafe\u0301"])
def test_texts_named_alike_on_a_usb_stick_or_a_mac_are_refused(tmp_path, other):
    """`café.md` beside `CAFÉ.md` or a café spelt e + U+0301: distinct files here, one
    file on FAT/exFAT (a library copied to a USB stick), Windows or macOS: X003."""
    from samizdat.errors import UserError

    shutil.copy(TEXTS / "a-short-letter.md", tmp_path / "café.md")
    shutil.copy(TEXTS / "mutual-aid-note.md", tmp_path / f"{other}.md")
    with pytest.raises(UserError) as error:
        local.build_library([tmp_path / "café.md", tmp_path / f"{other}.md"],
                               tmp_path / "out", jobs=1)
    assert [f.code for f in error.value.findings] == ["X003"]


def test_a_text_built_alone_does_not_take_a_file_another_text_owns(tmp_path):
    """zine-pamphlet-a4.md built into a folder where zine's record owns
    zine-pamphlet-a4.pdf fails (X014) and leaves the folder as it was; either order."""
    shutil.copy(TEXTS / "a-short-letter.md", tmp_path / "zine.md")
    shutil.copy(TEXTS / "mutual-aid-note.md", tmp_path / "zine-pamphlet-a4.md")
    for first, second in (("zine", "zine-pamphlet-a4"), ("zine-pamphlet-a4", "zine")):
        out = tmp_path / f"out-{first}"
        local.build_library([tmp_path / f"{first}.md"], out, jobs=1)
        before = folder_bytes(out)
        books, failures = local.build_library([tmp_path / f"{second}.md"], out, jobs=1)
        assert [f.code for f in failures] == ["X014"] and books == {}
        assert first in failures[0].message and "zine-pamphlet-a4.pdf" in failures[0].message
        assert folder_bytes(out) == before


def test_a_refusal_in_the_last_step_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    """A library whose catalog cannot be written (its last step, local.finish) leaves
    every file of the folder as it was: outputs, records, manifests, catalog state, and
    no temporary file."""
    from samizdat.errors import Finding, UserError

    text = tmp_path / "a-short-letter.md"
    shutil.copy(TEXTS / text.name, text)
    out = tmp_path / "out"
    local.build_library([text], out, jobs=1,
                           catalog=listing.Catalog("The Shelf", "urn:x:1"))
    before = folder_bytes(out)
    text.write_text(text.read_text(encoding="utf-8") + "\nOne more.\n", encoding="utf-8")

    def refuse(*args, **kwargs):
        raise UserError(Finding("M010", "samizdat.yaml", None, "refused"))

    monkeypatch.setattr(listing, "download_pages", refuse)
    with pytest.raises(UserError):
        local.build_library([text, TEXTS / "mutual-aid-note.md"], out, jobs=1,
                               catalog=listing.Catalog("Another", "urn:x:2"))
    assert folder_bytes(out) == before


def test_a_catalog_title_the_feed_cannot_hold_changes_nothing(tmp_path):
    """--catalog-title with a control character: refused (whether at entry or in the last
    step), the folder as it was, and the next build of the folder works (the title was
    kept with the folder: every later build failed, X009)."""
    import os
    import subprocess
    import sys

    text = tmp_path / "a-short-letter.md"
    shutil.copy(TEXTS / text.name, text)
    out = tmp_path / "out"
    local.build_library([text], out, jobs=1)
    before = folder_bytes(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    run = [sys.executable, "-m", "samizdat", "build", str(text), str(TEXTS / "mutual-aid-note.md"),
           "--out", str(out), "-q", "-j", "1"]
    proc = subprocess.run(run + ["--catalog-title", "bad\x01title"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0 and re.match(r"[A-Z]\d{3} ", proc.stderr), proc.stderr
    assert folder_bytes(out) == before
    proc = subprocess.run(run, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr


def test_a_poisoned_catalog_state_is_ignored_with_a_warning(tmp_path, caplog):
    """A catalog state the feed cannot hold (a control character, a number for a title,
    not JSON) is treated as absent, with a warning (X015): later builds still work."""
    from samizdat.outputs import shelf

    out = tmp_path / "out"
    (out / shelf.RECORDS).mkdir(parents=True)
    state = out / shelf.RECORDS / shelf.CATALOG
    for poison in ('{"title": "bad\\u0001", "id": ""}', '{"title": 7, "id": ""}',
                   '{"title": "A", "id": "not a uri"}', "[1", '{"title": "\\ud800"}'):
        state.write_text(poison)
        caplog.clear()
        assert shelf.catalog_of(out) == listing.Catalog()
        assert "X015" in caplog.text
    state.write_text(poison)
    books, failures = local.build_library([TEXTS / "a-short-letter.md"], out, jobs=1)
    assert failures == [] and catalog_titles(out) == ["A Short Letter"]
