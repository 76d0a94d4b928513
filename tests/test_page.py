"""The download page in a real browser (Debian's headless Chromium): a screenshot shows the
cover and the links."""

import os
import shutil
import subprocess

import pytest
from PIL import Image

from samizdat import cover

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
