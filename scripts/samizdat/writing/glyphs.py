"""Which characters the build's own fonts can print (styles/fonts, and the script
fonts of fontstack).

Reading the fonts' character maps takes ~0.25 s (fontTools); the answer is kept in
the user's cache folder under a key made of the fonts' names, sizes and times, so a
build reads it in a millisecond, and a changed font is read again.
"""

import functools
import hashlib
import json
import os
import unicodedata
from pathlib import Path

from .. import FONTS

# Characters no font needs to draw: spaces, line ends, format controls (zero-width
# joiners, direction marks), and variation selectors.
UNDRAWN = {"Zs", "Zl", "Zp", "Cc", "Cf"}
# Characters print sets as others the fonts have (print-blocks.lua): the two- and
# three-em dashes as two and three em dashes.
SET_AS = {"\u2e3a": "\u2014" * 2, "\u2e3b": "\u2014" * 3}


def _fonts(folder):
    return sorted(p for p in Path(folder).glob("*") if p.suffix.lower() in (".otf", ".ttf"))


def _key(files):
    stamp = [(str(name), p.stat().st_size, p.stat().st_mtime_ns) for name, p in files.items()]
    return hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:24]


def _cache_file(files, kind):
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "samizdat" / f"{kind}-{_key(files)}.json"


@functools.cache
def coverage(folder=FONTS):
    """Each font file's name in `folder` -> the code points it has a glyph for."""
    return _read({path.name: path for path in _fonts(folder)}, "glyphs-by-font")


@functools.cache
def coverage_of(paths):
    """Each font file of `paths` (a tuple; a collection's first face) -> the code points
    it has a glyph for."""
    return _read({str(path): Path(path) for path in paths}, "glyphs-of-files")


def _read(files, kind):
    """{name: code points} of `files` ({name: path}), from the cache when it has them."""
    cache = _cache_file(files, kind)
    try:
        return {name: frozenset(points)
                for name, points in json.loads(cache.read_text(encoding="ascii")).items()}
    except (OSError, ValueError, AttributeError):
        pass
    from fontTools.ttLib import TTFont

    fonts = {name: frozenset(TTFont(path, lazy=True, fontNumber=0).getBestCmap())
             for name, path in files.items()}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temp = cache.with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(json.dumps({name: sorted(points) for name, points in fonts.items()}),
                        encoding="ascii")
        os.replace(temp, cache)
    except OSError:  # no cache folder: read the fonts next time too
        pass
    return fonts


@functools.cache
def printable(folder=FONTS):
    """The code points some font in `folder` has a glyph for (a frozenset)."""
    return frozenset().union(*coverage(folder).values())


def missing(text, folder=FONTS):
    """The characters of `text` (NFC: a letter and its accent as one, where Unicode has
    one) that no font in `folder` can draw, in order of first use."""
    have = printable(folder)
    found = {}
    for char in unicodedata.normalize("NFC", text):
        if ord(char) > 0x7E and ord(char) not in have and char not in found \
                and char not in SET_AS \
                and unicodedata.category(char) not in UNDRAWN \
                and not 0xFE00 <= ord(char) <= 0xFE0F:
            found[char] = True
    return list(found)
