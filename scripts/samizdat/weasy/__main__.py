"""`python -m samizdat.weasy`: the inventory of what Samizdat changes in WeasyPrint and
the libraries beside it (patches.py), as docs/patches.md holds it."""

from .patches import markdown

print(markdown(), end="")
