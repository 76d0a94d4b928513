"""Source checks: `check(manuscript) -> [Finding]`, one stable code per kind of problem.

Codes (the README has the table):
  N001-N007 notes, M001-M005 metadata, R001-R003 resources.
F-codes (the file itself) come from `manuscript.load`.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from .errors import Finding

REQUIRED = ("title", "author", "date", "lang", "rights")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
LICENCE = re.compile(
    r"anti-?copyright|copyleft|public domain|\bCC0\b|creative commons|\bCC[ -]BY|"
    r"licen[cs]e|\bGPL\b|copyright|©|\(c\)|all rights reserved|no rights reserved",
    re.IGNORECASE)
DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:[ \t]?(.*)$")
CALL = re.compile(r"\[\^([^\]\s]+)\](?!:)")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+).+?\1")


@dataclass
class NoteDef:
    label: str
    line: int
    text: list = field(default_factory=list)


@dataclass
class NoteScan:
    """Where notes are called and defined, read from the raw text (so lines are exact)."""

    calls: list = field(default_factory=list)        # (label, line, inside-label or None)
    definitions: list = field(default_factory=list)  # NoteDef, in file order


def check(ms):
    """All source findings for manuscript `ms`, in file order within each family."""
    return [*check_metadata(ms), *check_notes(ms), *check_resources(ms)]


# --- notes -------------------------------------------------------------------

def scan_notes(text, first_line=1):
    """Find note calls and definitions in Markdown `text` (fenced code skipped)."""
    scan, current, fenced = NoteScan(), None, False
    for number, line in enumerate(text.splitlines()[first_line - 1:], first_line):
        if FENCE.match(line):
            fenced = not fenced
        if fenced or FENCE.match(line):
            continue
        match = DEFINITION.match(line)
        if match:
            current = NoteDef(match[1], number, [match[2]])
            scan.definitions.append(current)
            body = match[2]
        elif current and (not line.strip() or line.startswith(("    ", "\t"))):
            current.text.append(line)
            body = line
        else:
            current, body = None, line
        for label in CALL.findall(CODE_SPAN.sub("", body)):
            scan.calls.append((label, number, current.label if current else None))
    return scan


def check_notes(ms):
    """N-codes: every call defined, every definition called once, no empty or nested note."""
    scan = scan_notes(ms.text, ms.yaml_lines + 1)
    name, defined, findings = ms.name, {}, []
    for note in scan.definitions:
        if note.label in defined:
            findings.append(Finding("N003", name, note.line,
                                    f"note [^{note.label}] is defined twice "
                                    f"(first at line {defined[note.label].line})"))
            continue
        defined[note.label] = note
        if not "".join(note.text).strip():
            findings.append(Finding("N004", name, note.line, f"note [^{note.label}] is empty"))
    findings += _call_findings(name, scan, defined)
    called = {label for label, _, inside in scan.calls if not inside}
    for label, note in defined.items():
        if label not in called:
            findings.append(Finding("N002", name, note.line,
                                    f"note [^{label}] is defined but never called"))
    findings += _order_findings(name, scan)
    return sorted(findings, key=lambda f: (f.line or 0, f.code))


def _call_findings(name, scan, defined):
    findings = []
    for label, line, inside in scan.calls:
        if inside and label not in defined:
            findings.append(Finding("N005", name, line,
                                    f"note [^{label}], called inside note [^{inside}], "
                                    "is never defined"))
        elif inside:
            findings.append(Finding("N007", name, line,
                                    f"note [^{label}] is called inside note [^{inside}]: "
                                    "notes cannot nest"))
        elif label not in defined:
            findings.append(Finding("N001", name, line, f"note [^{label}] is never defined"))
    return findings


def _order_findings(name, scan):
    """N006 (warning): numbered labels whose first calls are out of numeric order."""
    seen, previous = set(), None
    for label, line, inside in scan.calls:
        if inside or label in seen or not label.isdigit():
            continue
        seen.add(label)
        if previous is not None and int(label) < previous:
            return [Finding("N006", name, line,
                            f"note [^{label}] is called after note [^{previous}]: "
                            "notes are numbered in order of their calls", "warning")]
        previous = int(label)
    return []


# --- metadata ----------------------------------------------------------------

def check_metadata(ms):
    """M-codes: required fields present, lang a BCP 47 tag, rights a licence statement."""
    meta, name, findings = ms.meta, ms.name, []
    for key in REQUIRED:
        if not _present(meta.get(key)):
            findings.append(Finding("M001", name, 1, f"metadata has no '{key}'"))
    lang = meta.get("lang")
    if _present(lang) and not _valid_lang(str(lang)):
        findings.append(Finding("M002", name, _key_line(ms, "lang"),
                                f"lang '{lang}' is not a valid BCP 47 language tag"))
    rights = meta.get("rights")
    if _present(rights) and not LICENCE.search(str(rights)):
        findings.append(Finding("M003", name, _key_line(ms, "rights"),
                                f"rights '{rights}' does not state Anti-Copyright or a licence"))
    if not _present(meta.get("identifier")):
        findings.append(Finding("M004", name, 1,
                                "metadata has no 'identifier': builds will not be reproducible",
                                "warning"))
    date = meta.get("date")
    if _present(date) and not DATE.match(str(date)):
        findings.append(Finding("M005", name, _key_line(ms, "date"),
                                f"date '{date}' is not YYYY, YYYY-MM or YYYY-MM-DD"))
    return findings


def _present(value):
    return value is not None and str(value).strip() != "" and value != []


def _valid_lang(tag):
    import langcodes

    return langcodes.tag_is_valid(tag)


def _key_line(ms, key):
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for number, line in enumerate(ms.text.splitlines()[:ms.yaml_lines], 1):
        if pattern.match(line):
            return number
    return 1


# --- resources ---------------------------------------------------------------

def check_resources(ms):
    """R-codes: local files exist and stay inside the manuscript's folder; no remote images."""
    findings = []
    for kind, target in _targets(ms.ast["blocks"]):
        line = ms.line_of(target, ms.yaml_lines + 1)
        finding = _check_target(ms, kind, target, line)
        if finding:
            findings.append(finding)
    return findings


def _check_target(ms, kind, target, line):
    url = urlparse(target)
    scheme = url.scheme.lower()
    if scheme in ("http", "https"):
        if kind == "Image":
            return Finding("R003", ms.name, line,
                           f"image {target} is on the network: builds are offline, "
                           "put the file beside the manuscript")
        return None
    if scheme in ("mailto", "data") or target.startswith("#") or not target:
        return None
    if scheme == "file" or target.startswith(("/", "\\")) or len(scheme) == 1:
        return Finding("R002", ms.name, line,
                       f"{target} is outside the manuscript's folder: refused")
    if scheme:
        return None  # another protocol (ftp:, tel:, ...): a link, never fetched
    local = unquote(url.path)
    resolved = (ms.folder / local).resolve()
    if not resolved.is_relative_to(ms.folder):
        return Finding("R002", ms.name, line,
                       f"{target} is outside the manuscript's folder: refused")
    if not resolved.exists():
        return Finding("R001", ms.name, line, f"{kind.lower()} {target} does not exist")
    return None


def _targets(node):
    """(kind, url) of every Link and Image in the pandoc AST, in document order."""
    if isinstance(node, list):
        for child in node:
            yield from _targets(child)
    elif isinstance(node, dict):
        if node.get("t") in ("Link", "Image"):
            yield node["t"], node["c"][2][0]
        yield from _targets(node.get("c"))
