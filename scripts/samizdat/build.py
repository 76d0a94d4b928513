"""build(source, out_dir): every stage into a private temp folder, every output
verified, then each renamed into `out_dir`. A failed build changes nothing there."""

import datetime
import hashlib
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import editions, lint, manuscript, process, shelf
from .errors import Finding, UserError, errors_in

log = logging.getLogger("samizdat")
# Creep per sheet defaults to the thickness of 80 g/m² office paper.
PAPER_THICKNESS_MM = 0.1


@dataclass(frozen=True)
class PrintOptions:
    """How the pamphlets are imposed (see impose.saddle), and the choices given on the
    command line: (key, text) pairs of editions.READERS, which win over the YAML's."""

    duplex: str = "short"
    creep_mm: float = PAPER_THICKNESS_MM
    marks: bool = False
    given: tuple = ()


def choices_of(ms, printing=PrintOptions()):
    """The editions.Choices of a build of `ms`: the command line's, else the YAML's."""
    try:
        choices = editions.Choices.of(ms.meta, dict(printing.given))
        editions.plan(choices)
    except editions.ChoiceError as error:
        line = lint.key_line(ms, error.key) if error.key in ms.meta else None
        raise UserError(Finding("M008", ms.name, line, str(error))) from None
    return choices


def outputs(stem, choices=editions.Choices()):
    """The files a build with `choices` writes, {kind: file name}: the EPUB and its Kobo
    edition, each edition
    of editions.plan, the cover, and with pamphlets a picture of the first one's first
    sheet and a printer test for each sheet."""
    table = editions.plan(choices)
    files = {"epub": f"{stem}.epub", "kepub": f"{stem}.kepub.epub"} \
        if "epub" in choices.outputs else {}
    files.update({edition.kind: edition.file(stem) for edition in table})
    files["cover"] = f"{stem}-cover.png"
    sheets = list(dict.fromkeys(e.sheet for e in table if e.sheet))
    if sheets:
        files["proof"] = f"{stem}-pamphlet-sheet1.png"
    for sheet in sheets:
        kind, suffix = editions.printer_test(sheet)
        files[kind] = f"{stem}{suffix}"
    return files


class Progress:
    """Logs "Step 2/5 – PDF (A5)…" as each stage starts, and with `finish()` how long
    each took."""

    def __init__(self, total):
        self.total, self.steps = total, []

    def __call__(self, what):
        self.steps.append((what, time.monotonic()))
        log.info("Step %d/%d – %s…", len(self.steps), self.total, what)

    def finish(self, name):
        """Log the time of each step of the build of `name` and of the whole."""
        now = time.monotonic()
        ends = [start for _, start in self.steps[1:]] + [now]
        times = ", ".join(f"{n} {end - start:.1f} s" for n, ((_, start), end)
                          in enumerate(zip(self.steps, ends), 1))
        log.info("Built %s in %.1f s (step %s)", name, now - self.steps[0][1], times)


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

    try:
        pamphlets = any(e.sheet for e in editions.plan(choices_of(ms, printing)))
    except UserError:  # said by the check (the YAML's choices) or by make_all
        pamphlets = True
    step = Progress(4 + pamphlets)
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
        step.finish(ms.name)
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

    Two lanes of about equal work, each verifying what it made: the reading PDF and
    the pamphlets of its trim here (lane 0 of editions.plan); the other editions,
    printer tests, cover and EPUB in a forked process (the other core), or here after
    the first with `parallel` off. A second process rather than a thread: Python work
    in a thread would hold up the reading PDF's layout, which is the longest path."""
    from . import printhtml

    choices = choices_of(ms, printing)
    table = editions.plan(choices)
    files = outputs(ms.stem, choices)
    paths = {kind: tmp / name for kind, name in files.items()}
    names = {kind: str(Path(shown or tmp) / name) for kind, name in files.items()}
    modified = modified or source_date(ms)
    html = html or printhtml.print_html(ms, modified=modified)
    work = _Work(ms, html, tmp, paths, names, printing, choices, table)
    beside = [e.page.name for e in table if e.lane == 1 and e.sheet]
    step(", ".join([f"PDF ({p})" for p in beside] + ["printer tests, cover"] +
                   (["EPUB"] if "epub" in files else [])) + (" beside the rest" if parallel else ""))
    with process.Lane(_other_lane, (work, modified), forked=parallel) as other:
        step(f"PDF ({table[0].page.name})" if table else "Cover")
        findings = _print_lane(work, 0, step)
        step("Verifying every output")
        findings += other.result()
    if errors_in(findings):
        raise UserError(findings)
    return paths


@dataclass(frozen=True)
class _Work:
    """What every lane of one build works from."""

    ms: manuscript.Manuscript
    html: str
    tmp: Path
    paths: dict
    names: dict
    printing: PrintOptions
    choices: editions.Choices
    table: list

    @property
    def imposing(self):
        return {"duplex": self.printing.duplex, "creep_mm": self.printing.creep_mm,
                "rtl": self.ms.direction == "rtl"}


def _other_lane(work, modified):
    from concurrent.futures import ThreadPoolExecutor

    from . import epub, printer_test

    with ThreadPoolExecutor(1) as thread:
        # pandoc makes the EPUB in its own process while the other layouts run.
        made_epub = thread.submit(epub.pandoc_epub, work.ms) if "epub" in work.paths else None
        findings = _print_lane(work, 1)
        for sheet in dict.fromkeys(e.sheet for e in work.table if e.sheet):
            kind, _ = editions.printer_test(sheet)
            printer_test.printer_test(work.paths[kind], sheet=sheet,
                                      duplex=work.printing.duplex)
        return findings + _epub_lane(work, modified, made_epub and made_epub.result())


def _epub_lane(work, modified, made_epub=None):
    from . import cover, epub, verify

    cover_png = cover.cover(work.ms, work.paths["cover"]).read_bytes()
    if "epub" not in work.paths:
        return []
    from . import kepub

    epub.epub(work.ms, work.paths["epub"], modified=modified, cover=cover_png, made=made_epub)
    kepub.kepub(work.paths["epub"], work.paths["kepub"])
    return [*verify.verify_epub(work.paths["epub"], work.ms, html=work.html,
                                shown=work.names["epub"]),
            *verify.verify_kepub(work.paths["kepub"], work.ms, html=work.html,
                                 shown=work.names["kepub"])]


def _print_lane(work, lane, step=None):
    """Lay out, impose and verify the editions of `lane`; return the findings. A
    pamphlet is imposed from the layout of its trim: the reading PDF's if it has that
    trim, else an untagged layout made for it (named in findings by the pamphlet)."""
    from . import impose, library, pdf, verify

    findings, layouts = [], {}
    for edition in (e for e in work.table if e.lane == lane):
        if edition.page not in layouts:
            reading = edition.sheet is None
            path = work.paths[edition.kind] if reading else work.tmp / f"{edition.page.slug}.pdf"
            shown = work.names[edition.kind] if reading else \
                f"{work.names[edition.kind]} (its {edition.page.name} pages)"
            document = pdf.pdf(work.ms, path, page=edition.page, html=work.html,
                               css=work.choices.css, tagged=edition.tagged)
            findings += verify.verify_pdf(path, document, work.ms, html=work.html, shown=shown)
            layouts[edition.page] = path
        if edition.sheet is None:
            continue
        if step:
            step(f"Pamphlet ({edition.sheet.name}) and its picture")
            step = None  # the steps are counted: one for the lane's pamphlets
        impose.saddle(layouts[edition.page], work.paths[edition.kind], sheet=edition.sheet,
                      marks=work.printing.marks, **work.imposing)
        if lane == 0 and not work.paths["proof"].exists():
            library.sheet_proof(work.paths[edition.kind], work.paths["proof"])
        findings += verify.verify_pamphlet(
            work.paths[edition.kind], layouts[edition.page], sheet=edition.sheet,
            shown=work.names[edition.kind], **work.imposing)
    return findings


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
