"""build(source, out_dir): every stage into a private temp folder, every output
verified, then each renamed into `out_dir`. A failed build changes nothing there."""

import logging
import os
import tempfile
from pathlib import Path

from . import lint, manuscript
from .errors import UserError, errors_in

log = logging.getLogger("samizdat")


def outputs(stem):
    """The files a build writes, by kind."""
    return {"epub": f"{stem}.epub", "pdf": f"{stem}.pdf",
            "pamphlet-a4": f"{stem}-pamphlet-a4.pdf",
            "pamphlet-letter": f"{stem}-pamphlet-letter.pdf"}


class Progress:
    """Logs "Step 2/7 – PDF (A5)…" as each stage starts."""

    def __init__(self, total):
        self.total, self.done = total, 0

    def __call__(self, what):
        self.done += 1
        log.info("Step %d/%d – %s…", self.done, self.total, what)


def check(source):
    """Load and lint a manuscript; return (manuscript, warnings); raise UserError on errors."""
    ms = manuscript.load(source)
    findings = lint.check(ms)
    if errors_in(findings):
        raise UserError(findings)
    return ms, findings


def build(source, out_dir):
    """Build, verify and install the four outputs of `source` in `out_dir`; return their paths."""
    step = Progress(6)
    step("Checking the manuscript")
    ms, warnings = check(source)
    for warning in warnings:
        log.warning("%s", warning)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".samizdat-", dir=out_dir) as tmp:
        made = make_all(ms, Path(tmp), step)
        return install(made, out_dir)


def make_all(ms, tmp, step):
    """Run every stage into `tmp` and verify the results; return {kind: temp path}."""
    from . import epub, impose, pdf, verify

    names = outputs(ms.stem)
    paths = {kind: tmp / name for kind, name in names.items()}
    step("EPUB")
    epub.epub(ms, paths["epub"])
    html = pdf.print_html(ms)
    step("PDF (A5)")
    a5 = pdf.pdf(ms, paths["pdf"], page=pdf.A5, html=html)
    step("PDF (half-letter, for the Letter pamphlet)")
    letter_pdf = tmp / "half-letter.pdf"
    letter = pdf.pdf(ms, letter_pdf, page=pdf.HALF_LETTER, html=html)
    step("Pamphlets (A4, Letter)")
    impose.saddle(paths["pdf"], paths["pamphlet-a4"], sheet=impose.A4)
    impose.saddle(letter_pdf, paths["pamphlet-letter"], sheet=impose.LETTER)
    step("Verifying every output")
    findings = [*verify.verify_epub(paths["epub"], ms),
                *verify.verify_pdf(paths["pdf"], a5, ms),
                *verify.verify_pdf(letter_pdf, letter, ms),
                *verify.verify_pamphlet(paths["pamphlet-a4"], paths["pdf"], sheet=impose.A4),
                *verify.verify_pamphlet(paths["pamphlet-letter"], letter_pdf,
                                        sheet=impose.LETTER)]
    if errors_in(findings):
        raise UserError(findings)
    return paths


def install(made, out_dir):
    """Rename every verified output into `out_dir` (same filesystem: atomic each)."""
    installed = {}
    for kind, path in made.items():
        target = out_dir / path.name
        os.chmod(path, 0o644)
        os.replace(path, target)
        installed[kind] = target
    log.info("Wrote %s", ", ".join(str(p) for p in installed.values()))
    return installed
