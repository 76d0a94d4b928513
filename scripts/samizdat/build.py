"""build(source, out_dir): every stage into a private temp folder, every output
verified, then each renamed into `out_dir`. A failed build changes nothing there."""

import datetime
import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from . import lint, manuscript, process, shelf
from .errors import Finding, UserError, errors_in

log = logging.getLogger("samizdat")
# Creep per sheet defaults to the thickness of 80 g/m² office paper.
PAPER_THICKNESS_MM = 0.1


@dataclass(frozen=True)
class PrintOptions:
    """How the pamphlets are imposed (see impose.saddle)."""

    duplex: str = "short"
    creep_mm: float = PAPER_THICKNESS_MM
    marks: bool = False


def outputs(stem):
    """The files a build writes, by kind."""
    return {"epub": f"{stem}.epub", "pdf": f"{stem}.pdf",
            "pamphlet-a4": f"{stem}-pamphlet-a4.pdf",
            "pamphlet-letter": f"{stem}-pamphlet-letter.pdf",
            "cover": f"{stem}-cover.png", "proof": f"{stem}-pamphlet-sheet1.png",
            "printer-test": f"{stem}-printer-test.pdf",
            "printer-test-letter": f"{stem}-printer-test-letter.pdf"}


class Progress:
    """Logs "Step 2/7 – PDF (A5)…" as each stage starts."""

    def __init__(self, total):
        self.total, self.done = total, 0

    def __call__(self, what):
        self.done += 1
        log.info("Step %d/%d – %s…", self.done, self.total, what)


def check(source):
    """Load (unless given a Manuscript) and lint a manuscript; return (manuscript,
    warnings); raise UserError on errors."""
    ms = source if isinstance(source, manuscript.Manuscript) else manuscript.load(source)
    findings = lint.check(ms)
    if errors_in(findings):
        raise UserError(findings)
    return ms, findings


def source_date(ms):
    """The build's timestamp, UTC ISO 8601, the same for every build of the same text:
    SOURCE_DATE_EPOCH if set, else the manuscript's `date` (its first day).

    Nothing is asked of git: a manuscript's folder is a stranger's, and git obeys the
    folder's .git/config (a `gpg.program`, a pager, a hook can name any program)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit() and len(epoch) <= 11:
        when = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    match = lint.DATE.fullmatch(str(ms.meta.get("date", "")))
    if not match or not lint.valid_date(match[0]):
        return "1970-01-01T00:00:00Z"
    return f"{match[1]}-{match[2] or '01'}-{match[3] or '01'}T00:00:00Z"


def build(source, out_dir, *, printing=PrintOptions(), parallel=True,
          timeout=process.TIMEOUT):
    """Build, verify and install the outputs of `source` (a path or a loaded Manuscript)
    in `out_dir`, with its record and the folder's manifests (see shelf); return their
    paths.

    With `parallel`, the EPUB and the half-letter layout run beside the A5 layout (a
    library build runs whole books in parallel instead). A build that takes more than
    `timeout` seconds is stopped (X004)."""
    ms = source if isinstance(source, manuscript.Manuscript) else manuscript.load(source)
    with process.deadline(timeout, name=ms.name):
        return _build(ms, Path(out_dir), printing=printing, parallel=parallel)


def _build(ms, out_dir, *, printing, parallel):
    from concurrent.futures import ThreadPoolExecutor

    from . import printhtml

    step = Progress(5)
    step("Checking the manuscript")
    if parallel:
        process.start_lanes()
    modified = source_date(ms)
    with ThreadPoolExecutor(2) as threads:
        # pandoc runs in its own processes: start both now, import WeasyPrint meanwhile.
        parsed = threads.submit(lambda: ms.ast)
        html = threads.submit(printhtml.print_html, ms, modified=modified)
        from . import pdf  # noqa: F401 - the import is what overlaps pandoc
        parsed.result()
        _, warnings = check(ms)
        html = html.result()
    for warning in warnings:
        log.warning("%s", warning)
    # Every module the stages import, imported: the deadline may now stop the build.
    from . import cover, epub, impose, library, printer_test, verify  # noqa: F401
    process.interruptible()
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = shelf.temp_dir(out_dir)
    try:
        made = make_all(ms, tmp, step, printing, parallel=parallel, html=html,
                        modified=modified, shown=out_dir)
        files = {kind: path.name for kind, path in made.items()}
        record = shelf.Record(input_key(ms, printing),
                              library.book_of(ms, files, updated=modified))
        return shelf.install(made, out_dir, record=record)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_all(ms, tmp, step, printing=PrintOptions(), *, parallel=True, html=None,
             modified=None, shown=None):
    """Run every stage into `tmp` and verify the results; return {kind: temp path}.
    Findings name each file as it will be in folder `shown` (default: `tmp`).

    Two lanes of about equal work, each verifying what it made: the A5 PDF, A4
    pamphlet and its picture here; the half-letter PDF, Letter pamphlet, printer
    tests, cover and EPUB in a forked process (the other core), or here after the
    first with `parallel` off. A second process rather than a thread: Python work
    in a thread would hold up the A5 layout, which is the longest path."""
    from . import printhtml

    paths = {kind: tmp / name for kind, name in outputs(ms.stem).items()}
    names = {kind: str(Path(shown or tmp) / name) for kind, name in outputs(ms.stem).items()}
    names["half-letter"] = f"{names['pamphlet-letter']} (its half-letter pages)"
    modified = modified or source_date(ms)
    html = html or printhtml.print_html(ms, modified=modified)
    step("PDF (half-letter), Letter pamphlet, printer tests, cover, EPUB" +
         (" beside the rest" if parallel else ""))
    with process.Lane(_other_lane, (ms, html, tmp, paths, names, printing, modified),
                      forked=parallel) as other:
        step("PDF (A5)")
        findings = _a5_lane(ms, html, paths, names, printing, step)
        step("Verifying every output")
        findings += other.result()
    if errors_in(findings):
        raise UserError(findings)
    return paths


def _other_lane(ms, html, tmp, paths, names, printing, modified):
    from concurrent.futures import ThreadPoolExecutor

    from . import epub

    with ThreadPoolExecutor(1) as thread:
        # pandoc makes the EPUB in its own process while the half-letter layout runs.
        made_epub = thread.submit(epub.pandoc_epub, ms)
        findings = _letter_lane(ms, html, tmp, paths, names, printing)
        return findings + _epub_lane(ms, html, paths, names, modified, made_epub.result())


def _epub_lane(ms, html, paths, names, modified, made_epub=None):
    from . import cover, epub, verify

    cover_png = cover.cover(ms, paths["cover"]).read_bytes()
    epub.epub(ms, paths["epub"], modified=modified, cover=cover_png, made=made_epub)
    return verify.verify_epub(paths["epub"], ms, html=html, shown=names["epub"])


def _a5_lane(ms, html, paths, names, printing, step):
    from . import impose, library, pdf, verify

    a5 = pdf.pdf(ms, paths["pdf"], page=pdf.A5, html=html)
    step("Pamphlet (A4) and its picture")
    impose.saddle(paths["pdf"], paths["pamphlet-a4"], sheet=impose.A4, marks=printing.marks,
                  **_imposing(printing, ms))
    library.sheet_proof(paths["pamphlet-a4"], paths["proof"])
    return [*verify.verify_pdf(paths["pdf"], a5, ms, html=html, shown=names["pdf"]),
            *verify.verify_pamphlet(paths["pamphlet-a4"], paths["pdf"], sheet=impose.A4,
                                    shown=names["pamphlet-a4"], **_imposing(printing, ms))]


def _letter_lane(ms, html, tmp, paths, names, printing):
    from . import impose, pdf, printer_test, verify

    letter_pdf = tmp / "half-letter.pdf"
    letter = pdf.pdf(ms, letter_pdf, page=pdf.HALF_LETTER, html=html, tagged=False)
    impose.saddle(letter_pdf, paths["pamphlet-letter"], sheet=impose.LETTER,
                  marks=printing.marks, **_imposing(printing, ms))
    for kind, sheet in (("printer-test", impose.A4), ("printer-test-letter", impose.LETTER)):
        printer_test.printer_test(paths[kind], sheet=sheet, duplex=printing.duplex)
    return [*verify.verify_pdf(letter_pdf, letter, ms, html=html, shown=names["half-letter"]),
            *verify.verify_pamphlet(paths["pamphlet-letter"], letter_pdf, sheet=impose.LETTER,
                                    shown=names["pamphlet-letter"], **_imposing(printing, ms))]


def _imposing(printing, ms):
    return {"duplex": printing.duplex, "creep_mm": printing.creep_mm,
            "rtl": ms.direction == "rtl"}


# --- many manuscripts: a library -------------------------------------------------

def build_library(sources, out_dir, *, jobs=None, printing=PrintOptions(),
                  timeout=process.TIMEOUT):
    """Build every manuscript in `sources` into `out_dir`, in parallel, skipping those
    whose inputs are unchanged; then write one catalog.xml and index.html for all.

    Returns ({stem: Book}, [findings of the manuscripts that failed]); a failure does
    not stop or damage the others.
    """
    from concurrent.futures import ProcessPoolExecutor

    out_dir = Path(out_dir)
    sources = [Path(s) for s in sources]
    _refuse_duplicate_stems(sources)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(sources)))
    if workers == 1:
        results = [build_cached(s, out_dir, printing, len(sources) == 1, timeout)
                   for s in sources]
    else:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(build_cached, sources, [out_dir] * len(sources),
                                    [printing] * len(sources), [False] * len(sources),
                                    [timeout] * len(sources)))
    books = {book.stem: book for book, _ in results if book}
    failures = [f for _, findings in results for f in findings]
    if books:
        # Each install wrote the manifests; once more for texts found unchanged, whose
        # files an earlier run may have left out of them.
        with shelf.locked(out_dir):
            shelf.write_manifests(out_dir, shelf.shelved_books(out_dir), new={
                name: shelf.sha256(out_dir / name) for book in books.values()
                for name in book.files.values()})
        log.info("Wrote %s and %s", out_dir / "catalog.xml", out_dir / "index.html")
    return books, failures


def _refuse_duplicate_stems(sources):
    seen = {}
    for source in sources:
        if source.stem in seen:
            raise UserError(Finding("X003", str(source), None,
                                    f"same name as {seen[source.stem]}: outputs would collide"))
        seen[source.stem] = source


def build_cached(source, out_dir, printing=PrintOptions(), parallel=False,
                 timeout=process.TIMEOUT):
    """(Book, []) for one manuscript, rebuilt only if its inputs changed; (None, findings)
    if it failed. Runs in a worker process: logging goes through the parent's stderr."""
    from . import library

    quiet_libraries()
    try:
        ms = manuscript.load(source)  # unreadable: its F-code, before anything else
        cached = shelf.read_record(out_dir, source.stem)
        # The key (~40 ms) is worked out first only when there is a record to compare.
        if cached and cached["key"] == input_key(ms, printing) and shelf.intact(
                out_dir, cached["files"]):
            log.info("%s: unchanged, not rebuilt", source)
            return library.Book(**cached["book"]), []
        build(ms, out_dir, printing=printing, parallel=parallel, timeout=timeout)
        record = shelf.read_record(out_dir, source.stem)
        return library.Book(**record["book"]), []
    except UserError as error:
        return None, error.findings


def input_key(ms, printing=PrintOptions()):
    """sha256 over everything a build of manuscript `ms` reads: its text, the styles,
    Samizdat's code, the print options and the versions of the tools it drives."""
    from importlib.metadata import version

    from . import STYLES, pandoc

    digest = hashlib.sha256(ms.text.encode("utf-8"))
    roots = [Path(__file__).parent, STYLES]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and
                           "__pycache__" not in p.parts):
            digest.update(path.name.encode() + path.read_bytes())
    # Versions from the installed metadata: importing WeasyPrint here would cost 0.4 s.
    tools = " ".join(version(n) for n in ("weasyprint", "pikepdf", "pypandoc_binary", "pydyf"))
    digest.update(f"{tools} {pandoc.executable()} {printing}".encode())
    return digest.hexdigest()


class _Checked(logging.Filter):
    """WeasyPrint's messages about what the source checks already report with a line
    (an image without alt text, R009; a link to no anchor, R007)."""

    def filter(self, record):
        message = record.getMessage()
        return not (message.endswith("has no required alt description")
                    or message.startswith("No anchor #"))


def quiet_libraries():
    """Keep the libraries' own chatter (font subsetting, pikepdf's bridge, WeasyPrint's
    warnings about CSS it ignores) out of the user's terminal: problems come as findings."""
    weasyprint = logging.getLogger("weasyprint")
    weasyprint.setLevel(logging.ERROR)
    if not any(isinstance(f, _Checked) for f in weasyprint.filters):
        weasyprint.addFilter(_Checked())
    for noisy in ("fontTools", "pikepdf", "pikepdf._core"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
