"""Manuscripts written for the user, never over a file: `samizdat new PATH.md`, a first
manuscript that `samizdat check` passes as it stands, each field with a one-line
reminder of what it is for, and a note to copy; and `samizdat import`, the Markdown
manuscript of a Muse file."""

import datetime
import json
import os
import uuid
from pathlib import Path

from ..errors import Finding, UserError
from . import muse
from .manuscript import load

DEFAULT_RIGHTS = "Anti-Copyright: may be freely copied, reprinted and distributed."

TEMPLATE = """\
---
# The title, as on the title page and in every e-reader's library.
title: {title}
# Who wrote it; several authors as a list: [A, B].
author: {author}
# When the text was written or first published: YYYY, YYYY-MM or YYYY-MM-DD.
date: "{date}"
# The text's language (en, de, fr, ru, fa, ...): hyphenation, labels, reading direction.
lang: {lang}
# What a reader may do with the text; printed on the colophon. It must let them copy it.
rights: {rights}
# The book's lasting name for e-readers and catalogs: keep it through every edition.
identifier: {identifier}
---

The text begins here. A note is called like this[^1] and written below, anywhere.

[^1]: Notes are printed at the foot of their call's page and pop up on e-readers.
"""


def new(path, *, title, author, lang="en", rights=DEFAULT_RIGHTS, today=None):
    """Write a new manuscript at `path` (refused if something is there); return its path.

    The identifier is a fresh random UUID: two texts started with the same title are
    still two books."""
    path = Path(path)
    if path.suffix.lower() != ".md":
        raise UserError(Finding("X010", str(path), None,
                                "a manuscript's name ends in .md, e.g. my-text.md"))
    today = today or datetime.date.today()
    text = TEMPLATE.format(
        title=_yaml(title), author=_yaml(author), date=today.isoformat(), lang=_yaml(lang),
        rights=_yaml(rights), identifier=f"urn:uuid:{uuid.uuid4()}")
    return write_new(path, text)


def write_new(path, text, *, other="choose another name"):
    """Write `text` to a new file at `path`; return `path`. X010 (saying `other`) if
    something is there: never overwritten, not even a file that appeared a moment ago
    (O_EXCL)."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        raise UserError(Finding("X010", str(path), None,
                                f"already exists: {other}")) from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    return Path(path)


def _yaml(value):
    """`value` as a YAML scalar: a JSON string is valid YAML and quotes whatever needs it."""
    return json.dumps(" ".join(str(value).split()), ensure_ascii=False)


def write_markdown(source, out=None, *, given=None):
    """`samizdat import`: write the Markdown manuscript of Muse file `source` to `out`
    (default: beside it, with .md), never over an existing file; return its path.
    X010 for a source that is not .muse or an output that exists."""
    source = Path(source)
    if not muse.is_muse(source):
        raise UserError(Finding("X010", str(source), None, "import reads a Muse file, "
                                "whose name ends in .muse"))
    out = Path(out) if out else source.with_suffix(".md")
    if out.suffix.lower() != ".md":
        raise UserError(Finding("X010", str(out), None,
                                "a manuscript's name ends in .md, e.g. my-text.md"))
    return write_new(out, load(source, given=given).text,
                     other="choose another name with -o")
