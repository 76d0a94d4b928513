"""The build as a whole: four verified outputs, same bytes twice, nothing changed on failure."""

import hashlib
import logging
import os
import re
import zipfile

import pytest

from conftest import MANUSCRIPT, ROOT
from samizdat import build, process
from samizdat.checks import verify
from samizdat.errors import Finding, UserError


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()
            if p.is_file()}


def test_four_outputs_named_after_the_manuscript(built):
    assert sorted(p.name for p in built.values()) == [
        "workers-power-cover-thumb.png", "workers-power-cover.png",
        "workers-power-pamphlet-a4.pdf",
        "workers-power-pamphlet-letter.pdf", "workers-power-pamphlet-sheet1.png",
        "workers-power-printer-test-letter.pdf", "workers-power-printer-test.pdf",
        "workers-power.epub", "workers-power.kepub.epub", "workers-power.pdf"]
    folder = built["pdf"].parent
    feeds = [p.name for p in folder.glob("catalog*.xml")]  # the catalog, its pages, facets
    assert "catalog.xml" in feeds and "catalog-authors.xml" in feeds
    assert sorted(p.name for p in folder.iterdir() if p.name not in feeds) == sorted(
        [p.name for p in built.values()] + [".samizdat", "SHA256SUMS", "index.html",
                                            "search.js", "opensearch.xml"])


def test_sha256sums_lists_every_output(built):
    folder = built["pdf"].parent
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    assert sorted(line.split("  ")[1] for line in lines) == sorted(p.name for p in built.values())
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest


def test_same_bytes_at_another_time_in_another_folder(tmp_path, monkeypatch):
    source = tmp_path / "copy" / "text.md"
    source.parent.mkdir()
    source.write_bytes(MANUSCRIPT.read_bytes())
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build.build(source, tmp_path / "one")
    os.utime(source, (1, 1))  # another time: the file's own time must not matter
    second = build.build(source, tmp_path / "two")
    assert digests(first["pdf"].parent) == digests(second["pdf"].parent)
    assert b"2023-11-14T22:13:20Z" in zipfile.ZipFile(first["epub"]).read("EPUB/content.opf")


def test_timestamp_comes_from_the_manuscript_without_source_date_epoch(tmp_path, monkeypatch):
    from samizdat.source import manuscript

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    source = tmp_path / "text.md"  # not in git: falls back to the YAML date
    source.write_bytes(MANUSCRIPT.read_bytes())
    assert build.source_date(manuscript.load(source)) == "2005-01-01T00:00:00Z"


def test_two_builds_give_the_same_bytes(built, tmp_path):
    again = build.build(MANUSCRIPT, tmp_path / "again")
    second = digests(again["pdf"].parent)
    first = {name: d for name, d in digests(built["pdf"].parent).items() if name in second}
    assert first == second
    outputs = [n for n in second if not n.startswith("catalog")]
    # 10 outputs, SHA256SUMS, the download page, its search index and OpenSearch description
    assert len(outputs) == 14 and "catalog.xml" in second


def test_progress_is_logged_per_stage(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="samizdat"):
        build.build(MANUSCRIPT, tmp_path)
    steps = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Step ")]
    assert steps[0] == "Step 1/5 – Checking the manuscript…"
    assert steps[2] == "Step 3/5 – PDF (A5)…" and len(steps) == 5


# In a parallel build only the A5 lane runs in this process (where the patch is).
@pytest.mark.parametrize("check, parallel", [("verify_epub", False), ("verify_pdf", True)])
def test_a_failed_verification_changes_nothing(built, tmp_path, monkeypatch, check,
                                               parallel):
    out = tmp_path / "out"
    out.mkdir()
    for path in built.values():
        (out / path.name).write_bytes(path.read_bytes())
    before = digests(out)
    bad = Finding("E003", "x.epub", None, "note 1 is not linked from its call and back")
    monkeypatch.setattr(verify, check, lambda *a, **k: [bad])
    with pytest.raises(UserError) as error:
        build.build(MANUSCRIPT, out, parallel=parallel)
    assert set(error.value.findings) == {bad}  # (the kepub's check reads its EPUB too)
    assert digests(out) == before  # same files, same bytes, no temp folder left


def test_a_bad_manuscript_stops_before_any_stage(tmp_path):
    source = tmp_path / "bad.md"
    source.write_text("---\ntitle: T\n---\n\nText.[^1]\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(UserError) as error:
        build.build(source, out)
    codes = {f.code for f in error.value.findings}
    assert {"M001", "N001"} <= codes
    assert not out.exists() or list(out.iterdir()) == []


def test_lanes_fork_only_while_pango_has_not_run(real):
    from samizdat.outputs import pdf

    pdf.layout(pdf.print_html(real), ms=real, page=pdf.A5)  # Pango has now run here
    assert process.lanes().get_start_method() == "forkserver"


def test_a_fresh_process_builds_with_a_forked_lane(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from conftest import ROOT

    source = ROOT / "tests" / "library" / "mutual-aid-note.md"
    probe = ("import sys; from samizdat import build, process, weasy; "
             "assert not weasy.pango_ran() and process.lanes().get_start_method() == 'fork'; "
             f"build.build({str(source)!r}, {str(tmp_path)!r})")
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=300,
                   cwd=ROOT, env={"PYTHONPATH": str(ROOT / "scripts"), "PATH": "/usr/bin:/bin"})
    assert (tmp_path / "mutual-aid-note-pamphlet-letter.pdf").exists()
    assert Path(tmp_path / "mutual-aid-note.pdf").stat().st_size > 0


def fresh_cli(tmp_path, patch, *argv):
    """(exit status, stderr) of `samizdat build` run by cli.main in a fresh process (so
    the second lane is a fork, and sees `patch`: Python run first)."""
    import subprocess
    import sys

    from conftest import ROOT

    source = ROOT / "tests" / "library" / "mutual-aid-note.md"
    probe = (f"import sys, errno; {patch}; from samizdat import cli; "
             f"sys.exit(cli.main(['build', {str(source)!r}, '--out', {str(tmp_path)!r}, "
             f"'-q', *{list(argv)!r}]))")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env={"PYTHONPATH": str(ROOT / "scripts"),
                                                      "PATH": "/usr/bin:/bin",
                                                      "SAMIZDAT_DEBUG": str(DEBUG)})
    return proc.returncode, proc.stderr


DEBUG = "/tmp/samizdat-test-debug.txt"


def test_a_full_disk_in_the_second_lane_is_one_coded_line(tmp_path):
    patch = ("from samizdat.outputs import epub; "
             "epub.epub = lambda *a, **k: (_ for _ in ()).throw("
             "OSError(errno.ENOSPC, 'No space left on device'))")
    status, stderr = fresh_cli(tmp_path / "out", patch)
    assert (status, stderr) == (1, f"X002 {tmp_path / 'out'}: the output folder cannot be "
                                   "written: No space left on device\n")
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


def test_a_fault_of_samizdat_is_one_line_and_its_details_go_to_a_file(tmp_path):
    patch = ("import os; os.environ['SAMIZDAT_DEBUG'] = " + repr(str(tmp_path / "debug.txt"))
             + "; from samizdat.outputs import cover; "
             "cover.cover = lambda *a, **k: 1 / 0")
    status, stderr = fresh_cli(tmp_path / "out", patch)
    assert status == 70 and stderr.startswith("X009 samizdat: internal error (")
    assert len(stderr.splitlines()) == 1 and "Traceback" not in stderr
    assert "ZeroDivisionError" in (tmp_path / "debug.txt").read_text()


def test_a_build_past_its_time_is_stopped_and_changes_nothing(tmp_path):
    slow = ("import time; from samizdat.outputs import pdf; layout = pdf.layout; "
            "pdf.layout = lambda *a, **k: (time.sleep(3), layout(*a, **k))[1]")
    status, stderr = fresh_cli(tmp_path / "out", slow, "--timeout", "1")
    assert status == 1 and stderr.startswith("X004 ") and "longer than 1 s" in stderr, stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == []


MINIMAL = ("---\ntitle: A Minimal Text\nauthor: Some One\ndate: 2024\nlang: en\n"
           "rights: Anti-Copyright\n---\n\nOne paragraph.\n")


def test_a_minimal_manuscript_builds_the_same_bytes_twice_and_says_so_once(tmp_path, caplog):
    """No identifier: one is derived from title, author, date and lang, the same in every
    build (the OPF, the PDF's ID, the catalog); the build warns once."""
    source = tmp_path / "minimal.md"
    source.write_text(MINIMAL, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="samizdat"):
        first = digests(build.build(source, tmp_path / "one")["epub"].parent)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    second = digests(build.build(source, tmp_path / "two")["epub"].parent)
    assert first == second
    assert len(warnings) == 1 and warnings[0].startswith("M004 ")
    ident = re.search(r"derives (urn:uuid:[0-9a-f-]{36})", warnings[0])[1]
    with zipfile.ZipFile(tmp_path / "one" / "minimal.epub") as archive:
        assert ident.encode() in archive.read("EPUB/content.opf")
    assert ident in (tmp_path / "one" / "catalog.xml").read_text(encoding="utf-8")


def test_the_derived_identifier_follows_the_facts_not_the_body(tmp_path):
    from samizdat.source import manuscript

    def identifier(text):
        source = tmp_path / "m.md"
        source.write_text(text, encoding="utf-8")
        return manuscript.load(source).identifier
    same = identifier(MINIMAL)
    assert identifier(MINIMAL.replace("One paragraph.", "One corrected paragraph.")) == same
    assert identifier(MINIMAL.replace("title: A Minimal Text", "title: Another")) != same


def test_a_text_with_images_gives_the_same_pdf_wherever_its_folder_is(tmp_path):
    """WeasyPrint names an image in the PDF after its URL: the text's files are served
    from one fixed place (pdf.TEXT_FOLDER), not its folder's path on this machine (a
    text with an image gave other bytes in another folder)."""
    import shutil

    import pikepdf

    from samizdat.outputs import pdf
    from samizdat.source import manuscript

    made = []
    for where in ("a", "somewhere/much/deeper"):
        folder = tmp_path / where / "book"
        shutil.copytree(ROOT / "tests" / "hostile" / "valid-odd-image-names", folder)
        made.append(tmp_path / f"{len(made)}.pdf")
        pdf.pdf(manuscript.load(folder / "in.md"), made[-1])
    with pikepdf.open(made[0]) as document:
        assert [o for o in document.objects if isinstance(o, pikepdf.Stream)
                and o.get("/Subtype") == "/Image"]
    assert made[0].read_bytes() == made[1].read_bytes()
