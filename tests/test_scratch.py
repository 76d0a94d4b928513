"""A build owns its temporary files (scratch): every way out leaves the temporary folder
as it found it, and the next build removes what a killed one left."""

import os
import signal
import subprocess
import sys
import time

from conftest import ROOT

TEXT = """---
title: Text {n}
author: A Writer
date: 2024
lang: en
rights: Anti-Copyright
---

A short text, number {n}, with one note.[^1]

[^1]: The note.
"""


def _run(args, tmpdir, cwd, timeout=600):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts"), "TMPDIR": str(tmpdir)}
    return subprocess.run([sys.executable, "-m", "samizdat", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def _texts(folder, count):
    folder.mkdir()
    for n in range(count):
        (folder / f"text-{n}.md").write_text(TEXT.format(n=n), encoding="utf-8")
    return sorted(str(p) for p in folder.iterdir())


def test_a_library_of_twenty_texts_leaves_nothing_in_the_temporary_folder(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    sources = _texts(tmp_path / "texts", 20)
    proc = _run(["build", *sources, "--out", str(tmp_path / "out"), "-q"], tmpdir, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(list((tmp_path / "out").glob("*.pdf"))) == 20 * 5
    assert list(tmpdir.iterdir()) == []


def test_a_refusal_and_a_timeout_leave_nothing(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    _texts(tmp_path / "texts", 1)
    broken = tmp_path / "texts" / "broken.md"
    broken.write_text(TEXT.format(n=1).replace("[^1]:", "[^2]:"), encoding="utf-8")
    refused = _run(["build", str(broken), "--out", str(tmp_path / "out")], tmpdir, tmp_path)
    assert refused.returncode == 1 and "N001" in refused.stderr
    assert list(tmpdir.iterdir()) == []
    long = tmp_path / "texts" / "long.md"  # laid out for longer than a second, even here
    long.write_text(TEXT.format(n=2).split("A short text")[0] + "".join(
        f"Paragraph {n} of a long text.[^n{n}]\n\n[^n{n}]: Its note.\n\n" for n in range(600)),
        encoding="utf-8")
    stopped = _run(["build", str(long), "--out", str(tmp_path / "out"), "--timeout", "1"],
                   tmpdir, tmp_path)
    assert stopped.returncode == 1 and "X004" in stopped.stderr
    assert list(tmpdir.iterdir()) == []


def test_the_next_build_removes_what_a_killed_one_left(tmp_path):
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    [source] = _texts(tmp_path / "texts", 1)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts"), "TMPDIR": str(tmpdir)}
    killed = subprocess.Popen([sys.executable, "-m", "samizdat", "build", source, "--out",
                               str(tmp_path / "out")], env=env, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):  # until WeasyPrint has made its fonts' folder, at most 30 s
        if list(tmpdir.glob("samizdat-run-*/weasyprint-*")):
            break
        time.sleep(0.1)
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait(10)
    assert list(tmpdir.glob("samizdat-run-*/weasyprint-*"))  # left behind
    checked = _run(["check", source], tmpdir, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert list(tmpdir.iterdir()) == []


def test_a_running_builds_folder_is_not_swept(tmp_path, monkeypatch):
    import tempfile

    from samizdat import scratch

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(scratch, "_owned", {})
    folder = scratch.own()
    try:
        scratch.sweep(tmp_path)
        assert folder.is_dir() and folder.parent == tmp_path
        assert os.environ["TMPDIR"] == str(folder) and tempfile.gettempdir() == str(folder)
    finally:
        scratch.release()
    assert list(tmp_path.iterdir()) == [] and tempfile.gettempdir() == str(tmp_path)
