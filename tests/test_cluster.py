"""A library built on a real Dask cluster: a `dask scheduler` and two `dask worker`
processes on 127.0.0.1, started here as a user would start them."""

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT
from samizdat import build
from samizdat.library import cluster, local
from samizdat.errors import UserError

DASK = Path(sys.executable).parent / "dask"
TEXTS = ROOT / "tests" / "library"
SOURCES = [TEXTS / "a-short-letter.md", TEXTS / "mutual-aid-note.md",
           ROOT / "manuscript" / "workers-power.md"]


class Cluster:
    """A scheduler and `workers` workers of one thread each, on 127.0.0.1."""

    def __init__(self, folder, workers=2):
        folder.mkdir(parents=True, exist_ok=True)
        self.file = folder / "scheduler.json"
        self.scheduler = self._start("scheduler", "--host", "127.0.0.1", "--port", "0",
                                     "--no-dashboard", "--scheduler-file", str(self.file))
        self.workers = [self.add_worker() for _ in range(workers)]
        try:
            self.address = self._address()
            self._wait_for(workers)
        except BaseException:  # no process left behind by a cluster that did not start
            self.stop()
            raise

    def _start(self, *args):
        return subprocess.Popen([str(DASK), *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    def add_worker(self):
        return self._start("worker", "--scheduler-file", str(self.file), "--nthreads", "1",
                           "--nworkers", "1", "--no-dashboard", "--memory-limit", "0",
                           "--host", "127.0.0.1")

    def _address(self, timeout=60):
        import json

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.file.exists() and self.file.stat().st_size:
                return json.loads(self.file.read_text())["address"]
            time.sleep(0.1)
        raise TimeoutError("the scheduler did not start")

    def _wait_for(self, count):
        from distributed import Client

        with Client(self.address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(count, timeout=120)

    def busy(self, timeout=60):
        """Wait until every worker is running a task; return how many are."""
        from distributed import Client

        with Client(self.address, timeout=60, set_as_default=False) as client:
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                working = sum(1 for keys in client.processing().values() if keys)
                if working == len(self.workers):
                    return working
                time.sleep(0.05)
        return working

    def kill(self, process):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop(self):
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                self.kill(process)


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("dask"))
    yield running
    running.stop()


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(folder).iterdir()
            if p.is_file()}


def test_a_library_built_on_the_cluster_is_byte_for_byte_the_local_one(dask_cluster,
                                                                          tmp_path):
    printing = build.PrintOptions()
    books, failures = cluster.build_library(SOURCES, tmp_path / "cluster",
                                            scheduler=dask_cluster.address,
                                            printing=printing, timeout=600)
    assert failures == [] and sorted(books) == sorted(s.stem for s in SOURCES)
    _, failures = local.build_library(SOURCES, tmp_path / "local", jobs=2,
                                      printing=printing)
    assert failures == []
    assert digests(tmp_path / "cluster") == digests(tmp_path / "local")
    files = [n for n in digests(tmp_path / "cluster") if not n.startswith("catalog-")]
    # outputs; SHA256SUMS, catalog, page, search index, OpenSearch description
    assert len(files) == 3 * 10 + 5


def test_a_rerun_builds_only_what_changed(dask_cluster, tmp_path, caplog):
    sources = [tmp_path / s.name for s in SOURCES[:2]]
    for original, copy in zip(SOURCES, sources):
        copy.write_bytes(original.read_bytes())
    out = tmp_path / "out"
    run = {"scheduler": dask_cluster.address, "printing": build.PrintOptions(), "timeout": 600}
    cluster.build_library(sources, out, **run)
    before = digests(out)
    sources[1].write_text(sources[1].read_text() + "\nOne more paragraph.\n")
    caplog.clear()
    with caplog.at_level("INFO", logger="samizdat"):
        books, failures = cluster.build_library(sources, out, **run)
    assert failures == [] and len(books) == 2
    assert f"{sources[0]}: unchanged, not rebuilt" in caplog.text
    assert "1 of 1 done" in caplog.text
    after = digests(out)
    assert after[f"{sources[0].stem}.pdf"] == before[f"{sources[0].stem}.pdf"]
    assert after[f"{sources[1].stem}.pdf"] != before[f"{sources[1].stem}.pdf"]


def test_a_text_that_fails_is_reported_with_its_lines_and_the_others_built(dask_cluster,
                                                                           tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(SOURCES[0].read_text().replace("[^n]:", "[^m]:", 1), encoding="utf-8")
    good = tmp_path / SOURCES[1].name
    good.write_bytes(SOURCES[1].read_bytes())
    # the check runs on a worker: its findings name the client's file, not the worker's
    books, failures = cluster.build_library([bad, good], tmp_path / "out",
                                            scheduler=dask_cluster.address,
                                            printing=build.PrintOptions(), timeout=600)
    assert list(books) == [good.stem]
    assert {f.code for f in failures} == {"N001", "N002"}
    assert all(f.path == str(bad) and f.line for f in failures)


def test_a_worker_killed_mid_run_still_finishes_every_text(tmp_path):
    running = Cluster(tmp_path / "dask")
    try:
        result = {}
        thread = threading.Thread(target=lambda: result.update(done=cluster.build_library(
            SOURCES, tmp_path / "out", scheduler=running.address,
            printing=build.PrintOptions(), timeout=600)))
        thread.start()
        assert running.busy() == 2  # each worker is building a text: one dies mid-build
        running.kill(running.workers[0])
        thread.join(600)
        books, failures = result["done"]
        assert failures == [] and sorted(books) == sorted(s.stem for s in SOURCES)
    finally:
        running.stop()


def test_no_scheduler_there_is_said_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 3)
    with pytest.raises(UserError) as refused:
        cluster.build_library(SOURCES[:1], tmp_path, scheduler="tcp://127.0.0.1:9",
                              printing=build.PrintOptions(), timeout=60)
    assert refused.value.findings[0].code == "X011"


def test_the_command_line_builds_on_the_cluster(dask_cluster, tmp_path, capsys):
    from samizdat import cli

    source = tmp_path / SOURCES[0].name
    source.write_bytes(SOURCES[0].read_bytes())
    assert cli.main(["build", str(source), "--out", str(tmp_path / "out"),
                     "--scheduler", dask_cluster.address]) == 0
    said = capsys.readouterr().err
    assert "1 of 1 done" in said and said.splitlines()[-1].startswith("Wrote ")
    assert (tmp_path / "out" / f"{source.stem}.epub").is_file()


@pytest.mark.parametrize("name", ["../escape.pdf", "other-text.pdf"])
def test_a_worker_cannot_install_a_file_that_is_not_one_of_the_texts_outputs(tmp_path, name):
    from samizdat.source import manuscript

    class Finished:
        def result(self):
            book = {"stem": "a-short-letter", "title": "t", "author": "a", "identifier": "i",
                    "updated": "2023-01-01T00:00:00Z",
                    "files": {"pdf": "a-short-letter.pdf"}}
            return {"files": {name: b"%PDF-1.7"}, "book": book, "sums": {}}

    out = tmp_path / "out"
    out.mkdir()
    ms = manuscript.load(SOURCES[0])
    findings = cluster._installed(Finished(), ms, "key", out, {}, build.PrintOptions())
    assert [f.code for f in findings] == ["X012"]
    assert sorted(p.name for p in out.iterdir()) == [] and not (tmp_path / "escape.pdf").exists()


def test_the_client_checks_the_letter_pamphlet_framed_from_the_a5_pdf(tmp_path):
    """The worker frames the Letter pamphlet from the A5 layout and says so in the
    record: the client frames the A5 PDF it received the same way and checks the
    pamphlet against it. One bound on the other side is refused."""
    from samizdat import editions
    from samizdat.outputs import impose
    from samizdat.source import manuscript

    ms = manuscript.load(SOURCES[0])
    result = cluster.build_task(ms.path.name, ms.inputs, build.PrintOptions(), 600,
                                (str(ms.path), str(tmp_path / "out")), build.source_date(ms))
    assert result["book"]["framed"] == ["pamphlet-letter"]

    class Finished:
        def __init__(self, answer):
            self.answer = answer

        def result(self):
            return self.answer

    out = tmp_path / "out"
    out.mkdir()
    assert cluster._installed(Finished(result), ms, "key", out, {}, build.PrintOptions()) == []
    letter = f"{ms.stem}-pamphlet-letter.pdf"
    work = tmp_path / "work"
    work.mkdir()
    (work / "a5.pdf").write_bytes(result["files"][f"{ms.stem}.pdf"])
    size = editions.TRIMS["half-letter"]
    impose.frame(work / "a5.pdf", work / "hl.pdf", page=(size.width, size.height))
    impose.saddle(work / "hl.pdf", work / letter, sheet=editions.SHEETS["letter"], rtl=True)
    forged = (work / letter).read_bytes()
    result["files"][letter] = forged
    result["sums"][letter] = hashlib.sha256(forged).hexdigest()
    (tmp_path / "out2").mkdir()
    findings = cluster._installed(Finished(result), ms, "key2", tmp_path / "out2", {},
                                  build.PrintOptions())
    assert findings and {f.code[0] for f in findings} == {"I"}
    assert all(letter in f.path for f in findings)


def test_the_client_checks_every_ebook_it_installs(monkeypatch, tmp_path):
    """The e-books are one table (editions.EBOOKS): the client runs each one's check on
    the file the worker sent, as the build does; none is installed unchecked."""
    from samizdat import editions
    from samizdat.checks import verify
    from samizdat.library import cluster
    from samizdat.source import manuscript

    ms = manuscript.load(ROOT / "manuscript" / "workers-power.md")
    monkeypatch.setattr(editions, "plan", lambda choices: [])  # no print files here
    # a new kind of e-book is one entry: the client checks it with no change of its own
    monkeypatch.setattr(editions, "EBOOKS", (*editions.EBOOKS, editions.Ebook(
        "fb2", ".fb2", "application/x-fictionbook+xml", "FictionBook", "verify_fb2")))
    monkeypatch.setattr(verify, "verify_fb2", None, raising=False)
    made = []
    for ebook in editions.EBOOKS:
        (tmp_path / f"{ms.stem}{ebook.suffix}").write_bytes(b"x")
        made.append(tmp_path / f"{ms.stem}{ebook.suffix}")
    checked = []
    for ebook in editions.EBOOKS:
        monkeypatch.setattr(verify, ebook.check, lambda path, ms, html, shown:
                            checked.append(path.name) or [])
    cluster._verify(made, ms, tmp_path, build.PrintOptions(), ())
    assert sorted(checked) == sorted(p.name for p in made)


def test_the_client_checks_the_bound_book_it_installs(tmp_path):
    """The bound book's interior and cover wrap, sent by a worker, are checked by the
    client as the build checks them: a cover wrap swapped for the interior is refused
    (a wrap is one page), and a good pair passes."""
    from samizdat.source import manuscript

    ms = manuscript.load(SOURCES[0])
    printing = build.PrintOptions(given=(("outputs", "pdf,book"),))
    out = tmp_path / "out"
    build.build(ms.path, out, printing=printing)
    made = [p for p in out.iterdir() if p.name.startswith(ms.stem) and p.suffix == ".pdf"]
    assert {p.name for p in made} >= {f"{ms.stem}-book-interior.pdf", f"{ms.stem}-book-cover.pdf"}
    assert cluster._verify(made, ms, out, printing, ()) == []
    cover = out / f"{ms.stem}-book-cover.pdf"
    cover.write_bytes((out / f"{ms.stem}-book-interior.pdf").read_bytes())
    findings = cluster._verify(made, ms, out, printing, ())
    assert findings and {f.code for f in findings} >= {"B003"}
    assert all(f.path == str(cover) for f in findings)
