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
