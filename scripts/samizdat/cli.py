"""samizdat build SOURCE.md [MORE.md ...] --out DIR | samizdat check SOURCE.md ... |
samizdat new PATH.md --title T --author A

Bad input is one `CODE file:line: message` line per problem on stderr and exit 1,
never a traceback.
"""

import argparse
import logging
import sys
import unicodedata

from .errors import Finding, UserError, system_finding
from .process import InternalError

log = logging.getLogger("samizdat")


def parser():
    """The command line."""
    top = argparse.ArgumentParser(prog="samizdat", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=version())
    commands = top.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build and verify EPUB, PDF and pamphlets")
    build.add_argument("sources", nargs="+", metavar="SOURCE",
                       help="manuscripts (Markdown with YAML metadata); several make a library")
    build.add_argument("--out", default="build", type=_folder,
                       help="output folder (default: build)")
    build.add_argument("--duplex", choices=("short", "long"), default=None,
                       help="the edge your printer flips the sheet on (default: short for "
                            "pamphlets, long for pocket books: then no side is turned)")
    build.add_argument("--creep", type=_millimetres, default=None, metavar="MM",
                       help="shift per sheet toward the spine (default: the paper "
                            "thickness, 0.1); 0 turns it off")
    build.add_argument("--paper-thickness", type=_paper, default=None, metavar="MM",
                       help="the bound book's paper, mm a leaf: its spine is one thickness "
                            "per leaf; also the default creep (default: 0.1, office paper)")
    build.add_argument("--marks", action="store_true",
                       help="fold and crop marks (default: none)")
    build.add_argument("--trim", type=_choice("trim"), metavar="SIZE",
                       help="page size: a5, a6, half-letter, quarter-letter or WIDTHxHEIGHT "
                            "in mm or in, e.g. 120x180mm (default: the manuscript's "
                            "`trim`, else A5, with a half-letter pamphlet for Letter too)")
    build.add_argument("--sheet", type=_choice("sheet"), metavar="SHEET",
                       help="the pamphlet's paper: a5, half-letter, a4, letter, legal, a3, "
                            "tabloid (default: the manuscript's `sheet`, else the one the "
                            "trim folds from: A5 -> A4, A6 -> A5, half-letter -> letter)")
    build.add_argument("--type-size", type=_choice("type-size"), metavar="PT",
                       help="base type size in points (default: the manuscript's "
                            "`type-size`, else 10.5)")
    build.add_argument("--font", type=_choice("font"), metavar="FAMILY",
                       help="bundled font family: libertine, gentium (default: the "
                            "manuscript's `font`, else libertine)")
    build.add_argument("--outputs", type=_choice("outputs"), metavar="LIST",
                       help="which of epub,pdf,pamphlet,pocket,book to make; pocket: A6 and "
                            "quarter-letter books 4-up on A4 and Letter; book: a print "
                            "service's interior and cover wrap (default: the "
                            "manuscript's `outputs`, else epub,pdf,pamphlet)")
    build.add_argument("--signature", type=_choice("signature"), metavar="PAGES",
                       help="pages per folded signature, a multiple of 4 (32) or a range "
                            "(32-64) (default: the manuscript's `signature`, else one "
                            "booklet up to 64 pages, past that signatures of at most 64 "
                            "pages with the fewest blanks)")
    build.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="build on the Dask cluster whose scheduler is at ADDRESS, "
                            "e.g. tcp://127.0.0.1:8786; its workers have Samizdat "
                            "installed, no shared folder needed (default: build here)")
    build.add_argument("--catalog-title", default=None, metavar="TEXT",
                       help="the library's name on its catalog and download page "
                            "(default: `catalog: {title: …}` in samizdat.yaml beside the "
                            "texts, else the folder's last one, else 'Samizdat library')")
    build.add_argument("--catalog-id", default=None, metavar="URI",
                       help="the catalog's lasting id, a URI such as urn:uuid:… (default: "
                            "`catalog: {id: …}` in samizdat.yaml, else the folder's last "
                            "one, else one derived from the title)")
    build.add_argument("-j", "--jobs", type=_positive, default=None,
                       help="parallel builds for a library (default: all cores)")
    build.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                       help="stop a text's build after this long (default: 1800)")
    build.add_argument("--memory", type=_gigabytes, default=None, metavar="GB",
                       help="the memory each process of a build may hold, in GB; past it "
                            "the text is stopped (X016) (default: 6)")
    build.add_argument("-q", "--quiet", action="store_true",
                       help="only problems (default: progress too)")
    check = commands.add_parser("check", help="check manuscripts without building")
    check.add_argument("sources", nargs="+", metavar="SOURCE",
                       help="manuscripts: Markdown with YAML metadata, or Muse (.muse)")
    imported = commands.add_parser("import", help="write a Muse text as a Markdown manuscript")
    imported.add_argument("source", metavar="SOURCE.muse", help="the Muse file")
    imported.add_argument("-o", "--output", metavar="PATH.md", default=None,
                          help="the Markdown file to write, never overwritten (default: "
                               "SOURCE with .md)")
    for command in (build, check, imported):
        _metadata_options(command)
    new = commands.add_parser("new", help="start a manuscript that passes the checks")
    new.add_argument("path", metavar="PATH.md", help="the file to write (never overwritten)")
    new.add_argument("--title", required=True, type=_text, help="the text's title (required)")
    new.add_argument("--author", required=True, type=_text, help="who wrote it (required)")
    new.add_argument("--lang", default="en", type=_lang,
                     help="its language, a BCP 47 tag (default: en)")
    new.add_argument("--rights", default=None, type=_text,
                     help="what readers may do with it (default: Anti-Copyright, may be "
                          "freely copied, reprinted and distributed)")
    return top


def _metadata_options(command):
    """--rights and --publisher: what a Muse header never says."""
    for key, what in (("rights", "what readers may do with the text"),
                      ("publisher", "who publishes it")):
        command.add_argument(f"--{key}", default=None, metavar="TEXT", type=_text,
                             help=f"for Muse texts, {what} (default: `{key}:` in "
                                  "samizdat.yaml beside the text, else none)")


def _given_meta(args):
    return {key: getattr(args, key) for key in ("rights", "publisher")
            if getattr(args, key, None) is not None}


def version():
    """`samizdat --version`: Samizdat's version and the tools' it drives."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    from . import __version__

    tools = []
    for name, shown in (("weasyprint", "WeasyPrint"), ("pypandoc_binary", "pypandoc_binary")):
        try:
            tools.append(f"{shown} {installed(name)}")
        except PackageNotFoundError:
            tools.append(f"{shown} missing")
    return f"samizdat {__version__} ({', '.join(tools)})"


def _lang(text):
    from .source.metadata import LANG_SHAPE

    if not LANG_SHAPE.fullmatch(text):
        raise argparse.ArgumentTypeError(f"not a BCP 47 language tag: {text!r}")
    return text


def _within(kind, low, high, what, unit=""):
    """An argparse type: a `kind` (int or float) from `low` to `high`."""
    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if not low <= value <= high:  # NaN too
            raise argparse.ArgumentTypeError(
                f"must be between {low} and {high}{unit}, not {text}")
        return value
    return convert


_positive = _within(int, 1, 256, "a whole number")
_seconds = _within(float, 1, 86400, "a number of seconds", " s")
_millimetres = _within(float, 0, 5, "a number of millimetres", " mm")
_gigabytes = _within(float, 0.25, 1024, "a number of gigabytes", " GB")
_paper = _within(float, 0.03, 1, "a number of millimetres", " mm")  # tissue to card


def _choice(key):
    """An argparse type checking a print choice with its editions reader; the text is
    kept, to be weighed against the manuscript's own (see editions.Choices.of)."""
    def convert(text):
        from . import editions

        try:
            editions.READERS[key](text)
        except editions.ChoiceError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return text
    return convert


def _text(text):
    """An argparse type: one line of text. Bytes that are not UTF-8 on the command line
    arrive as lone surrogates, which no file can hold (they ended in X009)."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise argparse.ArgumentTypeError(f"not UTF-8 text: {text.encode('utf-8', 'replace')!r}")
    if any(unicodedata.category(c) == "Cc" or c in "\u2028\u2029" for c in text):
        raise argparse.ArgumentTypeError(f"a control character or line break in {text!r}")
    return text


def _folder(text):
    if not text.strip() or "\x00" in text:
        raise argparse.ArgumentTypeError("an output folder must be named")
    return text


class _Stderr(logging.StreamHandler):
    """A handler writing to sys.stderr as it is at each message, not as it was when the
    handler was made: main() may run many times in one process (tests swap stderr)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _):
        pass


def setup_logging(quiet=False):
    """Progress lines (or, if `quiet`, only warnings) to stderr as plain messages."""
    root = logging.getLogger()
    if not any(isinstance(h, _Stderr) for h in root.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    from .build import quiet_libraries

    quiet_libraries()


def main(argv=None):
    """Entry point: returns the exit status."""
    from . import scratch

    args = parser().parse_args(argv)
    setup_logging(quiet=getattr(args, "quiet", False))
    scratch.own()  # removed when the process ends (at entry()'s exit, or at Python's)
    try:
        return run(args)
    except UserError as error:
        for finding in error.findings:
            print(finding, file=sys.stderr)
        return 1 if any(f.is_error for f in error.findings) else 0
    except OSError as error:  # the output folder, the disk, the install: not the input's
        print(system_finding(error, out_dir=getattr(args, "out", None)), file=sys.stderr)
        return 1
    except InternalError as error:  # a fault of Samizdat's: say so, in one line
        return _internal(error, error.details)
    except Exception as error:  # noqa: BLE001 - the same, from this process
        import traceback

        return _internal(error, traceback.format_exc())


def _internal(error, details):
    """X009: a fault in Samizdat, not in the input. One line; the traceback goes to the
    file named by SAMIZDAT_DEBUG, if set, for a bug report."""
    import os

    target = os.environ.get("SAMIZDAT_DEBUG")
    if target:
        with open(target, "a", encoding="utf-8") as stream:
            stream.write(details)
    print(f"X009 samizdat: internal error ({type(error).__name__}: "
          f"{' '.join(str(error).split())[:200]}); please report it"
          + ("" if target else " with SAMIZDAT_DEBUG=FILE set, which writes the details"),
          file=sys.stderr)
    return 70


def entry():
    """The `samizdat` command: main(), then exit without tearing the interpreter down.

    Every output is written, closed and renamed by then; what is left is freeing the
    layouts' objects one by one and unloading libraries, about 0.15 s of a 2 s build
    for nothing. So flush what is buffered and leave."""
    import contextlib
    import logging
    import os

    from . import scratch

    status = main()
    scratch.release()  # every temporary file of this run and its children
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a reader that went away is not our failure
            stream.flush()
    os._exit(status)


def run(args):
    """Run `check` or `build`; return the exit status."""
    from . import build, editions
    from .library import local

    if args.command == "check":
        return _check_all(build, args.sources, given=_given_meta(args))
    if args.command == "new":
        return _new(args)
    if args.command == "import":
        return _import(args)
    paper = build.PAPER_THICKNESS_MM if args.paper_thickness is None else args.paper_thickness
    printing = build.PrintOptions(
        duplex=args.duplex, marks=args.marks, meta=tuple(_given_meta(args).items()),
        creep_mm=paper if args.creep is None else args.creep, paper_mm=paper,
        given=tuple((key, getattr(args, key.replace("-", "_")))
                    for key in editions.READERS
                    if getattr(args, key.replace("-", "_")) is not None))
    timeout = args.timeout or build.process.TIMEOUT
    build.process.bound_memory(args.memory or build.process.MEMORY_GB)
    catalog = local.catalog_for(args.sources, title=args.catalog_title, id_=args.catalog_id)
    if args.scheduler:
        books, findings = _on_cluster(args, printing, timeout, catalog)
    else:
        books, findings = local.build_library(args.sources, args.out, jobs=args.jobs,
                                                 printing=printing, timeout=timeout,
                                                 catalog=catalog)
    for finding in findings:
        print(finding, file=sys.stderr)
    return 1 if any(f.is_error for f in findings) else 0


def _new(args):
    from .source import scaffold

    rights = args.rights or scaffold.DEFAULT_RIGHTS
    path = scaffold.new(args.path, title=args.title, author=args.author, lang=args.lang,
                        rights=rights)
    log.info("Wrote %s: write your text below its metadata, then `samizdat build %s`",
             path, path)
    return 0


def _on_cluster(args, printing, timeout, catalog):
    try:
        import distributed  # noqa: F401 - only to say so when it is not installed

        from .library import cluster
    except ImportError:
        raise UserError(Finding("X013", args.scheduler, None, "--scheduler needs Dask: "
                                "pip install 'samizdat[cluster]'")) from None
    return cluster.build_library(args.sources, args.out, scheduler=args.scheduler,
                                 printing=printing, timeout=timeout, catalog=catalog)


def _import(args):
    from .source import scaffold

    path = scaffold.write_markdown(args.source, args.output, given=_given_meta(args))
    log.info("Wrote %s: `samizdat check %s` says what it still needs", path, path)
    return 0


def _check_all(build, sources, *, given=None):
    status = 0
    for source in sources:
        try:
            _, findings = build.check(source, given=given)
        except UserError as error:
            findings, status = error.findings, 1
        for finding in findings:
            print(finding, file=sys.stderr)
    return status
