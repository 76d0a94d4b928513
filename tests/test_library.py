"""A library build: several texts in parallel, one broken, one catalog, one page, and
nothing rebuilt when nothing changed."""

import logging
import re
import shutil

import pytest
from lxml import etree

from conftest import MANUSCRIPT, ROOT
from samizdat import library, shelving

TEXTS = ROOT / "tests" / "library"
NS = {"a": library.ATOM, "dc": library.DCTERMS}


@pytest.fixture(scope="module")
def shelf(tmp_path_factory):
    """Sources (the real manuscript, two short texts, one broken) and their library."""
    folder = tmp_path_factory.mktemp("shelf")
    sources = [MANUSCRIPT, TEXTS / "mutual-aid-note.md", TEXTS / "a-short-letter.md",
               TEXTS / "broken.md"]
    books, failures = shelving.build_library(sources, folder / "out", jobs=2)
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
    assert feed.tag == f"{{{library.ATOM}}}feed"
    for tag in ("id", "title", "updated"):
        assert feed.findtext(f"a:{tag}", namespaces=NS)
    self_link = feed.find("a:link[@rel='self']", NS)
    assert self_link.get("type") == library.ACQUISITION
    entries = feed.findall("a:entry", NS)
    assert len(entries) == 3
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert entry.findtext(f"a:{tag}", namespaces=NS)
        assert entry.findtext("a:author/a:name", namespaces=NS)
        links = {(l.get("rel"), l.get("type")): l.get("href")
                 for l in entry.findall("a:link", NS)}
        epub = links[(library.OPEN_ACCESS, "application/epub+zip")]
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
            if not name.endswith("sheet1.png") and "printer-test" not in name:
                assert name in links, name
    assert all((out / link).exists() for link in links)
    assert "Anti-Copyright" in page and "short edge" in page
    assert [l for l in links if l.endswith("-pamphlet-sheet1.png")]


def test_nothing_changed_nothing_rebuilt(shelf, caplog):
    sources, out, _, _ = shelf
    good = sources[:3]
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix != ".html"}
    with caplog.at_level(logging.INFO, logger="samizdat"):
        books, failures = shelving.build_library(good, out, jobs=1)
    assert failures == [] and len(books) == 3
    assert sum("unchanged, not rebuilt" in r.getMessage() for r in caplog.records) == 3
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.suffix != ".html"}
    changed = {n for n in before if before[n] != after.get(n)}
    # the manifests are written again (the catalog's feeds among them), no output
    assert {n for n in changed if not n.startswith("catalog")} <= {"SHA256SUMS"}
    assert all(n.endswith(".xml") for n in changed if n.startswith("catalog"))


def test_a_changed_text_is_rebuilt(tmp_path):
    source = tmp_path / "text.md"
    shutil.copy(TEXTS / "mutual-aid-note.md", source)
    shelving.build_library([source], tmp_path / "out", jobs=1)
    first = (tmp_path / "out" / "text.epub").read_bytes()
    source.write_text(source.read_text().replace("Neighbours", "Friends"))
    shelving.build_library([source], tmp_path / "out", jobs=1)
    assert (tmp_path / "out" / "text.epub").read_bytes() != first


def test_two_texts_with_one_name_are_refused(tmp_path):
    from samizdat.errors import UserError

    (tmp_path / "a").mkdir()
    shutil.copy(TEXTS / "a-short-letter.md", tmp_path / "a" / "x.md")
    shutil.copy(TEXTS / "mutual-aid-note.md", tmp_path / "x.md")
    with pytest.raises(UserError) as error:
        shelving.build_library([tmp_path / "a" / "x.md", tmp_path / "x.md"], tmp_path / "out")
    assert error.value.findings[0].code == "X003"


def test_readme_picture_is_the_current_first_sheet(built, tmp_path):
    from PIL import Image, ImageChops, ImageStat

    fresh = library.sheet_proof(built["pamphlet-a4"], tmp_path / "sheet.png", dpi=50)
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
    fresh = library.spines(made["pamphlet-a4"], tmp_path / "spines.png")
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
        shelving.build_library([TEXTS / text], out)
    assert catalog_titles(out) == ["A Note on Mutual Aid: Written for the Samizdat tests",
                                   "A Short Letter"]
    (out / "mutual-aid-note.epub").unlink()
    shelving.build_library([TEXTS / "a-short-letter.md"], out)
    assert catalog_titles(out) == ["A Short Letter"]
    assert "mutual-aid-note" not in (out / "index.html").read_text(encoding="utf-8")


def catalog_titles(out):
    feed = etree.parse(str(out / "catalog.xml")).getroot()
    return sorted(e.findtext("a:title", namespaces=NS) for e in feed.findall("a:entry", NS))


def fake_books(count):
    return [library.Book(stem=f"text-{n:03d}", title=f"Text {n:03d}", author="A. Writer",
                         identifier=f"urn:x:{n}", updated="2023-01-01T00:00:00Z",
                         files={"epub": f"text-{n:03d}.epub", "kepub": f"text-{n:03d}.kepub.epub",
                                "pdf": f"text-{n:03d}.pdf"},
                         about=[["pdf", "PDF (A5)"]]) for n in range(count)]


def test_a_big_catalog_comes_in_linked_pages_of_50_with_one_id():
    pages = library.catalog_pages(fake_books(120))
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
             if l.get("rel") == library.OPEN_ACCESS}
    assert kinds == {"application/epub+zip", "application/kepub+zip"}  # no print files


def test_the_catalog_id_does_not_change_as_books_come_and_go():
    ids = {etree.fromstring(library.catalog_pages(fake_books(n))["catalog.xml"]).findtext(
        "a:id", namespaces=NS) for n in (0, 1, 60)}
    assert len(ids) == 1


def test_pages_a_smaller_shelf_no_longer_needs_are_removed(tmp_path):
    from samizdat import shelf

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
    pages = library.catalog_pages(books)
    start = etree.fromstring(pages["catalog.xml"])
    sections = {l.get("href"): l.get("type") for l in start.findall("a:link", NS)
                if l.get("rel") == "subsection"}
    assert sections == {"catalog-authors.xml": library.NAVIGATION,
                        "catalog-subjects.xml": library.NAVIGATION}
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
