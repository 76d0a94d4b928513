"""What a manuscript's metadata values mean, whatever file they were written in: a value
given or not, a date, a language, a key reserved to the build, the identifier derived
when none is written. The bottom of `source/`: it imports nothing of Samizdat's."""

import datetime
import re
import uuid
from dataclasses import dataclass

DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
LANG_SHAPE = re.compile(r"[A-Za-z0-9]{1,8}(-[A-Za-z0-9]{1,8})*")

# Metadata keys that are instructions to the build rather than facts about the text:
# pandoc pastes header-includes and include-* into every page of the EPUB, reads the
# files css, stylesheet and cover-image name, and samizdat-* are Samizdat's own. A
# manuscript's values for them are dropped (M006, a warning).
RESERVED = ("header-includes", "include-before", "include-after", "css", "stylesheet",
            "cover-image")
RESERVED_PREFIX = "samizdat-"


def reserved(key):
    """Whether metadata `key` is an instruction the build never takes from a manuscript."""
    key = str(key).lower()
    return key in RESERVED or key.startswith(RESERVED_PREFIX)


# The namespace of identifiers Samizdat derives (uuid5 of this URL).
IDENTIFIERS = uuid.uuid5(uuid.NAMESPACE_URL, "https://samizdat.invalid/identifier")


@dataclass(frozen=True)
class LangReading:
    """How a manuscript's `lang` was read: `tag` is what the outputs carry; `how` is ""
    (a tag, or none written), "locale" (en_US), "name" (English, Русский), "muse" (a Muse
    text's #lang that is neither: English, as Text::Amuse reads it) or "unreadable"
    (`tag` is then the text as written, which M002 refuses)."""

    tag: str
    how: str = ""


# What no language's tag or name holds, and what reorders or hides text in a message
# or a catalog: controls, format characters (U+202E and the other bidi controls),
# line and paragraph separators, private use, unassigned code points.
UNFIT_IN_LANG = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}


def read_lang(written, *, muse=False):
    """LangReading of a manuscript's `lang` as `written` (`muse`: of a Muse header).

    A BCP 47 tag is put in its shortest form; a POSIX locale (en_US) read as its tag; a
    language's name, in English or in the language itself ("English", "russian",
    "Русский", "Deutsch"), read by langcodes as its tag. In a Muse header, anything else
    is English, as Text::Amuse reads a #lang it does not know (amusewiki builds it so).
    A value holding a control or bidi character is never read (an attempt to make a
    message or a catalog entry say something else): unreadable, refused as M002."""
    import unicodedata

    import langcodes

    if not written:
        return LangReading("en" if muse else "")  # a Muse header without #lang: English
    if any(unicodedata.category(c) in UNFIT_IN_LANG for c in written):
        return LangReading(written, "unreadable")
    if LANG_SHAPE.fullmatch(written) and langcodes.tag_is_valid(written):
        return LangReading(langcodes.standardize_tag(written))
    locale = written.strip().replace("_", "-")
    if LANG_SHAPE.fullmatch(locale) and langcodes.tag_is_valid(locale):
        return LangReading(langcodes.standardize_tag(locale), "locale")
    try:
        return LangReading(langcodes.find(" ".join(written.split())).to_tag(), "name")
    except LookupError:  # no language of that name (or its data not installed)
        pass
    return LangReading("en", "muse") if muse else LangReading(written, "unreadable")


def derived_identifier(meta):
    """A name-based UUID URN from metadata `meta`'s title, author, date and language."""
    facts = "\n".join(" ".join(_flat_text(meta.get(k)).split())
                      for k in ("title", "author", "date", "lang"))
    return f"urn:uuid:{uuid.uuid5(IDENTIFIERS, facts)}"


def given(value):
    """Whether a metadata value says something (not absent, empty or blank)."""
    return value not in (None, [], {}) and str(value).strip() != ""


def _flat_text(value):
    if isinstance(value, list):
        return ", ".join(_flat_text(v) for v in value)
    return "" if value is None else str(value)


def valid_date(text):
    """Whether `text` is YYYY, YYYY-MM or YYYY-MM-DD, and a day that exists."""
    match = DATE.fullmatch(text)
    if not match:
        return False
    year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True
