"""Ace by DAISY, the field's accessibility checker, on the EPUB: no violation of any
impact. It runs where Node is present (the Makefile installs Ace into .ace/)."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import ROOT

ACE = ROOT / ".ace" / "node_modules" / ".bin" / "ace-puppeteer"
CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    not (ACE.exists() and CHROMIUM) and not (os.environ.get("CI") and shutil.which("npm")),
    reason="Ace needs Node (make installs it into .ace/) and Chromium")


def ace(epub, report):
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": CHROMIUM or "/usr/bin/chromium"}
    subprocess.run([str(ACE), "--silent", "-o", str(report), str(epub)], env=env,
                   capture_output=True, timeout=300, check=True)
    return json.loads((report / "report.json").read_text(encoding="utf-8"))


def violations(result):
    return [(a["earl:testSubject"]["url"], b["earl:test"]["earl:impact"],
             b["earl:test"]["dct:title"])
            for a in result["assertions"] for b in a.get("assertions", [])]


def test_ace_finds_no_violation(built, tmp_path):
    result = ace(built["epub"], tmp_path / "report")
    assert violations(result) == []
    assert result["earl:result"]["earl:outcome"] == "pass"


def test_ace_sees_a_violation(built, tmp_path):
    # The same EPUB with the colophon's ARIA role taken out: Ace must object.
    import zipfile

    from samizdat.outputs import epub

    with zipfile.ZipFile(built["epub"]) as archive:
        entries = {i.filename: archive.read(i) for i in archive.infolist()}
    name = next(n for n, data in entries.items() if b'role="doc-colophon"' in data)
    entries[name] = entries[name].replace(b' role="doc-colophon"', b"")
    broken = tmp_path / "broken.epub"
    broken.write_bytes(epub.pack(entries))
    assert ("epub-type-has-matching-role" in
            [title for _, _, title in violations(ace(broken, tmp_path / "report"))])
