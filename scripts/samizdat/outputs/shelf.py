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
when it ends (local.finish): rewriting them for every text made a library build
quadratic (20,000 texts: 6.4 s for each of 40,000 rewrites). Until then they describe the
folder as the last finished build left it, but for the files a running build replaces.

Every file is written to a temporary name and renamed. Temporary files and folders
carry the writing process's id (`.samizdat-tmp-<pid>-…`); those of a process that
is gone are removed by the next build in the folder.

The folder's own files (the lock, the records, the catalog's state, SHA256SUMS) are
read as regular files only, never through a link, never waiting on a pipe, within a
size, and checked: one that is not what Samizdat writes is read as absent, with a
warning (X015), and replaced by the next write (a rename replaces a link, never writes
through it). A link or a file in place of `.samizdat/` or of the lock is refused (X002):
records and lock would be where it points, and two builds could lock two files.
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
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import Finding, UserError

log = logging.getLogger("samizdat")
RECORDS = ".samizdat"
TEMP = ".samizdat-tmp-"
# How long a build waits for another build in the same folder to finish installing.
LOCK_TIMEOUT = 600
# The most a file of the folder's own may hold when read back: far above what a build
# writes (a record ~5 KB; SHA256SUMS ~100 bytes a file), far below what would harm.
RECORD_LIMIT = 1 << 20
CATALOG_LIMIT = 1 << 16
SUMS_LIMIT = 1 << 28
SUM_LINE = re.compile(r"([0-9a-f]{64})  (.+)")
# What XML 1.0 (the catalog's feeds) cannot hold: controls, lone surrogates, U+FFFE/F.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class Record:
    """What a text was built from (`key`, see build.input_key) and its Book."""

    key: str
    book: object  # listing.Book


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
    lock = _open_lock(records_folder(out_dir, make=True) / "lock")
    try:
        _acquire(lock, out_dir, timeout)
        try:
            clean_stale(out_dir)
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    finally:
        os.close(lock)


def records_folder(out_dir, *, make=False):
    """out_dir/.samizdat, made if `make` (else None if there is none); UserError X002 if
    it is a link or not a folder (records and lock would be where it points)."""
    folder = Path(out_dir) / RECORDS
    if make:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            folder.mkdir()
    try:
        info = os.lstat(folder)
    except (FileNotFoundError, NotADirectoryError):  # no folder yet (or a file: said later)
        return None
    if not stat.S_ISDIR(info.st_mode):
        raise UserError(Finding("X002", str(folder), None, "the output folder cannot be "
                                "written: a link or a file where Samizdat keeps its records, "
                                "not a folder of its own: remove it"))
    return folder


def _open_lock(path):
    """A descriptor of the lock file `path`, made if need be; X002 if it is a link, a
    pipe or anything but a regular file."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
                     | os.O_CLOEXEC, 0o644)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        fd = None
    if fd is not None and stat.S_ISREG(os.fstat(fd).st_mode):
        return fd
    if fd is not None:
        os.close(fd)
    raise UserError(Finding("X002", str(path), None, "the output folder cannot be written: "
                            "a link or no regular file where Samizdat keeps its lock: "
                            "remove it"))


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
    {kind: installed path}. Without `manifests` (a library build), the record alone.
    UserError X014 if another text's record in the folder names one of the files."""
    out_dir = Path(out_dir)
    digests = {path.name: sha256(path) for path in made.values()}
    stem = record.book.stem
    with locked(out_dir):
        _refuse_taken(out_dir, stem, digests)
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


def owners(out_dir, stem, names):
    """{file name: stem} for each of `names` that the record of another text than `stem`
    in `out_dir` lists. A text's files start with its stem and "." or "-", so only the
    records of the names' prefixes are read (not the whole shelf's, for each text)."""
    taken = {}
    for name in names:
        for end in (i for i, c in enumerate(name) if c in ".-" and i):
            record = read_record(out_dir, name[:end]) if name[:end] != stem else None
            if record and name in record["files"]:
                taken[name] = name[:end]
    return taken


def _refuse_taken(out_dir, stem, names):
    taken = owners(out_dir, stem, names)
    if taken:
        raise UserError([Finding("X014", str(out_dir / name), None, f"an output of {stem} "
                                 f"and of {other}, whose record in this folder names it: "
                                 "not overwritten; rename one of the texts")
                         for name, other in taken.items()])


def sha256(path):
    """Hex sha256 of the file at `path`."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_manifests(out_dir, books, *, new=None, leave_out=(), catalog=None):
    """SHA256SUMS (lines kept for files still there, `new` {name: digest} added,
    `leave_out` names dropped), then catalog.xml and index.html for `books`, under
    `catalog` (a listing.Catalog, kept as the folder's from now on; None: the folder's).
    All is worked out before anything is written: a refusal on the way (a catalog the
    feed cannot hold) changes nothing."""
    out_dir = Path(out_dir)
    known = {**_known_sums(out_dir, leave_out), **(new or {})}
    pages = library_pages(books.values(), out_dir, catalog or catalog_of(out_dir))
    if catalog:
        keep_catalog(out_dir, catalog)
    _write(out_dir / "SHA256SUMS",
           "".join(f"{known[n]}  {n}\n" for n in sorted(known)).encode())
    _write_pages(out_dir, pages)


def write_sums(out_dir, sums, *, leave_out=()):
    """Merge `sums` {file name: sha256} into out_dir/SHA256SUMS (sha256sum -c format),
    keeping lines of other files that still exist, but none of `leave_out`."""
    known = {**_known_sums(Path(out_dir), leave_out), **sums}
    _write(Path(out_dir) / "SHA256SUMS",
           "".join(f"{known[n]}  {n}\n" for n in sorted(known)).encode())


def _known_sums(out_dir, leave_out):
    """{name: digest} of the lines of out_dir/SHA256SUMS that are a digest and the name
    of a regular file of the folder (not of `leave_out`)."""
    data = _read_own(out_dir / "SHA256SUMS", SUMS_LIMIT) or b""
    lines = (SUM_LINE.fullmatch(line) for line in data.decode("utf-8", "replace").split("\n"))
    return {m[2]: m[1] for m in lines if m and m[2] not in leave_out and _file_name(m[2])
            and _regular(out_dir / m[2])}


def write_library_pages(books, out_dir):
    """The catalog's feeds (catalog.xml, catalog-2.xml, ...), the download pages
    (index.html, index-2.html, ...), the search index and the OpenSearch description
    for `books`, under the folder's catalog (catalog_of), each written to a temp file
    and renamed; pages a smaller shelf no longer has are removed."""
    _write_pages(Path(out_dir), library_pages(books, out_dir, catalog_of(out_dir)))


def library_pages(books, out_dir, catalog):
    """{file name: bytes} of the library's pages for `books` in `out_dir` under
    `catalog` (see write_library_pages), nothing written."""
    from . import listing

    books = list(books)
    proof = next((b.files["proof"] for b in sorted(books, key=lambda b: b.stem)
                  if "proof" in b.files), None)
    pages = listing.catalog_pages(books, catalog=catalog)
    pages.update(listing.download_pages(books, folder=out_dir, catalog=catalog, proof=proof))
    return pages


def _write_pages(out_dir, pages):
    for name, data in pages.items():
        _write(out_dir / name, data)
    for stale in page_files(out_dir):
        if stale.name not in pages and re.fullmatch(r"catalog(-(author|subject))?-\d+"
                                                     r"(-\d+)?\.xml|index-\d+\.html", stale.name):
            stale.unlink(missing_ok=True)


def page_files(out_dir):
    """The library pages (and SHA256SUMS) now in `out_dir`."""
    from . import listing

    out_dir = Path(out_dir)
    named = [out_dir / n for n in ("SHA256SUMS", listing.SEARCH_INDEX, listing.OPENSEARCH)]
    return [*(p for p in named if os.path.lexists(p)), *out_dir.glob("catalog*.xml"),
            *out_dir.glob("index*.html")]


# In RECORDS: the catalog's title and id, kept with the folder. A dot file: no text's
# record (a text's stem never starts with a dot).
CATALOG = ".catalog.json"


def catalog_of(out_dir):
    """The listing.Catalog of the folder `out_dir`, as a build last named it (the
    default one if none did, or if what is kept is not a catalog the feed can hold:
    X015)."""
    from . import listing

    folder = records_folder(out_dir)
    data = _read_own(folder / CATALOG, CATALOG_LIMIT) if folder else None
    if data is None:
        return listing.Catalog()
    try:
        values = json.loads(data)
        catalog = listing.catalog_of({"title": values["title"], "id": values["id"] or None},
                                     str(folder / CATALOG))
    except (ValueError, KeyError, TypeError, RecursionError, UserError):
        catalog = None
    if catalog is None or NOT_XML.search(catalog.title + catalog.id):
        _unusable(folder / CATALOG, "not a catalog's title and id", data)
        return listing.Catalog()
    return catalog


def keep_catalog(out_dir, catalog):
    """Name the folder's catalog `catalog` from now on; say so when its id changes (a
    reader's app then sees another catalog)."""
    before = catalog_of(out_dir)
    if before == catalog:
        return
    folder = records_folder(out_dir, make=True)
    if os.path.lexists(folder / CATALOG) and before.identity != catalog.identity:
        log.warning("%s: the catalog's id changes (%s -> %s): readers' apps will see a new "
                    "catalog", out_dir, before.id or before.title, catalog.id or catalog.title)
    _write(folder / CATALOG,
           json.dumps(dataclasses.asdict(catalog), ensure_ascii=False).encode("utf-8"))


def _write(path, data):
    """Write `data` to a new temp file beside `path` (never through a link planted at
    its name) and rename it to `path`; the temp file goes if that fails."""
    temp = _temp_file(path.parent, path.name)
    temp.unlink(missing_ok=True)
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                     | os.O_CLOEXEC, 0o666)
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


# --- reading the folder's own files back ---------------------------------------------

def _read_own(path, limit):
    """The bytes of the folder's own file `path`, or None if there is none, or if it is
    a link, a pipe, a device or over `limit` bytes (then said: X015). Opened without
    following a link or waiting for a pipe's writer."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        return _unusable(path, "a link")
    with os.fdopen(fd, "rb") as stream:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return _unusable(path, "not a regular file")
        data = stream.read(limit + 1) if info.st_size <= limit else b""
    if info.st_size > limit or len(data) > limit:
        return _unusable(path, f"larger than {limit} bytes")
    return data


_said = set()  # what X015 was said of, in this process: once each


def _unusable(path, why, data=b""):
    """Say (X015, once for each `data`) that the folder's own file `path` is not what
    Samizdat writes there; None: it is read as absent."""
    if (str(path), why, data) not in _said:
        _said.add((str(path), why, data))
        log.warning("%s", Finding("X015", str(path), None, f"{why}: not what Samizdat "
                                  "writes there, so read as if absent (and replaced when "
                                  "next written)", severity="warning"))
    return None


def _regular(path):
    """Whether `path` is a regular file itself (not a link to one)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _file_name(name):
    """Whether `name` can name a file of the folder: no folder, no dot file, no control."""
    return (0 < len(name.encode("utf-8", "surrogatepass")) <= 255 and "/" not in name
            and not name.startswith(".") and not NOT_XML.search(name))


def _output_of(stem, name):
    """Whether `name` can be a file of the text `stem` (see build.outputs)."""
    return _file_name(name) and name.startswith(stem) and name[len(stem):][:1] in (".", "-")


def _texts(value):
    """Whether `value` is text the feeds can hold, or lists and maps of such text."""
    if isinstance(value, str):
        return not NOT_XML.search(value)
    if isinstance(value, list):
        return all(map(_texts, value))
    return isinstance(value, dict) and _texts(list(value)) and _texts(list(value.values()))


# --- records ---------------------------------------------------------------------

def read_record(out_dir, stem):
    """The record of `stem` in `out_dir` as a dict ({"key", "book", "files"}), or None
    (also if it is not a record Samizdat wrote: X015)."""
    folder = records_folder(out_dir)
    data = _read_own(folder / f"{stem}.json", RECORD_LIMIT) if folder else None
    if data is None:
        return None
    record = _parsed_record(data, stem)
    return record or _unusable(folder / f"{stem}.json", "not a record of a text", data)


def _parsed_record(data, stem):
    """The record in `data` if it is one a build of `stem` writes, else None."""
    from . import listing

    try:
        record = json.loads(data)
        book, files = listing.Book(**record["book"]), record["files"]
        valid = (isinstance(record["key"], str) and book.stem == stem
                 and _texts(record["book"]) and isinstance(files, dict)
                 and set(book.files.values()) <= set(files))
        valid = valid and all(_output_of(stem, n) and isinstance(d, str)
                              and re.fullmatch("[0-9a-f]{64}", d) for n, d in files.items())
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return record if valid else None


def write_record(out_dir, stem, record, digests):
    """Shelve `record` of `stem`, whose files now in `out_dir` have `digests`."""
    folder = records_folder(out_dir, make=True)
    data = {"key": record.key, "book": dataclasses.asdict(record.book), "files": digests}
    _write(folder / f"{stem}.json", json.dumps(data, indent=1, sort_keys=True).encode())


def intact(out_dir, files):
    """Whether every file of `files` {name: digest} is in `out_dir` with that digest."""
    return all(_regular(Path(out_dir) / name) and sha256(Path(out_dir) / name) == digest
               for name, digest in files.items())


def shelved_books(out_dir):
    """{stem: Book} of every book an earlier build left in `out_dir` (its record there
    and all its files still there)."""
    from . import listing

    shelved, folder = {}, records_folder(out_dir)
    for record_path in sorted(folder.glob("*.json")) if folder else []:
        if record_path.name.startswith((TEMP, ".")):  # being written; the catalog's
            continue
        record = read_record(out_dir, record_path.stem)
        if record and all(_regular(Path(out_dir) / name) for name in record["files"]):
            shelved[record_path.stem] = listing.Book(**record["book"])
    return shelved


# --- putting a failed run's files back -------------------------------------------------

@contextlib.contextmanager
def undone_on_failure(out_dir, names):
    """Should the block raise, put back the files `names` (relative to `out_dir`: a run's
    outputs and records), the library pages and the catalog's state as they were when
    it began; files that were not there are removed. Kept as hard links (a file here
    is only ever replaced by a rename, never written in place), in a temp folder of
    this process that is removed at the end (or, if the process is killed, by the
    next build: the folder is then as the killed build left it)."""
    out_dir = Path(out_dir)
    keep = out_dir / f"{TEMP}{os.getpid()}-kept"
    kept = {name: None for name in names}
    if out_dir.is_dir():
        with _locked_if_used(out_dir):
            kept = _keep(out_dir, [*names, *_shelf_files(out_dir)], keep)
    try:
        yield
    except BaseException:
        if out_dir.is_dir():
            with _locked_if_used(out_dir):
                _put_back(out_dir, kept)
        raise
    finally:
        shutil.rmtree(keep, ignore_errors=True)


def _locked_if_used(out_dir):
    """The folder's lock, if a build has installed there; else none (nothing installed
    yet, and a failed run must not leave a lock behind)."""
    return locked(out_dir) if os.path.lexists(out_dir / RECORDS) else contextlib.nullcontext()


def _shelf_files(out_dir):
    return [f"{RECORDS}/{CATALOG}", *(p.name for p in page_files(out_dir))]


def _keep(out_dir, names, keep):
    """{name: its hard link in `keep`, or None if there is no such file now}."""
    kept = {}
    for number, name in enumerate(dict.fromkeys(names)):
        if not os.path.lexists(out_dir / name):
            kept[name] = None
            continue
        keep.mkdir(exist_ok=True)
        kept[name] = keep / str(number)
        try:
            os.link(out_dir / name, kept[name], follow_symlinks=False)
        except OSError:  # a file system without hard links
            shutil.copy2(out_dir / name, kept[name], follow_symlinks=False)
    return kept


def _put_back(out_dir, kept):
    """Each file of `kept` (see _keep) back in its place, and the pages made since gone."""
    for stale in page_files(out_dir):
        kept.setdefault(stale.name, None)
    for name, copy in kept.items():
        try:
            if copy is None:
                (out_dir / name).unlink(missing_ok=True)
            else:
                os.replace(copy, out_dir / name)
        except OSError as error:  # the rest is still put back
            log.warning("%s: could not be put back (%s)", out_dir / name, error.strerror)


def input_key(ms, printing):
    """sha256 over everything a build of manuscript `ms` reads: its files as read
    (Manuscript.inputs: the manuscript, every image it names, a Muse text's
    samizdat.yaml), the styles and fonts, Samizdat's code, the print options
    (build.PrintOptions) and the versions of the tools it drives. The one key of a
    single build, a library's and a cluster's client."""
    from importlib.metadata import version

    from .. import PACKAGE, STYLES
    from ..source import pandoc
    from ..writing import fontstack

    digest = hashlib.sha256()
    for name, data in sorted(ms.inputs.items()):
        digest.update(f"{len(name)}:{name}{len(data)}:".encode() + data)
    roots = [PACKAGE, STYLES]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file() and
                           "__pycache__" not in p.parts):
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    # The installed script fonts the text is set in (fontstack): a package upgrade is
    # another font, and other outputs (named by file, size and time: their bytes are
    # 24 MB for a CJK face)
    for face in fontstack.faces(ms.text, ms.lang):
        status = os.stat(face.path)
        digest.update(f"{face.path}:{status.st_size}:{status.st_mtime_ns}".encode())
    # Versions from the installed metadata: importing WeasyPrint here would cost 0.4 s.
    tools = " ".join(version(n) for n in ("weasyprint", "pikepdf", "pypandoc_binary", "pydyf"))
    digest.update(f"{tools} {pandoc.executable()} {printing}".encode())
    return digest.hexdigest()
