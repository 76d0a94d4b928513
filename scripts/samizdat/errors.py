"""Findings (coded problems with a place) and the UserError that carries them."""

import re
from dataclasses import dataclass

# What must not reach the terminal as it is, in a file name or a quoted text: line
# ends and other control characters (a folder named "x\nE001 ..." would print a
# finding of its own), lone surrogates (a file name that is not UTF-8), and the
# marks that reorder the text shown around them.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e"
                         "\u2066-\u2069\ud800-\udfff]")


@dataclass(frozen=True)
class Finding:
    """One problem: a stable code, where it is, and what is wrong."""

    code: str
    path: str
    line: int | None
    message: str
    severity: str = "error"

    def __str__(self):
        """One line, whatever the file's name or the quoted text holds."""
        where = f"{one_line(self.path)}:{self.line}" if self.line else one_line(self.path)
        return f"{self.code} {where}: {one_line(self.message)}"

    @property
    def is_error(self):
        return self.severity == "error"


def one_line(text):
    """`text` with what would break its line or hide its order escaped (\\n, \\x1b,
    \\u202e, \\udcff): the terminal shows it as one line of plain characters."""
    return UNPRINTABLE.sub(lambda m: m[0].encode("unicode_escape", "backslashreplace")
                           .decode("ascii"), str(text))


class UserError(Exception):
    """Bad input: shown to the user as one line per finding, never as a traceback."""

    def __init__(self, findings):
        if isinstance(findings, Finding):
            findings = [findings]
        self.findings = list(findings)
        super().__init__("\n".join(map(str, self.findings)))


def errors_in(findings):
    """The findings that stop a build (warnings do not)."""
    return [f for f in findings if f.is_error]


def system_finding(error, *, out_dir=None):
    """The coded line for an OSError that is nobody's input: X002 if it is about the
    output folder (or the disk is full), X006 if a file of Samizdat's own is missing
    (a broken install), else X008 naming the file."""
    import errno

    from . import PACKAGE, STYLES

    name = error.filename or out_dir or "samizdat"
    why = error.strerror or str(error)
    inside = _inside(name, out_dir)
    if inside or error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return Finding("X002", str(out_dir if not inside else name), None,
                       f"the output folder cannot be written: {why}")
    if _inside(name, STYLES) or _inside(name, PACKAGE):
        return Finding("X006", str(name), None,
                       f"a file of Samizdat's own cannot be read ({why}): reinstall samizdat")
    return Finding("X008", str(name), None, why)


def _inside(name, folder):
    from pathlib import Path

    if folder is None:
        return False
    try:
        return Path(name).resolve().is_relative_to(Path(folder).resolve())
    except (OSError, ValueError, RuntimeError):
        return False
