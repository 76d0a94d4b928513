"""The library shelf: the output folder, its records and the files that describe it.

An output folder holds each text's outputs, a record per text in `.samizdat/` (what
it was built from, its metadata, its files' digests), and three manifests:
`SHA256SUMS`, `catalog.xml` and `index.html`. The manifests always describe the
files beside them, even if a build is killed at any moment:

1. under the folder's lock, the manifests are rewritten without the text about to
   be installed (its lines, its entry);
2. its verified outputs are renamed into place, one by one (each atomic);
3. its record is written, then the manifests again, with it.

A library build installs each text with its record alone, and writes the manifests once
when it ends (shelving.finish): rewriting them for every text made a library build
quadratic (20,000 texts: 6.4 s for each of 40,000 rewrites). Until then they describe the
folder as the last finished build left it, but for the files a running build replaces.

Every file is written to a temporary name and renamed. Temporary files and folders
carry the writing process's id (`.samizdat-tmp-<pid>-…`); those of a process that
is gone are removed by the next build in the folder.
"""

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import Finding, UserError

log = logging.getLogger("samizdat")
RECORDS = ".samizdat"
TEMP = ".samizdat-tmp-"
# How long a build waits for another build in the same folder to finish installing.
LOCK_TIMEOUT = 600


@dataclass(frozen=True)
class Record:
    """What a text was built from (`key`, see build.input_key) and its Book."""

    key: str
    book: object  # library.Book


def temp_dir(out_dir):
    """A temporary folder inside `out_dir` (so outputs can be renamed into place),
    named for this process; the caller removes it."""
    return Path(tempfile.mkdtemp(prefix=f"{TEMP}{os.getpid()}-", dir=out_dir))


def _temp_file(folder, name):
    return Path(folder) / f"{TEMP}{os.getpid()}-{name}"


@contextlib.contextmanager
def locked(out_dir, timeout=LOCK_TIMEOUT):
    """Hold `out_dir`'s lock (one installer at a time, across processes); remove
    what killed builds left behind once it is held."""
    folder = Path(out_dir) / RECORDS
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "a+b") as lock:
        _acquire(lock, out_dir, timeout)
        try:
            clean_stale(out_dir)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _acquire(lock, out_dir, timeout):
    waited = 0.0
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES) or waited >= timeout:
                raise UserError(Finding("X002", str(out_dir), None, "another build has held "
                                        f"this folder for {timeout} s: try again")) from None
        time.sleep(0.05)
        waited += 0.05


def clean_stale(out_dir):
    """Remove temporary files and folders of builds that are no longer running."""
    for folder in (Path(out_dir), Path(out_dir) / RECORDS):
        for path in folder.glob(f"{TEMP}*"):
            pid = path.name[len(TEMP):].split("-", 1)[0]
            if pid.isdigit() and not _running(int(pid)):
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def install(made, out_dir, *, record, manifests=True):
    """Move the verified outputs `made` {kind: temp path} into `out_dir` and shelve
    `record`, keeping the manifests true at every moment (see above); return
    {kind: installed path}. Without `manifests` (a library build), the record alone."""
    out_dir = Path(out_dir)
    digests = {path.name: sha256(path) for path in made.values()}
    stem = record.book.stem
    with locked(out_dir):
        if manifests:
            others = {s: b for s, b in shelved_books(out_dir).items() if s != stem}
            write_manifests(out_dir, others, leave_out=set(digests))
        installed = {}
        for kind, path in made.items():
            os.chmod(path, 0o644)
            os.replace(path, out_dir / path.name)
            installed[kind] = out_dir / path.name
        write_record(out_dir, stem, record, digests)
        if manifests:
            write_manifests(out_dir, {**others, stem: record.book}, new=digests)
    log.info("Wrote %s", ", ".join(str(p) for p in installed.values()))
    return installed


def sha256(path):
    """Hex sha256 of the file at `path`."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_manifests(out_dir, books, *, new=None, leave_out=()):
    """SHA256SUMS (lines kept for files still there, `new` {name: digest} added,
    `leave_out` names dropped), then catalog.xml and index.html for `books`."""
    write_sums(out_dir, new or {}, leave_out=leave_out)
    write_library_pages(books.values(), out_dir)


def write_sums(out_dir, sums, *, leave_out=()):
    """Merge `sums` {file name: sha256} into out_dir/SHA256SUMS (sha256sum -c format),
    keeping lines of other files that still exist, but none of `leave_out`."""
    path = Path(out_dir) / "SHA256SUMS"
    known = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            digest, _, name = line.partition("  ")
            if name and name not in leave_out and (Path(out_dir) / name).exists():
                known[name] = digest
    known.update(sums)
    _write(path, "".join(f"{known[n]}  {n}\n" for n in sorted(known)).encode())


def write_library_pages(books, out_dir):
    """The catalog's feeds (catalog.xml, catalog-2.xml, ...), the download pages
    (index.html, index-2.html, ...), the search index and the OpenSearch description
    for `books`, under the folder's catalog (catalog_of), each written to a temp file
    and renamed; pages a smaller shelf no longer has are removed."""
    from . import library

    books = list(books)
    catalog = catalog_of(out_dir)
    proof = next((b.files["proof"] for b in sorted(books, key=lambda b: b.stem)
                  if "proof" in b.files), None)
    pages = library.catalog_pages(books, catalog=catalog)
    pages.update(library.download_pages(books, folder=out_dir, catalog=catalog, proof=proof))
    for name, data in pages.items():
        _write(Path(out_dir) / name, data)
    for stale in [*Path(out_dir).glob("catalog-*.xml"), *Path(out_dir).glob("index-*.html")]:
        if stale.name not in pages and re.fullmatch(r"catalog(-(author|subject))?-\d+"
                                                     r"(-\d+)?\.xml|index-\d+\.html", stale.name):
            stale.unlink(missing_ok=True)


# In RECORDS: the catalog's title and id, kept with the folder. A dot file: no text's
# record (a text's stem never starts with a dot).
CATALOG = ".catalog.json"


def catalog_of(out_dir):
    """The library.Catalog of the folder `out_dir`, as a build last named it (the
    default one if none did)."""
    from . import library

    try:
        data = json.loads((Path(out_dir) / RECORDS / CATALOG).read_text(encoding="utf-8"))
        return library.Catalog(title=str(data["title"]), id=str(data["id"]))
    except (OSError, ValueError, KeyError, TypeError):
        return library.Catalog()


def keep_catalog(out_dir, catalog):
    """Name the folder's catalog `catalog` from now on; say so when its id changes (a
    reader's app then sees another catalog)."""
    before = catalog_of(out_dir)
    if before == catalog:
        return
    if (Path(out_dir) / RECORDS / CATALOG).exists() and before.identity != catalog.identity:
        log.warning("%s: the catalog's id changes (%s -> %s): readers' apps will see a new "
                    "catalog", out_dir, before.id or before.title, catalog.id or catalog.title)
    (Path(out_dir) / RECORDS).mkdir(parents=True, exist_ok=True)
    _write(Path(out_dir) / RECORDS / CATALOG,
           json.dumps(dataclasses.asdict(catalog), ensure_ascii=False).encode("utf-8"))


def _write(path, data):
    temp = _temp_file(path.parent, path.name)
    temp.write_bytes(data)
    os.replace(temp, path)


# --- records ---------------------------------------------------------------------

def read_record(out_dir, stem):
    """The record of `stem` in `out_dir` as a dict ({"key", "book", "files"}), or None."""
    path = Path(out_dir) / RECORDS / f"{stem}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_record(out_dir, stem, record, digests):
    """Shelve `record` of `stem`, whose files now in `out_dir` have `digests`."""
    folder = Path(out_dir) / RECORDS
    folder.mkdir(exist_ok=True)
    data = {"key": record.key, "book": dataclasses.asdict(record.book), "files": digests}
    _write(folder / f"{stem}.json", json.dumps(data, indent=1, sort_keys=True).encode())


def intact(out_dir, files):
    """Whether every file of `files` {name: digest} is in `out_dir` with that digest."""
    return all((Path(out_dir) / name).is_file() and sha256(Path(out_dir) / name) == digest
               for name, digest in files.items())


def shelved_books(out_dir):
    """{stem: Book} of every book an earlier build left in `out_dir` (its record there
    and all its files still there)."""
    from . import library

    shelved = {}
    for record_path in sorted((Path(out_dir) / RECORDS).glob("*.json")):
        if record_path.name.startswith((TEMP, ".")):  # being written; the catalog's
            continue
        record = read_record(out_dir, record_path.stem)
        if record and all((Path(out_dir) / name).is_file() for name in record["files"]):
            shelved[record_path.stem] = library.Book(**record["book"])
    return shelved


def input_key(ms, printing):
    """sha256 over everything a build of manuscript `ms` reads: its files as read
    (Manuscript.inputs: the manuscript, every image it names, a Muse text's
    samizdat.yaml), the styles and fonts, Samizdat's code, the print options
    (build.PrintOptions) and the versions of the tools it drives. The one key of a
    single build, a library's and a cluster's client."""
    from importlib.metadata import version

    from . import STYLES, pandoc

    digest = hashlib.sha256()
    for name, data in sorted(ms.inputs.items()):
        digest.update(f"{len(name)}:{name}{len(data)}:".encode() + data)
    roots = [Path(__file__).parent, STYLES]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and
                           "__pycache__" not in p.parts):
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    # Versions from the installed metadata: importing WeasyPrint here would cost 0.4 s.
    tools = " ".join(version(n) for n in ("weasyprint", "pikepdf", "pypandoc_binary", "pydyf"))
    digest.update(f"{tools} {pandoc.executable()} {printing}".encode())
    return digest.hexdigest()
