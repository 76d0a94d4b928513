"""The output folder stays true to itself: a build killed at any moment leaves manifests
that describe the files beside them, and the next build removes what it left."""

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
from html.parser import HTMLParser

from lxml import etree

from conftest import ROOT
from samizdat import library, shelf, shelving

TEXTS = ROOT / "tests" / "library"


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.sizes, self._last = [], {}, None

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if href and not href.startswith(("http", "#")):
            self.links.append(href)
            self._last = href

    def handle_data(self, data):
        size = re.fullmatch(r"\s*\((\d+(?:\.\d)? [KM]B)\)\s*–?\s*", data)
        if size and self._last:
            self.sizes[self._last] = size[1]


def inconsistencies(out):
    """What the manifests in `out` say that the files beside them do not."""
    wrong = []
    sums = out / "SHA256SUMS"
    for line in sums.read_text().splitlines() if sums.exists() else []:
        digest, name = line.split("  ", 1)
        path = out / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            wrong.append(f"SHA256SUMS: {name}")
    if (out / "catalog.xml").exists():
        feed = etree.parse(str(out / "catalog.xml"))
        for href in feed.xpath("//a:link/@href", namespaces={"a": library.ATOM}):
            if not (out / href.split("#")[0]).is_file():  # the download page, at the book
                wrong.append(f"catalog.xml: {href}")
    if (out / "index.html").exists():
        page = _Links()
        page.feed((out / "index.html").read_text(encoding="utf-8"))
        for href in page.links:
            if not (out / href).is_file():
                wrong.append(f"index.html: {href}")
        for href, size in page.sizes.items():
            if (out / href).is_file() and library._size(out / href) != size:
                wrong.append(f"index.html: size of {href}")
    return wrong


INSTALL = """
import json, os, shutil, signal, sys
from pathlib import Path
from samizdat import build, library, shelf, shelving
out, new, stem, kill_at = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
replace, count = os.replace, [0]
def replace_then_die(*args):
    replace(*args)
    count[0] += 1
    if count[0] == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace_then_die
record = shelf.read_record(new, stem)
tmp = shelf.temp_dir(out)
made = {}
for kind, name in record["book"]["files"].items():
    shutil.copy(new / name, tmp / name)
    made[kind] = tmp / name
shelf.install(made, out, record=shelf.Record(record["key"], library.Book(**record["book"])))
print(count[0])
"""


def test_a_kill_at_each_step_of_an_install_leaves_the_folder_consistent(tmp_path):
    """Killed after each rename an install makes (its outputs, records and manifests,
    one by one), the folder's manifests describe its files; the next build cleans up."""
    from samizdat import build

    text = tmp_path / "a-short-letter.md"
    shutil.copy(TEXTS / text.name, text)
    old, new = tmp_path / "old", tmp_path / "new"
    shelving.build_library([text, TEXTS / "mutual-aid-note.md"], old, jobs=1)
    text.write_text(text.read_text(encoding="utf-8") + "\nOne more paragraph.\n",
                    encoding="utf-8")
    build.build(text, new)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    def install(out, kill_at):
        return subprocess.run([sys.executable, "-c", INSTALL, str(out), str(new),
                               "a-short-letter", str(kill_at)], env=env, capture_output=True,
                              text=True, timeout=120)
    whole = tmp_path / "whole"
    shutil.copytree(old, whole)
    steps = int(install(whole, 0).stdout)
    assert steps >= 11 and inconsistencies(whole) == []
    for kill_at in range(1, steps):
        out = tmp_path / f"killed-{kill_at}"
        shutil.copytree(old, out)
        assert install(out, kill_at).returncode == -signal.SIGKILL
        assert inconsistencies(out) == [], f"killed after rename {kill_at}"
    shelving.build_library([text, TEXTS / "mutual-aid-note.md"], out, jobs=1)
    assert inconsistencies(out) == []
    left = [p.name for p in [*out.iterdir(), *(out / shelf.RECORDS).iterdir()]
            if p.name.startswith(shelf.TEMP)]
    assert left == [] and sorted(shelf.shelved_books(out)) == ["a-short-letter",
                                                               "mutual-aid-note"]


def test_temp_files_of_a_running_build_are_kept(tmp_path):
    mine = tmp_path / f"{shelf.TEMP}{os.getpid()}-x"
    gone = tmp_path / f"{shelf.TEMP}999999999-x"
    for path in (mine, gone):
        path.mkdir()
    shelf.clean_stale(tmp_path)
    assert mine.exists() and not gone.exists()
