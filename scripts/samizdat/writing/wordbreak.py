"""Where a line may break in a script that writes no space between its words.

Pango, which breaks WeasyPrint's lines, follows Unicode's line breaking rules (UAX 14):
Chinese and Japanese break between characters (not before 。、」 nor after 「, its
kinsoku rules), Ethiopic after its word separator ፡, Thai at words (a dictionary:
libthai). Khmer, Lao and Burmese also write no space between words, but Pango 1.50 has
no dictionary for them: a paragraph was one unbreakable word, broken anywhere by the
overlong-word mend (P008) or run off the page.

ICU has those dictionaries, and every Linux that has Pango has ICU too (libxml2 needs
it). Here ICU's line break iterator is called through ctypes (its C API, no Python
package): `mark_words` puts a zero width space (U+200B, a break opportunity that draws
nothing) between two words of those scripts and Thai in the print HTML (where a
justified line is widened: linebreak.spaced_characters; and after a Tibetan tsheg or
shad, where a Tibetan line breaks and is widened), and `word_start` finds
where the word before a note's call begins, in any script, for `printhtml.glue_calls`
(which used to glue the call to everything back to the last space: a whole Chinese
paragraph). Without ICU (said once, W002), words are not marked and a call is glued to
the one character before it in those scripts.
"""

import ctypes
import ctypes.util
import functools
import logging
import re

# Scripts written without spaces whose words are marked: Khmer (and its symbols), Lao,
# Myanmar (and its extensions), whose words Pango does not find, and Thai, whose words
# Pango finds (libthai) but a justified line needs marked to be widened there.
UNMARKED = ("\u0e00-\u0e7f\u1780-\u17ff\u19e0-\u19ff\u0e80-\u0eff\u1000-\u109f"
            "\ua9e0-\ua9ff\uaa60-\uaa7f")
# Every script whose words meet with no space between them: those, Ethiopic,
# and the Chinese, Japanese and Korean blocks (fontstack.SCRIPTS's CJK ranges).
SPACELESS = (UNMARKED + "\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f"
             "\u1100-\u11ff\u2e80-\u2fdf\u3000-\u303f\u3040-\u31ff\u3200-\u9fff\ua960-\ua97f"
             "\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003134f")
_UNMARKED_RUN = re.compile(f"[{UNMARKED}]")
# Tibetan's syllables end in a tsheg (U+0F0B; U+0F0C is the one no line breaks after),
# a shad (U+0F0D-U+0F11), a gter tsheg (U+0F14) or a visarga (U+0F7F, after which no
# tsheg is written), after which Pango breaks a line (UAX 14: BA, EX) when a letter or a
# figure comes next (not another mark: "ང་།" keeps its shad). Tibetan typesetting widens
# a justified line there, after the mark (a tsheg set a little wider, besides the few
# spaces), so a zero width space stands in each such place: what
# linebreak.spaced_characters widens. The marks are written: no dictionary, no ICU.
TIBETAN_BREAK = re.compile("(?<=[\u0f0b\u0f0d-\u0f11\u0f14\u0f7f])"
                           "(?=[\u0f20-\u0f33\u0f40-\u0f6c\u0f88-\u0f8c])")
_SPACELESS_CHAR = re.compile(f"[{SPACELESS}]")
ZWSP = "\u200b"
# Lao's and Thai's repetition marks (ໆ, ๆ) repeat the word before them: ICU's
# dictionary takes them for words of their own, but no line may start with one.
REPEATS = "\u0ec6\u0e46"
UBRK_LINE = 2
U_ZERO_ERROR = 0


class _Icu:
    """ICU's ubrk_* C functions of one loaded libicuuc, by their versioned names."""

    def __init__(self, library, suffix):
        self.open = getattr(library, f"ubrk_open{suffix}")
        self.open.restype = ctypes.c_void_p
        self.open.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int32,
                              ctypes.POINTER(ctypes.c_int))
        self.first = getattr(library, f"ubrk_first{suffix}")
        self.next = getattr(library, f"ubrk_next{suffix}")
        for function in (self.first, self.next):
            function.restype = ctypes.c_int32
            function.argtypes = (ctypes.c_void_p,)
        self.close = getattr(library, f"ubrk_close{suffix}")
        self.close.restype = None
        self.close.argtypes = (ctypes.c_void_p,)


@functools.cache
def _icu():
    """ICU's break iterator functions, or None when no ICU library loads (said once)."""
    for name in ("icuuc", "icucore"):  # Linux's libicuuc; macOS's system libicucore
        path = ctypes.util.find_library(name)
        if not path:
            continue
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        # ICU renames its C functions per major version (ubrk_open_72) unless built
        # without renaming (macOS): the soname's version first, then any other
        version = re.findall(r"\.so\.(\d+)", path)
        for suffix in ("", *(f"_{v}" for v in version), *(f"_{v}" for v in range(99, 49, -1))):
            if hasattr(library, f"ubrk_open{suffix}"):
                return _Icu(library, suffix)
    logging.getLogger("samizdat").warning(
        "W002 samizdat: ICU (libicuuc) is not installed: Khmer, Lao and Burmese lines are "
        "broken only at spaces and where a word is too long; install libicu (Debian: "
        "libicu72 or later)")
    return None


def available():
    """Whether ICU's line break iterator can be called here."""
    return _icu() is not None


def line_breaks(text, lang=""):
    """The indices of `text` (0 < i < len) before which ICU's line break iterator, with
    its dictionaries, lets a line break; None without ICU."""
    icu = _icu()
    if icu is None:
        return None
    encoded = text.encode("utf-16-le")
    # ICU counts UTF-16 units: a character beyond the BMP is two
    index_of, units = {}, 0
    for index, char in enumerate(text):
        index_of[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    status = ctypes.c_int(U_ZERO_ERROR)
    locale = (lang or "").replace("-", "_").encode("ascii", "replace")
    iterator = icu.open(UBRK_LINE, locale, encoded, units, ctypes.byref(status))
    if status.value > U_ZERO_ERROR or not iterator:
        return None
    try:
        breaks, at = [], icu.first(iterator)
        while at != -1:  # UBRK_DONE
            if 0 < at < units and at in index_of:
                breaks.append(index_of[at])
            at = icu.next(iterator)
        return breaks
    finally:
        icu.close(iterator)


def mark_words(text, lang=""):
    """`text` (a run of HTML text, no tags) with a zero width space between any two
    words of Khmer, Lao and Burmese that meet with no space, where ICU's dictionaries
    put a line break, and after each Tibetan tsheg or shad a line may break after
    (TIBETAN_BREAK); `text` itself when it has none (or ICU is not here for the
    others)."""
    text = TIBETAN_BREAK.sub(ZWSP, text)
    if not _UNMARKED_RUN.search(text):
        return text
    breaks = line_breaks(text, lang)
    if not breaks:
        return text
    parts, done = [], 0
    for at in breaks:
        if _UNMARKED_RUN.match(text[at - 1]) and _UNMARKED_RUN.match(text[at]) \
                and text[at] not in REPEATS:
            parts += [text[done:at], ZWSP]
            done = at
    return "".join(parts) + text[done:]


def word_start(segment, lang=""):
    """Where, in `segment` (HTML text with no space nor tag: what stands before a note's
    call), the last word begins: the last place a line may break (ICU's), never inside
    a character reference; 0 when it is one word. A segment with no letter of a script
    written without spaces is one word (as it was: "well-known" stays whole). Without
    ICU, a segment that ends in such a script has its last character for its word."""
    if not _SPACELESS_CHAR.search(segment):
        return 0
    breaks = line_breaks(segment, lang)
    if breaks is None:
        if segment and _SPACELESS_CHAR.match(segment[-1]):
            return len(segment) - 1
        return 0
    for at in reversed(breaks):
        if not re.search(r"&[#\w]*$", segment[:at]):
            return at
    return 0

