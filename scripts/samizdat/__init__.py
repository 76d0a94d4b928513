"""Samizdat: one Markdown manuscript -> EPUB, PDF and print-ready pamphlets, verified.

The rooms, bottom to top (each imports only from the ones before it: tests/test_layers.py):
errors, scratch; writing/ (scripts, fonts, line breaks); editions (formats as data);
source/ (the manuscript); weasy/ (the one door to WeasyPrint and its fixes); process
(lanes, pools, the deadline); outputs/; checks/; build (one text's stage graph);
library/ (many texts); cli.
"""

from pathlib import Path

__version__ = "0.2.0"


def _styles():
    """The house style: CSS and the fonts every output is set in. Installed from a
    wheel it is inside the package (samizdat/styles); in a checkout, and in its
    editable install, it is the repository's styles/."""
    here = Path(__file__).resolve().parent
    for folder in (here / "styles", here.parents[1] / "styles"):
        if (folder / "print.css").is_file():
            return folder
    return here / "styles"  # missing: the first read says X006, reinstall


STYLES = _styles()
FONTS = STYLES / "fonts"
# The package itself: its modules, pandoc's filters and templates (an input of every
# build: outputs.shelf.input_key).
PACKAGE = Path(__file__).resolve().parent
