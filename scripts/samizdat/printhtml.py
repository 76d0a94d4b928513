"""The print HTML: the manuscript as one HTML document for WeasyPrint (pandoc only).

Kept apart from pdf.py so it can run while WeasyPrint is still being imported.
"""

import re

from . import pandoc


def print_html(ms, *, modified=None):
    """The manuscript as one HTML document for print, paragraphs numbered in data-p.

    `modified` (ISO 8601) becomes the PDF's modification date."""
    stamp = ["-M", f"samizdat-modified={modified}"] if modified else []
    html = pandoc.run(
        ["-t", "html5", "--standalone", "--wrap=none", *stamp,
         "--template", str(pandoc.TEMPLATES / "print.html"),
         "--lua-filter", str(pandoc.FILTERS / "colophon.lua"),
         "--lua-filter", str(pandoc.FILTERS / "print-notes.lua")],
        text=ms.text, source=ms.path).decode("utf-8")
    counter = iter(range(1, 1_000_000))
    return re.sub(r"<p>", lambda _: f'<p data-p="{next(counter)}">', html)
