"""Loading a manuscript: `load(path) -> Manuscript`, the one way a text comes in.

The file is read beneath its own folder (never through a link out of it), parsed
(text.parse: Markdown, or Muse converted), and a collection (`contents:`) is read with
its parts and joined into one book (collection.py).
"""

from pathlib import Path

from ..errors import Finding, UserError
from . import collection, resources
from .text import Manuscript, parse

__all__ = ["Manuscript", "load"]  # load(path) -> Manuscript


def load(path, *, given=None):
    """Read and parse the manuscript at `path` (Markdown, or Muse: see muse.py); raise
    UserError if it cannot be read. `given`: metadata from the command line, for what
    a Muse header never says (rights, publisher)."""
    path = Path(path)
    name = str(path)
    _refuse_links_out(path, name)
    _refuse_unusable_name(path, name)
    try:
        data = resources.read_beneath(path.absolute().parent.resolve(), path.resolve(),
                                      resources.MAX_MANUSCRIPT_BYTES)
    except resources.TooLarge as error:
        raise UserError(Finding("F006", name, None, f"the manuscript is {error.strerror}: "
                                "split it into several texts")) from None
    except OSError as error:
        raise UserError(Finding("F000", name, None, f"cannot read: {error.strerror}")) from None
    ms = parse(path, data, given=given)
    if "contents" in ms.meta:  # a collection: its parts read and joined as one book
        return collection.assemble(ms, given=given)
    return ms


def _refuse_links_out(path, name):
    """F000 if `path` is a symbolic link to a file outside its own folder: a folder
    sent by a stranger could otherwise make the build publish any file it can read."""
    try:
        real = path.resolve()
        folder = path.absolute().parent.resolve()
    except (OSError, RuntimeError):  # a loop of links
        raise UserError(Finding("F000", name, None, "cannot read: a loop of links")) from None
    if path.is_symlink() and not real.is_relative_to(folder):
        raise UserError(Finding("F000", name, None, "the manuscript is a link to a file "
                                "outside its folder: refused"))


def _refuse_unusable_name(path, name):
    """F007 if the file's name cannot name its outputs (`<stem>.epub`, ...): hidden, with
    a control character (a newline would break SHA256SUMS), or too long for a file."""
    stem = path.stem
    if stem.startswith(".") or not stem.isprintable() or len(stem.encode()) > 200:
        raise UserError(Finding("F007", name, None, "the file name cannot name the outputs: "
                                "it must not start with '.', hold control characters or "
                                "be longer than 200 bytes; rename the file"))
