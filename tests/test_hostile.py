"""Hostile manuscripts: folders a stranger might send, built as a library would build them.

Each folder tests/hostile/<case>/ is copied to WORLD/book/ beside a planted secret
(WORLD/secret.png, a marker image), then `samizdat build in.md --out ../out -q` runs in
it as a separate process. `golden.txt` holds the exact stderr lines and the exit
status; `SAMIZDAT_REGEN=1` rewrites them (review the diff). Every case must also:
finish within a bound, print no traceback, leave no byte of the secret and no
mention of the remote marker host in any output, and run no program of the folder's.
A case name starts with the code it shows; `valid-` cases must build.

What git cannot hold (a FIFO, a symbolic link out, a repository with its own
config) is made by SETUPS before the run; so is what a case plants in the output
folder WORLD/out (cases `x…`: the folder, not the manuscript, is hostile; `check`,
which has no folder, cannot find those).
"""

import mimetypes
import os
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pytest

from conftest import ROOT

CASES = ROOT / "tests" / "hostile"
REGEN = os.environ.get("SAMIZDAT_REGEN") == "1"
MARKER = b"SAMIZDAT-SECRET-MARKER"
REMOTE = b"samizdat-remote.invalid"
SECRET_PIXEL = b"\x13\x37\x42"
TIMEOUT = 180


def png(width=1, height=1, pixel=SECRET_PIXEL, trailer=b""):
    """A PNG of one colour (pixels of one row repeated), with `trailer` after IEND."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = (b"\x00" + pixel * width) * height
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b"") + trailer)


def _git_with_a_program(book, world):
    """A repository whose config runs a program on `git log` (a signed-looking commit,
    log.showSignature, gpg.program), here and in the parent folder."""
    program = world / "program.sh"
    program.write_text(f"#!/bin/sh\ntouch {world / 'program-ran'}\nexit 0\n")
    program.chmod(0o755)
    if not shutil.which("git"):
        return
    for repo in (book, world):
        env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(world)}
        git = ["git", "-C", str(repo), "-c", "user.name=x", "-c", "user.email=x@x"]
        subprocess.run(git[:3] + ["init", "-q"], check=True, env=env)
        subprocess.run(git + ["-c", "advice.addEmbeddedRepo=false", "add", "-A"], check=True,
                       env=env)
        tree = subprocess.run(git + ["write-tree"], check=True, env=env, capture_output=True,
                              text=True).stdout.strip()
        commit = (f"tree {tree}\nauthor x <x@x> 1000000000 +0000\ncommitter x <x@x> "
                  "1000000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n "
                  "AAAA\n -----END PGP SIGNATURE-----\n\nsigned\n")
        sha = subprocess.run(git + ["hash-object", "-t", "commit", "-w", "--stdin"],
                             input=commit, check=True, env=env, capture_output=True,
                             text=True).stdout.strip()
        subprocess.run(git + ["update-ref", "HEAD", sha], check=True, env=env)
        for key, value in (("log.showSignature", "true"), ("gpg.program", str(program)),
                           ("core.pager", str(program)), ("core.fsmonitor", str(program))):
            subprocess.run(git[:3] + ["config", key, value], check=True, env=env)


def _manuscript_linked_out(book, world):
    """in.md is a link to a manuscript outside the folder, which holds the secret."""
    private = world / "private.md"
    private.write_text((book / "in.md").read_text(encoding="utf-8")
                       + f"\n{MARKER.decode()}\n", encoding="utf-8")
    (book / "in.md").unlink()
    (book / "in.md").symlink_to(private)


def _long_comment(book, world):
    """A manuscript of 16 MB, nearly all of it one HTML comment (pandoc took 34 s and
    2.3 GB of it, the build 95 s: see text.MAX_COMMENT_BYTES)."""
    lines = ("x" * 99 + "\n") * (16 * 1024 * 1024 // 100 - 100)
    with (book / "in.md").open("a", encoding="utf-8") as text:
        text.write(f"\n<!--\n{lines}-->\n")


def _long_value(key, value):
    """A setup giving `key: value` (too large for git) in the YAML, for its line or last."""
    def setup(book, world):
        text = (book / "in.md").read_text(encoding="utf-8")
        lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line
                 for line in text.split("\n")]
        text = "\n".join(lines) if lines != text.split("\n") else text.replace(
            "\n---\n", f"\n{key}: {value}\n---\n", 1)
        (book / "in.md").write_text(text, encoding="utf-8")
    return setup


def _another_texts_file(book, world):
    """WORLD/out holds a text `in.kepub`, whose EPUB in.kepub.epub is in.md's Kobo EPUB."""
    import hashlib
    import json

    out = world / "out"
    (out / ".samizdat").mkdir(parents=True)
    (out / "in.kepub.epub").write_bytes(b"another text's")
    book_of = {"stem": "in.kepub", "title": "Another", "author": "A", "identifier": "urn:x:1",
               "updated": "2024-01-01T00:00:00Z", "files": {"epub": "in.kepub.epub"}}
    digest = hashlib.sha256(b"another text's").hexdigest()
    (out / ".samizdat" / "in.kepub.json").write_text(json.dumps(
        {"key": "k", "book": book_of, "files": {"in.kepub.epub": digest}}))


def _pipes_in_the_folder(book, world):
    """WORLD/out's SHA256SUMS, in.md's record and the catalog's state are FIFOs."""
    (world / "out" / ".samizdat").mkdir(parents=True)
    for name in ("SHA256SUMS", ".samizdat/in.json", ".samizdat/.catalog.json"):
        os.mkfifo(world / "out" / name)


SETUPS = {
    # a 5 MB description (the check took 40 s and 800 MB; the build 3 minutes, 2.8 GB)
    "m013-huge-description": _long_value("description", ">\n" + ("  " + "word " * 20 + "\n")
                                         * (5 * 1024 * 1024 // 103)),
    # a title of 100,000 letters (the cover stopped with X009: a decompression bomb)
    "m013-long-title": _long_value("title", "T" * 100_000),
    "f006-long-comment": _long_comment,
    "x014-output-of-another-text": _another_texts_file,
    "x015-pipes-in-the-folder": _pipes_in_the_folder,
    "f000-manuscript-links-out": _manuscript_linked_out,
    "valid-git-repository-with-a-program": _git_with_a_program,
    "r005-fifo-image": lambda book, world: os.mkfifo(book / "fifo.png"),
    "r002-symlink-out": lambda book, world: (book / "inside.png").symlink_to(
        world / "secret.png"),
}


def case_names():
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def plant(tmp_path, case):
    """WORLD/book/ holding the case, WORLD/secret.png beside it; return WORLD/book."""
    world = tmp_path / "world"
    book = world / "book"
    shutil.copytree(CASES / case, book, ignore=shutil.ignore_patterns("golden.txt"))
    (world / "secret.png").write_bytes(png(trailer=MARKER))
    SETUPS.get(case, lambda *_: None)(book, world)
    return book


def build(book, **env):
    """(exit status, stderr) of `samizdat build in.md --out ../out -q` run in `book`,
    audited (tests/audited.py): every file it opened must be one it may open, and its
    temporary folder (WORLD/tmp) is left empty."""
    world = book.parent
    (world / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts"), "SOURCE_DATE_EPOCH": "0",
           "TMPDIR": str(world / "tmp"), **env}
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "audited.py"),
                           str(world / "opened"), "build", "in.md", "--out", "../out", "-q"],
                          cwd=book, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert not_to_be_opened(world) == []
    assert list((world / "tmp").iterdir()) == []
    return proc.returncode, proc.stderr


def may_open(world):
    """The folders a build of WORLD/book may open files in: the text's, the output
    folder, its temporary folder, Samizdat's own files, Python's and the installed
    packages', and Samizdat's cache (glyphs)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "samizdat"
    return [world / "book", world / "out", world / "tmp", ROOT / "scripts", ROOT / "styles",
            *{Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)},
            cache.resolve()]


# What the standard library reads of the system (mimetypes' table) and the null device.
SYSTEM_FILES = {"/dev/null", *mimetypes.knownfiles}


# multiprocessing's folder, moved to /tmp where a deep TMPDIR leaves its socket's path
# no room (scratch._socket_folder).
SOCKETS = re.compile(r"/tmp/(samizdat-run-|\.samizdat-making-)[^/]+(/|$)")


def not_to_be_opened(world):
    """The files the audited build in WORLD opened that it had no business opening."""
    opened = (world / "opened").read_bytes().split(b"\0") if (world / "opened").exists() \
        else []
    roots = may_open(world)
    found = []
    for name in dict.fromkeys(os.fsdecode(n) for n in opened if n):
        if name in SYSTEM_FILES or SOCKETS.match(name):
            continue
        if not any(Path(name).is_relative_to(root) for root in roots):
            found.append(name)
    return found


def leaks(folder):
    """Output files (or entries, or PDF streams) holding the secret or naming the host."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for where, data in _contents(path):
            if MARKER in data or REMOTE in data or data == SECRET_PIXEL:
                found.append(f"{path.name}{where}")
    return found


def _contents(path):
    yield "", path.read_bytes()
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield f":{name}", archive.read(name)
    elif path.suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            for number, obj in enumerate(pdf.objects):
                if isinstance(obj, pikepdf.Stream):
                    try:
                        yield f":object {number}", obj.read_bytes()
                    except pikepdf.PdfError:  # a filter pikepdf cannot undo
                        yield f":object {number}", obj.read_raw_bytes()


@pytest.mark.parametrize("case", case_names())
def test_hostile_case(case, tmp_path):
    book = plant(tmp_path, case)
    status, stderr = build(book)
    assert "Traceback" not in stderr, stderr
    got = stderr + f"exit: {status}\n"
    golden = CASES / case / "golden.txt"
    if REGEN:
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")
    out = tmp_path / "world" / "out"
    assert leaks(out) == [] if out.exists() else True
    assert not (tmp_path / "world" / "program-ran").exists()
    built = sorted(p.name for p in out.glob("in*")) if out.exists() else []
    if case.startswith("valid-"):
        assert status == 0 and "in.epub" in built and "in.pdf" in built
    else:
        assert status != 0 or case.split("-")[0].upper() + " " in stderr


@pytest.mark.parametrize("case", case_names())
def test_refused_cases_are_refused_by_check_alone(case, tmp_path):
    """`samizdat check` finds what `build` refuses, before anything is built."""
    *lines, status = (CASES / case / "golden.txt").read_text(encoding="utf-8").splitlines()
    if status == "exit: 0" or case.startswith("x"):
        return
    book = plant(tmp_path, case)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    proc = subprocess.run([sys.executable, "-m", "samizdat", "check", "in.md"], cwd=book,
                          capture_output=True, text=True, timeout=TIMEOUT, env=env)
    codes = {line.split()[0] for line in proc.stderr.splitlines()}
    assert proc.returncode == 1 and codes == {line.split()[0] for line in lines}


def test_every_line_is_coded_and_placed():
    """Each golden line is `CODE in.md:LINE: message` (F000, F006 and X-codes need no line;
    X015 names the output folder's own file)."""
    for case in case_names():
        *lines, _ = (CASES / case / "golden.txt").read_text(encoding="utf-8").splitlines()
        for line in lines:
            assert re.match(r"[A-Z]\d{3} in\.md(:\d+)?: \S|X015 \.\./out/\S+: \S", line), \
                (case, line)
            if not line.startswith(("F000", "F006", "X")):
                assert re.match(r"[A-Z]\d{3} in\.md:\d+: ", line), (case, line)


def test_odd_image_names_reach_every_output(tmp_path):
    """`my pic.png` and `a[1].png` are valid: both images are in the EPUB and the PDF."""
    book = plant(tmp_path, "valid-odd-image-names")
    assert build(book)[0] == 0
    out = tmp_path / "world" / "out"
    with zipfile.ZipFile(out / "in.epub") as archive:
        media = {archive.read(n) for n in archive.namelist()
                 if n.startswith("EPUB/media/") and n != "EPUB/media/cover.png"}
    assert media == {(book / "my pic.png").read_bytes(), (book / "a[1].png").read_bytes()}
    with pikepdf.open(out / "in.pdf") as pdf:
        images = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream)
                  and obj.get("/Subtype") == "/Image"]
    assert len(images) == 2


@pytest.mark.parametrize("attempt", range(3))
def test_an_image_swapped_for_a_link_out_during_the_build(tmp_path, attempt):
    """While the build runs, `my pic.png` is swapped with a link to the secret and back,
    every 2 ms (tests/audited.py): whichever state the check read, the outputs hold the
    image it approved or nothing, and no file outside is ever opened (build() asserts
    it)."""
    book = plant(tmp_path, "valid-odd-image-names")
    status, stderr = build(book, SAMIZDAT_AUDIT_SWAP="my pic.png:../secret.png")
    assert "Traceback" not in stderr and "X009" not in stderr, stderr
    out = tmp_path / "world" / "out"
    assert leaks(out) == [] if out.exists() else True
    assert status == 0 or re.search(r"^R\d{3} in\.md:\d+: ", stderr, re.M), stderr


def test_the_audit_sees_a_file_opened_outside(tmp_path):
    """The audit can fail: a manuscript named outside WORLD/book is opened, and seen."""
    book = plant(tmp_path, "valid-odd-image-names")
    shutil.copy(book / "in.md", book.parent / "private.md")
    (book.parent / "tmp").mkdir()
    proc = subprocess.run([sys.executable, str(ROOT / "tests" / "audited.py"),
                           str(book.parent / "opened"), "check", "../private.md"], cwd=book,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "scripts"),
                               "TMPDIR": str(book.parent / "tmp")},
                          timeout=TIMEOUT, capture_output=True, text=True)
    assert str(book.parent / "private.md") in not_to_be_opened(book.parent), proc.stderr
