"""Source checks: `check(manuscript) -> [Finding]`, one stable code per kind of problem.

Codes:
  N001 call never defined          N005 call inside a note to no note
  N002 definition never called     N006 notes not called in numeric order (warning)
  N003 label defined twice         N007 call inside a note (notes cannot nest)
  N004 empty note                  N008 note called twice: printed twice (warning)
  M001 title/author/date/lang/rights missing   M004 no identifier (warning)
  M002 lang not BCP 47   M003 rights not a licence   M005 date not YYYY[-MM[-DD]]
  R001 local file missing   R002 path outside the manuscript's folder
  R003 image from the network
F-codes (the file itself) come from `manuscript.load`.
"""

import datetime
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from .errors import Finding

REQUIRED = ("title", "author", "date", "lang", "rights")
DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
LANG_SHAPE = re.compile(r"[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*")
LICENCE = re.compile(
    r"anti-?copyright|copyleft|public domain|\bCC0\b|creative commons|\bCC[ -]BY|"
    r"licen[cs]e|\bGPL\b|copyright|©|\(c\)|all rights reserved|no rights reserved",
    re.IGNORECASE)
DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\[\s]+)\]:[ \t]?(.*)$")
CALL = re.compile(r"\[\^([^\]\[\s]+)\]")
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
INDENT = ("    ", "\t")
# What pandoc never reads as a call: a backslash escape, a code span (its closing run
# of backticks exactly as long as the opening one), the start of an HTML comment.
HIDDEN = re.compile(r"\\.|(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)|<!--")


@dataclass
class NoteDef:
    """A note definition: its label, the line of its `[^label]:`, its raw text lines."""

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
    """Find note calls and definitions in Markdown `text` the way pandoc reads them.

    Lines are numbered from `first_line` (the line after the YAML block). A call in
    code (fenced block or code span), in an HTML comment or escaped (`\\[^1]`) is
    text. A definition only counts where a block may start (not straight after a
    paragraph line, where pandoc reads it as text), and runs on through the lines
    that follow it and through later paragraphs indented four spaces or a tab.
    """
    reader = _NoteReader()
    for number, line in enumerate(text.splitlines()[first_line - 1:], first_line):
        reader.feed(number, line)
    return reader.scan


class _NoteReader:
    """The line-by-line state of `scan_notes`."""

    def __init__(self):
        self.scan = NoteScan()
        self.fence = None      # the opening run of an open fenced code block
        self.comment = False   # inside an HTML comment
        self.note = None       # the NoteDef whose text this line may continue
        self.blank = True      # the previous line was blank
        self.opens = True      # a definition may start on this line

    def feed(self, number, line):
        """Read one line."""
        if self.fence:
            self._in_fence(line)
        elif self.comment:
            self._calls(number, line, self.note)  # only looks past the comment's end
        elif not line.strip():
            self.blank = self.opens = True
        elif self._open_fence(line):
            self.blank = False
        else:
            self._text(number, line)
            self.blank = False

    def _text(self, number, line):
        match = DEFINITION.match(line) if self.opens else None
        if match:
            self.note = NoteDef(match[1], number, [match[2]])
            self.scan.definitions.append(self.note)
            self._calls(number, match[2], self.note)
        elif self.note and (not self.blank or line.startswith(INDENT)):
            self.note.text.append(line)  # a lazy line or an indented paragraph of the note
            self._calls(number, line, self.note)
        else:
            self.note = None
            self.opens = bool(HEADING.match(line))  # a heading is a whole block
            self._calls(number, line, None)

    def _open_fence(self, line):
        """Open a fenced code block if `line` starts one, in the body or in the note."""
        in_note = self.note and self.blank and line.startswith(INDENT)
        match = FENCE.match(_dedent(line) if in_note else line)
        if match:
            self.fence = match[1]
            if self.blank and not in_note:
                self.note = None  # an unindented block after a blank line ends the note
        return bool(match)

    def _in_fence(self, line):
        closing = line.strip()
        if closing and set(closing) == {self.fence[0]} and len(closing) >= len(self.fence):
            self.fence, self.opens, self.blank = None, True, False

    def _calls(self, number, text, note):
        visible, self.comment = _visible(text, self.comment)
        for label in CALL.findall(visible):
            self.scan.calls.append((label, number, note.label if note else None))


def _dedent(line):
    return line[1:] if line.startswith("\t") else line[4:]


def _visible(text, comment):
    """`text` with what pandoc hides from calls blanked; and whether a comment is still open."""
    out, pos = [], 0
    while pos < len(text):
        if comment:
            end = text.find("-->", pos)
            if end < 0:
                break
            pos, comment = end + 3, False
            continue
        match = HIDDEN.search(text, pos)
        if not match:
            out.append(text[pos:])
            break
        # A space, not nothing: `[^` and `1]` on either side must not join into a call.
        out += [text[pos:match.start()], " "]
        pos, comment = match.end(), match[0] == "<!--"
    return "".join(out), comment


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
            findings.append(Finding("N004", name, note.line,
                                    f"note [^{note.label}] is empty: write its text after "
                                    f"'[^{note.label}]:'"))
    findings += _call_findings(name, scan, defined)
    called = {label for label, _, inside in scan.calls if not inside}
    for label, note in defined.items():
        if label not in called:
            findings.append(Finding("N002", name, note.line,
                                    f"note [^{label}] is defined but never called, so it "
                                    "would not be printed"))
    findings += _order_findings(name, scan) + _repeat_findings(name, scan, defined)
    return sorted(findings, key=lambda f: (f.line or 0, f.code))


def _call_findings(name, scan, defined):
    findings = []
    for label, line, inside in scan.calls:
        if inside and label not in defined:
            findings.append(Finding("N005", name, line,
                                    f"note [^{inside}] calls note [^{label}], "
                                    "which is never defined"))
        elif inside:
            findings.append(Finding("N007", name, line,
                                    f"note [^{inside}] calls note [^{label}]: notes cannot "
                                    "nest, move the call into the text"))
        elif label not in defined:
            findings.append(Finding("N001", name, line,
                                    f"note [^{label}] is called but never defined: "
                                    f"add a line '[^{label}]: ...'"))
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
                            f"note [^{label}] is called after note [^{previous}]: notes "
                            "are numbered in the order of their calls, not by label",
                            "warning")]
        previous = int(label)
    return []


def _repeat_findings(name, scan, defined):
    """N008 (warning): a note called twice is printed twice, under two numbers."""
    first, findings = {}, []
    for label, line, inside in scan.calls:
        if inside or label not in defined:
            continue
        if label in first:
            findings.append(Finding("N008", name, line,
                                    f"note [^{label}] is called a second time (first call: line "
                                    f"{first[label]}): it will be printed twice, under "
                                    "two numbers", "warning"))
        first.setdefault(label, line)
    return findings


# --- metadata ----------------------------------------------------------------

def check_metadata(ms):
    """M-codes: required fields present, lang a BCP 47 tag, rights a licence statement."""
    meta, name, findings = ms.meta, ms.name, []
    for key in REQUIRED:
        if not _present(meta.get(key)):
            findings.append(Finding("M001", name, _key_line(ms, key),
                                    f"the metadata has no '{key}'"))
    lang = meta.get("lang")
    if _present(lang) and not _valid_lang(str(lang)):
        findings.append(Finding("M002", name, _key_line(ms, "lang"),
                                f"lang '{lang}' is not a BCP 47 language tag "
                                "(such as en, en-US or pt-BR)"))
    rights = meta.get("rights")
    if _present(rights) and not LICENCE.search(str(rights)):
        findings.append(Finding("M003", name, _key_line(ms, "rights"),
                                f"rights '{rights}' is not a licence statement (such as "
                                "Anti-Copyright or CC BY-SA 4.0)"))
    if not _present(meta.get("identifier")):
        findings.append(Finding("M004", name, 1,
                                "the metadata has no 'identifier': builds will not be "
                                "reproducible", "warning"))
    date = meta.get("date")
    if _present(date) and not _valid_date(str(date)):
        findings.append(Finding("M005", name, _key_line(ms, "date"),
                                f"date '{date}' is not a date written YYYY, YYYY-MM "
                                "or YYYY-MM-DD"))
    return findings


def _present(value):
    return value not in (None, [], {}) and str(value).strip() != ""


def _valid_lang(tag):
    import langcodes

    # langcodes also takes POSIX locales (en_US); EPUB wants the tag itself (en-US).
    return LANG_SHAPE.fullmatch(tag) is not None and langcodes.tag_is_valid(tag)


def _valid_date(text):
    """YYYY, YYYY-MM or YYYY-MM-DD, and a day that exists."""
    match = DATE.fullmatch(text)
    if not match:
        return False
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _key_line(ms, key):
    """The line of top-level metadata key `key`, or 1 (the YAML block) if it has none."""
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for number, line in enumerate(ms.text.splitlines()[:ms.yaml_lines], 1):
        if pattern.match(line):
            return number
    return 1


# --- resources ---------------------------------------------------------------

def check_resources(ms):
    """R-codes: local files exist and stay inside the manuscript's folder; no remote images."""
    findings, seen = [], {}
    for kind, target in _targets(ms.ast["blocks"]):
        seen[target] = seen.get(target, 0) + 1
        finding = _check_target(ms, kind, target, _target_line(ms, target, seen[target]))
        if finding:
            findings.append(finding)
    return findings


def _target_line(ms, target, nth):
    """The line of the `nth` use of `target`, as written (pandoc may have %-encoded it)."""
    lines = []
    for number, line in enumerate(ms.text.splitlines()[ms.yaml_lines:], ms.yaml_lines + 1):
        if target in line or unquote(target) in line:
            lines.append(number)
    return lines[min(nth, len(lines)) - 1] if lines else None


def _check_target(ms, kind, target, line):
    url = urlparse(target)
    scheme = url.scheme.lower()
    if target.startswith("#") or not target or scheme in ("mailto", "data"):
        return None
    if scheme == "file" or target.startswith(("/", "\\")) or len(scheme) == 1:
        return Finding("R002", ms.name, line,
                       f"{kind.lower()} {target} leaves the manuscript's folder: refused "
                       "(use files in that folder or below it)")
    if scheme:
        if kind == "Image":
            return Finding("R003", ms.name, line,
                           f"image {target} is on the network: builds are offline, "
                           "put the file beside the manuscript")
        return None  # a link to the web (or ftp:, tel:, ...): the reader follows it, we never do
    return _check_local(ms, kind, target, line)


def _check_local(ms, kind, target, line):
    """R002 if the relative path `target` leaves the manuscript's folder, R001 if missing."""
    try:
        resolved = (ms.folder / unquote(urlparse(target).path)).resolve()
        exists = resolved.exists()
    except (OSError, ValueError):  # a name too long, a NUL byte (%00): no such file either
        resolved, exists = ms.folder, False
    if not resolved.is_relative_to(ms.folder):
        return Finding("R002", ms.name, line,
                       f"{kind.lower()} {target} leaves the manuscript's folder: refused "
                       "(use files in that folder or below it)")
    if not exists:
        return Finding("R001", ms.name, line,
                       f"{kind.lower()} {target} does not exist (paths are relative "
                       "to the manuscript's folder)")
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
