"""`make` builds every manuscript/*.md as one library; nothing changed, nothing rebuilt."""

import shutil
import subprocess

import pytest

from conftest import ROOT


# The virtual environment is this checkout's (linked): never reinstalled from the copy.
KEEP = ["-o", ".venv/.installed", "-o", ".venv/.system"]


@pytest.mark.skipif(shutil.which("make") is None, reason="no make here")
def test_make_builds_a_second_manuscript_and_then_nothing(tmp_path):
    for name in ("Makefile", "pyproject.toml", "scripts", "styles", ".venv"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "manuscript").mkdir()
    shutil.copy(ROOT / "manuscript" / "workers-power.md", tmp_path / "manuscript")
    subprocess.run([ROOT / ".venv" / "bin" / "samizdat", "new", "manuscript/second.md",
                    "--title", "Second", "--author", "A"], cwd=tmp_path, check=True)
    first = subprocess.run(["make", *KEEP, "all"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=600)
    assert first.returncode == 0, first.stderr
    built = {p.name for p in (tmp_path / "build").iterdir()}
    for stem in ("workers-power", "second"):
        assert {f"{stem}.epub", f"{stem}.pdf", f"{stem}-pamphlet-a4.pdf",
                f"{stem}-pamphlet-letter.pdf"} <= built, stem
    again = subprocess.run(["make", *KEEP, "-q", "all"], cwd=tmp_path, capture_output=True,
                           timeout=60)
    assert again.returncode == 0  # up to date: make would run nothing
    (tmp_path / "manuscript" / "picture.png").write_bytes(b"an image a text names")
    changed = subprocess.run(["make", *KEEP, "-q", "all"], cwd=tmp_path, capture_output=True,
                             timeout=60)
    assert changed.returncode == 1  # a file beside the texts changed: make would build
