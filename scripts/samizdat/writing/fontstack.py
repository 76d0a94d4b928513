"""Fonts for the scripts the wheel does not bundle: Noto, from Debian's packages.

The wheel brings fonts for Latin, Greek, Cyrillic, Arabic and Hebrew (styles/fonts).
Every other script is set in a Noto font of fonts-noto-core or fonts-noto-cjk (serif
where the script has a book tradition), which `make` installs as root. The build names
each such file in an @font-face rule of its own, only for a text that uses its script,
so the PDF embeds only fonts the project chose: print.css lists every family below and
no generic one, and the source check (F008) refuses a character none of the text's
fonts has, naming the package when it is the missing one.

SAMIZDAT_FONT_DIRS (folders, `:` between them) is where to look instead of Debian's.
"""

import functools
import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .. import FONTS
from . import glyphs

DEBIAN = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/opentype/noto")
# Noto Serif CJK's collection holds one face per region; a text's `lang` picks it.
CJK_FACES = {"JP": 0, "KR": 1, "SC": 2, "TC": 3, "HK": 4}
MAX_FONT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Script:
    """A script the build sets in an installed font: family "Samizdat <name>"."""

    name: str
    stem: str  # the font's file name before "-Regular.ttf" / "-Bold.ttf"
    ranges: tuple  # (first, last) code points of the script's blocks
    package: str = "fonts-noto-core"
    suffix: str = ".ttf"

    @property
    def family(self):
        return f"Samizdat {self.name}"

    @property
    def font(self):
        """The font's name, for messages."""
        return " ".join(self.stem.replace("Noto", "Noto ").replace("Serif", "Serif ")
                        .replace("Sans", "Sans ").split())


# In print.css's order. Shared signs (the danda, U+0964-5) are in no range: a text gets
# them from the font of its own script.
SCRIPTS = (
    Script("Armenian", "NotoSerifArmenian", ((0x0530, 0x058F), (0xFB13, 0xFB17))),
    Script("Georgian", "NotoSerifGeorgian", ((0x10A0, 0x10FF), (0x1C90, 0x1CBF),
                                             (0x2D00, 0x2D2F))),
    Script("Devanagari", "NotoSerifDevanagari", ((0x0900, 0x0963), (0x0966, 0x097F),
                                                 (0xA8E0, 0xA8FF))),
    Script("Bengali", "NotoSerifBengali", ((0x0980, 0x09FF),)),
    Script("Gurmukhi", "NotoSerifGurmukhi", ((0x0A00, 0x0A7F),)),
    Script("Gujarati", "NotoSerifGujarati", ((0x0A80, 0x0AFF),)),
    Script("Oriya", "NotoSansOriya", ((0x0B00, 0x0B7F),)),
    Script("Tamil", "NotoSerifTamil", ((0x0B80, 0x0BFF),)),
    Script("Telugu", "NotoSerifTelugu", ((0x0C00, 0x0C7F),)),
    Script("Kannada", "NotoSerifKannada", ((0x0C80, 0x0CFF),)),
    Script("Malayalam", "NotoSerifMalayalam", ((0x0D00, 0x0D7F),)),
    Script("Sinhala", "NotoSerifSinhala", ((0x0D80, 0x0DFF),)),
    Script("Thai", "NotoSerifThai", ((0x0E00, 0x0E7F),)),
    Script("Lao", "NotoSerifLao", ((0x0E80, 0x0EFF),)),
    Script("Tibetan", "NotoSerifTibetan", ((0x0F00, 0x0FFF),)),
    Script("Myanmar", "NotoSerifMyanmar", ((0x1000, 0x109F), (0xA9E0, 0xA9FF),
                                           (0xAA60, 0xAA7F))),
    Script("Ethiopic", "NotoSerifEthiopic", ((0x1200, 0x139F), (0x2D80, 0x2DDF),
                                             (0xAB00, 0xAB2F))),
    Script("Cherokee", "NotoSansCherokee", ((0x13A0, 0x13FF), (0xAB70, 0xABBF))),
    Script("Syllabics", "NotoSansCanadianAboriginal", ((0x1400, 0x167F), (0x18B0, 0x18FF))),
    Script("Khmer", "NotoSerifKhmer", ((0x1780, 0x17FF), (0x19E0, 0x19FF))),
    Script("Tifinagh", "NotoSansTifinagh", ((0x2D30, 0x2D7F),)),
    Script("CJK", "NotoSerifCJK", ((0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x3000, 0x303F),
                                   (0x3040, 0x31FF), (0x3200, 0x9FFF), (0xA960, 0xA97F),
                                   (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F),
                                   (0xFF00, 0xFFEF), (0x20000, 0x3134F)),
           package="fonts-noto-cjk", suffix=".ttc"),
)


# The families print.css's stacks name between the bundled ones and the monospace one.
FAMILIES = ", ".join(f'"{script.family}"' for script in SCRIPTS)


@dataclass(frozen=True)
class Face:
    """One font file a text's stack names: its family, file and weight."""

    family: str
    path: str
    bold: bool = False


def folders():
    """Where installed script fonts are looked for, in order."""
    named = os.environ.get("SAMIZDAT_FONT_DIRS")
    return tuple(Path(f) for f in (named.split(":") if named is not None else DEBIAN) if f)


def installed(script, weight="Regular"):
    """The path of `script`'s font file of `weight`, or None when it is not installed."""
    name = f"{script.stem}-{weight}{script.suffix}"
    return next((folder / name for folder in folders() if (folder / name).is_file()), None)


def script_of(char):
    """The Script whose blocks hold `char`, or None."""
    point = ord(char)
    return next((s for s in SCRIPTS if any(a <= point <= b for a, b in s.ranges)), None)


def _body_points():
    """What the bundled body fonts draw (not the monospace one, last in the stack)."""
    return frozenset().union(*(points for name, points in glyphs.coverage(FONTS).items()
                               if not name.startswith("DejaVuSansMono")))


def scripts_in(text):
    """The Scripts whose letters `text` uses and the bundled body fonts lack, in
    SCRIPTS's order."""
    body = _body_points()
    found = {script_of(char) for char in set(unicodedata.normalize("NFC", text))
             if ord(char) > 0x7E and ord(char) not in body}
    return tuple(s for s in SCRIPTS if s in found)


def cjk_face(lang):
    """The region of Noto Serif CJK a text in `lang` (BCP 47) is set in: Traditional
    forms for zh-Hant/TW/MO, Hong Kong's for zh-HK, Japanese, Korean, else Simplified."""
    parts = [p.lower() for p in (lang or "").replace("_", "-").split("-")]
    regions = {"ja": "JP", "ko": "KR"}
    if parts[0] in regions:
        return regions[parts[0]]
    if "hk" in parts[1:]:
        return "HK"
    return "TC" if {"hant", "tw", "mo"} & set(parts[1:]) else "SC"


def faces(text, lang=""):
    """The Faces a text needs besides the bundled fonts: each installed script font its
    letters call for, regular and bold where there is one (a tuple, hashable)."""
    found = []
    for script in scripts_in(text):
        for weight, bold in (("Regular", False), ("Bold", True)):
            path = installed(script, weight)
            if path is not None and script.suffix == ".ttc":
                path = _extracted(path, CJK_FACES[cjk_face(lang)])
            if path is not None:
                found.append(Face(script.family, str(path), bold))
    return tuple(found)


# Scripts whose justified lines linebreak.spaced_characters widens itself, measured in
# the stack as it is (Libertine first): set in their own font first, its lines came out
# 2 to 24 pt short of the edge (tests/test_breaking.py); they keep the house's order.
# Not Ethiopic: after Libertine each of its spaces was a run of Libertine's whose first
# glyph is moved (the spacing's left half), which WeasyPrint writes as a TJ array opening
# with an empty string, and PDFium drops such an array's last move: Tigrinya's lines
# holding spaces ended 3 to 21 pt short in PDFium (flush in poppler); led by its own
# font, its spaces are in its words' runs, and its lines end at the edge.
SPACED_BY_SCRIPT = frozenset({"CJK", "Thai", "Lao", "Khmer", "Myanmar"})


def leading(text, faces_):
    """The family of the script most of `text`'s letters are in, when that is one of its
    installed script fonts (`faces_`) other than CJK's, else None. Set after the bundled
    Latin font, such a text's spaces were Libertine's, and WeasyPrint 70 with Pango 1.50
    lost some of them where a run changed fonts: the UDHR's Hindi, justified, printed 49
    of its 74 spaces ("के सभी" as "केसभी"), its Lao 21 of 44 even ragged; with the
    script's own font first, every one."""
    counts = {}
    for char in text:
        if char.isalpha():
            script = script_of(char) if ord(char) > 0x7E else None
            counts[script] = counts.get(script, 0) + 1
    families = {face.family for face in faces_}
    most = max(counts, key=counts.get, default=None)
    if most is None or most.name in SPACED_BY_SCRIPT or most.family not in families:
        return None
    return most.family


# What the house's body font sets even in a text its script's font leads: figures, and
# the signs of addresses, sums and code. The Indic fonts of Noto carry Latin figures and
# signs of their own, larger than Libertine's, and set first they drew a Hindi title
# page's date and the colophon's address ("91daa23a7688", "/", "_") in Noto among
# Libertine's letters. The text's punctuation and spaces stay in its script's font
# (leading: WeasyPrint lost spaces where a run changed fonts).
HOUSE_SIGNS = frozenset(map(ord, "0123456789#$%&*+/<=>@\\^_`|~\u00d7\u00f7"))


def lead_range(path):
    """The code points the leading font at `path` is to set: all it has but HOUSE_SIGNS
    the bundled body fonts have (a tuple of (first, last) runs), or None when that is
    all it has. The range is cut from the font's own map: WeasyPrint 70 gives a face
    its unicode-range as its character set, so a point the font lacks would be drawn
    as a box, and a point of the font left out (the danda, shared by every Indic script)
    would go to whatever font of the machine has it."""
    have = glyphs.coverage_of((str(path),))[str(path)]
    keep = sorted(have - (HOUSE_SIGNS & _body_points()))
    if len(keep) == len(have):
        return None
    runs = []
    for point in keep:
        if runs and runs[-1][1] == point - 1:
            runs[-1][1] = point
        else:
            runs.append([point, point])
    return tuple((first, last) for first, last in runs)


def _unicode_range(runs):
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in runs)


def css(text_faces, lead=None, stack=""):
    """@font-face rules for `text_faces`, by absolute file: URL; with `lead` (a family),
    rules that set it before the house's `stack` (print.css's font-family list) in the
    text and the page's margin boxes, its faces cut to their lead_range."""
    rules = []
    for face in text_faces:
        runs = lead_range(face.path) if face.family == lead else None
        rules.append(f'@font-face {{ font-family: "{face.family}"; '
                     f"src: url({Path(face.path).as_uri()});"
                     + (" font-weight: bold;" if face.bold else "")
                     + (f" unicode-range: {_unicode_range(runs)};" if runs else "") + " }")
    if lead and stack:
        first = f'font-family: "{lead}", {stack}'
        rules.append(f"html {{ {first}; }}\n@page {{ @top-center {{ {first}; }} "
                     f"@bottom-center {{ {first}; }} }}")
    return "\n".join(rules)


def missing(text):
    """(character, Script or None) for each character of `text` no font of its stack
    has (the bundled ones and its installed script fonts), in order of first use: the
    Script when its font is the one not installed."""
    # a collection's faces share one character map: its file stands for them
    paths = tuple(p for p in map(installed, scripts_in(text)) if p is not None)
    have = frozenset().union(*glyphs.coverage_of(paths).values())
    return [(char, _absent(script_of(char)))
            for char in glyphs.missing(text) if ord(char) not in have]


def _absent(script):
    return script if script is not None and installed(script) is None else None


def advice(script):
    """What to install for `script`'s letters, in words."""
    return (f"its script ({script.name}) is set in {script.font}, which is not installed "
            f"here: install Debian's {script.package} (`make` does, as root), or put "
            f"{script.stem}-Regular{script.suffix} in a folder named by SAMIZDAT_FONT_DIRS")


def extracted_face(collection, region):
    """The font file of `region`'s face (CJK_FACES) of collection `collection`."""
    return _extracted(Path(collection), CJK_FACES[region])


def _extracted(collection, index):
    """Face `index` of font collection `collection` as a font file of its own, made once
    into the user's cache folder (WeasyPrint would load every face of the collection
    under one name, and embed any)."""
    stamp = f"{collection}:{collection.stat().st_size}:{collection.stat().st_mtime_ns}:{index}"
    key = hashlib.sha256(stamp.encode()).hexdigest()[:16]
    target = _cache_folder() / f"{collection.stem}-{index}-{key}.otf"
    if not target.is_file():
        _extract(collection, index, target)
    return target


def _extract(collection, index, target):
    from fontTools.ttLib import TTCollection

    # lazy: the tables are copied as they are, not decompiled (0.5 s for a CJK face)
    font = TTCollection(collection, lazy=True).fonts[index]
    temp = target.with_suffix(f".{os.getpid()}.tmp")
    font.save(temp)
    os.replace(temp, target)


@functools.cache
def _cache_folder():
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "samizdat"
    try:
        (base / "fonts").mkdir(parents=True, exist_ok=True)
        return base / "fonts"
    except OSError:  # no cache folder: this process's own
        return Path(tempfile.mkdtemp(prefix="samizdat-fonts-"))
