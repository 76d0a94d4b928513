"""samizdat build SOURCE.md --out DIR | samizdat check SOURCE.md

Bad input is one `CODE file:line: message` line per problem on stderr and exit 1,
never a traceback.
"""

import argparse
import logging
import sys

from .errors import UserError

log = logging.getLogger("samizdat")


def parser():
    """The command line."""
    top = argparse.ArgumentParser(prog="samizdat", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build and verify EPUB, PDF and pamphlets")
    build.add_argument("source", help="the manuscript (Markdown with YAML metadata)")
    build.add_argument("--out", default="build", help="output folder (default: build)")
    build.add_argument("-q", "--quiet", action="store_true", help="only problems")
    check = commands.add_parser("check", help="check the manuscript alone")
    check.add_argument("source")
    return top


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
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    for noisy in ("fontTools", "pikepdf", "pikepdf._core"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv=None):
    """Entry point: returns the exit status."""
    args = parser().parse_args(argv)
    setup_logging(quiet=getattr(args, "quiet", False))
    try:
        return run(args)
    except UserError as error:
        for finding in error.findings:
            print(finding, file=sys.stderr)
        return 1 if any(f.is_error for f in error.findings) else 0
    except OSError as error:
        print(f"X002 {error.filename or ''}: {error.strerror}", file=sys.stderr)
        return 1


def run(args):
    from . import build

    if args.command == "check":
        _, warnings = build.check(args.source)
        for warning in warnings:
            print(warning, file=sys.stderr)
        return 0
    build.build(args.source, args.out)
    return 0
