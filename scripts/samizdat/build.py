"""build(source, out_dir): every stage into a private temp folder, every output
verified, then each renamed into `out_dir`. A failed build changes nothing there."""

import datetime
import hashlib
import logging
import os
import subprocess
import tempfile
from pathlib import Path

from . import lint, manuscript
from .errors import UserError, errors_in

log = logging.getLogger("samizdat")


def outputs(stem):
    """The files a build writes, by kind."""
    return {"epub": f"{stem}.epub", "pdf": f"{stem}.pdf",
            "pamphlet-a4": f"{stem}-pamphlet-a4.pdf",
            "pamphlet-letter": f"{stem}-pamphlet-letter.pdf",
            "cover": f"{stem}-cover.png"}


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


def source_date(ms):
    """The build's timestamp, UTC ISO 8601, the same for every build of the same text:
    SOURCE_DATE_EPOCH if set, else the manuscript's last commit, else its `date`."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch.isdigit():
        epoch = _last_commit(ms.path)
    if epoch:
        when = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    year = str(ms.meta.get("date", "1970"))[:4]
    return f"{year if year.isdigit() else '1970'}-01-01T00:00:00Z"


def _last_commit(path):
    try:
        result = subprocess.run(["git", "log", "-1", "--format=%ct", "--", path.name],
                                cwd=path.resolve().parent, capture_output=True, text=True,
                                timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


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
    from . import cover, epub, impose, pdf, verify

    names = outputs(ms.stem)
    paths = {kind: tmp / name for kind, name in names.items()}
    modified = source_date(ms)
    step("Cover and EPUB")
    cover_png = cover.cover(ms, paths["cover"]).read_bytes()
    epub.epub(ms, paths["epub"], modified=modified, cover=cover_png)
    html = pdf.print_html(ms, modified=modified)
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
    """Rename every verified output into `out_dir` (same filesystem: atomic each), then
    update `out_dir/SHA256SUMS`."""
    installed = {}
    sums = {path.name: _sha256(path) for path in made.values()}
    for kind, path in made.items():
        target = out_dir / path.name
        os.chmod(path, 0o644)
        os.replace(path, target)
        installed[kind] = target
    write_sums(out_dir, sums)
    log.info("Wrote %s", ", ".join(str(p) for p in installed.values()))
    return installed


def _sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_sums(out_dir, sums):
    """Merge `sums` {file name: sha256} into out_dir/SHA256SUMS (sha256sum -c format),
    keeping lines of other files that still exist; written atomically."""
    path = out_dir / "SHA256SUMS"
    known = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            if name and (out_dir / name).exists():
                known[name] = digest
    known.update(sums)
    temp = out_dir / ".SHA256SUMS.tmp"
    temp.write_text("".join(f"{known[n]}  {n}\n" for n in sorted(known)), encoding="utf-8")
    os.replace(temp, path)
