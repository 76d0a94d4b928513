"""The output folder stays true to itself: a build killed at any moment leaves manifests
that describe the files beside them, and the next build removes what it left."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from html.parser import HTMLParser

from lxml import etree

from conftest import ROOT
from samizdat.library import local
from samizdat.outputs import listing, shelf

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
        for href in feed.xpath("//a:link/@href", namespaces={"a": listing.ATOM}):
            if not (out / href.split("#")[0]).is_file():  # the download page, at the book
                wrong.append(f"catalog.xml: {href}")
    if (out / "index.html").exists():
        page = _Links()
        page.feed((out / "index.html").read_text(encoding="utf-8"))
        for href in page.links:
            if not (out / href).is_file():
                wrong.append(f"index.html: {href}")
        for href, size in page.sizes.items():
            if (out / href).is_file() and listing._size(out / href) != size:
                wrong.append(f"index.html: size of {href}")
    return wrong


INSTALL = """
import json, os, shutil, signal, sys
from pathlib import Path
from samizdat import build
from samizdat.library import local
from samizdat.outputs import listing, shelf
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
shelf.install(made, out, record=shelf.Record(record["key"], listing.Book(**record["book"])))
print(count[0])
"""


def test_a_kill_at_each_step_of_an_install_leaves_the_folder_consistent(tmp_path):
    """Killed after each rename an install makes (its outputs, records and manifests,
    one by one), the folder's manifests describe its files; the next build cleans up."""
    from samizdat import build

    text = tmp_path / "a-short-letter.md"
    shutil.copy(TEXTS / text.name, text)
    old, new = tmp_path / "old", tmp_path / "new"
    local.build_library([text, TEXTS / "mutual-aid-note.md"], old, jobs=1)
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
    local.build_library([text, TEXTS / "mutual-aid-note.md"], out, jobs=1)
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


# --- the folder's own files, made hostile ----------------------------------------

def _build(text, out, *extra):
    """(exit status, stderr) of `samizdat build text --out out -q`, bounded in time."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    proc = subprocess.run([sys.executable, "-m", "samizdat", "build", str(text), "--out",
                           str(out), "-q", *extra], env=env, capture_output=True, text=True,
                          timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stderr


def _built_once(tmp_path):
    """A text built into `out`, then changed (so the next build rebuilds it)."""
    text = tmp_path / "a-short-letter.md"
    shutil.copy(TEXTS / text.name, text)
    out = tmp_path / "out"
    assert _build(text, out)[0] == 0
    text.write_text(text.read_text(encoding="utf-8") + "\nOne more.\n", encoding="utf-8")
    return text, out


def test_pipes_in_place_of_the_folders_files_do_not_hang_the_build(tmp_path):
    """A FIFO as SHA256SUMS, as a record or as the catalog state: read as absent, with a
    warning (X015), and replaced; the build ends (it waited for a writer forever)."""
    text, out = _built_once(tmp_path)
    for name in ("SHA256SUMS", ".samizdat/a-short-letter.json", ".samizdat/.catalog.json"):
        (out / name).unlink(missing_ok=True)
        os.mkfifo(out / name)
    status, stderr = _build(text, out)
    assert status == 0 and stderr.count("X015 ") == 3, stderr
    assert inconsistencies(out) == [] and (out / "SHA256SUMS").is_file()
    assert sorted(shelf.shelved_books(out)) == ["a-short-letter"]


def test_sums_linked_to_an_endless_file_are_not_read(tmp_path):
    """SHA256SUMS as a link to /dev/zero (4 GB read in 9 s, then more): not followed."""
    text, out = _built_once(tmp_path)
    (out / "SHA256SUMS").unlink()
    (out / "SHA256SUMS").symlink_to("/dev/zero")
    status, stderr = _build(text, out)
    assert status == 0 and "X015 " in stderr, stderr
    assert not (out / "SHA256SUMS").is_symlink() and inconsistencies(out) == []


def test_sums_lines_that_are_not_sums_are_dropped(tmp_path):
    """Lines of SHA256SUMS naming files outside the folder or not digests are left out."""
    text, out = _built_once(tmp_path)
    sums = out / "SHA256SUMS"
    sums.write_text(sums.read_text() + f"{'0' * 64}  ../secret\nnot a line\n")
    (tmp_path / "secret").write_text("x")
    assert _build(text, out)[0] == 0
    assert "secret" not in sums.read_text() and "not a line" not in sums.read_text()


def test_links_in_place_of_the_lock_or_the_records_folder_are_refused(tmp_path):
    """A link in place of the lock file or of `.samizdat/` would have the build write
    where it points: refused (X002), nothing written there."""
    text, out = _built_once(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / shelf.RECORDS / "lock").unlink()
    (out / shelf.RECORDS / "lock").symlink_to(elsewhere / "lock")
    status, stderr = _build(text, out)
    assert status == 1 and stderr.startswith("X002 ") and "lock" in stderr, stderr
    assert list(elsewhere.iterdir()) == []
    (out / shelf.RECORDS / "lock").unlink()
    shutil.move(out / shelf.RECORDS, elsewhere / "records")
    (out / shelf.RECORDS).symlink_to(elsewhere / "records")
    before = sorted(p.name for p in (elsewhere / "records").iterdir())
    status, stderr = _build(text, out)
    assert status == 1 and stderr.startswith("X002 ") and shelf.RECORDS in stderr, stderr
    assert sorted(p.name for p in (elsewhere / "records").iterdir()) == before


def test_a_record_that_is_not_one_is_ignored(tmp_path):
    """A record naming a file outside the folder, or with a title the catalog cannot
    hold, is treated as absent (X015): its text is not on the shelf, the build works."""
    text, out = _built_once(tmp_path)
    record = out / shelf.RECORDS / "a-short-letter.json"
    good = json.loads(record.read_text())
    for poison in ({"files": {"../../secret": "0" * 64}}, {"book": {**good["book"],
                    "title": "bad\x01"}}, {"book": {**good["book"], "stem": 3}}):
        record.write_text(json.dumps({**good, **poison}))
        assert shelf.read_record(out, "a-short-letter") is None
        assert shelf.shelved_books(out) == {}
    assert _build(text, out)[0] == 0
    assert sorted(shelf.shelved_books(out)) == ["a-short-letter"]
