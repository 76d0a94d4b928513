"""Loading a manuscript: bytes -> text -> YAML metadata + pandoc AST, parsed once.

Every problem that stops the file from being read at all is a UserError with an
F-code; problems in what was read are left to `lint`.
"""

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import pandoc
from .errors import Finding, UserError

FENCE_END = re.compile(r"^(---|\.\.\.)[ \t]*$")
# The YAML mistakes manuscripts make, and what to do about them.
HINTS = {"mapping values are not allowed here":
         " (a value holding ': ' must be put in quotes)",
         "found character '\\t' that cannot start any token":
         " (indent with spaces, not tabs)",
         "could not find expected ':'": " (each line must be 'key: value')"}
KEY_AT_CONTEXT = {"could not find expected ':'"}


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps dates as written: `date: 2005-13-45` is text for M005 to
    judge, not a ValueError out of the YAML library."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@dataclass
class Manuscript:
    """A manuscript as read from disk; `meta` is the raw YAML, `ast` pandoc's parse."""

    path: Path
    text: str
    meta: dict
    yaml_lines: int  # lines taken by the YAML block, fences included

    @property
    def name(self):
        return str(self.path)

    @property
    def stem(self):
        return self.path.stem

    @property
    def folder(self):
        return self.path.resolve().parent

    @functools.cached_property
    def ast(self):
        """pandoc's JSON AST (one pandoc run, on first use)."""
        return pandoc.ast(self.text, source=self.path)

    def plain(self, key):
        """Metadata value `key` as plain text (markup removed), '' if absent."""
        value = self.ast["meta"].get(key)
        if value is None:
            return ""
        if value["t"] == "MetaList":
            return ", ".join(pandoc.stringify(v).strip() for v in value["c"])
        return pandoc.stringify(value).strip()

    def plain_list(self, key):
        """Metadata value `key` as a list of plain strings."""
        value = self.ast["meta"].get(key)
        if value is None:
            return []
        items = value["c"] if value["t"] == "MetaList" else [value]
        return [pandoc.stringify(v).strip() for v in items]

    def line_of(self, needle, start=1):
        """First line number (1-based, from `start`) whose text contains `needle`."""
        for number, line in enumerate(split_lines(self.text)[start - 1:], start):
            if needle in line:
                return number
        return None

    @functools.cached_property
    def notes(self):
        """Plain text of each note, in the order of their calls."""
        found = []
        _walk(self.ast["blocks"], lambda n: n.get("t") == "Note", found)
        return [_collapse(pandoc.stringify(n["c"])) for n in found]

    @functools.cached_property
    def targets(self):
        """(kind, url) of every Link and Image, in document order (the checks, the EPUB's
        image list and its OPF all ask: the AST is walked once)."""
        return list(_targets(self.ast["blocks"]))

    @functools.cached_property
    def paragraphs(self):
        """Plain text of each body paragraph (notes left out), in order."""
        return [_collapse(pandoc.stringify(b)) for b in self.ast["blocks"]
                if b.get("t") in ("Para", "Plain")]


def _collapse(text):
    return " ".join(text.split())


def _walk(node, want, found):
    if isinstance(node, dict):
        if want(node):
            found.append(node)
            return
        _walk(node.get("c"), want, found)
    elif isinstance(node, list):
        for child in node:
            _walk(child, want, found)


def split_lines(text):
    """The lines of `text` as pandoc and editors count them: split at \\n (or \\r\\n) only.

    str.splitlines() also splits at U+2028, form feeds and the like, which text pasted
    from a word processor may hold; every line number after one would be off."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def load(path):
    """Read and parse the manuscript at `path`; raise UserError if it cannot be read."""
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UserError(Finding("F000", name, None, f"cannot read: {error.strerror}")) from None
    text = decode(data, name)
    meta, yaml_lines = front_matter(text, name)
    return Manuscript(path, text, meta, yaml_lines)


def decode(data, name):
    """UTF-8 text of `data`, or F002 (empty) / F001 (not UTF-8, with byte offset)."""
    if not data.strip():
        raise UserError(Finding("F002", name, None, "the manuscript is empty"))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise UserError(Finding(
            "F001", name, line,
            f"not UTF-8: byte 0x{data[error.start]:02x} at byte offset {error.start}; "
            "save the file as UTF-8")) from None


def front_matter(text, name):
    """(metadata dict, number of lines of the block) from the leading YAML block."""
    lines = split_lines(text.lstrip("\ufeff"))
    if not lines or lines[0].rstrip() != "---":
        raise UserError(Finding("F004", name, 1,
                                "no YAML metadata block: the file must start with '---'"))
    end = next((i for i, line in enumerate(lines[1:], 1) if FENCE_END.match(line)), None)
    if end is None:
        raise UserError(Finding("F004", name, 1, "the YAML metadata block is never closed"))
    meta = _parse_yaml("\n".join(lines[1:end]), name)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise UserError(Finding("F003", name, 2, "YAML metadata must be a mapping of keys"))
    return meta, end + 1


def _parse_yaml(block, name):
    """The YAML `block` parsed, or F003 at the line of the problem (in the whole file)."""
    try:
        return yaml.load(block, Loader=_Loader)
    except yaml.YAMLError as error:
        line, problem = _yaml_problem(block, error)
    except (ValueError, RecursionError) as error:  # a bad !!int or !!timestamp; deep nesting
        line, problem = 1, str(error)
    raise UserError(Finding("F003", name, line, f"YAML does not parse: {problem}"))


def _yaml_problem(block, error):
    """(line in the file, what is wrong) of a YAML error in `block`."""
    if isinstance(error, yaml.reader.ReaderError):  # a character YAML forbids: a control
        char = error.character if isinstance(error.character, int) else ord(error.character)
        return (block[:error.position].count("\n") + 2,
                f"character U+{char:04X} is not allowed in YAML")
    problem = getattr(error, "problem", None) or "invalid YAML"
    # A key without its ':' is found out on the next line; point at the key itself.
    mark = (problem in KEY_AT_CONTEXT and error.context_mark) or getattr(error, "problem_mark",
                                                                         None)
    # Counted from the character offset, not mark.line: YAML also breaks lines at
    # U+2028 and U+0085, which editors do not; + 2 for the opening '---' and from 1.
    line = block[:mark.index].count("\n") + 2 if mark else 1
    return line, problem + HINTS.get(problem, "")


def _targets(node):
    if isinstance(node, list):
        for child in node:
            yield from _targets(child)
    elif isinstance(node, dict):
        if node.get("t") in ("Link", "Image"):
            yield node["t"], node["c"][2][0]
        yield from _targets(node.get("c"))
