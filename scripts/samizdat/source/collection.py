"""Collections: a manuscript whose YAML lists `contents:` (other manuscripts, Markdown
or Muse, by their paths relative to it) is one book: its own title, author (or editor),
rights and body (an introduction), then each text as a part under its own title and
author, with its own notes, numbered from 1 in each part.

Everything happens on the source side: each part is read and parsed as a text of its
own (`text.parse`), then the parts' pandoc ASTs are joined into one
(`Collection.composed`), which every stage reads as it reads any manuscript's (pandoc
takes it as JSON). So a collection builds every output a single text builds, and
every check of the outputs runs on it unchanged. Each part is checked as its own
text is (`lint.check` runs on the collection's own file and on every part), so a
finding speaks of the part's file and line.

What `contents:` may name is bounded like every other file a build reads: a file
inside the collection's folder (never `..`, an absolute path, a URL or a link out),
that exists, once, and that is not itself a collection (parts do not nest, so no
cycle can form); at most MAX_PARTS, MAX_TOTAL_BYTES together. Each is refused with a
C-code at the line of its entry.
"""

import copy
import dataclasses
import functools
import json
import re
from pathlib import Path
from urllib.parse import urlparse

from ..errors import Finding, UserError
from . import pandoc, resources
from .text import Manuscript, parse, split_lines

# A book of 100 texts is an anthology's upper end (The Anarchist Library's largest
# bookbuilder collections hold a few dozen); all of them together are read into
# memory and laid out as one book, so they are bounded as one manuscript is.
MAX_PARTS = 100
MAX_TOTAL_BYTES = resources.MAX_MANUSCRIPT_BYTES
SUFFIXES = (".md", ".muse")
# The heading levels of a part move down one: the part's title is the chapter (1).
DEEPEST = 6
# Where pandoc's JSON holds the attributes (id, classes, pairs) of a node.
ATTR_AT = {"Header": 1, "Div": 0, "Span": 0, "CodeBlock": 0, "Code": 0, "Link": 0,
           "Image": 0, "Table": 0, "Figure": 0}


@dataclasses.dataclass
class Collection(Manuscript):
    """A collection: the Manuscript the stages build (its AST the parts joined, see
    `composed`), with `own`, the collection's file read as a text of its own (its
    metadata and introduction), and `parts`, each text's Manuscript, in order."""

    own: Manuscript = None
    parts: tuple = ()

    def pandoc(self, args, **options):
        """Run pandoc on the joined AST (see Manuscript.pandoc)."""
        return pandoc.run(args, text=json.dumps(self.composed, ensure_ascii=False),
                          meta=self.pandoc_meta, source=self.path, reader="json", **options)

    @functools.cached_property
    def pandoc_meta(self):
        """The collection's metadata as pandoc gets it: its own, `contents` left out,
        and as `author` the collection's author (or editor) then every part's author,
        each once: pandoc writes each as a dc:creator (see authors)."""
        meta = dict(self.own.pandoc_meta)
        meta.pop("contents", None)
        if self.authors:
            meta["author"] = self.authors
        return meta

    @property
    def authors(self):
        """Every name the book carries as an author, as written, each once: the
        collection's own `author` first, then each part's in order. All are dc:creator
        in the EPUB: Calibre, KOReader, Apple Books and Kobo list and search the
        creators of a book as its authors and show no contributor, so a part's author
        named only as a dc:contributor would be found by no reader."""
        names = [*_names(self.own.meta.get("author"))]
        for part in self.parts:
            names += _names(part.meta.get("author"))
        return list(dict.fromkeys(n for n in names if n.strip()))

    @functools.cached_property
    def composed(self):
        """pandoc's JSON AST of the book: the collection's own blocks (its
        introduction), then each part as a Div of class `samizdat-part` (its language
        and direction on it) opening with a level-1 heading, the part's title with its
        author in a span of class `samizdat-byline` (so the contents name both), a line
        with its date and rights, then its text, headings one level down, every id
        and link to one prefixed `pN-` (two parts may both have an "introduction"),
        its images' paths taken from the part's folder to the collection's."""
        blocks = copy.deepcopy(self.own.ast["blocks"])
        for number, part in enumerate(self.parts, 1):
            blocks.append(_part_div(part, number, self.folder))
        return {"pandoc-api-version": self.own.ast["pandoc-api-version"], "meta": {},
                "blocks": blocks}

    @functools.cached_property
    def inputs(self):
        """Every file a build of the collection reads (see Manuscript.inputs), named
        from the collection's folder: its own file, every part (and a Muse part's
        samizdat.yaml), every image of the book. A changed part changes the input key."""
        files = {self.path.name: self.data}
        for media in resources.usable(self):
            files[media.path.relative_to(self.folder).as_posix()] = media.data
        for part in self.parts:
            files[self.named(part.path)] = part.data
            if part.origin is not None and part.origin.shelf is not None:
                files[self.named(part.path.parent / part.origin.shelf.name)] = \
                    part.origin.shelf_data
        return files

    def named(self, path):
        """`path` (a part's, as the contents name it) relative to the collection's folder."""
        return (Path(path).absolute().parent.resolve() / Path(path).name).relative_to(
            self.folder).as_posix()

    @functools.cached_property
    def note_homes(self):
        """(manuscript, its own note number) of each note of the book, in order: the
        introduction's, then each part's (a finding about note N of the book names the
        part's file)."""
        homes = [(self.own, n) for n in range(1, len(self.own.index.notes) + 1)]
        for part in self.parts:
            homes += [(part, n) for n in range(1, len(part.index.notes) + 1)]
        return homes


def _names(value):
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)] if value is not None else []


def assemble(ms, *, given=None):
    """The Collection of manuscript `ms`, whose YAML has `contents:`: each part read
    from inside `ms`'s folder and parsed; UserError with every problem of the contents
    (C-codes at their entry's line) and of the parts (their own F-codes)."""
    findings, parts, seen, total = [], [], {}, 0
    entries = _entries(ms)
    if len(entries) > MAX_PARTS:
        raise UserError(Finding("C006", ms.name, entries[MAX_PARTS][1],
                                f"more than {MAX_PARTS} parts: make two books"))
    for entry, line in entries:
        try:
            part, size = _part(ms, entry, line, seen, given)
        except UserError as error:
            findings += error.findings
            continue
        total += size
        if total > MAX_TOTAL_BYTES:
            findings.append(Finding("C006", ms.name, line, "the parts together are larger "
                                    f"than {MAX_TOTAL_BYTES // 2**20} MB, passed here: "
                                    "make two books"))
            break
        parts.append(part)
    if findings:
        raise UserError(findings)
    own = Manuscript(ms.path, ms.text, ms.meta, ms.yaml_lines, ms.origin, ms.data)
    text = "\n\n".join([ms.text, *(part.text for part in parts)])
    return Collection(ms.path, text, ms.meta, ms.yaml_lines, ms.origin, ms.data,
                      own=own, parts=tuple(parts))


def _entries(ms):
    """[(path as written, line of its entry)] of `contents:`; C001 if it is not a list
    of paths."""
    value = ms.meta["contents"]
    key = _key_line(ms)
    if not isinstance(value, list) or not value:
        raise UserError(Finding("C001", ms.name, key, "'contents' must be a list of the "
                                "texts' paths, one '- path' a line"))
    lines, at, found = split_lines(ms.text)[:ms.yaml_lines], key, []
    for entry in value:
        if not isinstance(entry, str) or not entry.strip():
            raise UserError(Finding("C001", ms.name, key, f"'contents' holds {entry!r}, "
                                    "which is not a path: write one path a line"))
        line = next((n for n in range(at, len(lines) + 1) if entry in lines[n - 1]), at)
        found.append((entry, line))
        at = line
    return found


def _key_line(ms):
    for number, line in enumerate(split_lines(ms.text)[:ms.yaml_lines], 1):
        if re.match(r"contents\s*:", line):
            return number
    return 1


def _part(ms, entry, line, seen, given):
    """(Manuscript, size in bytes) of the part `entry` of collection `ms`."""
    shown = entry if entry.isprintable() else entry.encode("unicode_escape").decode()
    what = f"part '{shown}'"
    folder = ms.folder
    if len(urlparse(entry).scheme) > 1:
        raise UserError(Finding("C002", ms.name, line, f"{what} is a URL: a part is a file "
                                "in the collection's folder or below it"))
    if Path(entry).suffix.lower() not in SUFFIXES:
        raise UserError(Finding("C001", ms.name, line, f"{what} is not a manuscript: a "
                                "part's name ends in .md or .muse"))
    try:
        resolved = (folder / entry).resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links, a name too long
        raise UserError(Finding("C003", ms.name, line, f"{what} cannot be read")) from None
    if resolved == folder or not resolved.is_relative_to(folder):
        raise UserError(Finding("C002", ms.name, line, f"{what} leaves the collection's "
                                "folder (absolute, '..' or a link out): refused, never read"))
    if resolved == ms.path.resolve():
        raise UserError(Finding("C004", ms.name, line, f"{what} is this collection itself: "
                                "a collection cannot hold itself"))
    if resolved in seen:
        raise UserError(Finding("C005", ms.name, line, f"{what} is listed twice (first "
                                f"at line {seen[resolved]}): a text is printed once"))
    seen[resolved] = line
    try:
        data = resources.read_beneath(folder, resolved, resources.MAX_MANUSCRIPT_BYTES)
    except FileNotFoundError:
        raise UserError(Finding("C003", ms.name, line, f"{what} does not exist (paths are "
                                "relative to the collection's folder)")) from None
    except resources.Swapped:
        raise UserError(Finding("C002", ms.name, line, f"{what} leaves the collection's "
                                "folder (a link out): refused, never read")) from None
    except resources.TooLarge as error:
        raise UserError(Finding("F006", str(ms.path.parent / entry), None,
                                f"the manuscript is {error.strerror}: split it into "
                                "several texts")) from None
    except OSError as error:
        raise UserError(Finding("C003", ms.name, line,
                                f"{what} cannot be read: {error.strerror}")) from None
    part = parse(ms.path.parent / entry, data, given=given)
    if "contents" in part.meta:
        raise UserError(Finding("C004", ms.name, line, f"{what} is itself a collection: "
                                "parts cannot nest; list its texts here instead"))
    return part, len(data)


# --- the joined AST -------------------------------------------------------------

def _part_div(part, number, folder):
    """The Div of part `number` (see Collection.composed)."""
    meta = part.ast["meta"]
    prefix, base = f"p{number}-", part.folder.relative_to(folder).as_posix()
    blocks = _adapted(copy.deepcopy(part.ast["blocks"]), prefix, base)
    pairs = [["lang", part.lang]] if part.lang else []
    pairs.append(["dir", part.direction])
    # the title and author in the part's language, also where the contents copy them
    title = [_span("samizdat-part-name", _inlines(meta.get("title")), pairs)]
    authors = _joined([_inlines(a) for a in _items(meta.get("author"))])
    if authors:
        dash = _span("samizdat-dash", [_str("—"), {"t": "Space"}])
        title += [{"t": "Space"},
                  _span("samizdat-byline", [dash, _span("samizdat-author", authors, pairs)])]
    head = [{"t": "Header", "c": [1, [f"samizdat-part-{number}", ["samizdat-part-title"], []],
                                  title]}]
    subtitle = _inlines(meta.get("subtitle"))
    if subtitle:
        head.append(_div("samizdat-part-subtitle", [{"t": "Para", "c": subtitle}]))
    about = _joined([x for x in (_inlines(meta.get("date")), _inlines(meta.get("rights")))
                     if x], ".")
    if about:
        head.append(_div("samizdat-part-about", [{"t": "Para", "c": about}]))
    return {"t": "Div", "c": [["", ["samizdat-part"], pairs], head + blocks]}


def _adapted(blocks, prefix, base):
    """`blocks` (changed in place and returned) as a part of the book: headings one
    level down, ids and links to them prefixed, local images' paths from `base`."""
    stack = [blocks]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(n for n in node if isinstance(n, (list, dict)))
            continue
        if not isinstance(node, dict):
            continue
        kind, content = node.get("t"), node.get("c")
        if kind == "Header":
            content[0] = min(DEEPEST, content[0] + 1)
        if kind in ATTR_AT and content[ATTR_AT[kind]][0]:
            content[ATTR_AT[kind]][0] = prefix + content[ATTR_AT[kind]][0]
        if kind == "Link" and content[2][0].startswith("#") and len(content[2][0]) > 1:
            content[2][0] = "#" + prefix + content[2][0][1:]
        if kind == "Image" and base != "." and resources.is_local(content[2][0]):
            content[2][0] = f"{base}/{content[2][0]}"
        if isinstance(content, (list, dict)):
            stack.append(content)
    return blocks


def _items(value):
    if value is None:
        return []
    return value["c"] if value["t"] == "MetaList" else [value]


def _inlines(value):
    """The inlines of a metadata value (MetaInlines, MetaString, blocks' first)."""
    if value is None:
        return []
    if value["t"] == "MetaInlines":
        return copy.deepcopy(value["c"])
    if value["t"] in ("MetaString", "MetaBool"):
        return [_str(str(value["c"]))] if str(value["c"]).strip() else []
    if value["t"] == "MetaBlocks":
        first = next((b for b in value["c"] if b["t"] in ("Para", "Plain")), None)
        return copy.deepcopy(first["c"]) if first else []
    if value["t"] == "MetaList":
        return _joined([_inlines(v) for v in value["c"]])
    return []


def _joined(runs, mark=","):
    """Runs of inlines joined with `mark` and a space."""
    out = []
    for run in (r for r in runs if r):
        if out:
            out += [_str(mark), {"t": "Space"}] if mark != "." or not _ends(out) \
                else [{"t": "Space"}]
        out += run
    return out


def _ends(inlines):
    """Whether `inlines` ends with a full stop (no second one is added)."""
    last = inlines[-1]
    return last.get("t") == "Str" and last["c"].endswith((".", "!", "?"))


def _str(text):
    return {"t": "Str", "c": text}


def _span(cls, inlines, pairs=()):
    return {"t": "Span", "c": [["", [cls], [list(p) for p in pairs]], inlines]}


def _div(cls, blocks):
    return {"t": "Div", "c": [["", [cls], []], blocks]}
