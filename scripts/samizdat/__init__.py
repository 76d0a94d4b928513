"""Samizdat: one Markdown manuscript -> EPUB, PDF and print-ready pamphlets, verified."""

from pathlib import Path

__version__ = "0.1.0"
# The house style: CSS and the fonts every output is set in (read by several stages).
STYLES = Path(__file__).resolve().parents[2] / "styles"
FONTS = STYLES / "fonts"
