"""Findings (coded problems with a place) and the UserError that carries them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One problem: a stable code, where it is, and what is wrong."""

    code: str
    path: str
    line: int | None
    message: str
    severity: str = "error"

    def __str__(self):
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{self.code} {where}: {self.message}"

    @property
    def is_error(self):
        return self.severity == "error"


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
    from pathlib import Path

    from . import STYLES

    name = error.filename or out_dir or "samizdat"
    why = error.strerror or str(error)
    inside = _inside(name, out_dir)
    if inside or error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
        return Finding("X002", str(out_dir if not inside else name), None,
                       f"the output folder cannot be written: {why}")
    if _inside(name, STYLES) or _inside(name, Path(__file__).parent):
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
