"""Samizdat: one Markdown manuscript -> EPUB, PDF and print-ready pamphlets, verified."""

__version__ = "0.1.0"
