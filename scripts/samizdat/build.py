"""build(source, out_dir): every stage into a private temp folder, every output
verified, then each renamed into `out_dir`. A failed build changes nothing there."""

import datetime
import importlib
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from . import editions, process, scratch
from .checks import lint
from .errors import Finding, UserError, errors_in
from .outputs import shelf
from .source import manuscript, metadata

log = logging.getLogger("samizdat")
# Creep per sheet defaults to the thickness of 80 g/m² office paper.
PAPER_THICKNESS_MM = 0.1


@dataclass(frozen=True)
class PrintOptions:
    """How the pamphlets are imposed (see impose.saddle; `duplex` None is each scheme's
    own edge), and the choices given on the command line: (key, text) pairs of
    editions.READERS, which win over the YAML's."""

    duplex: str | None = None
    creep_mm: float = PAPER_THICKNESS_MM
    # the bound book's paper: its spine is one thickness per leaf (book.spine_mm)
    paper_mm: float = PAPER_THICKNESS_MM
    marks: bool = False
    given: tuple = ()
    # (key, value) of metadata from the command line (rights, publisher) for what a
    # Muse header does not say; a Markdown manuscript's YAML says it all itself
    meta: tuple = ()


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
    edition, each edition of editions.plan, the cover and its thumbnail (for catalogs),
    and with impositions a picture
    of the first one's first sheet and a printer test for each sheet."""
    table = editions.plan(choices)
    files = {e.kind: f"{stem}{e.suffix}" for e in editions.EBOOKS} \
        if "epub" in choices.outputs else {}
    files.update({edition.kind: edition.file(stem) for edition in table})
    files["cover"] = f"{stem}-cover.png"
    files["thumbnail"] = f"{stem}-cover-thumb.png"
    if _sheets(table):
        files["proof"] = f"{stem}-pamphlet-sheet1.png"
    for sheet in _sheets(table):
        kind, suffix = editions.printer_test(sheet)
        files[kind] = f"{stem}{suffix}"
    return files


def purposes(choices=editions.Choices()):
    """What each printed file of a build with `choices` is for, {kind: text}, in the
    table's order: the library page and the catalog say it."""
    from .outputs import listing

    table = editions.plan(choices)
    about = {edition.kind: edition.about for edition in table}
    for sheet in _sheets(table):
        about[editions.printer_test(sheet)[0]] = listing.PRINTER_TEST.format(sheet=sheet.name)
    return about


def _sheets(table):
    return list(dict.fromkeys(e.sheet for e in table if e.sheet))


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


def check(source, *, given=None):
    """Load (unless given a Manuscript) and lint a manuscript; return (manuscript,
    warnings); raise UserError on errors. `given`: see manuscript.load."""
    ms = source if isinstance(source, manuscript.Manuscript) else \
        manuscript.load(source, given=given)
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
    match = metadata.DATE.fullmatch(ms.date)
    if not match or not metadata.valid_date(match[0]):
        return "1970-01-01T00:00:00Z"
    return f"{match[1]}-{match[2] or '01'}-{match[3] or '01'}T00:00:00Z"


def build(source, out_dir, *, printing=PrintOptions(), parallel=True,
          timeout=process.TIMEOUT, modified=None, manifests=True):
    """Build, verify and install the outputs of `source` (a path or a loaded Manuscript)
    in `out_dir`, with its record and the folder's manifests (see shelf); return their
    paths.

    With `parallel`, the EPUB, cover and printer tests (and the layout of a trim not
    framed from the A5 one, see editions.framed_from) run beside the A5 layout (a
    library build runs whole books in parallel instead). A build that takes more than
    `timeout` seconds is stopped (X004). `modified` (ISO 8601) is the outputs' date,
    by default source_date(ms). Without `manifests` (a library build, which writes
    them when it ends), the folder's manifests are left as they are. Temporary files
    go to this process's own folder (scratch.own), removed when it ends."""
    scratch.own()
    ms = source if isinstance(source, manuscript.Manuscript) else \
        manuscript.load(source, given=dict(printing.meta))
    try:
        with process.deadline(timeout, name=ms.name):
            return _build(ms, Path(out_dir), printing=printing, parallel=parallel,
                          modified=modified, manifests=manifests)
    except MemoryError:  # the bound of process.bound_memory, here or in the lane
        raise UserError(process.memory_finding(ms.name)) from None


def _build(ms, out_dir, *, printing, parallel, modified=None, manifests=True):
    from concurrent.futures import ThreadPoolExecutor

    from .outputs import printhtml

    try:
        table = editions.plan(choices_of(ms, printing))
        pamphlets, book = any(e.sheet for e in table), any(e.bound for e in table)
    except UserError:  # said by the check (the YAML's choices) or by make_all
        pamphlets, book = True, False
    step = Progress(4 + pamphlets + book)
    step("Checking the manuscript")
    if parallel:
        process.start_lanes()
    modified = modified or source_date(ms)
    with ThreadPoolExecutor(2) as threads:
        # pandoc runs in its own processes: start both now, import WeasyPrint meanwhile.
        parsed = threads.submit(lambda: ms.ast)
        html = threads.submit(printhtml.print_html, ms, modified=modified)
        from .outputs import pdf  # noqa: F401 - the import is what overlaps pandoc
        parsed.result()
        _, warnings = check(ms)
        html = html.result()
    for warning in warnings:
        log.warning("%s", warning)
    # Every module the stages import, imported: the deadline may now stop the build.
    for module in process.reached():
        importlib.import_module(module)
    process.interruptible()
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = shelf.temp_dir(out_dir)
    try:
        framed = []
        with process.memory_bounded():
            made = make_all(ms, tmp, step, printing, parallel=parallel, html=html,
                            modified=modified, shown=out_dir, framed=framed)
        step.finish(ms.name)
        files = {kind: path.name for kind, path in made.items()}
        from .outputs import listing

        record = shelf.Record(shelf.input_key(ms, printing),
                              listing.book_of(ms, files, updated=modified,
                                              about=purposes(choices_of(ms, printing)),
                                              framed=framed))
        return shelf.install(made, out_dir, record=record, manifests=manifests)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def make_all(ms, tmp, step, printing=PrintOptions(), *, parallel=True, html=None,
             modified=None, shown=None, framed=None):
    """Run every stage into `tmp` and verify the results; return {kind: temp path}.
    Findings name each file as it will be in folder `shown` (default: `tmp`); the kinds
    of the editions framed from another's layout are added to `framed` (a list).

    Two lanes of about equal work, each verifying what it made: the reading PDF and
    the pamphlets of its trim here (lane 0 of editions.plan); the other editions,
    printer tests, cover and EPUB in a forked process (the other core), or here after
    the first with `parallel` off. A second process rather than a thread: Python work
    in a thread would hold up the reading PDF's layout, which is the longest path."""
    from .outputs import printhtml

    choices = choices_of(ms, printing)
    table = editions.plan(choices)
    files = outputs(ms.stem, choices)
    paths = {kind: tmp / name for kind, name in files.items()}
    names = {kind: str(Path(shown or tmp) / name) for kind, name in files.items()}
    modified = modified or source_date(ms)
    html = html or printhtml.print_html(ms, modified=modified)
    work = _Work(ms, html, tmp, paths, names, printing, choices, table,
                 [] if framed is None else framed, modified)
    step(", ".join(_layouts(table, 1) + ["printer tests, cover"] +
                   (["EPUB"] if "epub" in files else [])) + (" beside the rest" if parallel else ""))
    with process.Lane(_other_lane, (work, modified), forked=parallel) as other:
        step(", ".join(_layouts(table, 0)) or "Cover")
        findings = _print_lane(work, 0, step)
        step("Verifying every output")
        findings += other.result()
    if errors_in(findings):
        raise UserError(findings)
    return paths


def _layouts(table, lane):
    """"PDF (A5)", … : the page layouts of `lane`, one per trim."""
    return [f"PDF ({page.name})" for page in dict.fromkeys(
        e.page for e in table
        if editions.lane_of(table, e) == lane and not editions.framed_from(table, e))]


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
    framed: list  # kinds framed from another trim's layout (lane 0, this process)
    modified: str = ""  # the outputs' date (ISO 8601)

    def imposing(self, edition):
        return imposing(edition, self.ms, self.choices, self.printing)


def imposing(edition, ms, choices, printing):
    """How `edition` of `ms` is imposed: impose.saddle's and verify_pamphlet's options
    (a cluster's client checks with the same)."""
    return {"sheet": edition.sheet, "scheme": edition.scheme, "signature": choices.signature,
            "duplex": printing.duplex, "creep_mm": printing.creep_mm,
            "rtl": ms.direction == "rtl"}


def _other_lane(work, modified):
    from concurrent.futures import ThreadPoolExecutor

    from .outputs import epub, printer_sheet

    with ThreadPoolExecutor(1) as thread:
        # pandoc makes the EPUB in its own process while the other layouts run.
        made_epub = thread.submit(epub.pandoc_epub, work.ms) if "epub" in work.paths else None
        findings = _print_lane(work, 1)
        for sheet in _sheets(work.table):
            kind, _ = editions.printer_test(sheet)
            printer_sheet.printer_test(work.paths[kind], sheet=sheet,
                                      duplex=work.printing.duplex or "short")
        return findings + _epub_lane(work, modified, made_epub and made_epub.result())


def _epub_lane(work, modified, made_epub=None):
    from .checks import verify
    from .outputs import cover, epub

    cover_png = cover.cover(work.ms, work.paths["cover"]).read_bytes()
    cover.thumbnail(cover_png, work.paths["thumbnail"])
    if "epub" not in work.paths:
        return []
    from .outputs import kepub

    epub.epub(work.ms, work.paths["epub"], modified=modified, cover=cover_png, made=made_epub)
    kepub.kepub(work.paths["epub"], work.paths["kepub"])
    return [finding for ebook in editions.EBOOKS
            for finding in getattr(verify, ebook.check)(work.paths[ebook.kind], work.ms,
                                                        html=work.html,
                                                        shown=work.names[ebook.kind])]


def _print_lane(work, lane, step=None):
    """Lay out, impose and verify the editions of `lane`; return the findings. An
    imposition is made from the layout of its trim: the reading PDF's if it has that
    trim, else an untagged layout made for it (named in findings by the imposition),
    or a lane 0 layout of a trim near its own, framed (editions.framed_from)."""
    editions_here = [e for e in work.table if editions.lane_of(work.table, e) == lane]
    framing = {editions.framed_from(work.table, e) for e in editions_here} - {None}
    binding = {e.page for e in editions_here if e.bound}
    findings, layouts, documents = [], {}, {}
    for edition in editions_here:
        if edition.page not in layouts and not editions.framed_from(work.table, edition):
            layouts[edition.page], found, document = _layout(work, edition)
            findings += found
            # kept for its ink's place, or to be written again as a book; else freed now
            if edition.page in framing | binding:
                documents[edition.page] = document
    for edition in editions_here:
        base = editions.framed_from(work.table, edition)
        if base and edition.page not in layouts:
            layouts[edition.page], found = _framed(work, edition, layouts[base],
                                                   documents[base])
            findings += found
    bound = [e for e in editions_here if e.bound]
    if step and bound:
        step("Book interior and cover")
    for edition in sorted(bound, key=lambda e: e.bound != "interior"):  # interior first
        findings += _bind(work, edition, layouts[edition.page], documents[edition.page])
    documents.clear()  # the boxes of a long book's layout: memory
    imposed = [e for e in editions_here if e.sheet]
    if step and imposed:  # the steps are counted: one for the lane's impositions
        step(", ".join(f"{e.output.capitalize()} ({e.sheet.name})" for e in imposed) +
             " and the picture")
    for edition in imposed:
        findings += _impose(work, edition, layouts[edition.page], proof=lane == 0)
    return findings


def _framed(work, edition, layout, document):
    """(path, findings) of `edition`'s pages: those of `layout` (whose WeasyPrint
    `document` it is) on its own trim, unscaled (impose.frame); or, should any ink come
    within editions.MIN_MARGIN_MM of the new edges, a layout of its own."""
    from .checks import verify
    from .outputs import impose

    page = (edition.page.width, edition.page.height)
    crowded = verify.crowded_pages(document, page, editions.MIN_MARGIN_MM * editions.MM)
    if crowded:
        log.info("%s: page %s would come within %g mm of the %s page's edge: laid out on "
                 "%s pages of its own", work.names[edition.kind], crowded[0],
                 editions.MIN_MARGIN_MM, edition.page.name, edition.page.name)
        path, found, _ = _layout(work, edition)
        return path, found
    work.framed.append(edition.kind)
    return impose.frame(layout, work.tmp / f"{edition.page.slug}.pdf", page=page), []


def _bind(work, edition, layout, document):
    """Make and verify `edition` of the bound book from `layout` (a PDF) and its
    WeasyPrint `document`: the interior, or the cover for the interior made before it;
    return the findings (the warnings among them already said)."""
    from .checks import verify
    from .outputs import book

    path, shown = work.paths[edition.kind], work.names[edition.kind]
    interior = next(e for e in work.table if e.bound == "interior" and e.page == edition.page)
    modified = work.modified or source_date(work.ms)
    if edition.bound == "interior":
        book.interior(document, path, ms=work.ms, page=edition.page, modified=modified,
                      shown=shown)
        return verify.verify_book_interior(path, layout, page=edition.page, shown=shown)
    import pikepdf

    with pikepdf.open(work.paths[interior.kind]) as made:
        pages = len(made.pages)
    book.cover(work.ms, path, page=edition.page, pages=pages,
               paper_mm=work.printing.paper_mm, modified=modified, shown=shown)
    return verify.verify_book_cover(path, work.paths[interior.kind], page=edition.page,
                                    paper_mm=work.printing.paper_mm, shown=shown)


def _layout(work, edition):
    """(path, findings, WeasyPrint document) of the verified page layout of `edition`'s
    trim."""
    from .checks import verify
    from .outputs import pdf

    reading = edition.reading
    path = work.paths[edition.kind] if reading else work.tmp / f"{edition.page.slug}.pdf"
    shown = work.names[edition.kind] if reading else \
        f"{work.names[edition.kind]} (its {edition.page.name} pages)"
    document = pdf.pdf(work.ms, path, page=edition.page, html=work.html,
                       css=work.choices.css, tagged=edition.tagged)
    return path, verify.verify_pdf(path, document, work.ms, html=work.html,
                                   shown=shown), document


def _impose(work, edition, layout, *, proof):
    """Impose `edition` from `layout`, with the picture of its first sheet if `proof`
    and none is made yet; return the verifier's findings."""
    from .checks import verify
    from .outputs import impose, listing

    impose.saddle(layout, work.paths[edition.kind], marks=work.printing.marks,
                  **work.imposing(edition))
    if proof and not work.paths["proof"].exists():
        listing.sheet_proof(work.paths[edition.kind], work.paths["proof"])
    return verify.verify_pamphlet(work.paths[edition.kind], layout,
                                  shown=work.names[edition.kind], **work.imposing(edition))


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
