"""The download page in a real browser (Debian's headless Chromium): a screenshot shows the
cover and the links."""

import os
import shutil
import subprocess

import pytest
from PIL import Image

from samizdat.outputs import cover

CHROMIUM = shutil.which("chromium")
# CI installs Chromium (the Makefile does); elsewhere the test says what it needs.
pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="Chromium is not installed (make installs it as root)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def screenshot(page, out, tmp_path, size="1000,900"):
    subprocess.run([CHROMIUM or "chromium", *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                    f"--window-size={size}", f"--screenshot={out}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    return Image.open(out).convert("RGB")


def share(image, colour, box=None, tolerance=12):
    """Fraction of the pixels (in `box`) within `tolerance` of `colour`."""
    region = image.crop(box) if box else image
    pixels = list(region.get_flattened_data())
    near = sum(all(abs(a - b) <= tolerance for a, b in zip(p, colour)) for p in pixels)
    return near / len(pixels)


def test_cover_and_links_render(built, tmp_path):
    folder = built["pdf"].parent
    shot = screenshot(folder / "index.html", tmp_path / "page.png", tmp_path)
    assert share(shot, cover.BAND, box=(0, 0, 400, 500)) > 0.02  # the cover's red band
    assert share(shot, (0, 0, 238), box=(300, 0, 1000, 500), tolerance=40) > 0.002  # links


def test_a_missing_cover_shows(built, tmp_path):
    # The same page with its cover gone: the red band must disappear (the test can fail).
    folder = tmp_path / "copy"
    shutil.copytree(built["pdf"].parent, folder)
    (folder / built["cover"].name).unlink()
    shot = screenshot(folder / "index.html", tmp_path / "page.png", tmp_path)
    assert share(shot, cover.BAND, box=(0, 0, 400, 500)) < 0.001


def test_the_search_finds_books_on_every_page_of_the_shelf(tmp_path):
    """The download page's search, run by the browser from a folder (file://, as a
    library's USB stick would open it): a book on the third page is found from the first,
    and a word no book has finds nothing."""
    from samizdat.outputs import listing, shelf

    from test_library import fake_books

    books = fake_books(120)
    books[105].subjects = ["Mutual aid"]
    for book in books:
        for name in book.files.values():
            (tmp_path / name).write_bytes(b"x")
    shelf.write_library_pages(books, tmp_path)
    page = (tmp_path / "index.html").as_uri()
    found = dom(f"{page}?q=mutual+AID", tmp_path)
    assert "1 found for “mutual AID”" in found
    assert '<a href="index-3.html#text-105">Text 105</a>' in found
    assert "0 found for “nothing”" in dom(f"{page}?q=nothing", tmp_path)
    assert listing.SEARCH_INDEX == "search.js"


def dom(url, tmp_path):
    """The page at `url` as the browser has it once its scripts ran."""
    done = subprocess.run([CHROMIUM or "chromium", *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--virtual-time-budget=5000", "--dump-dom", url],
                          capture_output=True, timeout=120, check=True, text=True)
    return done.stdout
