"""Running the pandoc that pypandoc_binary ships (Debian's 2.17 is too old)."""

import functools
import importlib.util
import json
import os
import subprocess
from pathlib import Path

from .. import PACKAGE
from ..errors import Finding, UserError

FILTERS = PACKAGE / "filters"
TEMPLATES = PACKAGE / "templates"
# Typographic quotes, dashes and ellipses ("--" an en dash, "---" an em dash, as
# pandoc's own Markdown writer leaves them in every converted text); a manuscript
# with `smart: false` keeps its characters exactly as written (PLAIN). pandoc never
# reads YAML: the manuscript's metadata comes parsed and checked (--metadata-file), and
# a `---` block further down the text is text, not metadata no check has seen.
READER = "markdown+smart-yaml_metadata_block"
PLAIN = "markdown-smart-yaml_metadata_block"
# Languages written without spaces between words (Chinese, Japanese; two-letter and
# three-letter tags): a line break inside a paragraph is no space there (CSS Text 3's
# segment break rule; WeasyPrint and pandoc printed it as one, "萨帕 塔人" in
# amusewiki's Chinese text). pandoc's east_asian_line_breaks drops it between two wide
# characters. Korean spaces its words, and keeps its line breaks as spaces.
UNSPACED = {"zh", "ja", "zho", "chi", "jpn", "yue", "cmn", "lzh", "wuu", "hak", "nan", "gan",
            "hsn", "cjy", "cdo", "cpx", "czh", "czo", "mnp"}


def reader_for(lang, reader=READER):
    """`reader` (a pandoc input format) for a text in language `lang` (a BCP 47 tag):
    with east_asian_line_breaks for one written without spaces between words."""
    primary = str(lang or "").split("-")[0].split("_")[0].lower()
    return f"{reader}+east_asian_line_breaks" if primary in UNSPACED else reader
# The deepest nesting of pandoc's JSON a manuscript may have (block quotes, lists,
# emphasis, notes, tables: two levels each). Real books stay under 40; deeper ones
# would exhaust Python's stack in the checks and WeasyPrint's in the layout.
MAX_DEPTH = 128
# A pandoc run that takes longer than this is stuck (a whole book takes seconds).
TIMEOUT = 300
# pandoc's runtime reserves a 64 MB heap at start (its -with-rtsopts). A short text
# needs far less, and touching those pages is half of pandoc's system time: 16 MB
# saves ~0.03 s of CPU per run (measured on the 3 runs of a build). A long one
# allocates gigabytes, and a small heap means hundreds of collections: Kropotkin's
# print HTML (658 KB of Markdown) spent 1.6-1.7 s of 4.2-4.6 s collecting with 16 MB,
# 0.6 s with 512 MB. So the heap grows with the text: HEAP_PER_BYTE times its size,
# from 16 MB up to 512 MB (pages are touched only as they are used).
HEAP_PER_BYTE = 800
HEAP_MB = (16, 512)
# -M: the most heap a run may take; past it pandoc stops ("heap overflow", X001)
# instead of taking the machine's memory (a 500-page book needs a few hundred MB).
MAX_HEAP = "-M2g"


def runtime(size):
    """pandoc's runtime options for a text of `size` bytes (see HEAP_PER_BYTE)."""
    low, high = HEAP_MB
    heap = min(high, max(low, size * HEAP_PER_BYTE // 2**20))
    return ["+RTS", f"-H{heap}m", MAX_HEAP, "-RTS"]


@functools.cache
def executable():
    """Path of the pandoc 3.x binary that pypandoc_binary bundles, found where that
    wheel puts it without importing pypandoc (~25 ms of every build's start); where
    it is not, pypandoc's own search."""
    spec = importlib.util.find_spec("pypandoc")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        bundled = Path(folder) / "files" / "pandoc"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    import pypandoc

    return pypandoc.get_pandoc_path()


def run(args, *, text, source, meta=None, strict=False, env=None, timeout=TIMEOUT,
        reader=READER):
    """Run pandoc sandboxed on `text` (stdin); return stdout bytes.

    `meta` (a dict of JSON values) is the document's metadata. `source` names the
    manuscript in error messages. With `strict`, a resource pandoc could not fetch
    (the sandbox refused it) fails the run instead of being left out. `env` adds
    variables to pandoc's environment (how the build speaks to its Lua filters:
    nothing in a manuscript can set them).
    """
    import tempfile

    data = text.encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="samizdat-pandoc-") as tmp:
        extra = []
        if meta is not None:
            meta_file = Path(tmp) / "meta.json"
            meta_file.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            extra = ["--metadata-file", str(meta_file)]
        cmd = [executable(), *runtime(len(data)), "--sandbox", "-f", reader, *extra, *args]
        proc = _run(cmd, data, source, env, timeout)
    messages = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    if proc.returncode != 0:
        raise UserError(Finding("X001", str(source), None,
                                f"pandoc failed: {messages[-1] if messages else proc.returncode}"))
    refused = [m for m in messages if "Could not fetch resource" in m]
    if strict and refused:
        raise UserError([Finding("R002", str(source), None,
                                 f"pandoc was refused a file: {m.split('resource', 1)[-1].strip()}")
                         for m in refused])
    return proc.stdout


def _run(cmd, data, source, env, timeout):
    environment = {**os.environ, **env} if env else None
    try:
        return subprocess.run(cmd, input=data, capture_output=True,
                              env=environment, timeout=timeout, cwd="/")
    except subprocess.TimeoutExpired:
        raise UserError(Finding("X004", str(source), None,
                                f"pandoc took longer than {timeout} s: stopped")) from None
    except OSError as error:
        raise UserError(Finding("X005", str(source), None,
                                f"pandoc cannot be run ({cmd[0]}: {error.strerror}): "
                                "reinstall samizdat")) from None


def ast(ms):
    """The pandoc JSON AST of manuscript `ms`; F006 if it nests too deep to parse
    (Manuscript.index refuses anything past MAX_DEPTH)."""
    data = ms.pandoc(["-t", "json"])
    try:
        return json.loads(data)
    except RecursionError:
        raise UserError(too_deep(ms.name, None)) from None


def too_deep(name, depth):
    """F006: the text nests `depth` JSON levels deep (None: deeper than Python parses)."""
    levels = f"more than {MAX_DEPTH // 2}" if depth else "hundreds of"
    return Finding("F006", name, None, f"the text nests {levels} levels deep (block quotes, "
                   f"lists, emphasis inside each other): at most {MAX_DEPTH // 2} can be set")


def stringify(node):
    """Plain text of a pandoc JSON value (inlines, blocks, meta values)."""
    if isinstance(node, list):
        return "".join(stringify(n) for n in node)
    if not isinstance(node, dict):
        return str(node)
    kind, content = node.get("t"), node.get("c")
    if kind == "Str":
        return content
    if kind in ("Space", "SoftBreak", "LineBreak"):
        return " "
    if kind in ("Code", "Math", "RawInline"):
        return content[-1] if kind != "RawInline" else ""
    if kind == "Note":
        return ""
    if kind in ("Para", "Plain"):
        return stringify(content) + "\n"
    if kind == "Quoted":  # as pandoc's writers (and its own stringify) print them
        marks = "\u201c\u201d" if content[0]["t"] == "DoubleQuote" else "\u2018\u2019"
        return marks[0] + stringify(content[1]) + marks[1]
    if kind in ("Link", "Image", "Span", "Cite"):
        return stringify(content[1]) if kind != "Cite" else stringify(content[1])
    if kind == "MetaMap":
        return stringify(list(content.values()))
    if kind in ("MetaString", "MetaBool"):
        return str(content)
    return stringify(content) if content is not None else ""
