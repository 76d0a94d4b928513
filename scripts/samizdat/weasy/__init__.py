"""The one door to WeasyPrint: every WeasyPrint name Samizdat uses is imported here.

Why a door: importing WeasyPrint loads Pango, HarfBuzz, fontconfig and GLib through
cffi, trying up to six spellings per library; each spelling that is not a file name
goes to `ctypes.util.find_library`, which on Linux runs `ldconfig -p` (and, on a
miss, gcc and ld) every time: measured here, 0.17 s of a 0.45 s import, paid by
every `samizdat build`. Here those lookups are answered from one `ldconfig -p`
read, with the same pattern CPython's own first step uses, so the same libraries
load. Should WeasyPrint fail to load that way, it is imported again the standard
way. Keeping the names in one place also shows how much of WeasyPrint (pinned,
see pyproject.toml) Samizdat relies on.
"""

import contextlib
import ctypes.util
import functools
import importlib
import inspect
import io
import os
import re
import shutil
import struct
import subprocess
import types
import zlib
from dataclasses import dataclass

from .patches import applied, digest_of, opens, patch, say_not_applied, swapped

# CPython's ctypes.util: the ldconfig ABI tag of this interpreter's architecture.
_ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}


@functools.cache
def _ldconfig_table():
    """`ldconfig -p` output, read once ("" when there is no ldconfig)."""
    ldconfig = shutil.which("ldconfig") or shutil.which("ldconfig", path="/sbin:/usr/sbin")
    if not ldconfig:
        return ""
    try:
        return subprocess.run([ldconfig, "-p"], check=False, capture_output=True, text=True,
                              timeout=10, env={"LC_ALL": "C", "LANG": "C"}).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def find_library(name):
    """The soname `ctypes.util.find_library(name)` finds through ldconfig, or None."""
    machine = f"{os.uname().machine}-{8 * struct.calcsize('l')}"
    abi = _ABI.get(machine, "libc6")
    found = re.search(rf"\s+(lib{re.escape(name)}\.[^\s]+)\s+\({re.escape(abi)}",
                      _ldconfig_table())
    return found.group(1) if found else None


@contextlib.contextmanager
def _quick_lookups():
    standard = ctypes.util.find_library
    ctypes.util.find_library = find_library
    try:
        yield
    finally:
        ctypes.util.find_library = standard


def import_quickly(module):
    """Import `module` with library lookups answered from one ldconfig read; if it
    cannot load that way, import it the standard way (WeasyPrint's message for a
    failed load is kept quiet the first time: the second attempt decides)."""
    if not opens("library-lookup"):
        return importlib.import_module(module)
    try:
        with _quick_lookups(), contextlib.redirect_stdout(io.StringIO()):
            return importlib.import_module(module)
    except OSError:
        return importlib.import_module(module)


import_quickly("weasyprint")

# The names below come after the quick import: that order is the point of this module.
from weasyprint import CSS
from weasyprint import HTML as _HTML
from weasyprint.formatting_structure.boxes import (
    FootnoteAreaBox,
    InlineBox,
    LineBox,
    MarginBox,
    ReplacedBox,
    TextBox,
)
from weasyprint import layout
from weasyprint.layout import block, inline, preferred
from weasyprint.draw import text as text_drawing
from weasyprint.text import line_break
from weasyprint.text.fonts import FontConfiguration as _FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse
from weasyprint.pdf.stream import Stream as PdfStream

import pydyf  # noqa: E402 - WeasyPrint's PDF writer, imported by it above

__all__ = ["CSS", "HTML", "FontConfiguration", "FootnoteAreaBox", "InlineBox", "LineBox",
           "PdfStream", "as_black_ink",
           "MarginBox", "ReplacedBox", "SourceFix", "TextBox", "URLFetcher", "URLFetcherResponse",
           "block", "descendants", "digest_of", "find_library", "import_quickly", "inline",
           "layout", "line_break", "preferred", "say_not_applied", "swapped",
           "pango_ran", "text_drawing", "weasyprint_version", "whole_text_arrays", "write_pdf"]


# Whether Pango has set text in this process: every layout goes through this door, so
# the door knows (process.lanes forks only a process where it has not: Pango's
# font-loading thread can leave fontconfig locked in a forked child, which then hangs).
_PANGO_RAN = []


def pango_ran():
    """Whether WeasyPrint has laid out text (Pango has run) in this process."""
    return bool(_PANGO_RAN)


class FontConfiguration(_FontConfiguration):
    """WeasyPrint's FontConfiguration, noting that Pango now runs here (pango_ran)."""

    def __init__(self, *args, **kwargs):
        _PANGO_RAN.append(True)
        super().__init__(*args, **kwargs)


class HTML(_HTML):
    """WeasyPrint's HTML, noting that Pango runs here when it lays out (pango_ran)."""

    def render(self, *args, **kwargs):
        _PANGO_RAN.append(True)
        return super().render(*args, **kwargs)


def descendants(box):
    """Every box below `box` in a WeasyPrint layout tree, depth first, in order."""
    for child in getattr(box, "children", ()):
        yield child
        yield from descendants(child)


# One swap at a time (a fix's functions, pydyf's deflate): renders and writes in other
# threads wait.


# zlib's own default. pydyf deflates every PDF stream at level 9: on this text's A5
# PDF (1.16 MB of streams) that takes 79 ms for 238 KB; level 6 takes 24 ms for
# 242 KB (+1.5%), and a build writes two PDFs per text.
DEFLATE_LEVEL = 6


def write_pdf(document, target=None, *, level=DEFLATE_LEVEL, **options):
    """`document.write_pdf(target, **options)` with every stream deflated at zlib
    `level` instead of pydyf's fixed 9, and pydyf's page references made once per
    page count (see remembered_page_references); returns what write_pdf returns."""
    deflate = types.SimpleNamespace(
        compress=functools.partial(zlib.compress, level=level),
        compressobj=lambda *args, **kwargs: zlib.compressobj(level))
    # pydyf is shared by every thread: one write at a time changes it
    with remembered_page_references(), applied("deflate-level", (pydyf,), "zlib", deflate), \
            whole_text_arrays():
        return document.write_pdf(target, **options)


# An empty string in a TJ array: `<>`, between glyph strings, numbers and spaces (a glyph
# string holds hex digits only).
EMPTY_STRING = re.compile(r"\s*<>\s*")
_pydyf_show_text = pydyf.Stream.show_text


def _show_text(stream, text):
    """pydyf's show_text (`[text] TJ`) with every empty string taken out of the array,
    the moves about it kept in their order: the same drawing (PDF 1.7, 9.4.3: an empty
    string shows nothing and moves nothing), and one PDFium draws right. WeasyPrint 70
    opens a run with `<` and writes a moved or empty glyph as `>move<`, so a run whose
    first glyph is moved (a word end spaced by linebreak.spaced_characters, a mark
    shifted), or an empty glyph after a kerning, makes one (`[<>-75.3<0001>-71] TJ`).
    PDFium sizes a TJ's kernings by all its strings, empty ones too, and after the text
    object applies the last slot, unused when one was empty (cpdf_streamcontentparser.cpp,
    Handle_ShowText_Positioning, AddTextObject's `kernings.back()`): the move ending such
    an array was dropped, and a Thai, Lao, Khmer or Burmese justified line ended 2-7 pt
    short of the edge, the words after such a space drawn points to the left. An array
    left with nothing is not written."""
    body = text.decode("latin-1") if isinstance(text, bytes) else text
    if isinstance(body, str) and "<>" in body:
        text = EMPTY_STRING.sub(" ", body).strip()
        if not text:
            return
    _pydyf_show_text(stream, text)


@contextlib.contextmanager
def whole_text_arrays():
    """Within the block every TJ array pydyf writes holds no empty string (_show_text),
    if pydyf's show_text is the code it was written for (yields True); else W001 once,
    and the arrays are written as WeasyPrint makes them (yields False)."""
    with applied("text-arrays", (pydyf.Stream,), "show_text", _show_text) as in_force:
        yield in_force


# pydyf 0.13's PDF.page_references builds the tuple of every page's reference each time
# it is read, and WeasyPrint's tagging reads it once per tagged box for one item: on
# Kropotkin's 244-page A5 PDF 19,000 reads, 4.6 million references made, 2.5 s of a
# 9.7 s tagged write. Its source as pydyf 0.13.0 has it:
PAGE_REFERENCES_DIGEST = patch("page-references").digest


def _page_references(pdf):
    """pydyf's page_references, made again only when the pages' Kids list is another
    list or another length (pydyf only appends to it: add_page)."""
    kids = pdf.pages["Kids"]
    key = (id(kids), len(kids))
    made = pdf.__dict__.get("_samizdat_page_references")
    if made is None or made[0] != key:
        made = key, tuple(f"{number} 0 R".encode("ascii") for number in kids[::3])
        pdf._samizdat_page_references = made
    return made[1]


def _black_ink(stream, r, g, b, stroke=False):
    """pydyf's set_color_rgb for a black-and-white press: the colour's grey as black ink
    alone (DeviceCMYK 0 0 0 K), which PDF/X-1a takes and RGB it does not."""
    black = 1 - (0.2126 * float(r) + 0.7152 * float(g) + 0.0722 * float(b))
    stream.stream.append(f"0 0 0 {max(0.0, min(1.0, black)):.4f} {'K' if stroke else 'k'}"
                         .encode("ascii"))


@contextlib.contextmanager
def as_black_ink():
    """Within the block, WeasyPrint writes every RGB colour as black ink (_black_ink),
    where its Stream.set_color is the code the patch "black-ink" was written for (it sends
    every sRGB colour to pydyf's set_color_rgb); else W001, and a book interior's colours
    stay RGB, which its check refuses (B002). Yields whether the patch is in force."""
    with applied("black-ink", (PdfStream,), "set_color_rgb", _black_ink) as in_force:
        yield in_force


@contextlib.contextmanager
def remembered_page_references():
    """Within the block pydyf.PDF.page_references is _page_references (yields True), if
    pydyf's own is the code it was written for; else it is left alone, said once (W001),
    and the block runs at pydyf's speed (yields False)."""
    with applied("page-references", (pydyf.PDF,), "page_references",
                 property(_page_references), digests=[PAGE_REFERENCES_DIGEST]) as in_force:
        yield in_force


@dataclass(frozen=True)
class SourceFix:
    """A change to one WeasyPrint function, made by rebuilding the function from its
    source with `old` replaced by `new`, and only when that source is byte for byte
    the one the change was written for (sha256 `digest`): another WeasyPrint is left
    alone. `helpers` are (name, object) pairs the new code calls; `also_in` are the
    modules that imported the function by name; `owner` is the class whose method it
    is (the function is then rebuilt in `module`'s globals); `more` holds further
    (old, new) pairs, each of whose `old` must occur exactly once too.

    A fix that does not apply says so once, as a warning naming what it was for: a
    WeasyPrint upgrade must not switch it off silently."""

    module: types.ModuleType
    name: str
    digest: str
    old: str
    new: str
    helpers: tuple = ()
    also_in: tuple = ()
    owner: type | None = None
    patch: str = ""  # its name in patches.PATCHES: what it is for, what it costs unapplied
    more: tuple = ()  # further (old, new) changes to the same function

    @property
    def home(self):
        return self.owner or self.module

    def original(self):
        function = getattr(self.home, self.name)
        return getattr(function, "samizdat_original", function)

    def source_digest(self):
        """sha256 of the function's source as this WeasyPrint has it."""
        return digest_of(self.original())

    @contextlib.contextmanager
    def applied(self):
        """Within the block the rebuilt function is in use: yields True; or yields False
        when this WeasyPrint's code is not the code the change was written for."""
        rebuilt = _rebuild(self)
        if rebuilt is None:
            written = patch(self.patch)
            say_not_applied(written.library, f"{self.home.__name__}.{self.name}",
                            weasyprint_version(), f"{written.library} {written.written_for}",
                            written.cost)
            yield False
            return
        with swapped((self.home, *self.also_in), self.name, rebuilt):
            yield True


def weasyprint_version():
    """The installed WeasyPrint's version."""
    import weasyprint

    return weasyprint.__version__


@functools.cache
def _rebuild(fix):
    """`fix`'s function rebuilt (once per process: ~6 ms), or None if its source is not
    the one the change was written for."""
    import textwrap

    lines, first = inspect.getsourcelines(fix.original())
    source = textwrap.dedent("".join(lines))
    changes = [(fix.old, fix.new), *fix.more]
    if fix.source_digest() != fix.digest or any(source.count(old) != 1 for old, _ in changes):
        return None
    for old, new in changes:
        source = source.replace(old, new)
    scope = dict(fix.module.__dict__, **dict(fix.helpers))
    namespace = {}
    # WeasyPrint's own source, checked above, with one line changed: nothing else runs.
    # Compiled at its own lines of WeasyPrint's file, so that a traceback through it
    # points at WeasyPrint's code (lines after a change that adds lines are off by as
    # many).
    code = compile("\n" * (first - 1) + source,
                   fix.module.__file__, "exec")
    exec(code, scope, namespace)  # noqa: S102
    rebuilt = scope[fix.name] = namespace[fix.name]  # a call to itself finds it
    rebuilt.samizdat_original = fix.original()
    return rebuilt
