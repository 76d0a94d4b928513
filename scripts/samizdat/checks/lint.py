"""Source checks: `check(manuscript) -> [Finding]`, one stable code per kind of problem.

The families of checks, and how each runs on a Markdown and on a Muse text, are one
table, CHECKS. Every code is in docs/codes.md (tests/test_codes.py holds the table to
the code); F-codes (the file itself) come from `manuscript.load`.
"""

import dataclasses
import functools
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from .. import editions
from ..errors import Finding
from ..source import muse, policy, resources
from ..source.metadata import given, reserved, valid_date
from ..source.notes import scan_notes
from ..source.text import split_lines

REQUIRED = ("title", "author", "date", "lang", "rights")
# A rights statement must grant the right to copy, and not take it back.
LICENCE = re.compile(
    r"anti-?copyright|copyleft|public domain|\bCC0\b|creative commons|\bCC[ -]BY|"
    r"licen[cs]e|\bGPL\b|no rights reserved|free(ly)? to (copy|reproduce|distribute)|"
    r"may be freely (copied|reproduced|distributed)|\bno copyright\b(?! (notice|statement))|"
    r"\bnot in copyright", re.IGNORECASE)
RESERVES = re.compile(
    r"(?<!no )(?<!some )\brights reserved|\bnot (an? )?(anti-?copyright|licen[cs]e|"
    r"public domain|free)|\bno licen[cs]e (is )?(granted|to)\b|may not be (copied|"
    r"reproduced|distributed|reprinted)|without (the )?(prior )?(written )?permission|"
    r"\bproprietary\b", re.IGNORECASE)
# An honest statement that no licence is known (as texts from archives and converters
# carry): it reserves nothing, and grants nothing either.
UNKNOWN = re.compile(
    r"\bno (known )?(licen[cs]e|copyright (notice|statement|restrictions)|rights statement)|"
    r"\b(licen[cs]e|copyright|rights)( status| holder)? (is |are )?(unknown|unclear|"
    r"undetermined|not (stated|known|given|specified|determined))|"
    r"\bunknown (licen[cs]e|copyright|rights)", re.IGNORECASE)
# Metadata that must be one piece of text; and that may be a list of texts.
TEXT_KEYS = ("title", "subtitle", "date", "lang", "rights", "identifier", "publisher",
             "description", "source")
LIST_KEYS = ("author", "subject")
# Characters no text means to hold: C0 controls but tab and line end, DEL, C1
# controls, and the non-characters U+FFFE/U+FFFF (an OCR'd form feed, a NUL).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")


@dataclass(frozen=True)
class Family:
    """A family of source checks: `markdown(ms)` for a Markdown text; for a text converted
    from Muse, `muse(ms)` when the family reads the Muse text itself, else the Markdown
    check, its lines taken back to the Muse file's (`on_text`) or left as they are."""

    name: str
    markdown: object
    muse: object = None
    on_text: bool = False

    def run(self, ms):
        """This family's findings for `ms`."""
        if ms.origin is None:
            return self.markdown(ms)
        if self.muse is not None:
            return self.muse(ms)
        found = self.markdown(ms)
        if not self.on_text:
            return found
        return [dataclasses.replace(f, line=ms.origin.line_of(f.line, ms.text)) for f in found]


def check(ms):
    """All source findings for manuscript `ms`, family by family (CHECKS), in file order
    within each. For a text converted from Muse, its notes are checked on the Muse text,
    and the lines of the other findings are the Muse file's (see muse.py). A collection
    (see collection.py) is checked as its own file and each of its parts are, every
    finding naming the file and line it is about."""
    if getattr(ms, "parts", None):
        return check(ms.own) + [finding for part in ms.parts for finding in check(part)
                                if finding.code not in PART_MOOT]
    return [finding for family in CHECKS for finding in family.run(ms)]


# What a part of a collection is not told: the book carries the collection's identifier
# and cover, never a part's.
PART_MOOT = ("M004", "M014")


# --- notes (read by notes.scan_notes) ----------------------------------------

def check_notes(ms):
    """N-codes: every call defined, every definition called once, no empty or nested note."""
    scan, name = scan_notes(ms.text, ms.yaml_lines + 1).without_links(), ms.name
    findings, defined = _definition_findings(name, scan)
    findings += _call_findings(name, scan, defined)
    called = {label for label, _, inside in scan.calls if not inside}
    for label, note in defined.items():
        if label not in called:
            findings.append(Finding("N002", name, note.line,
                                    f"note [^{label}] is defined but never called, so it "
                                    "would not be printed"))
    findings += _order_findings(name, scan) + _repeat_findings(name, scan, defined)
    return sorted(findings, key=lambda f: (f.line or 0, f.code))


def _definition_findings(name, scan):
    """(N003 and N004 findings, {label: first NoteDef})."""
    findings, defined = [], {}
    for note in scan.definitions:
        if note.label in defined:
            findings.append(Finding("N003", name, note.line,
                                    f"note [^{note.label}] is defined twice "
                                    f"(first at line {defined[note.label].line})"))
            continue
        defined[note.label] = note
        if not "".join(note.text).strip():
            findings.append(Finding("N004", name, note.line,
                                    f"note [^{note.label}] is empty: write its text after "
                                    f"'[^{note.label}]:'"))
        elif note.swallowed:
            findings.append(Finding("N004", name, note.line,
                                    f"note [^{note.label}] is empty on its line, so pandoc "
                                    f"takes the paragraph at line {note.swallowed} as its "
                                    "text: indent that paragraph by four spaces if it "
                                    "belongs to the note"))
    return findings, defined


def _call_findings(name, scan, defined):
    findings = []
    for label, line, inside in scan.calls:
        if inside and label not in defined:
            findings.append(Finding("N005", name, line,
                                    f"note [^{inside}] calls note [^{label}], "
                                    "which is never defined"))
        elif inside:
            findings.append(Finding("N007", name, line,
                                    f"note [^{inside}] calls note [^{label}]: notes cannot "
                                    "nest, move the call into the text"))
        elif label not in defined:
            findings.append(Finding("N001", name, line,
                                    f"note [^{label}] is called but never defined: "
                                    f"add a line '[^{label}]: ...'"))
    return findings


def _order_findings(name, scan):
    """N006 (warning): numbered labels whose first calls are out of numeric order."""
    seen, previous = set(), None
    for label, line, inside in scan.calls:
        if inside or label in seen or not label.isdigit():
            continue
        seen.add(label)
        if previous is not None and int(label) < previous:
            return [Finding("N006", name, line,
                            f"note [^{label}] is called after note [^{previous}]: notes "
                            "are numbered in the order of their calls, not by label",
                            "warning")]
        previous = int(label)
    return []


def _repeat_findings(name, scan, defined):
    """N008 (warning): a note called twice is printed twice, under two numbers."""
    first, findings = {}, []
    for label, line, inside in scan.calls:
        if inside or label not in defined:
            continue
        if label in first:
            findings.append(Finding("N008", name, line,
                                    f"note [^{label}] is called a second time (first call: line "
                                    f"{first[label]}): it will be printed twice, under "
                                    "two numbers", "warning"))
        first.setdefault(label, line)
    return findings


# --- metadata ----------------------------------------------------------------

def check_choices(ms):
    """M008: the print choices in the metadata are ones Samizdat can make together."""
    try:
        editions.plan(editions.Choices.of(ms.meta))
    except editions.ChoiceError as error:
        return [Finding("M008", ms.name, key_line(ms, error.key), str(error))]
    return []


def check_metadata(ms):
    """M-codes: required fields present, lang a BCP 47 tag, rights a licence statement."""
    meta, name, findings = ms.meta, ms.name, []
    for key in REQUIRED:
        if not given(meta.get(key)):
            findings.append(_missing(ms, key))
    findings += _lang_findings(ms)
    findings += _rights_findings(ms)
    if not given(meta.get("identifier")):
        findings.append(Finding("M004", name, 1,
                                "the metadata has no 'identifier': the build derives "
                                f"{ms.identifier} from the title, author, date and lang; "
                                "write it in as 'identifier:' to keep it if those change",
                                "warning"))
    date = meta.get("date")
    if given(date) and not valid_date(str(date)):
        carried = f"the outputs carry {ms.date}, its first year" if ms.date else \
            "the outputs carry no date"
        findings.append(Finding("M005", name, key_line(ms, "date"),
                                f"date '{date}' is not a date written YYYY, YYYY-MM "
                                f"or YYYY-MM-DD: {carried}", "warning"))
    return (findings + _shape_findings(ms) + _reserved_findings(ms) + _library_findings(ms)
            + _cover_findings(ms))


def _rights_findings(ms):
    """M003 for rights that reserve rights or say nothing of them; M012 (warning) for
    an honest "no licence is known": it takes back nothing, and a library may judge
    a text it did not write fit to give out (Samizdat cannot know; it says so)."""
    rights, name = ms.meta.get("rights"), ms.name
    if not given(rights):
        return []
    shown = _shown(str(rights))
    if RESERVES.search(str(rights)):
        return [Finding("M003", name, key_line(ms, "rights"),
                        f"rights '{shown}' reserves rights: a text is built only under a "
                        "statement that lets it be copied (such as Anti-Copyright or CC "
                        "BY-SA 4.0)")]
    if UNKNOWN.search(str(rights)):
        return [Finding("M012", name, key_line(ms, "rights"),
                        f"rights '{shown}' says no licence is known: built, and printed as "
                        "written; whoever gives it out answers for having judged it may be "
                        "copied", "warning")]
    if not LICENCE.search(str(rights)):
        return [Finding("M003", name, key_line(ms, "rights"),
                        f"rights '{shown}' is not a licence statement (such as "
                        "Anti-Copyright or CC BY-SA 4.0)")]
    return []


def _library_findings(ms):
    """M011: the library's address (`library: {url: ...}`, in the YAML or a shelf's
    samizdat.yaml) becomes a link in every book: a web address or mailto: only."""
    library = ms.meta.get("library")
    url = library.get("url") if isinstance(library, dict) else None
    if url is None or policy.web_address(str(url)):
        return []
    where, lines = ms.name, split_lines(ms.text)[:ms.yaml_lines]
    if ms.origin is not None:  # a Muse text's library is its shelf's
        shelf = ms.origin.shelf
        where, lines = (str(shelf), split_lines(ms.origin.shelf_data.decode("utf-8"))) \
            if shelf else (ms.name, [])
    return [Finding("M011", where, _nested_line(lines, "library", "url"),
                    f"library url '{_shown(str(url))}' is not a web address: the colophon "
                    "of every book links it, so it must start http://, https:// or mailto:")]


def _nested_line(lines, key, inner):
    """The line of `inner:` under top-level `key:` in YAML `lines` (that of `key:` if
    it is written in one line, 1 if neither is found)."""
    found = 1
    for number, line in enumerate(lines, 1):
        if re.match(rf"{re.escape(key)}\s*:", line):
            found = number
        elif found > 1 and line[:1] not in (" ", "\t", "#", ""):
            break
        elif found > 1 and re.match(rf"[ \t]+{re.escape(inner)}\s*:", line):
            return number
    return found


def _cover_findings(ms):
    """M014 (warning): a text too long for its room on the cover even in its smallest
    type is cut short there with an ellipsis (see cover._fit); the book keeps it whole."""
    from ..outputs import cover

    return [Finding("M014", ms.name, key_line(ms, key),
                    f"'{key}' is too long for the cover: cut short there with '…' (the "
                    "book and its catalog entry keep it whole)", "warning")
            for key in cover.cut_short(ms)]


def _shape_findings(ms):
    """M007: fields that must be text are text (a title given as a list or a map would
    print as nonsense); `smart` is true or false."""
    findings = []
    if "smart" in ms.meta and not isinstance(ms.meta["smart"], bool):
        findings.append(Finding("M007", ms.name, key_line(ms, "smart"),
                                "'smart' must be true (typographic quotes and dashes, the "
                                "default) or false (characters as written)"))
    for key in (*TEXT_KEYS, *LIST_KEYS):
        value = ms.meta.get(key)
        items = value if key in LIST_KEYS and isinstance(value, list) else [value]
        if given(value) and any(isinstance(item, (list, dict)) for item in items):
            shape = "a list" if isinstance(value, list) else "a map of keys"
            want = "a text or a list of texts" if key in LIST_KEYS else "one text"
            findings.append(Finding("M007", ms.name, key_line(ms, key),
                                    f"'{key}' is {shape}: it must be {want}"))
    return findings


def _reserved_findings(ms):
    """M006 (warning): keys that are instructions to the build are ignored."""
    return [Finding("M006", ms.name, key_line(ms, str(key)),
                    f"metadata '{_shown(str(key))}' is ignored: it would tell pandoc or "
                    "Samizdat what to read or add to every page, which only the house "
                    "style does", "warning")
            for key in ms.meta if reserved(key)]


# --- characters ------------------------------------------------------------------

def check_characters(ms):
    """F005: control characters, in the text (line and column) or in a metadata value
    written with an escape (its key's line). At most MAX_CHARACTER_FINDINGS."""
    findings = []
    for number, line in enumerate(split_lines(ms.text), 1):
        for match in CONTROL.finditer(line):
            findings.append(_control(ms.name, number, match[0], f"column {match.start() + 1}"))
    block = "\n".join(split_lines(ms.text)[:ms.yaml_lines])
    for key, value in ms.meta.items():
        bad = CONTROL.search(_flat(value) + str(key))
        if bad and bad[0] not in block:  # written as an escape: no column to give
            findings.append(_control(ms.name, key_line(ms, str(key)), bad[0],
                                     f"in the value of '{_shown(str(key))}'"))
    return findings[:MAX_CHARACTER_FINDINGS] + _glyph_findings(ms)


MAX_CHARACTER_FINDINGS = 20


def _glyph_findings(ms):
    """F008: a character no font of the text's stack has (the bundled ones and the
    installed fonts of its scripts, see fontstack) would print as a box (or in some
    font of the machine's, different on every machine); when its script's font is the
    one missing, say what to install."""
    import unicodedata

    from ..writing import fontstack

    findings = []
    for char, script in fontstack.missing(ms.text)[:MAX_CHARACTER_FINDINGS]:
        name = unicodedata.name(char, "unnamed")
        line = ms.line_of_nth(char, 1) or ms.line_of_nth(unicodedata.normalize("NFD", char), 1)
        count = unicodedata.normalize("NFC", ms.text).count(char)
        cure = fontstack.advice(script) if script else \
            "replace it, or add a font that has it to styles/fonts"
        findings.append(Finding("F008", ms.name, line, f"{char} (U+{ord(char):04X} {name}, "
                                f"{count} in the text) is in none of the build's fonts: it "
                                f"would print as a box; {cure}"))
    return findings


def _control(name, line, char, where):
    return Finding("F005", name, line, f"control character U+{ord(char):04X} {where}: "
                   "remove it (it prints as nothing, or breaks the EPUB)")


def _flat(value):
    if isinstance(value, dict):
        return " ".join(str(k) + " " + _flat(v) for k, v in value.items())
    if isinstance(value, list):
        return " ".join(_flat(v) for v in value)
    return str(value)


def _lang_findings(ms):
    """M002 for a `lang` the build cannot read as a language; M015 (a warning) for one it
    reads as a tag written otherwise (see metadata.read_lang)."""
    written, reading = ms.meta.get("lang"), ms.lang_read
    if not given(written) or not reading.how:
        return []
    line, key = key_line(ms, "lang"), "#lang" if ms.origin is not None else "lang"
    if reading.how == "unreadable":
        return [Finding("M002", ms.name, line, f"{key} '{written}' is not a BCP 47 language "
                        "tag (such as en, en-US or pt-BR), nor a language's name")]
    import langcodes

    named = langcodes.Language.get(reading.tag).display_name()
    said = {"locale": "a locale", "name": "a language's name",
            "muse": "neither a language tag nor a language's name"}[reading.how]
    then = ", as Text::Amuse reads it" if reading.how == "muse" else ""
    write = f"#lang {reading.tag}" if ms.origin is not None else f"lang: {reading.tag}"
    return [Finding("M015", ms.name, line, f"{key} '{written}' is {said}: read as "
                    f"{reading.tag} ({named}){then}; write '{write}' to say so", "warning")]




# What a Muse header may leave out, as amusewiki builds such a text: what the build
# does instead (its lang is Text::Amuse's default, see Manuscript.lang).
MUSE_OPTIONAL = {"author": "built with no author, as amusewiki builds it",
                 "date": "built with no date, as amusewiki builds it",
                 "lang": "read as English (en), as Text::Amuse reads it"}


def _missing(ms, key):
    """M001 for required `key`, missing: a warning for what a Muse header may leave out."""
    if ms.origin is not None and key in MUSE_OPTIONAL:
        return Finding("M001", ms.name, key_line(ms, key), f"the Muse header has no "
                       f"#{key}: {MUSE_OPTIONAL[key]}" + _muse_hint(ms, key), "warning")
    return Finding("M001", ms.name, key_line(ms, key),
                   f"the metadata has no '{key}'" + _muse_hint(ms, key))


def _muse_hint(ms, key):
    """How a Muse text is given what its header cannot say."""
    if ms.origin is None:
        return ""
    if key in ("rights", "publisher"):
        return (f": a Muse header does not say it; write '{key}:' in samizdat.yaml beside "
                f"the text (one for the whole shelf) or give --{key}")
    muse_key = next(k for k, v in muse.MAPPING.items() if v == key)
    if key == "date":
        return f": write #{muse_key} with a year in the Muse header"
    return f": write #{muse_key} in the Muse header"


def key_line(ms, key):
    """The line of top-level metadata key `key`, or 1 (the YAML block) if it has none
    (for a text converted from Muse: the line of its header's directive)."""
    if ms.origin is not None:
        return ms.origin.key_line(key)
    pattern = re.compile(rf"^{re.escape(key)}\s*:")
    for number, line in enumerate(split_lines(ms.text)[:ms.yaml_lines], 1):
        if pattern.match(line):
            return number
    return 1


# --- resources ---------------------------------------------------------------

def check_resources(ms):
    """R-codes: local files exist, stay inside the manuscript's folder and can be used;
    no image from the network; no link or image that runs code; and what the build
    prints otherwise than written (links to nothing, images with no alternative).
    Lines are those of the file as written (the Muse file's for a Muse text)."""
    findings, seen = [], {}
    for kind, target in ms.targets:
        seen[target] = seen.get(target, 0) + 1
        finding = _check_target(ms, kind, target, None)
        if finding:  # its line only now: each search reads the text (see MAX_FINDINGS)
            findings.append(dataclasses.replace(
                finding, line=_use_line(ms, target, seen[target])))
        if len(findings) == MAX_FINDINGS:
            break
    return findings + _house_findings(ms)


# The most findings of one kind a check gives: each line is found by a search of the
# text, and 100,000 links, each searched for, took 155 s of a 5 MB text (measured);
# found only for findings, and at most this many, a check's searches stay under 1 s.
MAX_FINDINGS = 100


def _target_line(ms, target, nth):
    """The `nth` line holding `target` (pandoc may have %-encoded it): for text that is
    not a link's or image's target (raw HTML, an attribute)."""
    return ms.line_of_nth(target, nth) or ms.line_of_nth(unquote(target), nth)


# Where a target is written as one: after `](` (`![](` for an image with no text
# alternative), a Muse `[[`, a reference's `[x]:`, `src=`/`href=`, or `<` of an autolink.
OPENER = re.compile(r"(?P<bare>!\[[ \t]*\]\(\s*<?)|\]\(\s*<?|\[\[|^ {0,3}\[[^\]\n]+\]:[ \t]*<?|"
                    r"\b(?:src|href)[ \t]*=[ \t]*[\"']?|<(?=[A-Za-z][\w+.-]*:)", re.M)
TOKEN = re.compile(r"[^\s)>\]\"'|]*")


def _use_line(ms, target, nth, *, bare=False):
    """The line of the `nth` use of `target` as a link's or image's target (with `bare`,
    as an image with no text alternative) in the file as written; where it cannot be
    found so, the `nth` line holding it at all. A line that only names the file in its
    prose is no use of it."""
    import bisect
    import html

    text = ms.origin.text if ms.origin is not None else ms.text
    starts, uses = _uses(text)
    for form in dict.fromkeys((target, unquote(target), html.escape(target, quote=False))):
        places = [at for at in uses[bare].get(TOKEN.match(form)[0], ())
                  if text.startswith(form, at)]
        if places:
            return bisect.bisect_right(starts, places[min(nth, len(places)) - 1])
    line = _target_line(ms, target, nth)
    return line if ms.origin is None else ms.origin.line_of(line, ms.text)


@functools.lru_cache(maxsize=4)
def _uses(text):
    """(line starts, {bare: {first token of a target: [offsets]}}) of `text`: found in one
    pass, a book has thousands of links."""
    starts = [0] + [match.end() for match in re.finditer("\n", text)]
    uses = {False: {}, True: {}}
    for match in OPENER.finditer(text):
        token = TOKEN.match(text, match.end())[0]
        uses[False].setdefault(token, []).append(match.end())
        if match["bare"]:
            uses[True].setdefault(token, []).append(match.end())
    return starts, uses


def _check_target(ms, kind, target, line):
    url = urlparse(target)
    scheme = url.scheme.lower()
    what = f"{kind.lower()} {_shown(target)}"
    if target.startswith("#") or not target:  # a place in the text: see R007
        return None
    if kind == "Link":
        return _check_link(ms, target, line)
    if scheme == "mailto":
        return None
    if scheme == "file" or target.startswith(("/", "\\")) or len(scheme) == 1:
        return Finding("R002", ms.name, line, f"{what} leaves the manuscript's folder: "
                       "refused (use files in that folder or below it)")
    if scheme:
        problem = policy.url_problem(target, "src")
        if problem and problem[0] == "R003":
            return Finding("R003", ms.name, line, f"{what} is on the network: builds are "
                           "offline, put the file beside the manuscript")
        if problem:
            return Finding(problem[0], ms.name, line, f"{what} is not allowed in a book: "
                           f"{problem[1]}")
        return None
    return _check_local(ms, kind, target, line)


def _check_link(ms, target, line):
    """R004 for a link that would run code; R010 (warning) for one no reader of the book
    can follow, which the build prints as its words (house.lua). A link is never read:
    where it points is no risk to the build, only a dead end for the reader."""
    problem = policy.url_problem(target, "href")
    if problem:
        return Finding(problem[0], ms.name, line, f"link {_shown(target)} is not allowed "
                       f"in a book: {problem[1]}")
    why = policy.unfollowable(target)
    if why:
        return Finding("R010", ms.name, line, f"link {_shown(target)} {why}: printed as "
                       "its words", "warning")
    return None


def _check_local(ms, kind, target, line):
    """R002 if the relative path `target` of an image leaves the manuscript's folder,
    R001 if it is missing, R005 if it cannot be used (not a regular file, too large,
    unsafe)."""
    what = f"{kind.lower()} {_shown(target)}"
    # Where the one read of it found it (resolved again, a link swapped since could
    # pass here an image the build will not have)
    path = ms.media[target].path
    if "\x00" in resources.file_name(target):  # (%00) no file can have that name
        return Finding("R001", ms.name, line, f"{what} does not exist")
    if path is None:
        return Finding("R002", ms.name, line, f"{what} leaves the manuscript's folder: "
                       "refused (use files in that folder or below it)")
    problem = ms.media[target].problem
    if problem == "missing":
        return Finding("R001", ms.name, line, f"{what} does not exist (paths are relative "
                       "to the manuscript's folder)")
    if problem:
        return Finding("R005", ms.name, line, f"{what} cannot be used: {problem}")
    return None


def _shown(target, length=80):
    """`target` as a message may show it: control characters escaped, long ones cut."""
    shown = target.encode("unicode_escape").decode("ascii") if not target.isprintable() \
        else target
    return shown if len(shown) <= length else shown[:length] + "…"


# --- content -------------------------------------------------------------------

def check_content(ms):
    """R004/R003: what an EPUB must not carry (see policy): in raw HTML and in
    attributes given with pandoc's {key=value}."""
    findings, seen = [], {}
    for raw in ms.raw_html:
        for code, why in policy.html_problems(raw):
            findings.append(_content_finding(ms, code, why, raw.strip(), seen))
        findings += [_prefix_finding(ms, p) for p in policy.undeclared_prefixes(raw)]
    for key, value in ms.index.attributes:
        problem = policy.attribute_problem(key, value)
        if problem:
            findings.append(_content_finding(ms, *problem, f"{key}=", seen))
        if policy.undeclared_prefixes(f"<x {key}=''>"):
            findings.append(_prefix_finding(ms, key))
    return findings + _inline_svg_findings(ms) + _style_findings(ms) + _text_tag_findings(ms)


def _inline_svg_findings(ms):
    """R005 for an inline <svg> that would draw without bound (policy.drawn_problem)."""
    return [Finding("R005", ms.name, ms.line_of_nth("<svg", n) or ms.line_of_nth("<SVG", n),
                    f"the inline SVG cannot be used: {why}")
            for n, why in policy.inline_svg_problems(ms.raw_html)]


def _text_tag_findings(ms):
    """R011 (warning): a "tag" naming no element of HTML, SVG or MathML (`<ВАЛЕРИК>`, a
    poem's title so written in a plain-text edition; `cmd <file>`) is text pandoc took
    for markup: printed as written (see house.lua); at most MAX_FINDINGS. Left as HTML,
    a tag never closed made the book's XHTML unreadable (E005)."""
    findings, seen = [], {}
    for raw in ms.raw_html:
        name = policy.not_markup(raw)
        if name is None:
            continue
        needle = raw.strip()
        seen[needle] = seen.get(needle, 0) + 1
        if len(findings) < MAX_FINDINGS:
            line = _target_line(ms, needle, seen[needle]) or _target_line(
                ms, needle.split("\n")[0], 1)
            findings.append(Finding("R011", ms.name, line, f"{_shown(needle)} names no element "
                                    "of HTML: printed as written (a '<' meant as text is written \\<)",
                                    "warning"))
    return findings


def _style_findings(ms):
    """R008 (warning), once: inline styles are left out (see house.lua)."""
    index = ms.index
    styled = [key for key, _ in index.attributes if key == "style"] or [
        raw for raw in ms.raw_html if re.search(r"\sstyle\s*=", raw)]
    if not styled:
        return []
    return [Finding("R008", ms.name, ms.line_of_nth("style", 1),
                    "inline styles are left out: the house style sets the book", "warning")]


def _house_findings(ms):
    """Warnings for what the build does not print as written (see house.lua): links to
    no place in the text (R007), and images with no text alternative (R009), which a
    reader who cannot see them is left without; at most MAX_FINDINGS of each."""
    findings, index, seen = [], ms.index, {}
    for kind, target in ms.targets:
        if kind == "Link" and target.startswith("#") and len(target) > 1 \
                and unquote(target[1:]) not in index.ids and len(findings) < MAX_FINDINGS:
            seen[target] = seen.get(target, 0) + 1
            findings.append(Finding("R007", ms.name, _use_line(ms, target, seen[target]),
                                    f"link {_shown(target)} goes to no place in the text: "
                                    "printed as plain text", "warning"))
    linked = len(findings)
    for src, alt in index.images:
        if not alt and len(findings) - linked < MAX_FINDINGS:
            seen[src, ""] = seen.get((src, ""), 0) + 1
            findings.append(Finding("R009", ms.name, _use_line(ms, src, seen[src, ""],
                                                               bare=ms.origin is None),
                                    f"image {_shown(src)} has no text alternative: write "
                                    "one in ![...] for readers who cannot see it",
                                    "warning"))
    return findings


def _prefix_finding(ms, prefixed):
    return Finding("R006", ms.name, _target_line(ms, prefixed, 1),
                   f"attribute '{prefixed}' has a prefix XHTML does not know: the EPUB "
                   "would not parse; remove the prefix or the attribute")


def _content_finding(ms, code, why, needle, seen):
    seen[needle] = seen.get(needle, 0) + 1
    line = _target_line(ms, needle, seen[needle]) or _target_line(
        ms, needle.split("\n")[0], 1)
    if code == "R003":
        return Finding("R003", ms.name, line, f"{why}: builds are offline and books "
                       "load nothing from elsewhere")
    return Finding("R004", ms.name, line, f"{why} is not allowed in a book: scripts, "
                   "event handlers, frames, embedded objects and styles that load files "
                   "would run on the reader's device")


# Every family of source checks, in the order its findings are said.
CHECKS = (
    Family("characters", check_characters, on_text=True),
    Family("metadata", check_metadata),
    Family("choices", check_choices),
    Family("notes", check_notes,
           muse=lambda ms: muse.check_notes(ms.origin, ms.name)),
    Family("resources", check_resources),  # found on the Muse text itself
    Family("content", check_content, on_text=True),
)
