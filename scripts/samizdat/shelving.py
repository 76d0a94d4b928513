"""Many manuscripts into one folder: the library build.

Each text is built in a worker process (build.build), unless its record says it was
built from the same inputs (shelf.input_key) and its files are intact; a failure is
reported with its findings and does not stop or damage the others. Then the folder's
manifests (shelf) list every text on the shelf.
"""

import logging
import os
from pathlib import Path

from . import manuscript, process, shelf
from .build import PrintOptions, build, quiet_libraries
from .errors import Finding, UserError

log = logging.getLogger("samizdat")


def build_library(sources, out_dir, *, jobs=None, printing=PrintOptions(),
                  timeout=process.TIMEOUT):
    """Build every manuscript in `sources` into `out_dir`, in parallel, skipping those
    whose inputs are unchanged; then write one catalog.xml and index.html for all.

    Returns ({stem: Book}, [findings of the manuscripts that failed]); a failure does
    not stop or damage the others.
    """
    out_dir = Path(out_dir)
    sources = [Path(s) for s in sources]
    _refuse_duplicate_stems(sources)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(sources)))
    if workers == 1:
        results = [build_cached(s, out_dir, printing, len(sources) == 1, timeout)
                   for s in sources]
    else:
        # Each text's build stops itself at `timeout` (X004); the pool's wait is bounded
        # too, should a worker hang where no signal reaches (in a C library).
        rounds = -(-len(sources) // workers)
        done = process.pool_map(build_cached, [(s, out_dir, printing, False, timeout)
                                               for s in sources],
                                workers=workers, timeout=rounds * timeout + 60)
        results = [result or (None, [_stuck(source, rounds * timeout + 60)], False)
                   for source, result in zip(sources, done)]
    books = {book.stem: book for book, _, _ in results if book}
    failures = [f for _, findings, _ in results for f in findings]
    finish(out_dir, books, failures, unchanged=sum(u for _, _, u in results))
    return books, failures


def finish(out_dir, books, failures, *, unchanged):
    """Write the folder's manifests once more and say what a library build did.

    Each install wrote the manifests; once more for texts found unchanged, whose files
    an earlier run may have left out of them."""
    if books:
        with shelf.locked(out_dir):
            shelf.write_manifests(out_dir, shelf.shelved_books(out_dir), new={
                name: shelf.sha256(out_dir / name) for book in books.values()
                for name in book.files.values()})
        log.info("Wrote %s and %s", out_dir / "catalog.xml", out_dir / "index.html")
    failed = len({f.path for f in failures if f.is_error})
    if len(books) + failed > 1:  # a library, not one text
        log.info("Library: %d built, %d unchanged, %d failed", len(books) - unchanged,
                 unchanged, failed)


def _stuck(source, seconds):
    return Finding("X004", str(source), None, f"the build did not end within {seconds:g} s "
                   "and was stopped (--timeout sets the limit)")


def _refuse_duplicate_stems(sources):
    seen = {}
    for source in sources:
        if source.stem in seen:
            raise UserError(Finding("X003", str(source), None,
                                    f"same name as {seen[source.stem]}: outputs would collide"))
        seen[source.stem] = source


def build_cached(source, out_dir, printing=PrintOptions(), parallel=False,
                 timeout=process.TIMEOUT):
    """(Book, [], unchanged) for one manuscript, rebuilt only if its inputs changed
    (`unchanged` True when it was not); (None, findings, False) if it failed. Runs in a
    worker process: logging goes through the parent's stderr."""
    from . import library

    quiet_libraries()
    try:
        # unreadable: its F-code, before anything else
        ms = manuscript.load(source, given=dict(printing.meta))
        cached = shelf.read_record(out_dir, source.stem)
        # The key (~40 ms) is worked out first only when there is a record to compare.
        if cached and cached["key"] == shelf.input_key(ms, printing) and shelf.intact(
                out_dir, cached["files"]):
            log.info("%s: unchanged, not rebuilt", source)
            return library.Book(**cached["book"]), [], True
        build(ms, out_dir, printing=printing, parallel=parallel, timeout=timeout)
        record = shelf.read_record(out_dir, source.stem)
        return library.Book(**record["book"]), [], False
    except UserError as error:
        return None, error.findings, False
