"""Running the pandoc that pypandoc_binary ships (Debian's 2.17 is too old)."""

import functools
import importlib.util
import json
import os
import subprocess
from pathlib import Path

from .errors import Finding, UserError

FILTERS = Path(__file__).parent / "filters"
TEMPLATES = Path(__file__).parent / "templates"
# Quotation marks, dashes and ellipses stay exactly as the manuscript has them.
READER = "markdown-smart"
# pandoc's runtime reserves a 64 MB heap at start (its -with-rtsopts); a manuscript
# needs far less, and touching those pages is half of pandoc's system time:
# 16 MB saves ~0.03 s of CPU per run (measured on the 3 runs of a build).
RUNTIME = ["+RTS", "-H16m", "-RTS"]


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


def run(args, *, text, source, strict=False):
    """Run pandoc sandboxed on `text` (stdin); return stdout bytes.

    `source` names the manuscript in error messages. With `strict`, a resource pandoc
    could not fetch (the sandbox refused it) fails the run instead of being left out.
    """
    cmd = [executable(), *RUNTIME, "--sandbox", "-f", READER, *args]
    proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True)
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


def ast(text, *, source):
    """The pandoc JSON AST of a manuscript."""
    return json.loads(run(["-t", "json"], text=text, source=source))


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
    if kind == "Quoted":
        mark = '"' if content[0]["t"] == "DoubleQuote" else "'"
        return mark + stringify(content[1]) + mark
    if kind in ("Link", "Image", "Span", "Cite"):
        return stringify(content[1]) if kind != "Cite" else stringify(content[1])
    if kind == "MetaMap":
        return stringify(list(content.values()))
    if kind in ("MetaString", "MetaBool"):
        return str(content)
    return stringify(content) if content is not None else ""
