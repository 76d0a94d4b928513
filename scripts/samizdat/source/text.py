"""A manuscript file's bytes -> Manuscript: decoded, its YAML metadata read, its text
parsed by pandoc once (a Muse file converted first: muse.py). What the stages read.

Every problem that stops the file from being read at all is a UserError with an
F-code; problems in what was read are left to `lint`. `manuscript.load` is the way in.
"""

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import Finding, UserError
from . import pandoc, resources
from .metadata import derived_identifier, given, read_lang, reserved, valid_date

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
    judge, not a ValueError out of the YAML library; and refuses aliases before any is
    expanded: 700 bytes of anchors nine deep expand to gigabytes (a "billion laughs")."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in a manuscript: "
                "write the value out", self.peek_event().start_mark)
        return super().compose_node(parent, index)


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
    origin: object = None  # muse.Origin when the text was converted from Muse
    data: bytes = b""  # the file's bytes as read (the text decoded from them)

    @property
    def name(self):
        return str(self.path)

    @property
    def stem(self):
        return self.path.stem

    @property
    def folder(self):
        """The folder the manuscript is in, as named (not where a link to it points):
        the only folder its build reads."""
        return self.path.absolute().parent.resolve()

    @functools.cached_property
    def body(self):
        """The text pandoc reads: the YAML block's lines left blank (pandoc gets the
        metadata from `pandoc_meta`, as parsed and checked here, never by parsing YAML
        itself), so every line keeps its number."""
        lines = split_lines(self.text)
        return "\n" * self.yaml_lines + "\n".join(lines[self.yaml_lines:])

    @functools.cached_property
    def pandoc_meta(self):
        """The metadata given to pandoc: the YAML's, reserved keys left out, as plain
        JSON values; the identifier derived if the YAML has none (pandoc would make a
        random one, and no two builds would be the same bytes)."""
        meta = {str(k): _plain_value(v) for k, v in self.meta.items() if not reserved(k)}
        if not given(meta.get("identifier")):
            meta["identifier"] = self.identifier
        meta["dir"] = self.direction
        if self.lang:
            meta["lang"] = self.lang
        meta.pop("date", None)
        if self.date:
            meta["date"] = self.date
        return meta

    @property
    def date(self):
        """The YAML's `date` as the outputs carry it: YYYY, YYYY-MM or YYYY-MM-DD as
        written; else the first year written in it (`1862-1864`, `12 October 2020`),
        else none (`n.d.`); lint's M005 says which."""
        written = str(self.meta["date"]).strip() if given(self.meta.get("date")) else ""
        if not written or valid_date(written):
            return written
        year = re.search(r"(?<!\d)(\d{4})(?!\d)", written)
        return year[1] if year else ""

    @property
    def lang(self):
        """The YAML's `lang` in BCP 47's shortest form (`ara` -> `ar`, `heb` -> `he`,
        `eng` -> `en`; TEI conversions write ISO 639-2): what the outputs carry, so
        that the house style's `:lang(ar)` rules, hyphenation and fonts follow it. A
        language's name or a locale is read as its tag (see read_lang; lint's M015 says
        so); a tag it cannot read is kept as written (lint's M002 says why); a Muse text
        that names none, or none Text::Amuse reads, is English, as Text::Amuse reads it
        (M001, M015: warnings)."""
        return self.lang_read.tag

    @functools.cached_property
    def lang_read(self):
        """LangReading of the YAML's `lang` (see read_lang)."""
        written = str(self.meta.get("lang", "")) if given(self.meta.get("lang")) else ""
        return read_lang(written, muse=self.origin is not None)

    @property
    def direction(self):
        """"rtl" or "ltr": the YAML's `dir`, else that of the language's script (Arabic,
        Persian, Hebrew, Urdu, ... are written right to left). pandoc sets it on every
        page of the EPUB and the spine's page progression; print.css follows it."""
        written = str(self.meta.get("dir", "")).strip().lower()
        if written in ("rtl", "ltr"):
            return written
        primary = self.lang.split("-")[0].lower()
        return "rtl" if primary in RIGHT_TO_LEFT else "ltr"

    @property
    def identifier(self):
        """The manuscript's identifier: its YAML's, or one derived from its title,
        author, date and language (a name-based UUID: the same text gets the same one
        in every build, and a corrected typo in its body does not make it a new book)."""
        written = self.meta.get("identifier")
        if given(written):  # as the EPUB carries it: pandoc reads it as Markdown
            return " ".join((self.plain("identifier") or str(written)).split())
        return derived_identifier(self.meta)

    def pandoc(self, args, **options):
        """Run pandoc on this manuscript (see pandoc.run); return its stdout bytes."""
        reader = pandoc.PLAIN if self.meta.get("smart") is False else pandoc.READER
        return pandoc.run(args, text=self.body, meta=self.pandoc_meta, source=self.path,
                          reader=pandoc.reader_for(self.lang, reader), **options)

    @property
    def labels(self):
        """The words Samizdat adds to the book, in its language (see labels)."""
        from ..writing import labels

        return labels.labels(self.lang or None)

    @property
    def label_args(self):
        """pandoc options giving the Lua filters the labels they print."""
        return ["-M", f"samizdat-colophon-label={self.labels['colophon']}"]

    @functools.cached_property
    def ast(self):
        """pandoc's JSON AST (one pandoc run, on first use)."""
        return pandoc.ast(self)

    @functools.cached_property
    def media(self):
        """{target: resources.Media} of the local images it names, each read once."""
        return resources.survey(self)

    @functools.cached_property
    def inputs(self):
        """{path relative to the manuscript's folder: bytes} of every file a build of it
        reads, as read once: the manuscript as written, its usable images, and for a Muse
        text its folder's samizdat.yaml. The input key hashes these; a cluster's worker
        builds from them alone."""
        files = {self.path.name: self.data}
        for media in resources.usable(self):
            files[media.path.relative_to(self.folder).as_posix()] = media.data
        if self.origin is not None and self.origin.shelf is not None:
            files[self.origin.shelf.name] = self.origin.shelf_data
        return files

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

    @functools.cached_property
    def _line_starts(self):
        starts, at = [0], self.text.find("\n")
        while at >= 0:
            starts.append(at + 1)
            at = self.text.find("\n", at + 1)
        return starts

    def line_of_nth(self, needle, nth):
        """Line (1-based) of the `nth` line holding `needle` (the last such line if
        fewer), None if none does. One search of the text, not a pass over its lines
        per needle: a book has thousands of links."""
        import bisect

        line, at, seen = None, self.text.find(needle), 0
        while at >= 0 and seen < nth:
            found = bisect.bisect_right(self._line_starts, at)
            if found != line:
                line, seen = found, seen + 1
            at = self.text.find(needle, at + 1)
        return line

    @functools.cached_property
    def index(self):
        """What the checks and stages look for in the AST, found in one walk (the
        metadata, then the text, in document order): Index. F006 if the AST nests
        deeper than pandoc.MAX_DEPTH (every later walk, and WeasyPrint's layout,
        recurse)."""
        return _index(self.ast, self.name)

    @property
    def chapter_level(self):
        """The heading level that makes chapters: the first used twice or more (1, or 2
        under a single level-1 title, as Standard Ebooks and converters have it), or
        None. The same rule as print-blocks.lua's, which opens a page for each."""
        count = self.index.headings
        if count[1] >= 2:
            return 1
        return 2 if count[1] <= 1 and count[2] >= 2 else None

    @functools.cached_property
    def notes(self):
        """Plain text of each note, in the order of their calls."""
        return [_collapse(pandoc.stringify(n["c"])) for n in self.index.notes]

    @property
    def targets(self):
        """(kind, url) of every Link and Image, in the metadata then the text, in order;
        an <img src> in raw HTML counts as an Image."""
        return self.index.targets

    @property
    def raw_html(self):
        """The text of every raw HTML block and inline, metadata first, in order."""
        return self.index.raw_html

    @functools.cached_property
    def paragraphs(self):
        """Plain text of each body paragraph (notes left out), in order."""
        return [_collapse(pandoc.stringify(b)) for b in self.ast["blocks"]
                if b.get("t") in ("Para", "Plain")]


@dataclass
class Index:
    """What one walk of the AST found (see Manuscript.index)."""

    targets: list  # (kind, url)
    notes: list  # Note nodes
    raw_html: list  # raw HTML text
    attributes: list  # (key, value) of every pandoc attribute
    ids: set = field(default_factory=set)  # every id of the text, pandoc's and raw HTML's
    images: list = field(default_factory=list)  # (src, alt text) of every Image
    headings: Counter = field(default_factory=Counter)  # {level: how many headings}


def _index(ast, name):
    """Walk `ast` once, without recursion (a deep AST must be refused, not crash)."""
    found = Index([], [], [], [])
    # `text`: under the blocks. An id in the metadata is no place a link can go: the
    # text does not print it there (Muse's `#notes #anchor`; Text::Amuse's own test
    # calls such anchors invalid), and a link to it was EPUBCheck's RSC-012.
    stack = [(ast["blocks"], 1, True), (ast["meta"], 1, False)]
    while stack:
        node, depth, text = stack.pop()
        if depth > pandoc.MAX_DEPTH:
            raise UserError(pandoc.too_deep(name, depth))
        if isinstance(node, dict) and isinstance(node.get("t"), str):  # a node
            _note_node(node, found, text)
            children = [node.get("c")]
        elif isinstance(node, dict):  # the metadata, a MetaMap's keys
            children = node.values()
        elif isinstance(node, list):
            _note_attributes(node, found, text)
            children = node
        else:
            continue
        stack.extend((child, depth + 1, text) for child in reversed(list(children))
                     if isinstance(child, (dict, list)))
    return found


def _note_node(node, found, text=True):
    kind = node.get("t")
    if kind == "Header":
        found.headings[node["c"][0]] += 1
    elif kind in ("Link", "Image"):
        found.targets.append((kind, node["c"][2][0]))
        if kind == "Image":
            found.images.append((node["c"][2][0], pandoc.stringify(node["c"][1]).strip()))
    elif kind == "Note":
        found.notes.append(node)
    elif _is_raw_html(node):
        import html

        found.raw_html.append(node["c"][1])
        if text:
            found.ids.update(RAW_ID.findall(node["c"][1]))
        for match in IMG_SRC.finditer(node["c"][1]):
            found.targets.append(
                ("Image", html.unescape(next(g for g in match.groups() if g is not None))))


def _note_attributes(node, found, text=True):
    """pandoc's Attr is [id, [classes], [[key, value], ...]]; its id is a place in the
    text only under the blocks (`text`)."""
    if (len(node) == 3 and isinstance(node[0], str) and isinstance(node[1], list)
            and isinstance(node[2], list)
            and all(isinstance(p, list) and len(p) == 2 for p in node[2])):
        found.attributes += [tuple(p) for p in node[2]]
        if node[0] and text:
            found.ids.add(node[0])


# Raw formats pandoc's HTML and EPUB writers pass through as they are (`{=epub3}` too).
RAW_HTML = {"html", "html4", "html5", "xhtml", "epub", "epub2", "epub3", "s5", "slidy",
            "slideous", "dzslides", "revealjs"}


# Languages written right to left (primary subtags), two letters or three: texts
# converted from TEI say `heb` or `ara` (ISO 639-2/3), and a Hebrew text read as left
# to right had its notes' short lines at the left margin.
RIGHT_TO_LEFT = {"ar", "fa", "he", "iw", "ur", "yi", "ps", "sd", "ug", "dv", "ckb", "syr",
                 "arc", "ku-arab", "ara", "arb", "fas", "per", "pes", "heb", "urd", "yid",
                 "pus", "snd", "uig", "div"}
def _is_raw_html(node):
    return node.get("t") in ("RawBlock", "RawInline") and str(node["c"][0]).lower() in RAW_HTML


def _plain_value(value):
    """A YAML value as JSON: keys as text, and what JSON has no word for (a date
    written with !!timestamp, bytes, a set, infinity) as its text."""
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return value
    return str(value)


def _collapse(text):
    return " ".join(text.split())


def split_lines(text):
    """The lines of `text` as pandoc and editors count them: split at \\n (or \\r\\n) only.

    str.splitlines() also splits at U+2028, form feeds and the like, which text pasted
    from a word processor may hold; every line number after one would be off."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def parse(path, data, *, given=None):
    """The Manuscript of bytes `data`, read from `path` (see load)."""
    name = str(path)
    text = decode(data, name)
    origin = None
    if path.suffix.lower() == ".muse":
        from . import muse

        text, origin = muse.convert(text.lstrip("\ufeff"), name, folder=path.parent,
                                    given=given)
    else:
        _refuse_long_comments(text, name)
    meta, yaml_lines = front_matter(text, name, key_line=origin and origin.key_line)
    return Manuscript(path, text, meta, yaml_lines, origin, data)


# HTML comments: at most 1 MB and 10,000 in all. pandoc holds a comment as a list of
# characters, ~140 bytes of memory a byte (measured, pandoc 3: a 1 MB comment 1.5 s and 230 MB, 4 MB
# 7 s and 580 MB, 16 MB 34 s and 2.3 GB; plain text 16 MB 7 s and 220 MB), and its time
# grows with the square of their number (10,000 comments of 100 bytes 2.8 s, 40,000 42 s;
# 110,000 empty ones, 1 MB, 29 s). A commented-out chapter is 50-100 KB, a book's
# comments a few dozen: at most 1 MB and 10,000 of them bound pandoc at ~3 s and ~250 MB
# of them per run. Over it: F006, with the line where a limit is passed.
MAX_COMMENT_BYTES = 1024 * 1024
MAX_COMMENTS = 10_000
COMMENT = re.compile(r"<!--.*?-->", re.S)


def _refuse_long_comments(text, name):
    """F006 if the HTML comments of Markdown `text` hold more than MAX_COMMENT_BYTES,
    or are more than MAX_COMMENTS."""
    total = 0
    for number, match in enumerate(COMMENT.finditer(text), 1):
        total += match.end() - match.start()
        if total > MAX_COMMENT_BYTES or number > MAX_COMMENTS:
            line = text.count("\n", 0, match.start()) + 1
            raise UserError(Finding(
                "F006", name, line, "HTML comments (<!-- ... -->) of more than "
                f"{MAX_COMMENT_BYTES // 2**20} MB or {MAX_COMMENTS:,} in all, passed by the "
                "one here: a book needs no such notes to itself; take them out"))


def decode(data, name):
    """UTF-8 text of `data`, or F002 (empty) / F001 (not UTF-8, with byte offset)."""
    if not data.strip():
        raise UserError(Finding("F002", name, None, "the manuscript is empty"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise UserError(Finding(
            "F001", name, line,
            f"not UTF-8: byte 0x{data[error.start]:02x} at byte offset {error.start}; "
            "save the file as UTF-8")) from None
    # Line ends as pandoc reads them: CR LF and a lone CR (old Mac files) end a line.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def front_matter(text, name, *, key_line=None):
    """(metadata dict, number of lines of the block) from the leading YAML block.
    `key_line(key)`: the line a finding about a key names (a Muse header's), if not
    the key's line in the block."""
    lines = split_lines(text.lstrip("\ufeff"))
    if not lines or lines[0].rstrip() != "---":
        raise UserError(Finding("F004", name, 1,
                                "no YAML metadata block: the file must start with '---'"))
    end = next((i for i, line in enumerate(lines[1:], 1) if FENCE_END.match(line)), None)
    if end is None:
        raise UserError(Finding("F004", name, 1, "the YAML metadata block is never closed"))
    block = "\n".join(lines[1:end])
    if len(block) > MAX_YAML_CHARS:
        raise UserError(Finding("M013", name, _longest_entry(lines[:end]), "the YAML "
                                f"metadata block is longer than {MAX_YAML_CHARS:,} "
                                "characters, most of it here: shorten it"))
    meta = _parse_yaml(block, name)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise UserError(Finding("F003", name, 2, "YAML metadata must be a mapping of keys"))
    _refuse_absurd_values(meta, lines[:end], name, key_line)
    return meta, end + 1


# What a metadata value may hold, in characters. Real catalogs' descriptions run to a
# few KB (ONIX's long description, a shop's 4,000 characters); the longest real titles
# (17th- and 18th-century ones, a summary of the book) to several hundred. Far past
# that a value is no title or description but a load on every stage: a 5 MB
# description took the check 40 s and 800 MB (measured: YAML 7 s, then pandoc's AST of
# a million words walked in 25 s; the build was reported at 3 minutes and 2.8 GB); a
# 100,000-letter title broke the cover. The block is bounded before it is parsed (YAML
# takes ~1.3 s a MB): refused, these take 0.4 s and 55 MB.
MAX_VALUE_CHARS = 16_384
MAX_TITLE_CHARS = 2_000
MAX_YAML_CHARS = 256 * 1024
SHORT_KEYS = ("title", "subtitle", "author", "date", "lang", "identifier", "publisher")


def _refuse_absurd_values(meta, lines, name, key_line=None):
    """M013 at the key's line if a value (any text inside it) is longer than its limit."""
    for key, value in meta.items():
        limit = MAX_TITLE_CHARS if key in SHORT_KEYS else MAX_VALUE_CHARS
        if max(map(len, _texts(value)), default=0) > limit:
            line = key_line(key) if key_line else next(
                (number for number, text in enumerate(lines, 1)
                 if re.match(rf"{re.escape(str(key))}\s*:", text)), 1)
            raise UserError(Finding("M013", name, line, f"'{key}' is longer than {limit:,} "
                                    "characters: no reader's catalog or page can show it; "
                                    "shorten it"))


def _longest_entry(lines):
    """The line of the top-level key whose entry (up to the next key) is longest."""
    sizes, key_line = Counter(), 1
    for number, line in enumerate(lines, 1):
        if TOP_KEY.match(line):
            key_line = number
        sizes[key_line] += len(line) + 1
    return sizes.most_common(1)[0][0]


TOP_KEY = re.compile(r"[^\s#-][^:]*:(\s|$)")


def _texts(value):
    """Every text inside a metadata value (lists and maps opened, without recursion)."""
    stack, found = [value], []
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
        else:
            found.append(str(item))
    return found


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


RAW_ID = re.compile(r"""\s(?:id|name)\s*=\s*["']([^"']+)["']""")
IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""",
                     re.IGNORECASE)
