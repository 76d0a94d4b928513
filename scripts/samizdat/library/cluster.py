"""A library built on a Dask cluster: `samizdat build --scheduler tcp://HOST:PORT`.

The client (this process) decides what to build as a local library build does (a text
whose record says it was built from the same inputs, with its files intact, is not
rebuilt), and sends each other text's build to the cluster as one task. No file system
is shared: a task takes the manuscript and the files it names as bytes, builds them in
a temporary folder on its worker (build.build: every stage verified there), and returns
the outputs as bytes. The client checks what it can without laying the text out again
(each file's digest as the worker sent it, the EPUB and Kobo EPUB against the
manuscript, the pamphlets against the PDF they were imposed from), then installs them
atomically into the output folder (shelf.install), with its own record: same bytes as
a local build. Dask runs a task again elsewhere when its worker dies; a text that fails
comes back as its findings, which name the client's files, never a worker's.
"""

import hashlib
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..errors import Finding, UserError
from ..outputs import shelf
from ..source import manuscript

log = logging.getLogger("samizdat")
CONNECT_TIMEOUT = 30  # seconds to reach the scheduler


def build_task(name, files, printing, timeout, shown, modified):
    """On a worker: build manuscript `name` from `files` (Manuscript.inputs) in a temporary
    folder; return {"files": {file name: bytes}, "book": Book fields, "sums": {file name:
    sha256}} or {"findings": [(code, path, line, message, severity)]}, paths as the
    client shows them (`shown`: its manuscript's path, its output folder). `modified`
    is the outputs' date as the client has it (build.source_date: SOURCE_DATE_EPOCH is
    the client's)."""
    from .. import build

    with tempfile.TemporaryDirectory(prefix="samizdat-task-") as tmp:
        source, out = Path(tmp) / "src", Path(tmp) / "out"
        for relative, data in files.items():
            path = (source / relative).resolve()
            if not path.is_relative_to(source.resolve()):  # Manuscript.inputs never has one
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        try:
            build.build(source / name, out, printing=printing, parallel=False,
                        timeout=timeout, modified=modified)
        except UserError as error:
            renamed = {str(source / name): shown[0], str(out): shown[1]}
            return {"findings": [_shown(f, renamed) for f in error.findings]}
        record = shelf.read_record(out, Path(name).stem)
        made = {n: (out / n).read_bytes() for n in record["book"]["files"].values()}
        return {"files": made, "book": record["book"],
                "sums": {n: hashlib.sha256(d).hexdigest() for n, d in made.items()}}


def _shown(finding, renamed):
    path = finding.path
    for temporary, client in renamed.items():
        path = path.replace(temporary, client)
    return (finding.code, path, finding.line, finding.message, finding.severity)


def build_library(sources, out_dir, *, scheduler, printing, timeout, catalog=None):
    """Build every manuscript of `sources` into `out_dir` on the Dask cluster whose
    scheduler is at `scheduler`; return ({stem: Book}, [findings]) as
    local.build_library does. Waits at most as long as building them one after
    another would be allowed, plus a minute."""
    from distributed import Client, as_completed

    from .. import build
    from ..outputs import listing
    from .local import finish, refuse_meeting_outputs

    out_dir = Path(out_dir)
    names = refuse_meeting_outputs([Path(s) for s in sources], printing)  # X014, as here
    shelf.records_folder(out_dir)  # a link there: refused before anything is built
    out_dir.mkdir(parents=True, exist_ok=True)
    books, failures, pending, unchanged = {}, [], {}, 0
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as error:
        raise UserError(Finding("X011", scheduler, None, f"no Dask scheduler answers there "
                                f"({' '.join(str(error).split())[:120]})")) from None
    with client, shelf.undone_on_failure(out_dir, names):
        for source in map(Path, sources):
            try:
                ms = manuscript.load(source, given=dict(printing.meta))
            except UserError as error:
                failures += error.findings
                continue
            key = shelf.input_key(ms, printing)
            cached = shelf.read_record(out_dir, ms.stem)
            if cached and cached["key"] == key and shelf.intact(out_dir, cached["files"]):
                log.info("%s: unchanged, not rebuilt", source)
                books[ms.stem] = listing.Book(**cached["book"])
                unchanged += 1
                continue
            future = client.submit(build_task, source.name, ms.inputs, printing, timeout,
                                   (str(source), str(out_dir)), build.source_date(ms),
                                   pure=False, key=f"samizdat-{ms.stem}-{key[:12]}")
            pending[future] = (ms, key)
        _gather(pending, out_dir, books, failures, as_completed, printing,
                wait=len(pending) * timeout + 60)
        finish(out_dir, books, failures, unchanged=unchanged, catalog=catalog)
    return books, failures


def _gather(pending, out_dir, books, failures, as_completed, printing, *, wait):
    """Check and install each text's outputs as its task finishes, saying how many are
    left. The checks run on every core of the client at once: most of a check's time is
    pandoc's (the print HTML), in a process of its own."""
    from concurrent.futures import ThreadPoolExecutor

    started, total, done = time.monotonic(), len(pending), []

    def check(future, ms, key):
        found = _installed(future, ms, key, out_dir, books, printing)
        done.append(ms)  # list.append is atomic: the count is right in any thread
        elapsed = time.monotonic() - started
        log.info("%s: %d of %d done, about %.0f s left", ms.name, len(done), total,
                 elapsed / len(done) * (total - len(done)))
        return found

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as checks:
        checking = []
        try:
            for future in as_completed(list(pending), timeout=wait):
                ms, key = pending.pop(future)
                checking.append(checks.submit(check, future, ms, key))
        except TimeoutError:
            pass
        for checked in checking:
            failures += checked.result()
    for future, (ms, _) in pending.items():
        future.cancel()
        failures.append(Finding("X004", ms.name, None, f"the cluster did not build it "
                                f"within {wait:g} s"))


def _installed(future, ms, key, out_dir, books, printing):
    """Install the outputs of `ms`'s finished task; return its findings."""
    from ..outputs import listing

    try:
        result = future.result()
    except Exception as error:  # noqa: BLE001 - a worker's fault, said as the text's
        return [Finding("X012", ms.name, None, "the cluster could not build it: "
                        f"{type(error).__name__}: {' '.join(str(error).split())[:160]}")]
    if "findings" in result:
        return [Finding(*fields) for fields in result["findings"]]
    tmp = shelf.temp_dir(out_dir)
    try:
        book = listing.Book(**result["book"])
        kinds = {name: kind for kind, name in book.files.items()}
        made = _received(result, tmp, ms, kinds)
        findings = _verify(made, ms, out_dir, printing, book.framed) + _digests(
            made, result["sums"], out_dir)
        if any(f.is_error for f in findings):
            return findings
        shelf.install({kinds[p.name]: p for p in made}, out_dir,
                      record=shelf.Record(key, book), manifests=False)  # finish() writes them
        books[ms.stem] = book
        return findings
    except UserError as error:
        return error.findings
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _received(result, tmp, ms, kinds):
    """The files a worker sent, written into `tmp`: each one the record names, by a
    plain file name, for this text (X012 otherwise: nothing is installed)."""
    made = []
    for name, data in result["files"].items():
        if Path(name).name != name or name not in kinds or \
                result["book"].get("stem") != ms.stem:
            raise UserError(Finding("X012", ms.name, None, f"a worker sent {name!r}, which "
                                    "is not one of this text's outputs"))
        (tmp / name).write_bytes(data)
        made.append(tmp / name)
    return made


def _digests(made, sums, out_dir):
    return [Finding("X012", str(out_dir / p.name), None, "its bytes are not those the worker "
                    "sent") for p in made if hashlib.sha256(p.read_bytes()).hexdigest()
            != sums.get(p.name)]


def _verify(made, ms, out_dir, printing, framed=()):
    """What the client can check without a layout: every e-book (editions.EBOOKS) against
    the manuscript, each imposition of the reading PDF's trim against that PDF, each
    the worker says it `framed` from that PDF against that PDF framed here, and the
    bound book (_bound)."""
    from .. import build, editions
    from ..checks import verify
    from ..outputs import impose, printhtml

    files = {p.name: p for p in made}
    html = printhtml.print_html(ms, modified=build.source_date(ms))
    findings = []
    for ebook in editions.EBOOKS:
        name = f"{ms.stem}{ebook.suffix}"
        if name in files:
            findings += getattr(verify, ebook.check)(files[name], ms, html=html,
                                                     shown=str(out_dir / name))
    choices = build.choices_of(ms, printing)
    table = editions.plan(choices)
    reading = next((e for e in table if e.reading), None)
    for edition in (e for e in table if reading and e.sheet):
        source = files[reading.file(ms.stem)]
        if edition.page != reading.page:
            if edition.kind not in framed or \
                    editions.framed_from(table, edition) != reading.page:
                continue  # laid out on its own trim: checked by the worker alone
            source = impose.frame(source, source.with_name(f"{edition.page.slug}.pdf"),
                                  page=(edition.page.width, edition.page.height))
        findings += verify.verify_pamphlet(
            files[edition.file(ms.stem)], source,
            shown=str(out_dir / edition.file(ms.stem)),
            **build.imposing(edition, ms, choices, printing))
    for edition in (e for e in table if e.bound):
        findings += _bound(edition, files, table, reading, ms, out_dir, printing)
    return findings


def _bound(edition, files, table, reading, ms, out_dir, printing):
    """The bound book's file `edition` as the client checks it: the cover wrap against
    the interior it wraps (its spine, its boxes); the interior's boxes, PDF/X and page
    count, and its text page by page against the reading PDF where both have one trim."""
    from ..checks import verify

    name = edition.file(ms.stem)
    if edition.bound == "cover":
        interior = next(e for e in table if e.bound == "interior" and e.page == edition.page)
        return verify.verify_book_cover(files[name], files[interior.file(ms.stem)],
                                        page=edition.page, paper_mm=printing.paper_mm,
                                        shown=str(out_dir / name))
    same = reading is not None and reading.page == edition.page
    return verify.verify_book_interior(files[name], files[reading.file(ms.stem)] if same
                                       else None, page=edition.page, shown=str(out_dir / name))
