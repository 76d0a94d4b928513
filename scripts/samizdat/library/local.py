"""Many manuscripts into one folder: the library build.

Each text is built in a worker process (build.build), unless its record says it was
built from the same inputs (shelf.input_key) and its files are intact; a failure is
reported with its findings and does not stop or damage the others. Then the folder's
manifests (shelf) list every text on the shelf.

Two texts one of whose outputs would have the other's file name are refused before
anything is built (X014); so is a text whose output another text's record in the folder
names. A run that fails as a whole (its last step refused, an internal error) puts
back every file it replaced (shelf.undone_on_failure).
"""

import logging
import os
import unicodedata
from pathlib import Path

from .. import process, scratch
from ..build import PrintOptions, build, quiet_libraries
from ..errors import Finding, UserError
from ..outputs import shelf
from ..source import manuscript

log = logging.getLogger("samizdat")


def build_library(sources, out_dir, *, jobs=None, printing=PrintOptions(),
                  timeout=process.TIMEOUT, catalog=None):
    """Build every manuscript in `sources` into `out_dir`, in parallel, skipping those
    whose inputs are unchanged; then write one catalog and download page for all,
    under `catalog` (a listing.Catalog; None: the one the folder has).

    Returns ({stem: Book}, [findings of the manuscripts that failed]); a failure does
    not stop or damage the others.
    """
    scratch.own()  # the workers' temporary files too, removed when this process ends
    out_dir = Path(out_dir)
    sources = [Path(s) for s in sources]
    _refuse_duplicate_stems(sources)
    names = refuse_meeting_outputs(sources, printing)
    shelf.records_folder(out_dir)  # a link there: refused before anything is built
    with shelf.undone_on_failure(out_dir, names):
        return _build_all(sources, out_dir, jobs, printing, timeout, catalog)


def _build_all(sources, out_dir, jobs, printing, timeout, catalog):
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
    finish(out_dir, books, failures, unchanged=sum(u for _, _, u in results),
           catalog=catalog)
    return books, failures


def catalog_for(sources, *, title=None, id_=None):
    """The listing.Catalog that a build of `sources` names, or None if none does: the
    `catalog:` of the samizdat.yaml beside them (texts from several folders must not
    name different ones: M010), each of its keys overridden by the options given."""
    from ..outputs import listing
    from ..source import muse

    named = {}
    for folder in dict.fromkeys(Path(s).resolve().parent for s in sources):
        path, values = muse.read_shelf(folder)
        if "catalog" in values:
            named[str(path)] = listing.catalog_of(values["catalog"], str(path))
    if len(set(named.values())) > 1:
        raise UserError(Finding("M010", " and ".join(named), None, "these name different "
                                "catalogs for one library: give --catalog-title and "
                                "--catalog-id"))
    given = {key: value for key, value in (("title", title), ("id", id_)) if value is not None}
    if not named and not given:
        return None
    base = next(iter(named.values()), listing.Catalog())
    return listing.catalog_of({"title": base.title, "id": base.id or None, **given},
                              "--catalog-title/--catalog-id" if given else next(iter(named)))


def finish(out_dir, books, failures, *, unchanged, catalog=None):
    """Write the folder's manifests and say what a library build did: a library's
    installs leave them to this (see shelf), and texts found unchanged may have been
    left out of them by an earlier run that was stopped."""
    if books:
        with shelf.locked(out_dir):
            shelf.write_manifests(out_dir, shelf.shelved_books(out_dir), new={
                name: shelf.sha256(out_dir / name) for book in books.values()
                for name in book.files.values()}, catalog=catalog)
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
        if same_name(source.stem) in seen:
            raise UserError(Finding("X003", str(source), None, f"same name as "
                                    f"{seen[same_name(source.stem)]}: outputs would collide"))
        seen[same_name(source.stem)] = source


def same_name(name):
    """What a file name is to every file system a library may be copied to: Unicode
    normalized (macOS) and case folded (FAT and exFAT on a USB stick, Windows, macOS):
    `Zine.epub` and `zine.epub`, `café` in one or two code points, are one file there."""
    return unicodedata.normalize("NFC", name).casefold()


def refuse_meeting_outputs(sources, printing):
    """UserError X014, one line a pair, if one text's output would have another's file
    name (`zine.md` writes zine-pamphlet-a4.pdf, as `zine-pamphlet-a4.md` does); else
    the names of every file the texts would write (records too, `.samizdat/STEM.json`).
    A text that cannot be read or whose choices are wrong writes nothing: its own
    build says why."""
    owner, meetings, names = {}, {}, set()
    for source in sources:
        stem, outputs = _outputs_of(source, printing)
        names.update([*outputs, f"{shelf.RECORDS}/{stem}.json"] if outputs else [])
        for name in sorted(outputs):
            first = owner.setdefault(same_name(name), source)
            if first != source:
                meetings.setdefault((first, source), name)
    if meetings:
        raise UserError([Finding("X014", str(source), None, f"its output {name} is also "
                                 f"{first}'s: one would overwrite the other; rename one "
                                 "of them") for (first, source), name in meetings.items()])
    return names


def _outputs_of(source, printing):
    """(stem, the names of the files a build of `source` writes); no names if it cannot
    be read or its choices are wrong."""
    from .. import build as builds

    try:
        ms = source if isinstance(source, manuscript.Manuscript) else \
            manuscript.load(source, given=dict(printing.meta))
        choices = builds.choices_of(ms, printing)
    except UserError:
        return None, set()
    return ms.stem, set(builds.outputs(ms.stem, choices).values())


def _refuse_taken(ms, out_dir, printing):
    """UserError X014 if another text's record in `out_dir` names a file `ms` writes."""
    taken = shelf.owners(out_dir, ms.stem, _outputs_of(ms, printing)[1])
    others = dict(zip(taken.values(), taken))
    if others:
        raise UserError([Finding("X014", ms.name, None, f"its output {name} is {other}'s, "
                                 f"already in this folder: rename this text, or remove "
                                 f"{other}'s files and its record ({shelf.RECORDS}/"
                                 f"{other}.json)") for other, name in others.items()])


def build_cached(source, out_dir, printing=PrintOptions(), parallel=False,
                 timeout=process.TIMEOUT):
    """(Book, [], unchanged) for one manuscript, rebuilt only if its inputs changed
    (`unchanged` True when it was not); (None, findings, False) if it failed. Runs in a
    worker process: logging goes through the parent's stderr."""
    from ..outputs import listing

    quiet_libraries()
    try:
        # unreadable: its F-code, before anything else
        ms = manuscript.load(source, given=dict(printing.meta))
        cached = shelf.read_record(out_dir, source.stem)
        # The key (~40 ms) is worked out first only when there is a record to compare.
        if cached and cached["key"] == shelf.input_key(ms, printing) and shelf.intact(
                out_dir, cached["files"]):
            log.info("%s: unchanged, not rebuilt", source)
            return listing.Book(**cached["book"]), [], True
        _refuse_taken(ms, out_dir, printing)
        # A library's manifests are written once, by finish(); one text's at install.
        build(ms, out_dir, printing=printing, parallel=parallel, timeout=timeout,
              manifests=parallel)
        record = shelf.read_record(out_dir, source.stem)
        return listing.Book(**record["book"]), [], False
    except UserError as error:
        return None, error.findings, False
