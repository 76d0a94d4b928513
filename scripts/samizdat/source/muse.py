"""The Anarchist Library's own sources: Muse markup (amusewiki) as a Samizdat manuscript.

A Muse file is a header of `#key value` lines, then text with `[1]` notes and `{1}`
secondary notes (an editor's or translator's), `<verse>`, `<quote>`, tables and
headings `*` to `*****`. `convert()` makes the equivalent Samizdat Markdown:

- the header becomes the YAML metadata (MAPPING); what a Muse header never says
  (rights, publisher, the library) comes from `samizdat.yaml` beside the text (one for
  a whole shelf) or from the command line, the header winning where both speak;
- the body is read by pandoc's Muse reader, after each secondary note is renamed to a
  primary one (pandoc's reader drops `{1}`) and marked; its Markdown begins such a note
  with `[]{.secondary}`, and the build numbers those a, b, c in a series of their own.
  A secondary note called from inside a note is called right after that note's call
  (Markdown, EPUB and print all keep notes one deep).

Notes are checked here, on the Muse text, so that messages give its lines (N-codes);
a finding of the other checks, made on the Markdown, is given the Muse line of its
words where they can be found, of a link or image its line (`Origin.line_of`).
"""

import bisect
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import Finding, UserError
from . import pandoc, resources
from .metadata import derived_identifier

# Muse header key -> Samizdat metadata key
MAPPING = {"title": "title", "subtitle": "subtitle", "author": "author", "date": "date",
           "source": "source", "lang": "lang", "pubdate": "pubdate", "topics": "subject",
           "notes": "description"}
SHELF_FILE = "samizdat.yaml"
# What a shelf's file may say: of each text on it, and of the library's catalog.
TEXT_KEYS = ("rights", "publisher", "library")
SHELF_KEYS = (*TEXT_KEYS, "catalog")
MAX_SHELF_BYTES = 1024 * 1024
SECONDARY = "secondary"  # the class of the empty span that opens a secondary note
_MARK = "SAMIZDATSECONDARYNOTE"  # a word no text has: marks a renamed {N} for the AST pass

DIRECTIVE = re.compile(r"#([A-Za-z0-9_-]+)(?:[ \t]+(.*))?$")
# Where Muse takes text as it is: no note is called there.
VERBATIM = re.compile(r"<verbatim>.*?</verbatim>|<code>.*?</code>|=[^=\s][^=]*=", re.S)
# Where Muse takes lines as they are, or drops them (<comment>): no note is called there.
BLOCK_OPEN = re.compile(r"^\s*(\{\{\{|<example>|<src\b[^>]*>|<verbatim>|<literal\b[^>]*>"
                        r"|<comment>)\s*$")
BLOCK_CLOSE = {"{{{": "}}}", "<example>": "</example>", "<src": "</src>",
               "<verbatim>": "</verbatim>", "<literal": "</literal>", "<comment>": "</comment>"}
# <verse> calls notes but defines none (Text::Amuse reads its lines as verse)
VERSE = re.compile(r"<(/?)verse>")
# A note's number as Text::Amuse reads it: ASCII digits, not starting with 0 ("[0]",
# "[01]" and "[١]" are text, to pandoc's Muse reader as well)
CALL = re.compile(r"\[([1-9][0-9]*)\]|\{([1-9][0-9]*)\}")
# Python reads no number of over 4,300 digits; no book numbers its notes with 100.
MAX_NOTE_DIGITS = 100
# <center> and <right> blocks, which pandoc's Muse reader reads as plain paragraphs
ALIGNED = re.compile(r"<(/?)(center|right)>")
# Text::Amuse's language switch, `<[it]>…</[it]>`: on lines of its own around blocks,
# or inline. pandoc's Muse reader knows none and printed the tags as text (amusewiki's
# languages.muse, and its Persian, Chinese, Japanese and Indonesian test files).
LANGUAGE = re.compile(r"<(/?)\[([a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)\]>")
_LANG_CLASS = "samizdat-lang-"
NEWPAGE = re.compile(r" {6,}(\* ?){5}\s*$")  # Text::Amuse's page break: it ends a note
_ALIGN = "SAMIZDATALIGN"
# A definition, as Text::Amuse reads one: a label at the very start of a line, then
# spaces (a tab is four) and text. A label alone on its line is a call, or text.
DEFINITION = re.compile(r"(\[([1-9][0-9]*)\]|\{([1-9][0-9]*)\})(?=[ \t]+\S)")
LONE_LABEL = re.compile(r"(\[[1-9][0-9]*\]|\{[1-9][0-9]*\})[ \t]*$")
_CALL_FIRST = "<verbatim></verbatim>"  # before a lone label: pandoc would define a note


@dataclass(frozen=True)
class Note:
    """A note's call or definition in the Muse text: `secondary` for `{N}`."""

    number: int
    secondary: bool
    line: int
    text: str = ""  # a definition's words

    @property
    def label(self):
        return f"{{{self.number}}}" if self.secondary else f"[{self.number}]"


@dataclass
class Origin:
    """Where a Markdown manuscript converted from Muse came from: the Muse text and
    header lines, for messages that speak of the file the user has."""

    text: str
    header: dict  # Muse key -> (value, line)
    body_line: int  # the first line after the header
    shelf: Path | None = None  # the samizdat.yaml that was read (a cluster sends it)
    shelf_data: bytes = b""  # its bytes as read
    _aligned: dict = field(default_factory=dict, repr=False, compare=False)

    def key_line(self, key):
        """The Muse line of metadata key `key`'s directive, or 1."""
        for muse_key, ours in MAPPING.items():
            if ours == key and muse_key in self.header:
                return self.header[muse_key][1]
        return 1

    @functools.cached_property
    def _muse_lines(self):
        return self.text.split("\n")

    @functools.cached_property
    def _stream(self):
        """(words, their Muse lines, {word: its places}) of the body, a link written
        as its text (its target is elsewhere in the Markdown)."""
        words, lines, places = [], [], {}
        for number, line in enumerate(self._muse_lines[self.body_line - 1:], self.body_line):
            for word in _words(CALL.sub(" ", MUSE_TARGET.sub("[[", line))).split():
                places.setdefault(word, []).append(len(words))
                words.append(word)
                lines.append(number)
        return words, lines, places

    def line_of(self, markdown_line, markdown):
        """The Muse line of line `markdown_line` of the Markdown `markdown`: of the link
        or image it holds where the Muse text has them on one line, else where its
        words start; None when they cannot be found."""
        key = hash(markdown)  # one Markdown text per Origin: no copy of it kept
        if key not in self._aligned:
            lines = markdown.split("\n")
            self._aligned[key] = (self._align(lines), lines)
        aligned, lines = self._aligned[key]
        line = aligned.get(markdown_line)
        if line is None:
            return None
        return self._target_line(lines[markdown_line - 1], line) or line

    def _align(self, lines):
        """{Markdown line: Muse line} for the Markdown body `lines`, found in order: the
        first words of each line, where they next occur in the Muse text (notes, which
        Markdown writes at the end, from its start)."""
        first = lines.index("---", 1) + 2 if lines[:1] == ["---"] and "---" in lines[1:] \
            else 1
        aligned, cursor = {}, 0
        for number in range(first, len(lines) + 1):
            every = _markdown_words(lines[number - 1])
            words = every[:6]
            if not words:
                continue
            at = self._find(words, cursor)
            if at is None:
                at = self._find(words, 0)
            else:  # past the line, about: its words are the Muse text's, give or take
                cursor = at + max(len(words), len(every) - 2)
            if at is not None:
                aligned[number] = self._stream[1][at]
        return aligned

    def _find(self, words, start):
        """Where in the Muse body `words` next occur from word `start` on, or None. The
        search starts from their rarest word, and gives up after MAX_TRIES places of it
        (a hostile text's lines could all start alike)."""
        stream, _, places = self._stream
        offset = min(range(len(words)), key=lambda i: len(places.get(words[i], ())))
        candidates = places.get(words[offset], [])
        first = bisect.bisect_left(candidates, start + offset)
        for index in range(first, min(first + MAX_TRIES, len(candidates))):
            at = candidates[index] - offset
            if stream[at:at + len(words)] == words:
                return at
        return None

    def _target_line(self, markdown_line, line):
        """The one Muse line, in the paragraph starting on `line`, holding the links
        and images of `markdown_line`, or None."""
        targets = set(re.findall(r"\]\(<?([^)\s>]+)", markdown_line))
        if not targets:
            return None
        lines, found = self._muse_lines, set()
        for number in range(line, len(lines) + 1):
            if not lines[number - 1].strip():
                break
            held = {t for t in targets if t in lines[number - 1]}
            found |= {number} if held else set()
            targets -= held
        return found.pop() if len(found) == 1 and not targets else None


def _markdown_words(line):
    """The words of a Markdown line as they are in the Muse text: no note calls (pandoc
    numbers them anew), no heading ids, a link's or image's text."""
    return _words(MARKDOWN_MARKS.sub(" ", MARKDOWN_TARGET.sub(_link_text, line))).split()


def _link_text(match):
    """A Markdown link or image as the words Muse writes: its text, or, with none, its
    target ([[x.png]] is ![](x.png))."""
    return match[1] or match[2]


MAX_TRIES = 64  # places of a word where Origin._find looks for a line's words
# [[target][ in a Muse link, and a Markdown link's or image's [text](target "title")
MUSE_TARGET = re.compile(r"\[\[[^\]\[]*\]\[")
MARKDOWN_MARKS = re.compile(r"\[\^[^\]\s]+\]:?|\{#[^}]*\}\s*$|\[\]\{\.secondary\}")
MARKDOWN_TARGET = re.compile(r"!?\[([^\]\[]*)\]\(<?([^)\s>]*)>?(?:\s[^)]*)?\)")


def _words(line):
    return " ".join(re.findall(r"\w+", line.lower()))


def is_muse(path):
    return Path(path).suffix.lower() == ".muse"


def parse_header(text):
    """({key: (value, line)}, first body line) of Muse `text`: leading `#key value`
    lines, blank lines between them allowed; a line right under a directive that
    starts no other continues it. The body starts at the first other line."""
    header, key, lines = {}, None, text.split("\n")
    for number, line in enumerate(lines, 1):
        match = DIRECTIVE.match(line)
        if match:
            key = match[1].lower()
            header[key] = ((match[2] or "").strip(), number)
        elif not line.strip():
            key = None  # a blank line ends a directive, not the header
        elif key and not line.startswith("#"):
            value, at = header[key]
            header[key] = (f"{value} {line.strip()}".strip(), at)
        else:
            return header, _body_start(lines, number)
    return header, len(lines) + 1


def _body_start(lines, number):
    """The first line of the body: blank lines after the header are the body's."""
    while number > 1 and not lines[number - 2].strip():
        number -= 1
    return number


def metadata(header, shelf=None, given=None):
    """Samizdat metadata from a Muse `header`, filled in from `shelf` (samizdat.yaml)
    and then `given` (the command line's), each only where the one before is silent."""
    meta = {}
    listed = "author" not in header and "authors" in header  # amusewiki's list of authors
    if listed:
        header = {**header, "author": header["authors"]}
    for muse_key, ours in MAPPING.items():
        value = header.get(muse_key, ("", 0))[0]
        if not value:
            continue
        if ours == "subject" or (ours == "author" and listed):
            meta[ours] = [t.strip() for t in value.split(",") if t.strip()]
        elif ours == "date":
            year = re.search(r"\b(1[0-9]{3}|20[0-9]{2})\b", value)
            if year:
                meta[ours] = year[1]
        else:
            meta[ours] = value
    for source in ({k: v for k, v in (shelf or {}).items() if k in TEXT_KEYS}, given or {}):
        for key, value in source.items():
            meta.setdefault(key, value)
    return meta


def read_shelf(folder):
    """(path, {key: value}) of the samizdat.yaml in `folder`, or (None, {}) (see
    read_shelf_as_read)."""
    path, values, _ = read_shelf_as_read(folder)
    return path, values


def read_shelf_as_read(folder):
    """(path, {key: value}, bytes as read) of the samizdat.yaml in `folder`, or (None,
    {}, b""). F000 when it cannot be read or links out of the folder; F003 when it does
    not parse or is no mapping; M009 for a key a shelf cannot set."""
    path = Path(folder) / SHELF_FILE
    if not path.is_file():
        return None, {}, b""
    if path.is_symlink() and not path.resolve().is_relative_to(Path(folder).resolve()):
        raise UserError(Finding("F000", str(path), None, "a link to a file outside its "
                                "folder: refused"))
    try:
        data = resources.read_beneath(Path(folder).resolve(), path.resolve(), MAX_SHELF_BYTES)
    except (OSError, resources.TooLarge) as error:
        raise UserError(Finding("F000", str(path), None,
                                f"cannot read: {getattr(error, 'strerror', error)}")) from None
    try:
        values = yaml.safe_load(data.decode("utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as error:
        raise UserError(Finding("F003", str(path), None, f"does not parse: "
                                f"{getattr(error, 'problem', None) or error}")) from None
    if not isinstance(values, dict):
        raise UserError(Finding("F003", str(path), 1, "must be a mapping of keys"))
    unknown = [str(k) for k in values if k not in SHELF_KEYS]
    if unknown:
        raise UserError(Finding("M009", str(path), None, f"a shelf's file may set "
                                f"{', '.join(SHELF_KEYS)}, not {', '.join(unknown)}"))
    return path, values, data


# --- notes ----------------------------------------------------------------------

@dataclass
class _Reading:
    """What a pass over a Muse body found and wrote."""

    calls: list = field(default_factory=list)  # (Note, the note it is in, or None)
    as_text: list = field(default_factory=list)  # (Note, its note): calls Muse prints as text
    definitions: list = field(default_factory=list)
    lines: list = field(default_factory=list)  # the body, rewritten for pandoc


def scan(text, body_line, *, offset=None, defined=frozenset()):
    """A _Reading of Muse `text` from line `body_line` on. A definition is a label at
    the start of a line followed by text, as Text::Amuse reads it (DEFINITION; none in
    <verse>); its text runs on through the lines after it to a blank line, and through
    later paragraphs indented as its text is (give or take a space). Text Muse takes as
    it is (verbatim, code, examples) or drops (comments) calls nothing, and a note
    calls only secondary notes: a primary call in a note, or any in a secondary one, is
    text. With `offset`, the lines are rewritten for pandoc's reader, which reads Muse
    otherwise: each secondary note in `defined` ((number, True) pairs) renamed
    [offset + N], its definition opened by _MARK; a call Muse prints as text kept as
    text; {{{ }}} written <example>; a note's later paragraphs indented as pandoc
    continues a note, and ended where Muse ends it."""
    reading, state = _Reading(), _State()
    for number, line in enumerate(text.split("\n")[body_line - 1:], body_line):
        if state.closing or BLOCK_OPEN.match(line):
            reading.lines.append(_in_block(state, line, offset))
            continue
        aligned = ALIGNED.fullmatch(line.strip()) or LANGUAGE.fullmatch(line.strip())
        if aligned and offset is not None:  # a mark for _align, a paragraph of its own
            kind = aligned[2] if aligned.re is ALIGNED else f"lang-{aligned[2]}"
            reading.lines += ["", f"{_ALIGN}{kind}{'close' if aligned[1] else 'open'}", ""]
            state.blank = True
            continue
        reading.lines.append(_line(reading, state, number, line, offset, defined))
    return reading


@dataclass
class _State:
    """Where a pass of scan is: in a block, in <verse>, in a note."""

    closing: str | None = None  # the line that closes the block Muse takes as it is
    verse: bool = False
    note: Note | None = None  # the note whose text the next lines may continue
    column: int = 0  # where its text starts: its later paragraphs are indented so
    lead: int = 0  # that column in what pandoc is given (a secondary label is renamed)
    blank: bool = True  # the line before was blank


def _in_block(state, line, offset):
    """`line`, in or opening a block Muse takes as it is, as pandoc is given it."""
    state.blank = False
    if state.closing is None:
        opened = BLOCK_OPEN.match(line)[1]
        state.closing = next(v for k, v in BLOCK_CLOSE.items() if opened.startswith(k))
        written = "<example>" if opened == "{{{" else line  # pandoc knows no {{{
    else:
        written = "</example>" if state.closing == "}}}" and "}}}" in line else line
        state.closing = None if state.closing in line else state.closing
    return written if offset is not None else line


def _line(reading, state, number, line, offset, defined):
    """One line outside blocks, its notes recorded in `reading`, as pandoc is given it."""
    segments, tag = _segments(line), VERSE.fullmatch(line.strip())
    if tag:
        state.verse, state.note = not tag[1], None
    label = None if state.verse else DEFINITION.match(line)
    before, indent = "", len(line) - len(line.lstrip())
    if label:
        state.note = Note(_number(label[3] or label[2], number), label[3] is not None,
                          number, _words_of(segments, label.end()))
        reading.definitions.append(state.note)
        state.column = indent = len(line) - len(line[label.end():].lstrip())
        renamed = offset is not None and (state.note.number, state.note.secondary) in defined
        state.lead = len(f"[{offset + state.note.number}] ") if renamed else state.column
    elif state.note and line.strip() and (not state.blank or _continues(state, line)):
        note = state.note
        reading.definitions[-1] = state.note = Note(
            note.number, note.secondary, note.line,
            f"{note.text} {_words_of(segments, 0)}".strip())
        if state.blank:  # as far in as pandoc wants a note's later paragraph
            line, segments = " " * state.lead + line.lstrip(), None
    elif line.strip() and state.blank:
        if state.note and indent:
            before = ";\n\n"  # a comment: pandoc would read the note as going on
        state.note = None
    out = _rewrite(segments or _segments(line), label, state.note, number, reading,
                   offset, defined)
    if not state.verse and LONE_LABEL.match(line):
        out = _CALL_FIRST + out  # a call (or text) to Muse, a definition to pandoc
    state.blank = not line.strip()
    return before + out if offset is not None else line


def _continues(state, line):
    """Whether `line`, after a blank line, goes on with the open note (Text::Amuse:
    indented as its text, give or take a space; not a page break)."""
    indent = len(line) - len(line.lstrip())
    return abs(indent - state.column) <= 1 and indent > 0 and not NEWPAGE.match(line)


class TooLong(ValueError):
    """A note number of more than MAX_NOTE_DIGITS digits, on line `args[0]`."""


def _number(digits, line):
    """The note number written `digits` on `line`; TooLong past MAX_NOTE_DIGITS."""
    if len(digits) > MAX_NOTE_DIGITS:
        raise TooLong(line)
    return int(digits)


def _segments(line):
    """[(text, live)] of a line: live text, and verbatim text Muse takes as it is."""
    parts, at = [], 0
    for match in VERBATIM.finditer(line):
        parts += [(line[at:match.start()], True), (match[0], False)]
        at = match.end()
    return parts + [(line[at:], True)]


def _words_of(segments, start):
    return " ".join(text if live else " " for text, live in segments)[start:].strip()


def _rewrite(segments, label, open_note, number, reading, offset, defined):
    """The line of `segments` with its calls recorded in `reading` and, with `offset`,
    rewritten (see scan)."""
    def call(match):
        note = Note(_number(match[1] or match[2], number), match[2] is not None, number)
        if open_note is not None and (open_note.secondary or not note.secondary) \
                and not (label and match.start() == 0):
            reading.as_text.append((note, open_note))
            return f"<verbatim>{match[0]}</verbatim>"
        reading.calls.append((note, open_note))
        if note.secondary and (note.number, True) in defined:
            return f"[{offset + note.number}]"
        return match[0]

    out = ""
    for index, (text, live) in enumerate(segments):
        if not live:
            out += text
            continue
        start = label.end() if label and index == 0 else 0
        head = text[:start]
        if label and index == 0 and label[3] is not None and (int(label[3]), True) in defined:
            head = f"[{offset + int(label[3])}] {_MARK}"  # the text's spaces follow
        rest = text[start:]
        rewritten = LANGUAGE.sub(_language_span, CALL.sub(call, rest))  # records the calls
        out += head + (rewritten if offset is not None else rest)
    return out


def _language_span(match):
    """An inline `<[xx]>` or `</[xx]>` as pandoc's Muse reader reads a span: a class
    that _align makes the span's `lang`."""
    return "</class>" if match[1] else f'<class name="{_LANG_CLASS}{match[2]}">'


def check_notes(origin, name):
    """N-codes on the Muse text, with its lines: every definition not empty, no label
    defined twice (refused). As Text::Amuse does, a call with no note is printed as
    text (N001), a note nothing calls is left out (N002) and a call from a note to a
    note is text unless a primary note calls a secondary one (N007): warnings."""
    reading = scan(origin.text, origin.body_line)
    calls, definitions = reading.calls, reading.definitions
    findings, defined = [], {}
    for note in definitions:
        key = (note.number, note.secondary)
        if key in defined:
            findings.append(Finding("N003", name, note.line, f"note {note.label} is defined "
                                    f"twice (first on line {defined[key].line})"))
            continue
        defined[key] = note
        if not note.text:
            findings.append(Finding("N004", name, note.line, f"note {note.label} is empty"))
    called = set()
    for call, inside in calls:
        key = (call.number, call.secondary)
        called.add(key)
        if key not in defined:  # Muse prints it as text: a warning, not a refusal
            findings.append(Finding("N001", name, call.line, f"{call.label} looks like a "
                                    "note's call but no note has that label: it is printed "
                                    "as text (<verbatim> says so)", "warning"))
    for call, inside in reading.as_text:
        findings.append(Finding("N007", name, call.line, f"{call.label} in note "
                                f"{inside.label} is printed as text: a note calls only "
                                "secondary notes {N}", "warning"))
    for key, note in defined.items():
        if key not in called:
            findings.append(Finding("N002", name, note.line, f"note {note.label} is defined "
                                    "but never called: it is left out, as Muse leaves it "
                                    "out", "warning"))
    return sorted(findings, key=lambda f: (f.line or 0, f.code))


# --- conversion -------------------------------------------------------------------

def convert(text, name, *, folder, given=None):
    """(Markdown manuscript text, Origin) of Muse `text`; `folder` is where a shelf's
    samizdat.yaml is looked for; `given` the command line's metadata."""
    header, body_line = parse_header(text)
    header = _header_as_markdown(header, name)
    shelf_path, shelf, shelf_data = read_shelf_as_read(folder)
    meta = metadata(header, shelf, given)
    # written out, so that an imported manuscript keeps it when its title is mended
    meta.setdefault("identifier", derived_identifier(meta))
    try:
        first = scan(text, body_line)
    except TooLong as error:
        raise UserError(Finding("F006", name, error.args[0], "a note number of more than "
                                f"{MAX_NOTE_DIGITS} digits: no book has so many notes")) from None
    defined = frozenset((n.number, n.secondary) for n in first.definitions if n.secondary)
    offset = _offset("\n".join(first.lines))
    renamed = "\n".join(scan(text, body_line, offset=offset, defined=defined).lines)
    ast = json.loads(pandoc.run(["-t", "json"], text=renamed, source=name,
                                reader=pandoc.reader_for(meta.get("lang"), "muse")))
    ast["blocks"] = _align(_hoist(_mark_secondary(_glue_calls(_escaped_targets(ast["blocks"])))))
    markdown = pandoc.run(["-t", "markdown-smart", "--wrap=none"], text=json.dumps(ast),
                          source=name, reader="json").decode("utf-8")
    head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10 ** 6)
    origin = Origin(text, header, body_line, shelf_path, shelf_data)
    return f"---\n{head}---\n\n{markdown}", origin


_FIELD_BREAK = "SAMIZDATFIELDBREAK"
_VERBATIM_KEYS = ("lang", "date", "pubdate")  # codes and dates: no markup to read


def _header_as_markdown(header, name):
    """The header's values with their Muse markup (*emphasis*, [[url][links]]) written
    in Markdown, read by pandoc in one run."""
    keys = [k for k in MAPPING if header.get(k, ("",))[0] and k not in _VERBATIM_KEYS]
    if "authors" in header:
        keys.append("authors")
    if not keys:
        return header
    muse = f"\n\n{_FIELD_BREAK}\n\n".join(header[k][0] for k in keys)
    written = pandoc.run(["-t", "markdown-smart", "--wrap=none"], text=muse, source=name,
                         reader="muse").decode("utf-8")
    values = [" ".join(v.split()) for v in written.split(_FIELD_BREAK)]
    if len(values) != len(keys):  # a value pandoc read as more than one block
        return header
    return {**header, **{k: (v, header[k][1]) for k, v in zip(keys, values)}}


def _offset(body):
    """A number past every note number in `body`: renamed secondary notes start there."""
    numbers = [int(n) for n in re.findall(rf"[\[{{]([0-9]{{1,{MAX_NOTE_DIGITS}}})[\]}}]",
                                          body)] or [0]
    return 10 ** len(str(max(numbers) + 1))


def _align(node):
    """The AST with the blocks between a <center> or <right> mark and its closing mark
    in a Div of class "center" or "right" (print.css and epub.css set them so), those
    between `<[xx]>` and `</[xx]>` in a Div of language xx, and a span of an inline
    `<[xx]>` (_language_span) of language xx."""
    if isinstance(node, dict):
        if node.get("t") == "Span":
            attr = node["c"][0]
            langs = [c for c in attr[1] if c.startswith(_LANG_CLASS)]
            if langs:
                attr[1] = [c for c in attr[1] if not c.startswith(_LANG_CLASS)]
                attr[2] = [*attr[2], ["lang", langs[0][len(_LANG_CLASS):]]]
        return {k: _align(v) for k, v in node.items()}
    if not isinstance(node, list):
        return node
    out, stack = [], []
    for item in node:
        mark = _align_mark(item)
        if mark and mark.endswith("open"):
            stack.append((mark[:-4], out))
            out = []
        elif mark and stack:
            kind, outer = stack.pop()
            attr = ["", [], [["lang", kind[5:]]]] if kind.startswith("lang-") else \
                ["", [kind], []]
            outer.append({"t": "Div", "c": [attr, out]})
            out = outer
        elif not mark:
            out.append(_align(item))
    while stack:  # a block never closed: its blocks as they are
        _, outer = stack.pop()
        out = outer + out
    return out


def _align_mark(item):
    if isinstance(item, dict) and item.get("t") == "Para" and len(item["c"]) == 1:
        text = item["c"][0].get("c") if item["c"][0].get("t") == "Str" else ""
        if isinstance(text, str) and text.startswith(_ALIGN):
            return text[len(_ALIGN):]
    return None


def _escaped_targets(node):
    """The AST with `<` and `>` in each link's and image's target written %3C and %3E, as
    a browser sends them. pandoc's Markdown writer puts such a target between angle
    brackets, and its reader takes a `<script>` there for raw HTML: Text::Amuse's own
    test file (verb.muse: `[[<script>alert("!")</script>][...]]`) came out carrying a
    script it never ran, where amusewiki prints a link to an address that is no address."""
    if isinstance(node, list):
        return [_escaped_targets(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: _escaped_targets(v) for k, v in node.items()}
    if node.get("t") in ("Link", "Image"):
        target = node["c"][2]
        node["c"][2] = [target[0].replace("<", "%3C").replace(">", "%3E"), *target[1:]]
    return node


def _glue_calls(node):
    """The AST without the space Muse writes before a note's call ("that [1]"), which
    amusewiki does not print either: the call follows its word."""
    if isinstance(node, list):
        kept = []
        for item in node:
            if (isinstance(item, dict) and item.get("t") == "Note" and kept
                    and isinstance(kept[-1], dict) and kept[-1].get("t") in ("Space",
                                                                               "SoftBreak")):
                kept.pop()
            kept.append(_glue_calls(item))
        return kept
    if isinstance(node, dict):
        return {k: _glue_calls(v) for k, v in node.items()}
    return node


def _mark_secondary(node):
    """The AST with _MARK, where it opens a note, replaced by an empty Span of class
    SECONDARY."""
    if isinstance(node, list):
        return [_mark_secondary(n) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("t") == "Note":
        blocks = node["c"]
        if blocks and blocks[0].get("t") in ("Para", "Plain"):
            inlines = blocks[0]["c"]
            if inlines and inlines[0] == {"t": "Str", "c": _MARK}:
                rest = inlines[1:]
                if rest and rest[0].get("t") in ("Space", "SoftBreak"):
                    rest = rest[1:]
                span = {"t": "Span", "c": [["", [SECONDARY], []], []]}
                blocks[0]["c"] = [span] + rest
    return {k: _mark_secondary(v) for k, v in node.items()}


def _hoist(node):
    """The AST with each note that sits inside another note called right after that
    note's call instead: Markdown, the EPUB and print keep notes one deep."""
    if isinstance(node, list):
        out = []
        for item in node:
            item = _hoist(item)
            out.append(item)
            if isinstance(item, dict) and item.get("t") == "Note":
                inner = []
                item["c"] = _take_notes(item["c"], inner)
                out += inner
        return out
    if isinstance(node, dict):
        return {k: _hoist(v) for k, v in node.items()}
    return node


def _take_notes(node, taken):
    """`node` without the Notes inside it, which are appended to `taken` in order."""
    if isinstance(node, list):
        kept = []
        for item in node:
            if isinstance(item, dict) and item.get("t") == "Note":
                taken.append(item)
                item["c"] = _take_notes(item["c"], taken)
                continue
            kept.append(_take_notes(item, taken))
        return kept
    if isinstance(node, dict):
        return {k: _take_notes(v, taken) for k, v in node.items()}
    return node
