"""The Markdown note reader: where notes are called and defined, read from the raw text
the way pandoc reads them, so every line number is exact (lint's N-codes, and the PDF
stage, which matches each note it laid out to its manuscript line)."""

import dataclasses
import re
from dataclasses import dataclass, field

from .text import split_lines

DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\[\s]+)\]:[ \t]?(.*)$")
CALL = re.compile(r"\[\^([^\]\[\s]+)\]")
MARKER = re.compile(r"^ {0,3}\[\^[^\]\[\s]+\]")  # a line starting so ends a note's paragraph
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}#{1,6}(\s|$)")
LIST_ITEM = re.compile(r"^ {0,3}([-+*]|\d+[.)]|[A-Za-z#][.)])(\s|$)")
INDENT = ("    ", "\t")
# What pandoc never reads as a call: a backslash escape; a code span, closed by a run
# of backticks exactly as long as the opening one, before any blank line (when a run
# finds no such closing, pandoc tries again from its next backtick); an HTML comment.
HIDDEN = re.compile(r"\\.|(`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)\1(?!`)|<!--", re.S)


@dataclass
class NoteDef:
    """A note definition: its label, the line of its `[^label]:`, its raw text lines."""

    label: str
    line: int
    text: list = field(default_factory=list)
    swallowed: int | None = None  # the unindented paragraph an empty `[^label]:` took


@dataclass
class NoteScan:
    """Where notes are called and defined, read from the raw text (so lines are exact)."""

    calls: list = field(default_factory=list)        # (label, line, inside-label or None)
    definitions: list = field(default_factory=list)  # NoteDef, in file order
    # calls written as a link's words, `[^1^](#fn:1)`: pandoc reads a link there
    # unless the label is defined (a web page's notes, converted)
    linked: set = field(default_factory=set)         # (label, line)

    def without_links(self):
        """This scan with the calls pandoc reads as links (their labels never defined)
        left out."""
        defined = {note.label for note in self.definitions}
        calls = [call for call in self.calls
                 if call[0] in defined or (call[0], call[1]) not in self.linked]
        return dataclasses.replace(self, calls=calls)


def scan_notes(text, first_line=1):
    """Find note calls and definitions in Markdown `text` the way pandoc reads them.

    Lines are numbered from `first_line` (the line after the YAML block). A call in
    code (fenced or indented block, code span), in an HTML comment or escaped
    (`\\[^1]`) is text. A definition counts only where a block may start (not
    straight after a paragraph line: pandoc reads it as more of the paragraph). It
    runs on through the lines after it up to a blank line or a line starting with a
    note label, then through each later paragraph indented four spaces or a tab.
    """
    return _NoteReader(split_lines(text)[first_line - 1:], first_line).read()


class _NoteReader:
    """Reads the body block by block; each note definition is read as a whole."""

    def __init__(self, lines, first_line):
        self.lines, self.first = lines, first_line
        self.scan = NoteScan()
        self.comment = False   # inside an HTML comment
        self.code = False      # the previous line was in an indented code block
        self.list = False      # in a list, where indented paragraphs are not code
        self.para = []         # the lines of the paragraph being read

    def read(self):
        """The NoteScan of all the lines."""
        at, starts = 0, True  # `starts`: a block (so a definition) may start at line `at`
        while at < len(self.lines):
            at, starts = self._block(at, starts)
        self._end_paragraph()
        return self.scan

    def _block(self, at, starts):
        """Read what starts at line `at`; return (next line, may a block start there)."""
        line = self.lines[at]
        if self.comment and not self.para:
            self._calls_in([at], None)  # past the comment's end only
            return at + 1, starts
        if not line.strip():
            self._end_paragraph()
            return at + 1, True
        match = DEFINITION.match(line) if starts else None
        end = None if match else self._fence_end(at, len(self.lines), starts)
        if match or end is not None:
            self._end_paragraph()
            self.code = self.list = False
            return (self._note(at, match) if match else end + 1), True
        return at + 1, self._text(at, line, starts)

    def _text(self, at, line, starts):
        """A line of a paragraph, heading, list or indented code; True if a block may follow."""
        indented = line.startswith(INDENT)
        self.code = indented and not self.list and (starts or self.code)
        if self.code:
            return True
        if starts and not indented:
            # a list needs a blank line before it (one glued to a paragraph is text)
            self.list = bool(LIST_ITEM.match(line))
        self.para.append(at)
        # A heading is a whole block, but only where a block starts: pandoc reads a
        # '#' line straight after a paragraph line as more of the paragraph.
        if starts and HEADING.match(line):
            self._end_paragraph()
            return True
        return False

    def _end_paragraph(self):
        if self.para:
            self._calls_in(self.para, None)
            self.para = []

    def _note(self, at, match):
        """Read the note defined on line `at`; return the line after it."""
        note = NoteDef(match[1], self.first + at, [match[2]])
        self.scan.definitions.append(note)
        end = self._note_end(at, match[2])
        if self._swallows(at, match[2], end):
            note.swallowed = self.first + at + 2
        note.text += self.lines[at + 1:end]
        self._note_calls(note, at, end, match[2])
        return end

    def _swallows(self, at, first, end):
        """Did the empty `[^label]:` on line `at` take the unindented paragraph after
        the blank line below it? (Likely body text the note was never meant to have.)"""
        lines = self.lines
        return (not first.strip() and at + 2 < end and not lines[at + 1].strip()
                and not lines[at + 2].startswith(INDENT))

    def _note_end(self, at, first):
        """The line after the note whose `[^label]:` is on line `at`, `first` the rest of it."""
        lines, end = self.lines, at + 1
        if not first.strip() and end < len(lines) and not lines[end].strip():
            end += 1  # pandoc reads on past one blank line after an empty `[^label]:`
        end = self._lazy_end(end)
        while True:
            after = end
            while after < len(lines) and not lines[after].strip():
                after += 1
            if after in (end, len(lines)) or not lines[after].startswith(INDENT):
                return end
            end = self._lazy_end(after + 1)  # an indented paragraph of the note

    def _lazy_end(self, at):
        """The first line from `at` that is blank or starts with a note label."""
        lines = self.lines
        while at < len(lines) and lines[at].strip() and not MARKER.match(lines[at]):
            at += 1
        return at

    def _note_calls(self, note, at, end, first):
        """The calls inside the note on lines `at` to `end`, its fenced code skipped."""
        rows, inner = [at], at + 1
        while inner < end:
            fence = self._fence_end(inner, end, True, _dedent)
            if fence is None:
                rows.append(inner)
                inner += 1
            else:
                self._calls_in(rows, note, first)
                rows, first, inner = [], None, fence + 1
        self._calls_in(rows, note, first)

    def _fence_end(self, at, limit, starts, dedent=lambda line: line):
        """Line of the closing fence if a fenced code block opens at line `at`, else None.

        pandoc needs the closing fence (before `limit`), and lets only a backtick
        fence break into a paragraph."""
        match = FENCE.match(dedent(self.lines[at]))
        if not match or not (starts or match[1][0] == "`"):
            return None
        run = match[1]
        for end in range(at + 1, limit):
            closing = self.lines[end].strip()
            if closing and set(closing) == {run[0]} and len(closing) >= len(run):
                return end
        return None

    def _calls_in(self, rows, note, first=None):
        """Record the calls on the consecutive lines `rows`, read as one stretch of text
        (a code span may run over a line end); `first` replaces the first line's text."""
        if not rows:
            return
        texts = [self.lines[row] for row in rows]
        if first is not None:
            texts[0] = first
        visible, self.comment = _visible("\n".join(texts), self.comment)
        for row, line in zip(rows, visible.split("\n")):
            for match in CALL.finditer(line):
                self.scan.calls.append((match[1], self.first + row,
                                        note.label if note else None))
                if line.startswith("(", match.end()):
                    self.scan.linked.add((match[1], self.first + row))


def _dedent(line):
    if line.startswith("\t"):
        return line[1:]
    return line[4:] if line.startswith("    ") else line


def _visible(text, comment):
    """`text` with what pandoc hides from calls blanked (line ends kept, so lines still
    line up); and whether an HTML comment is still open at its end."""
    out, pos = [], 0
    while pos < len(text):
        if comment:
            end = text.find("-->", pos)
            stop = len(text) if end < 0 else end + 3
            out.append(_blank(text[pos:stop]))
            pos, comment = stop, end < 0
            continue
        match = HIDDEN.search(text, pos)
        if not match:
            out.append(text[pos:])
            break
        out += [text[pos:match.start()], _blank(match[0])]
        pos, comment = match.end(), match[0] == "<!--"
    return "".join(out), comment


def _blank(text):
    # Spaces, not nothing: `[^` and `1]` on either side must not join into a call.
    return re.sub(r"[^\n]", " ", text)
